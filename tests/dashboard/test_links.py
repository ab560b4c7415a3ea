"""Links that reproduce a view: every value is checked before it reaches a widget, and a link
opened in a new tab (AppTest) shows the same numbers."""
from __future__ import annotations

import pytest

from dashboard import links

SHAPE = (100, 60)


@pytest.mark.parametrize("key, text, value", [
    ("fit_seed", "4", 4), ("fit_tol", "0.0001", 1e-4), ("fit_logx", "true", True),
    ("fit_solver", "mu", "mu"), ("race_solvers", "HALS,MU-KL", ["HALS", "MU-KL"]),
    ("rank_range", "2,9", (2, 9)), ("fit_sample", "99", 99), ("fit_sgd_learning_rate", "0.5", 0.5),
])
def test_good_values_are_read(key, text, value):
    assert links.parse(key, text, SHAPE) == value
    assert links.parse(key, links.encode(value), SHAPE) == value


@pytest.mark.parametrize("key, text", [
    ("fit_seed", "-1"), ("fit_seed", "2147483648"), ("fit_seed", "1.5"), ("fit_seed", "abc"),
    ("fit_tol", "nan"), ("fit_tol", "inf"), ("fit_tol", "2"), ("fit_logx", "yes"),
    ("fit_solver", "nope"), ("race_solvers", ""), ("race_solvers", "HALS,nope"),
    ("rank_range", "0,5"), ("rank_range", "5,2"), ("rank_range", "3"), ("rank_range", "2,99"),
    ("fit_sample", "100"), ("bogus", "1"), ("fit_sgd_nope", "1"), ("fit_iter", ""),
])
def test_bad_values_are_refused(key, text):
    with pytest.raises(ValueError):
        links.parse(key, text, SHAPE)


def test_settings_of_names_everything_it_ignores():
    rank, settings, run, ignored = links.settings_of(
        {"data": "planted", "s": "x", "rank": "99", "fit_seed": "3", "x": "1", "run": "race,zz"},
        SHAPE)
    assert rank is None and settings == {"fit_seed": 3} and run == {"race"}
    assert [i.split("=")[0] for i in ignored] == ["rank", "x", "run"]


def test_query_keeps_links_short():
    q = links.view_params("planted", 4, {"fit_seed": 3, "fit_sgd_learning_rate": 1.0,
                                   "data_mode": "Demo set"}, {"race"})
    assert q == {"data": "planted", "rank": "4", "fit_seed": "3", "run": "race"}
    assert links.view_params(None, 4, {"fit_seed": 3}, set()) == {}


def test_a_link_in_a_new_tab_shows_the_same_fit(app_test, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_STATE_DIR", "off")
    at = app_test
    for k, v in {"data": "planted", "rank": "3", "fit_seed": "4", "fit_init": "random",
                 "fit_bogus": "1", "fit_iter": "-3"}.items():
        at.query_params[k] = v
    at.switch_page("app_pages/fit.py").run()
    assert not at.exception
    assert "fit_bogus=1 (unknown)" in at.warning[0].value
    assert "fit_iter=-3 (out of range)" in at.warning[0].value
    line = (at.success or at.warning[1:])[0].value
    assert "rank 3" in line and at.number_input(key="fit_seed").value == 4
    url = {k: v[-1] if isinstance(v, list) else v for k, v in at.query_params.items()}
    assert url["data"] == "planted" and url["fit_seed"] == "4" and url["fit_init"] == "random"
    assert "fit_bogus" not in url

    from streamlit.testing.v1 import AppTest

    import streamlit as st

    st.cache_data.clear()                       # computed again, from the link alone
    again = AppTest.from_file(at._script_path, default_timeout=60)
    for k, v in url.items():
        if k != "s":
            again.query_params[k] = v
    again.switch_page("app_pages/fit.py").run()
    assert not again.exception and not again.warning[:0]
    got = (again.success or again.warning)[0].value
    assert got.split(" iterations")[0] == line.split(" iterations")[0]
