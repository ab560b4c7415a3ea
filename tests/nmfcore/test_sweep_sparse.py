"""Rank sweeps on sparse data too large to densify: bi-cross-validation and a sparse shuffled
copy, with X never made dense."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from nmfcore import sweep


def planted_counts(m=1200, n=400, r=5, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.gamma(0.5, 1.0, (m, r))
    H = rng.gamma(0.3, 1.0, (r, n))
    return sp.csr_matrix(rng.poisson(0.4 * W @ H).astype(float)), r


@pytest.fixture
def large(monkeypatch):
    """Make every sparse matrix count as too large to densify, and make densifying fail."""
    monkeypatch.setattr(sweep, "MAX_DENSE_CELLS_FOR_MASK", 1000)

    def refuse(self, *a, **k):
        raise AssertionError("the sweep densified a sparse matrix")

    for name in ("toarray", "todense"):
        for cls in (sp.csr_matrix, sp.csc_matrix, sp.coo_matrix, sp.csr_array, sp.csc_array,
                    sp.coo_array):
            monkeypatch.setattr(cls, name, refuse)


def test_sweep_never_densifies_and_finds_the_planted_rank(large):
    X, r = planted_counts()
    assert sweep.uses_bicross_validation(X)
    res = nmfcore.rank_sweep(X, range(3, 9), n_restarts=2, cv_folds=2, random_state=0,
                             max_iter=150)
    assert res.params["cv_method"] == "bi-cross"
    t = res.table
    assert list(t["rank"]) == list(range(3, 9))
    assert np.isfinite(t["cv_error"]).all() and np.isfinite(t["shuffled_cv_error"]).all()
    # real structure predicts the held-out block better than the shuffled copy does
    assert (t["cv_error"] < t["shuffled_cv_error"]).all()
    chosen = {s.rule: s.rank for s in res.suggestions}
    assert chosen["lowest held-out error"] == r
    assert chosen["Frigyesi: error decrease below shuffled data"] == r


def test_same_seed_same_sweep(large):
    X, _ = planted_counts(m=500, n=200, r=3, seed=1)
    a = nmfcore.rank_sweep(X, [2, 3, 4], n_restarts=2, cv_folds=1, random_state=5, max_iter=60)
    b = nmfcore.rank_sweep(X, [2, 3, 4], n_restarts=2, cv_folds=1, random_state=5, max_iter=60)
    for col in ("rel_error", "cv_error", "shuffled_rel_error", "shuffled_cv_error"):
        np.testing.assert_array_equal(a.table[col], b.table[col])


def test_small_sparse_data_keeps_the_speckled_hold_out():
    X, _ = planted_counts(m=60, n=30, r=2)
    assert not sweep.uses_bicross_validation(X)
    assert not sweep.uses_bicross_validation(X, {"missing": "mask"})
    res = nmfcore.rank_sweep(X, [2, 3], n_restarts=1, cv_folds=1, random_state=0, max_iter=30)
    assert "cv_method" not in res.params


def test_bcv_split_holds_out_about_the_fraction_of_cells():
    rows, cols = sweep.bcv_split((1000, 400), 0.05, seed=3)
    assert len(rows) == round(np.sqrt(0.05) * 1000) and len(cols) == round(np.sqrt(0.05) * 400)
    assert len(rows) * len(cols) / (1000 * 400) == pytest.approx(0.05, rel=0.01)
    assert np.all(np.diff(rows) > 0) and np.all(np.diff(cols) > 0)
    again = sweep.bcv_split((1000, 400), 0.05, seed=3)
    np.testing.assert_array_equal(rows, again[0])
    tiny = sweep.bcv_split((2, 2), 0.5, seed=0)
    assert len(tiny[0]) == 1 and len(tiny[1]) == 1   # at least one row and column stay in


def test_bicross_error_is_near_zero_for_exact_low_rank_data(large):
    rng = np.random.default_rng(2)
    W = rng.random((300, 3)) * (rng.random((300, 3)) < 0.6)
    H = rng.random((3, 120)) * (rng.random((3, 120)) < 0.6)
    X = sp.csr_matrix(W @ H)
    res = nmfcore.rank_sweep(X, [1, 3], n_restarts=1, cv_folds=1, random_state=0,
                             shuffle_baseline=False, max_iter=2000, tol=1e-10)
    err = dict(zip(res.table["rank"], res.table["cv_error"]))
    assert err[3] < 1e-3 < err[1]


def test_shuffled_sparse_moves_values_within_each_column():
    X, _ = planted_counts(m=200, n=50, r=2)
    S = sweep.shuffled_sparse(X, seed=4)
    assert S.shape == X.shape and S.nnz == X.nnz and sp.isspmatrix_csr(S)
    Xc, Sc = X.tocsc(), S.tocsc()
    for j in range(X.shape[1]):
        a, b = Xc.indptr[j], Xc.indptr[j + 1]
        np.testing.assert_array_equal(np.sort(Xc.data[a:b]), np.sort(Sc.data[Sc.indptr[j]:
                                                                         Sc.indptr[j + 1]]))
    assert (S != X).nnz > 0
    assert (sweep.shuffled_sparse(X, seed=4) != S).nnz == 0


def test_sweep_memory_stays_far_below_one_dense_copy(large, monkeypatch):
    """No m x n array of any kind (a densified X, W @ H, a mask): the traced peak of a whole
    sweep is well below one dense float64 copy (about a quarter here)."""
    import tracemalloc

    from nmfcore import _restarts
    monkeypatch.setattr(_restarts, "CONSENSUS_MAX_SAMPLES", 0)   # an n x n matrix is allowed
    rng = np.random.default_rng(7)
    m, n = 4000, 2500
    X = sp.random(m, n, density=0.01, format="csr", random_state=rng,
                  data_rvs=lambda k: rng.integers(1, 6, k).astype(float))
    dense_bytes = m * n * 8
    tracemalloc.start()
    try:
        res = nmfcore.rank_sweep(X, [2, 3], n_restarts=1, cv_folds=1, random_state=0,
                                 max_iter=10, solver="hals")
        kl = nmfcore.rank_sweep(X, [2], n_restarts=1, cv_folds=1, random_state=0, max_iter=10,
                                loss="kl")
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert np.isfinite(res.table["cv_error"]).all() and np.isfinite(kl.table["cv_error"]).all()
    assert peak < 0.4 * dense_bytes, f"peak {peak / 2**20:.1f} MB, dense X {dense_bytes / 2**20:.0f} MB"
