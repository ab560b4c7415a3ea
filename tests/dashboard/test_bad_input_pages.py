"""Bad input everywhere, through AppTest: every value a user can put into a widget of an Explore
page gives a result or a clear ``st.error``/``st.warning``, never an exception box.

Widget keys are those of ``dashboard/app_pages/*.py``. Values outside a ``number_input``'s
bounds cannot be typed in the browser (the widget refuses them); sent anyway (AppTest), the
server must clamp or reset them, still without an exception. The data set is the 5 x 6 "tiny"
demo so every run is quick.
"""
from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest

from rel_helpers import BARE, count

FIT, RACE, RANK, RESTARTS = ("app_pages/fit.py", "app_pages/race.py", "app_pages/rank.py",
                             "app_pages/restarts.py")
# the race's SGD option widgets (built from ProjectedSGD.option_specs: race_<solver>_<option>)
LR, BATCH, DECAY = "race_sgd_learning_rate", "race_sgd_batch_size", "race_sgd_decay"
SUBMIT = {FIT: "FormSubmitter:fit_form-Run fit", RACE: "FormSubmitter:race_form-Start race",
          RANK: "FormSubmitter:rank_form-Run sweep", RESTARTS: "FormSubmitter:rst_form-Run restarts"}
TINY = (5, 6)


@pytest.fixture
def page(app_test, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "tiny")

    def open_(path):
        at = app_test.run()
        assert not at.exception, at.exception
        at.switch_page(path).run()
        assert not at.exception, at.exception
        return at
    return open_


def messages(at) -> list[str]:
    return [e.value for e in at.error] + [w.value for w in at.warning]


def assert_sane(at, where: str) -> None:
    """No exception box; every error/warning is a sentence, not a bare numpy message; no chart
    holds NaN/inf."""
    assert not at.exception, f"{where}: exception {[e.value for e in at.exception]}"
    for msg in messages(at):
        assert len(str(msg).split()) >= 4, f"{where}: unclear message {msg!r}"
        for pat in BARE + [r"Traceback", r"LinAlgError"]:
            assert not re.search(pat, str(msg), re.I), f"{where}: bare message {msg!r}"
    for el in at.get("plotly_chart"):
        fig = json.loads(el.proto.spec)
        for trace in fig.get("data", []):
            for axis in ("x", "y", "z"):
                v = trace.get(axis)
                if isinstance(v, dict) and "bdata" in v:
                    arr = np.frombuffer(base64.b64decode(v["bdata"]), dtype=v["dtype"])
                elif isinstance(v, list):
                    arr = np.asarray([x for x in np.ravel(np.asarray(v, dtype=object))
                                      if isinstance(x, float)], dtype=float)
                else:
                    continue
                if arr.dtype.kind == "f" and arr.size:
                    # NaN is a gap (a criterion undefined at one rank); inf or all-NaN is not
                    assert not np.isinf(arr).any(), f"{where}: inf in a chart"
                    assert not np.isnan(arr).all(), f"{where}: a chart trace is all NaN"


def submit(at, path, **values):
    for key, value in values.items():
        widget = at.multiselect(key=key) if key == "race_solvers" else \
            at.selectbox(key=key) if key.endswith(("solver", "loss", "init")) else \
            at.slider(key=key) if key == "rank_range" else at.number_input(key=key)
        widget.set_value(value)
    at.button(key=SUBMIT[path]).click().run()
    count("AppTest bad input")
    return at


# ------------------------------------------------------------------ Fit & factors
FIT_CASES = [
    {"fit_rank": 0}, {"fit_rank": -3}, {"fit_rank": 99}, {"fit_rank": min(TINY)},
    {"fit_iter": 0}, {"fit_iter": -5}, {"fit_iter": 1}, {"fit_tol": -1.0}, {"fit_tol": 1.0},
    {"fit_tol": 0.0, "fit_iter": 3}, {"fit_l1": -1.0}, {"fit_l1": 1e4}, {"fit_l2": 1e4},
    {"fit_l1": 1e300}, {"fit_seed": -1}, {"fit_seed": 2**31 - 1},
    {"fit_solver": "sgd"}, {"fit_solver": "anls", "fit_rank": min(TINY)},
]


def test_fit_page_any_value(page):
    at = page(FIT)              # one session, one value after another (as a user would)
    for values in FIT_CASES:
        defaults = {"fit_rank": 2, "fit_iter": 200, "fit_tol": 1e-5, "fit_l1": 0.0,
                    "fit_l2": 0.0, "fit_seed": 0, "fit_solver": "mu", "fit_loss": "frobenius"}
        at = submit(at, FIT, **{**defaults, **values})
        assert_sane(at, f"fit {values}")
        r = at.number_input(key="fit_rank").value
        assert 1 <= r <= min(TINY), values              # clamped into the valid range
        assert at.number_input(key="fit_iter").value >= 1, values
        assert at.success or messages(at), f"fit {values}: neither a result nor a message"


