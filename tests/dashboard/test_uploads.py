"""dashboard.uploads: the bad-file battery and good CSV/TSV/xlsx/npy/npz/mtx files."""
import importlib.util
import io
from pathlib import Path

import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from dashboard.uploads import ParsedUpload, UploadError, parse_upload

_spec = importlib.util.spec_from_file_location(
    "bad_files_battery", Path(__file__).parent / "bad_files" / "battery.py")
battery = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(battery)
BAD = battery.bad_files()


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_bad_file_gives_clear_message(case):
    _, fname, data, outcome, fragment = case
    if outcome == "raise":
        with pytest.raises(UploadError) as err:
            parse_upload(fname, data)
        msg = str(err.value)
        assert fragment in msg
        assert fname in msg  # says which file
        assert "Traceback" not in msg and len(msg) < 600
    else:
        parsed = parse_upload(fname, data)
        assert not parsed.report.ok
        messages = [p.message for p in parsed.report.problems if p.severity == "error"]
        assert any(fragment in m for m in messages), messages


def test_over_the_cap_is_refused_before_parsing():
    data = b"1,2,3\n" * 1000
    with pytest.raises(UploadError, match="over the upload cap"):
        parse_upload("big.csv", data, max_bytes=len(data) - 1)


def test_ragged_message_names_the_real_lines():
    with pytest.raises(UploadError, match="line 1 has 3 fields but line 5 has 2"):
        parse_upload("r.csv", b"1,2,3\n4,5,6\n\n\n7,8\n")


def test_text_cells_are_flagged_with_positions():
    p = parse_upload("t.csv", b"a,b,c\n1,2,3\n4,oops,6\n7,8,9\n")
    assert p.report.n_non_numeric == 1 and p.report.non_numeric_positions == ((1, 1),)
    assert p.non_numeric_mask[1, 1] and p.non_numeric_mask.sum() == 1
    assert np.isnan(p.dataset.X[1, 1]) and p.dataset.X[2, 2] == 9
    assert any("held text" in n for n in p.notes)


def test_csv_with_header_and_label_column():
    data = b"name,x,y,z\ns1,1,2,3\ns2,4,5,6\ns3,7,8,9.5\n"
    p = parse_upload("m.csv", data)
    assert isinstance(p, ParsedUpload)
    np.testing.assert_array_equal(p.dataset.X, [[1, 2, 3], [4, 5, 6], [7, 8, 9.5]])
    assert p.dataset.row_labels == ("s1", "s2", "s3")
    assert p.dataset.col_labels == ("x", "y", "z")
    assert p.options["header"] is True and p.options["label_column"] == 0
    assert p.report.ok and p.dataset.name == "upload: m.csv"


def test_overrides_header_and_label_column():
    data = b"1,2,3\n4,5,6\n7,8,9\n"
    p = parse_upload("n.csv", data)
    assert p.dataset.X.shape == (3, 3) and p.options["header"] is False
    p = parse_upload("n.csv", data, header=True)
    assert p.dataset.X.shape == (2, 3) and p.dataset.col_labels == ("1", "2", "3")
    p = parse_upload("n.csv", data, header=False, label_column=0)
    assert p.dataset.X.shape == (3, 2) and p.dataset.row_labels == ("1", "4", "7")
    named = b"id,a,b\nr1,1,2\nr2,3,4\n"
    assert parse_upload("x.csv", named, label_column="id").dataset.row_labels == ("r1", "r2")
    p = parse_upload("x.csv", named, label_column=False)
    assert p.report.n_non_numeric == 2  # the id column is now data, and text
    with pytest.raises(UploadError, match="no column named 'nope'"):
        parse_upload("x.csv", named, label_column="nope")
    with pytest.raises(UploadError, match="label column 9 does not exist"):
        parse_upload("x.csv", named, label_column=9)


