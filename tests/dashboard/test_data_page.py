"""AppTest of the Data page (the default page): every demo set, every bad file, remedies."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest

from nmfcore import datasets

_spec = importlib.util.spec_from_file_location(
    "bad_files_battery", Path(__file__).parent / "bad_files" / "battery.py")
battery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(battery)
BAD = battery.bad_files()

DATASET = "nmfx_dataset"  # dashboard.state's session key


@pytest.fixture
def tiny_start(monkeypatch):
    """Start the app on the tiny demo (fast first run) for the upload tests."""
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "tiny")


def _upload(at, name, data):
    at.radio(key="data_mode").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value((name, data, "application/octet-stream"))
    return at.run()


def test_every_demo_set_loads_and_becomes_current(app_test, figures):
    at = app_test.run()
    assert not at.exception
    assert at.session_state[DATASET].name == "swimmer"
    for name in datasets.list_demos():
        at.selectbox(key="data_demo").set_value(name).run()
        assert not at.exception, name
        assert not at.error, [e.value for e in at.error]
        ds = at.session_state[DATASET]
        assert ds.name == name and ds.X.shape == datasets.load_demo(name).X.shape
        assert any(f"In use on every page: **{name}**" in s.value for s in at.success)
        figs = figures(at)
        # counted on the server: 60 bars holding every finite (stored) value, not the values
        bars = figs[0]["data"][0]
        assert bars["type"] == "bar" and len(bars["y"]) == 60
        X = ds.X.data if hasattr(ds.X, "nnz") else np.asarray(ds.X)
        assert sum(bars["y"]) == np.isfinite(X).sum(), name
        if ds.kind == "image":
            assert any(f["data"][0]["type"] == "heatmap" for f in figs[1:])


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_upload_shows_clear_error(app_test, tiny_start, case):
    _, fname, data, outcome, fragment = case
    at = app_test.run()
    before = at.session_state[DATASET]
    at = _upload(at, fname, data)
    assert not at.exception
    errors = [e.value for e in at.error]
    assert any(fragment in e for e in errors), errors
    assert at.session_state[DATASET] is before or at.session_state[DATASET].name == before.name


def test_upload_over_the_cap(app_test, tiny_start, monkeypatch):
    from dashboard import uploads

    monkeypatch.setattr(uploads, "MAX_BYTES", 100)
    at = _upload(app_test.run(), "big.csv", b"1,2,3\n" * 50)
    assert not at.exception
    assert any("over the upload cap" in e.value for e in at.error)


def test_good_upload_becomes_current_with_labels(app_test, tiny_start):
    at = _upload(app_test.run(), "m.csv", b"id,a,b,c\nr1,1,2,3\nr2,4,5,6\nr3,7,8,9\n")
    assert not at.exception and not at.error
    ds = at.session_state[DATASET]
    assert ds.X.shape == (3, 3) and ds.row_labels == ("r1", "r2", "r3")
    assert at.session_state["nmfx_dataset_source"] == "upload"
    # header override: "no" makes the first row data (text cells), so the set is not used
    at.selectbox(key="data_header").set_value("no").run()
    assert not at.exception
    assert any("text" in w.value for w in at.warning)
    assert at.session_state[DATASET].X.shape == (3, 3)  # previous good set stays current


def test_sparse_upload_stays_sparse(app_test, tiny_start):
    import io

    import scipy.io
    import scipy.sparse as sp

    buf = io.BytesIO()
    scipy.io.mmwrite(buf, sp.random(40, 30, density=0.1, format="coo", random_state=0) +
                     sp.eye(40, 30))
    at = _upload(app_test.run(), "m.mtx", buf.getvalue())
    assert not at.exception and not at.error
    X = at.session_state[DATASET].X
    assert sp.issparse(X) and X.shape == (40, 30)
    assert any("sparse" in c.value for c in at.caption)


def test_remedies_apply_on_click_with_before_after(app_test, tiny_start, figures):
    data = b"a,b,c\n1,2,3\n-4,5,6\n7,,9\n0,0,0\n"
    at = _upload(app_test.run(), "mess.csv", data)
    assert any("negative" in e.value for e in at.error)
    at.button(key="fix_negative_shift").click().run()
    assert not at.exception
    assert any("Added 4" in s.value for s in at.success)
    assert figures(at)[0]["data"][1]["name"] == "after"  # before/after histogram
    assert not any("negative" in e.value for e in at.error)
    at.button(key="fix_nan_nan_as_missing").click().run()
    assert not at.exception
    ds = at.session_state[DATASET]
    assert ds.extras["missing"] is True and np.isnan(ds.X).sum() == 1
    assert np.nanmin(ds.X) == 0.0 and ds.X[1, 0] == 0.0  # shifted by 4
    assert any("missing='mask'" in s.value for s in at.success)


def test_transform_buttons_and_text_cells(app_test, tiny_start):
    at = _upload(app_test.run(), "t.csv", b"a,b,c\n1,2,3\n4,oops,6\n7,8,9\n")
    assert any("held text" in w.value for w in at.warning)
    at.button(key="fix_non_numeric_coerce_text").click().run()
    assert not any("held text" in w.value for w in at.warning)
    at.button(key="fix_nan_drop_nonfinite_rows").click().run()
    ds = at.session_state[DATASET]
    assert ds.X.shape == (2, 3) and not at.exception
    at.button(key="tx_transpose").click().run()
    assert at.session_state[DATASET].X.shape == (3, 2)
    at.button(key="tx_log1p").click().run()
    np.testing.assert_allclose(at.session_state[DATASET].X, np.log1p([[1, 7], [2, 8], [3, 9]]))
    assert any("Changes so far" in c.value for c in at.caption)


def test_upload_survives_a_page_change(app_test, tiny_start):
    """Widgets reset when the user leaves the page; coming back must not reload a demo."""
    at = _upload(app_test.run(), "m.csv", b"id,a,b\nr1,1,2\nr2,3,4\nr3,5,6\n")
    at.switch_page("app_pages/export.py").run()
    at.switch_page("app_pages/data.py").run()
    assert not at.exception
    assert at.session_state[DATASET].name == "upload: m.csv"
    assert at.radio(key="data_mode").value == "Upload a file"
    assert any("loaded earlier" in i.value for i in at.info)
    at.radio(key="data_mode").set_value("Demo set").run()
    at.selectbox(key="data_demo").set_value("tiny").run()
    assert at.session_state[DATASET].name == "tiny"
