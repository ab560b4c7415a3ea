"""A reload loses nothing, and Save/Open session: AppTest sessions that share a URL token, and
the server-side store (memory + disk) on its own."""
from __future__ import annotations

import numpy as np
import pytest

import nmfcore

from dashboard import persist, sessionfile, state

FIT, RACE, RANK, RESTARTS, DATA = ("app_pages/fit.py", "app_pages/race.py", "app_pages/rank.py",
                                   "app_pages/restarts.py", "app_pages/data.py")


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv(persist.STATE_ENV, str(tmp_path / "state"))
    return tmp_path / "state"


def _new(app_test_factory, token=None, page=None):
    at = app_test_factory()
    if token:
        at.query_params[persist.TOKEN_PARAM] = token
    if page:
        at.switch_page(page)
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture
def new_tab(monkeypatch, state_dir):
    from streamlit.testing.v1 import AppTest

    from conftest import APP

    def make(token=None, page=None, demo="tiny"):
        monkeypatch.setenv("NMF_EXPLORER_DEMO", demo)
        return _new(lambda: AppTest.from_file(str(APP), default_timeout=60), token, page)
    return make


def _fit_line(at):
    return (at.success or at.warning)[0].value


def _work_everywhere(at):
    """Fit (mu, seed 7), race, a small sweep and restarts on the current data set."""
    at.switch_page(FIT).run()
    at.selectbox(key="fit_solver").set_value("mu")
    at.number_input(key="fit_seed").set_value(7)
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    fit = _fit_line(at)
    at.switch_page(RACE).run()
    at.multiselect(key="race_solvers").set_value(["HALS", "MU-KL"])
    at.button(key="FormSubmitter:race_form-Start race").click().run()
    race = at.dataframe[0].value.to_dict()
    at.switch_page(RANK).run()
    at.slider(key="rank_range").set_value((1, 3))
    at.number_input(key="rank_restarts").set_value(3)
    at.number_input(key="rank_jobs").set_value(1)
    at.button(key="FormSubmitter:rank_form-Run sweep").click().run()
    rank = [m.value for m in at.markdown if "→ rank" in m.value]
    at.switch_page(RESTARTS).run()
    at.number_input(key="rst_n").set_value(3)
    at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
    rst = [(m.label, m.value) for m in at.metric]
    assert not at.exception
    return {"fit": fit, "race": race, "rank": rank, "restarts": rst}


def _read_back(at):
    at.switch_page(FIT).run()
    out = {"fit": _fit_line(at), "solver": at.selectbox(key="fit_solver").value,
           "seed": at.number_input(key="fit_seed").value}
    at.switch_page(RACE).run()
    out["race"] = at.dataframe[0].value.to_dict()
    out["race_solvers"] = list(at.multiselect(key="race_solvers").value)
    at.switch_page(RANK).run()
    out["rank"] = [m.value for m in at.markdown if "→ rank" in m.value]
    out["rank_range"] = tuple(at.slider(key="rank_range").value)
    at.switch_page(RESTARTS).run()
    out["restarts"] = [(m.label, m.value) for m in at.metric]
    assert not at.exception
    return out


def _no_computing(monkeypatch):
    def refuse(*a, **k):
        raise AssertionError("recomputed")
    for name in ("factorize", "restarts", "rank_sweep"):
        monkeypatch.setattr(nmfcore, name, refuse)
    import streamlit as st

    st.cache_data.clear()   # the results must come from the tab's store, not the caches


def _check_same(before, after):
    assert after["fit"] == before["fit"] and after["solver"] == "mu" and after["seed"] == 7
    assert after["race"] == before["race"] and after["race_solvers"] == ["HALS", "MU-KL"]
    assert after["rank"] == before["rank"] and after["rank_range"] == (1, 3)
    assert after["restarts"] == before["restarts"]