def test_repeated_labels_become_classes():
    data = b"group,a,b\nALL,1,2\nAML,3,4\nALL,5,6\n"
    ds = parse_upload("g.csv", data).dataset
    assert ds.classes.tolist() == [0, 1, 0]
    assert ds.extras["class_names"] == ("ALL", "AML")


def test_tsv_semicolon_decimal_comma_and_bom():
    p = parse_upload("t.tsv", b"a\tb\n1.5\t2\n3\t4\n")
    np.testing.assert_array_equal(p.dataset.X, [[1.5, 2], [3, 4]])
    assert p.options["delimiter"] == "tab"
    p = parse_upload("eu.csv", "\ufeffa;b;c\n1,5;2;3,25\n4;5,5;6\n".encode("utf-8"))
    np.testing.assert_array_equal(p.dataset.X, [[1.5, 2, 3.25], [4, 5.5, 6]])
    assert p.options["decimal"] == "," and p.dataset.col_labels == ("a", "b", "c")
    assert any("BOM" in n for n in p.notes)
    p = parse_upload("w.txt", b"1 2 3\n4  5 6\n7 8   9\n")
    assert p.dataset.X.shape == (3, 3) and p.options["delimiter"] == "whitespace"


def test_pandas_index_and_r_style_row_names():
    p = parse_upload("pd.csv", b",a,b\n0,1.0,2.0\n1,3.0,4.0\n2,5.0,6.0\n")
    assert p.dataset.X.shape == (3, 2) and p.dataset.col_labels == ("a", "b")
    p = parse_upload("r.csv", b'"a","b"\n"r1",1,2\n"r2",3,4\n')
    assert p.dataset.X.shape == (2, 2) and p.dataset.row_labels == ("r1", "r2")


def test_trailing_delimiter_and_empty_cells():
    p = parse_upload("t.csv", b"a,b,\n1,2,\n3,,\n")
    assert p.dataset.X.shape == (2, 2) and p.report.n_nan == 1
    assert p.report.n_non_numeric == 0  # an empty cell is missing, not text
    assert any("empty column" in n for n in p.notes)


def test_xlsx():
    import openpyxl as ox

    wb = ox.Workbook()
    ws = wb.active
    ws.append(["sample", "g1", "g2", "g3"])
    ws.append(["a", 1, 2.5, 3])
    ws.append(["b", 4, None, 6])
    ws.append(["c", 7, "n/a?", 9])
    buf = io.BytesIO()
    wb.save(buf)
    p = parse_upload("book.xlsx", buf.getvalue())
    X = p.dataset.X
    assert X.shape == (3, 3) and X[0, 1] == 2.5 and np.isnan(X[1, 1])
    assert p.dataset.row_labels == ("a", "b", "c") and p.dataset.col_labels == ("g1", "g2", "g3")
    assert p.report.n_non_numeric == 1 and p.non_numeric_mask[2, 1]


def test_npy_and_image_stack():
    buf = io.BytesIO()
    np.save(buf, np.arange(12, dtype=np.int32).reshape(3, 4))
    p = parse_upload("a.npy", buf.getvalue())
    assert p.dataset.X.dtype == np.float64 and p.dataset.X[2, 3] == 11
    buf = io.BytesIO()
    np.save(buf, np.ones((5, 4, 3)))
    p = parse_upload("imgs.npy", buf.getvalue())
    assert p.dataset.X.shape == (5, 12) and p.dataset.image_shape == (4, 3)
    assert p.dataset.kind == "image"


def test_npz_dense_with_labels_and_sparse():
    buf = io.BytesIO()
    np.savez_compressed(buf, X=np.eye(3) + 1, classes=np.array([0, 1, 1]),
                        col_labels=np.array(["u", "v", "w"]))
    p = parse_upload("d.npz", buf.getvalue())
    assert p.dataset.X.shape == (3, 3) and p.dataset.classes.tolist() == [0, 1, 1]
    assert p.dataset.col_labels == ("u", "v", "w")
    S = sp.random(50, 40, density=0.05, format="csr", random_state=0)
    buf = io.BytesIO()
    sp.save_npz(buf, S)
    p = parse_upload("s.npz", buf.getvalue())
    assert sp.issparse(p.dataset.X) and p.dataset.X.nnz == S.nnz
    np.testing.assert_allclose(p.dataset.X.toarray(), S.toarray())
    assert p.report.is_sparse


