"""nmfcore.preprocess: validation report counts and every remedy, dense and sparse."""
import numpy as np
import pytest
import scipy.sparse as sp

from nmfcore import preprocess as pp
from nmfcore.datasets import Dataset, make_planted


def messy():
    """6 x 5 with 2 negatives, 2 NaN, 1 inf, an all-zero row and column, a constant column."""
    X = np.array([
        [1.0, 2.0, 0.0, 3.0, 7.0],
        [-1.0, 0.5, 0.0, 1.0, 7.0],
        [0.0, 0.0, 0.0, 0.0, 0.0],
        [2.0, np.nan, 0.0, 4.0, 7.0],
        [3.0, 1.0, 0.0, -2.0, 7.0],
        [np.inf, 1.0, 0.0, np.nan, 7.0],
    ])
    X[2, 4] = 0.0  # row 2 all zero, so column 4 is not constant
    return X


def test_report_counts_and_positions():
    X = messy()
    before = X.copy()
    r = pp.validate(X)
    assert r.shape == (6, 5) and not r.is_sparse
    assert r.n_negative == 2 and r.negative_positions == ((1, 0), (4, 3))
    assert r.n_nan == 2 and r.nan_positions == ((3, 1), (5, 3))
    assert r.n_inf == 1 and r.inf_positions == ((5, 0),)
    assert r.zero_rows == (2,) and r.zero_cols == (2,)
    assert r.min == -2.0 and r.max == 7.0
    assert not r.ok
    codes = {p.code for p in r.problems}
    assert {"negative", "nan", "inf", "zero_rows", "zero_cols"} <= codes
    neg = r.problem("negative")
    assert neg.severity == "error" and "2 negative" in neg.message
    assert {m.name for m in neg.remedies} == {"shift", "clip"}
    assert all(m.effect for p in r.problems for m in p.remedies)
    np.testing.assert_array_equal(X, before)  # untouched (NaN-aware)


def test_constant_columns_and_clean_matrix():
    X = np.array([[1.0, 5.0, 2.0], [2.0, 5.0, 0.0], [3.0, 5.0, 1.0]])
    r = pp.validate(X)
    assert r.constant_cols == (1,)
    assert r.ok  # a constant column is only a note
    assert r.problem("constant_cols").severity == "info"
    out, desc = pp.drop_constant_cols(X)
    assert out.shape == (3, 2) and "1 constant column" in desc
    clean = pp.validate(np.ones((4, 3)) + np.eye(4, 3))
    assert clean.problems == () and clean.sparsity == 0.0


def test_sparse_report_matches_dense():
    X = messy()
    D = np.nan_to_num(X, nan=0.0, posinf=0.0)
    D[3, 1] = np.nan
    S = sp.csr_matrix(D)
    r = pp.validate(S)
    assert r.is_sparse and r.n_negative == 2 and r.n_nan == 1 and r.n_inf == 0
    assert r.negative_positions == ((1, 0), (4, 3))
    assert r.zero_rows == (2,) and r.zero_cols == (2,)
    dense = pp.validate(S.toarray())
    assert (dense.n_negative, dense.zero_rows, dense.zero_cols, dense.nnz) == \
        (r.n_negative, r.zero_rows, r.zero_cols, r.nnz)
    assert r.sparsity == pytest.approx(dense.sparsity)


def test_non_numeric_mask_and_missing_ok():
    X = np.array([[1.0, np.nan], [2.0, 3.0], [4.0, 5.0]])
    mask = np.isnan(X)
    r = pp.validate(X, mask)
    assert r.n_non_numeric == 1 and r.non_numeric_positions == ((0, 1),)
    assert r.problem("non_numeric").remedies[0].name == "coerce_text"
    r2 = pp.validate(X, missing_ok=True)
    assert r2.ok and r2.problem("missing").severity == "info"


def test_empty_and_too_small():
    assert pp.validate(np.zeros((0, 3))).problem("empty").severity == "error"
    r = pp.validate(np.arange(1.0, 6.0).reshape(1, 5))
    assert r.problem("too_small").severity == "error" and "2 rows and 2 columns" in \
        r.problem("too_small").message
    assert pp.validate(np.ones((5, 1))).problem("too_small").severity == "error"


def test_slow_flag(monkeypatch):
    monkeypatch.setattr(pp, "SLOW_CELLS", 10)
    assert pp.validate(np.ones((4, 4))).problem("slow") is not None
    assert pp.validate(np.ones((2, 4))).problem("slow") is None


@pytest.mark.parametrize("make", [np.array, sp.csr_matrix])
def test_shift_and_clip(make):
    X0 = np.array([[1.0, -2.0], [0.0, 3.0]])
    X = make(X0)
    out, desc = pp.shift_by_min(X)
    np.testing.assert_allclose(np.asarray(out.todense() if sp.issparse(out) else out),
                               X0 + 2.0)
    assert "2" in desc
    out, desc = pp.clip_at_zero(X)
    dense = out.toarray() if sp.issparse(out) else out
    np.testing.assert_array_equal(dense, [[1.0, 0.0], [0.0, 3.0]])
    assert sp.issparse(out) == sp.issparse(X) and "1 negative" in desc
    np.testing.assert_array_equal(X.toarray() if sp.issparse(X) else X, X0)  # not in place


def test_shift_without_negatives_is_noop():
    X = np.array([[1.0, 2.0]])
    out, desc = pp.shift_by_min(X)
    np.testing.assert_array_equal(out, X)
    assert out is not X and "nothing" in desc