def test_a_reload_brings_back_data_settings_and_results_without_recomputing(
        new_tab, monkeypatch):
    at = new_tab(demo="planted")
    at.selectbox(key="data_demo").set_value("tiny").run()
    before = _work_everywhere(at)
    token = at.session_state["nmfx_token"]
    assert persist.valid_token(token) and token in str(at.query_params[persist.TOKEN_PARAM])

    _no_computing(monkeypatch)
    again = new_tab(token=token, page=FIT, demo="planted")        # the same URL, reloaded
    assert again.session_state["nmfx_dataset"].name == "tiny"
    _check_same(before, _read_back(again))


def test_after_a_server_restart_the_state_comes_back_from_disk(new_tab, monkeypatch,
                                                                state_dir):
    at = new_tab()
    before = _work_everywhere(at)
    token = at.session_state["nmfx_token"]
    persist._STORES.clear()                      # a new server process: memory is empty
    _no_computing(monkeypatch)
    again = new_tab(token=token, page=FIT, demo="planted")
    _check_same(before, _read_back(again))
    files = sorted(p.name for p in state_dir.rglob("*") if p.is_file())
    assert files == ["meta.json", "state.nmfx"]  # a demo set is stored by name only


def test_an_upload_with_its_remedy_survives_a_reload(new_tab):
    at = new_tab()
    at.radio(key="data_mode").set_value("Upload a file").run()
    csv = b"a,b,c\n1,2,3\n4,-5,6\n7,8,9\n1,1,1\n"
    at.file_uploader(key="data_upload").set_value(("neg.csv", csv, "text/csv")).run()
    clip = next(b for b in at.button if b.key and b.key.endswith("_clip"))
    clip.click().run()
    assert not at.exception and "In use on every page" in at.success[-1].value
    ds = at.session_state["nmfx_dataset"]
    assert ds.X.min() >= 0
    token = at.session_state["nmfx_token"]
    persist._STORES.clear()                      # read from disk, the upload included
    again = new_tab(token=token, demo="planted")
    back = again.session_state["nmfx_dataset"]
    assert sessionfile.fingerprint(back) == sessionfile.fingerprint(ds)
    assert any("Changes so far" in c.value for c in again.caption)
    assert any("loaded earlier" in i.value for i in again.info)


def test_an_unknown_or_malformed_token_starts_a_fresh_tab(new_tab):
    for bad in ("x" * 43, "../../etc/passwd", ""):
        at = new_tab(token=bad)
        tok = at.session_state["nmfx_token"]
        assert tok != bad and persist.valid_token(tok)
        assert at.session_state["nmfx_dataset"].name == "tiny"


# ------------------------------------------------------------------ save / open
def _saved_file(at) -> bytes:
    snap, _ = persist.store().get(at.session_state["nmfx_token"], None)
    return state.session_bytes(snap)


def test_save_then_open_in_a_fresh_tab_gives_the_same_numbers(new_tab, monkeypatch):
    at = new_tab()
    before = _work_everywhere(at)
    blob = _saved_file(at)

    _no_computing(monkeypatch)
    other = new_tab(demo="planted")                  # another browser, another machine
    other.file_uploader(key="data_session").set_value(("s.nmfx", blob, "application/zip"))
    other.run()
    assert not other.exception and not other.error
    assert "Opened s.nmfx" in other.success[0].value
    assert other.session_state["nmfx_dataset"].name == "tiny"
    _check_same(before, _read_back(other))