def test_mtx_stays_sparse():
    S = sp.random(30, 20, density=0.1, format="coo", random_state=1)
    buf = io.BytesIO()
    scipy.io.mmwrite(buf, S)
    p = parse_upload("m.mtx", buf.getvalue())
    assert sp.isspmatrix_csr(p.dataset.X) or sp.issparse(p.dataset.X)
    np.testing.assert_allclose(p.dataset.X.toarray(), S.toarray())
    with pytest.raises(UploadError, match="not a Matrix Market file"):
        parse_upload("x.mtx", b"1 2 3\n")
    with pytest.raises(UploadError, match="field 'complex'"):
        parse_upload("c.mtx", b"%%MatrixMarket matrix coordinate complex general\n2 2 1\n"
                              b"1 1 1 0\n")


def test_five_megabyte_csv(tmp_path):
    rng = np.random.default_rng(0)
    M = rng.random((7100, 90)) * 100
    text = "\n".join(",".join(f"{v:.4f}" for v in row) for row in M) + "\n"
    data = ("," .join(f"f{j}" for j in range(90)) + "\n" + text).encode()
    assert len(data) > 5_000_000
    p = parse_upload("big.csv", data)
    assert p.dataset.X.shape == (7100, 90) and p.report.ok
    np.testing.assert_allclose(p.dataset.X, M, atol=1e-4)


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=30, deadline=None)
@given(n=st.integers(2, 8), m=st.integers(2, 8), seed=st.integers(0, 10_000),
       sep=st.sampled_from([",", ";", "\t"]), header=st.booleans(), labels=st.booleans())
def test_csv_round_trip(n, m, seed, sep, header, labels):
    """Any small matrix written as CSV/TSV (optionally with header, row labels, and a decimal
    comma when the delimiter allows it) reads back exactly, with the layout detected."""
    rng = np.random.default_rng(seed)
    M = np.round(rng.random((n, m)) * 100, 3)
    dec = "," if sep != "," and seed % 2 else "."
    lines = []
    if header:
        lines.append(sep.join((["id"] if labels else []) + [f"f{j}" for j in range(m)]))
    for i, row in enumerate(M):
        cells = [f"{v:.3f}".replace(".", dec) for v in row]
        lines.append(sep.join(([f"s{i}"] if labels else []) + cells))
    p = parse_upload("r.csv", ("\n".join(lines) + "\n").encode())
    np.testing.assert_allclose(p.dataset.X, M)
    assert p.options["header"] is header and (p.options["label_column"] == 0) is labels
    if labels:
        assert p.dataset.row_labels == tuple(f"s{i}" for i in range(n))


_CELL = st.sampled_from(["1", "2.5", "-3", "", "nan", "inf", "abc", "1,5", '"x,y"', "0", "1e3",
                         " 7 ", "NA", "id"])


@settings(max_examples=60, deadline=None)
@given(grid=st.lists(st.lists(_CELL, min_size=1, max_size=6), min_size=1, max_size=6),
       sep=st.sampled_from([",", ";", "\t", " "]), header=st.sampled_from([None, True, False]),
       label=st.sampled_from([None, False, 0, 1, "id"]))
def test_messy_tables_parse_or_raise_upload_error(grid, sep, header, label):
    """Whatever the table, the parser returns a 2-D float matrix or raises UploadError."""
    data = "\n".join(sep.join(r) for r in grid).encode()
    try:
        p = parse_upload("f.csv", data, header=header, label_column=label)
    except UploadError as err:
        assert "f.csv" in str(err)
        return
    assert p.dataset.X.ndim == 2 and p.dataset.X.dtype == np.float64
    assert min(p.dataset.X.shape) >= 2