def test_fit_page_kl_with_a_solver_that_cannot_do_it_says_so(page):
    at = page(FIT)
    for solver in ("sgd", "hals", "anls"):
        at = submit(at, FIT, fit_solver=solver, fit_loss="kl")
        assert_sane(at, f"fit kl/{solver}")
        assert any("kl" in m.lower() and "mu" in m for m in messages(at)), messages(at)


# ------------------------------------------------------------------ Solver race
RACE_CASES = [
    {"race_solvers": []},
    {"race_rank": 0}, {"race_rank": 99}, {"race_iter": 0}, {"race_iter": -1},
    {"race_time": -1.0}, {"race_time": 0.0001}, {"race_tol": 1.0}, {"race_l1": 1e4},
    {LR: 0.0}, {LR: -1.0}, {LR: 1e6}, {LR: 2.5},
    {BATCH: 100000}, {BATCH: -1}, {DECAY: 10.0},
    {"race_solvers": list(("MU-Frobenius", "MU-KL", "projected SGD", "HALS", "ANLS")),
     "race_rank": min(TINY), "race_iter": 2},
]


def test_race_page_any_value(page):
    at = page(RACE)
    defaults = {"race_rank": 2, "race_iter": 30, "race_time": 0.0, "race_tol": 0.0,
                "race_l1": 0.0, LR: 1.0, BATCH: 0, DECAY: 0.0}
    for values in RACE_CASES:
        values = dict(values)
        solvers = values.pop("race_solvers", ["projected SGD", "HALS"])
        at = submit(at, RACE, race_solvers=solvers, **{**defaults, **values})
        assert_sane(at, f"race {values}")
        if not solvers:
            assert any("solver" in m.lower() for m in messages(at)), messages(at)
        else:
            assert at.dataframe or messages(at), f"race {values}: no result table, no message"


# ------------------------------------------------------------------ Rank
RANK_CASES = [
    {"rank_range": (1, 1)}, {"rank_range": (1, min(TINY))}, {"rank_restarts": 1},
    {"rank_restarts": 0}, {"rank_iter": 1}, {"rank_iter": -2}, {"rank_folds": 0},
    {"rank_folds": 10}, {"rank_folds": -1}, {"rank_solver": "sgd"}, {"rank_solver": "anls"},
]


def test_rank_page_any_value(page):
    at = page(RANK)
    base = {"rank_restarts": 2, "rank_iter": 5, "rank_range": (1, 2), "rank_folds": 1,
            "rank_solver": "hals"}
    cases = list(RANK_CASES)
    if any(w.key == "rank_jobs" for w in at.number_input):     # "Worker processes"
        base["rank_jobs"] = 1
        cases += [{"rank_jobs": 0}, {"rank_jobs": -1}, {"rank_jobs": 999}, {"rank_jobs": 2}]
    for values in cases:
        at = submit(at, RANK, **{**base, **values})
        assert_sane(at, f"rank {values}")
        assert at.get("plotly_chart") or messages(at) or at.info, values


# ------------------------------------------------------------------ Restarts
RST_CASES = [
    {"rst_n": 1}, {"rst_n": 2}, {"rst_n": -4}, {"rst_rank": 0}, {"rst_rank": min(TINY)},
    {"rst_rank": 99}, {"rst_iter": 0}, {"rst_iter": 1}, {"rst_solver": "sgd"},
    {"rst_solver": "anls"}, {"rst_seed": -1},
]


def test_restarts_page_any_value(page):
    at = page(RESTARTS)
    base = {"rst_n": 3, "rst_iter": 5, "rst_rank": 2, "rst_solver": "hals", "rst_seed": 0}
    for values in RST_CASES:
        at = submit(at, RESTARTS, **{**base, **values})
        assert_sane(at, f"restarts {values}")
        assert at.get("plotly_chart") or messages(at), values


# ------------------------------------------------------------------ Data page: typed text
def test_data_page_label_column_and_header_any_text(page):
    at = page("app_pages/data.py")
    at.radio(key="data_mode").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(
        ("m.csv", b"name,a,b,c\nx,1,2,3\ny,4,5,6\nz,7,8,0\n", "text/csv")).run()
    for label, header in [("abc", "detect"), ("999", "yes"), ("-1", "no"), ("   ", "yes"),
                          ("none", "no"), ("0", "detect"), ("c", "no"), ("1e3", "yes"),
                          ("", "detect"), ("name", "yes")]:
        at.selectbox(key="data_header").set_value(header)
        at.text_input(key="data_label").set_value(label).run()
        count("AppTest bad input")
        assert_sane(at, f"data label={label!r} header={header}")