@pytest.mark.parametrize("bad, words", [
    (b"not a session", "not an nmf-explorer session"),
    (None, "damaged or truncated"),
])
def test_a_bad_session_file_leaves_the_tab_untouched(new_tab, bad, words):
    at = new_tab()
    _work_everywhere(at)
    good = _saved_file(at)
    other = new_tab(demo="planted")
    other.switch_page(FIT).run()
    line = _fit_line(other)
    other.switch_page(DATA).run()
    data = bad if bad is not None else good[: len(good) // 2]
    other.file_uploader(key="data_session").set_value(("s.nmfx", data, "application/zip"))
    other.run()
    assert not other.exception
    assert len(other.error) == 1 and words in other.error[0].value
    assert other.session_state["nmfx_dataset"].name == "planted"
    other.switch_page(FIT).run()
    assert _fit_line(other) == line


# ------------------------------------------------------------------ the store alone
def test_store_binds_a_token_to_its_browser_and_to_its_own_folder(tmp_path):
    store = persist.Store(tmp_path)
    a, b = persist.new_token(), persist.new_token()
    ds = nmfcore.datasets.load_demo("tiny")
    snap = {"dataset": ds, "settings": {"fit_seed": 3}, "jobs": {}}
    store.put(a, "owner-A", None, snap, 1, disk_snapshot=lambda: snap)
    assert store.get(a, "owner-A")[0] is snap
    assert store.get(a, "owner-B") is None and store.get(b, "owner-A") is None
    store.put(a, "owner-B", None, {"dataset": None}, 2)          # cannot overwrite A's
    assert store.get(a, "owner-A")[0] is snap
    fresh = persist.Store(tmp_path)                             # after a restart
    assert fresh.get(a, "owner-B") is None
    assert fresh.get(a, "owner-A")[0]["settings"] == {"fit_seed": 3}
    assert [p.name for p in tmp_path.iterdir()] == [persist._folder_name(a)]
    assert a not in str(list(tmp_path.rglob("*")))              # no token on disk
    assert oct(tmp_path.joinpath(persist._folder_name(a)).stat().st_mode & 0o777) == "0o700"


def test_store_bounds_memory_and_expires_idle_folders(tmp_path, monkeypatch):
    monkeypatch.setattr(persist, "MEMORY_SESSIONS", 3)
    store = persist.Store(tmp_path)
    toks = [persist.new_token() for _ in range(5)]
    for i, t in enumerate(toks):
        store.put(t, None, None, {"x": np.zeros(10)}, i, disk_snapshot=lambda: {"x": 1})
    assert len(store._mem) == 3 and store.get(toks[0], None)[0] == {"x": 1}   # from disk
    monkeypatch.setattr(persist, "MEMORY_BYTES", 100)
    store.put(persist.new_token(), None, None, {"x": np.zeros(1000)}, 9)
    assert len(store._mem) <= 1
    import os
    import time
    old = tmp_path / persist._folder_name(toks[1]) / "state.nmfx"
    os.utime(old, (time.time() - persist.DISK_IDLE - 10,) * 2)
    store._mem.clear()
    assert store.get(toks[1], None) is None and not old.exists()


def test_owner_is_read_from_the_xsrf_cookie():
    raw = bytes(range(16))
    mask = b"\x01\x02\x03\x04"
    masked = bytes(b ^ mask[i % 4] for i, b in enumerate(raw))
    c1 = f"2|{mask.hex()}|{masked.hex()}|1700000000"
    mask2 = b"\x09\x08\x07\x06"
    c2 = f"2|{mask2.hex()}|{bytes(b ^ mask2[i % 4] for i, b in enumerate(raw)).hex()}|17"
    assert persist.owner_of_cookie(c1) == persist.owner_of_cookie(c2)   # same browser
    assert persist.owner_of_cookie(c1) != persist.owner_of_cookie("2|00|11|3")
    assert persist.owner_of_cookie(None) is None


def test_component_names_survive_a_saved_session(new_tab):
    from dashboard import state as app_state

    at = new_tab()
    at.switch_page(FIT).run()
    at.switch_page("app_pages/components.py").run()
    assert not at.exception
    at.text_input(key=next(t.key for t in at.text_input if t.key.startswith("cmp_name_")
                           and t.key.endswith("_0"))).set_value("the first part")
    at.button(key="FormSubmitter:cmp_names_form-Save names").click().run()
    assert not at.exception and "the first part" in at.success[0].value
    blob = _saved_file(at)
    other = new_tab(demo="planted")
    other.file_uploader(key="data_session").set_value(("s.nmfx", blob, "application/zip"))
    other.run()
    assert not other.exception
    names = other.session_state[app_state._NAMES]
    assert any(entry["custom"][0] == "the first part" for entry in names.values())
    other.switch_page("app_pages/components.py").run()
    assert not other.exception
    assert any(t.value == "the first part" for t in other.text_input)