@pytest.mark.parametrize("make", [np.array, sp.csr_matrix])
def test_drops(make):
    X = make(np.array([[1.0, 0.0, 2.0], [0.0, 0.0, 0.0], [3.0, 0.0, np.nan]]))
    out, desc = pp.drop_zero_rows(X)
    assert out.shape == (2, 3) and "1 all-zero row" in desc
    out, desc = pp.drop_zero_cols(X)
    assert out.shape == (3, 2) and "indices 1" in desc
    out, desc = pp.drop_nonfinite_rows(X)
    assert out.shape == (2, 3) and "NaN/inf row" in desc
    out, desc = pp.drop_nonfinite_cols(X)
    assert out.shape == (3, 2)
    assert X.shape == (3, 3)


@pytest.mark.parametrize("make", [np.array, sp.csr_matrix])
def test_nan_remedies(make):
    X = make(np.array([[1.0, np.nan], [np.inf, 2.0]]))
    out, desc = pp.nan_as_missing(X)
    vals = out.toarray() if sp.issparse(out) else out
    assert np.isnan(vals).sum() == 2 and "1 infinite" in desc
    out, desc = pp.nan_to_zero(X)
    vals = out.toarray() if sp.issparse(out) else out
    np.testing.assert_array_equal(vals, [[1.0, 0.0], [0.0, 2.0]])
    assert "2 NaN/inf" in desc


def test_coerce_text_transpose_log1p_row_normalize():
    X = np.array([[1.0, 2.0, 3.0], [0.0, 0.0, 0.0]])
    mask = np.zeros_like(X, dtype=bool)
    mask[0, 1] = True
    out, desc = pp.coerce_text_to_nan(X, mask)
    assert np.isnan(out[0, 1]) and not np.isnan(X[0, 1]) and "1 text" in desc
    out, desc = pp.transpose(X)
    assert out.shape == (3, 2) and "2 x 3 -> 3 x 2" in desc
    out, _ = pp.log1p(X)
    np.testing.assert_allclose(out, np.log1p(X))
    with pytest.raises(ValueError, match="non-negative"):
        pp.log1p(-X - 1)
    out, desc = pp.row_normalize(X)
    np.testing.assert_allclose(out.sum(axis=1), [1.0, 0.0])
    assert "1 all-zero row" in desc
    S = sp.csr_matrix(X)
    out, _ = pp.row_normalize(S)
    assert sp.issparse(out)
    np.testing.assert_allclose(out.toarray().sum(axis=1), [1.0, 0.0])
    out, _ = pp.log1p(S)
    assert sp.issparse(out) and out.nnz == S.nnz


def test_apply_to_dataset_keeps_labels_in_step():
    ds = make_planted(8, 6, 2, random_state=0)
    X = ds.X.copy()
    X[3] = 0.0
    ds = Dataset(**{**ds.__dict__, "X": X})
    new, desc = pp.apply_to_dataset(ds, "drop_zero_rows")
    assert new.X.shape == (7, 6) and "sample 3" not in new.row_labels
    assert len(new.classes) == 7 and new.extras["true_W"].shape == (7, 2)
    assert ds.X.shape == (8, 6)  # original untouched
    t, _ = pp.apply_to_dataset(ds, "transpose")
    assert t.X.shape == (6, 8) and t.row_labels == ds.col_labels and t.classes is None
    Y = ds.X.copy()
    Y[0, 0] = np.nan
    m, desc = pp.apply_to_dataset(Dataset(name="n", X=Y), "nan_as_missing")
    assert m.extras["missing"] is True and pp.validate(m.X, missing_ok=True).ok
    with pytest.raises(ValueError, match="Unknown remedy"):
        pp.apply_to_dataset(ds, "magic")


def test_remedies_fix_what_they_claim():
    X = messy()
    for name in ("nan_to_zero", "clip", "drop_zero_rows", "drop_zero_cols"):
        X, _ = pp.REMEDIES[name][0](X)
    r = pp.validate(X)
    assert r.ok and r.n_negative == r.n_nan == r.n_inf == 0
    assert r.zero_rows == () and r.zero_cols == ()


from hypothesis import given, settings, strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402

_cells = st.one_of(st.floats(-5, 5), st.just(0.0), st.just(np.nan), st.just(np.inf))


@settings(max_examples=40, deadline=None)
@given(X=arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 6)), elements=_cells),
       sparse=st.booleans())
def test_remedies_never_modify_input_and_report_matches(X, sparse):
    """Every remedy leaves its input untouched; validate's counts match numpy's."""
    A = sp.csr_matrix(X) if sparse else X
    snapshot = A.toarray() if sparse else A.copy()
    for name, (func, _, _) in pp.REMEDIES.items():
        if name == "log1p" and np.nanmin(np.where(np.isinf(X), 0, X), initial=0) < 0:
            continue
        func(A)
        now = A.toarray() if sparse else A
        np.testing.assert_array_equal(now, snapshot, err_msg=name)
    r = pp.validate(A)
    assert r.n_negative == int((X < 0).sum()) and r.n_nan == int(np.isnan(X).sum())
    assert r.n_inf == int(np.isinf(X).sum())
    out, _ = pp.clip_at_zero(A)
    out, _ = pp.nan_to_zero(out)
    dense = out.toarray() if sp.issparse(out) else out
    assert np.all(np.isfinite(dense)) and dense.min(initial=0) >= 0
