"""One fit on several cores: the dense KL and beta kernels' lanes of row blocks on threads.

The promise is the same result, bit for bit, for any number of threads (with one BLAS thread,
as every threaded fit and every restart or rank runs), the caller's BLAS settings back as they
were after the fit, and one thread where threads would not pay (small X, or a fit that shares
the cores with others).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from threadpoolctl import threadpool_info

import nmfcore
from nmfcore import _parallel, _threads
from nmfcore.solvers.mu import MultiplicativeUpdates


def _planted(m=1100, n=500, rank=6, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((m, rank)) @ rng.random((rank, n))
    return X + 0.01 * rng.random((m, n))


X = _planted()
MASK = np.random.default_rng(1).random(X.shape) > 0.2

CASES = {
    "kl": dict(loss="kl"),
    "kl-penalised": dict(loss="kl", l1=0.05, l2=0.1),
    "itakura-saito": dict(loss="itakura-saito"),
    "beta-1.5": dict(loss="beta", beta=1.5),
    "beta-3": dict(loss="beta", beta=3.0),
    "beta-0.5-masked": dict(loss="beta", beta=0.5, mask=MASK),
    "itakura-saito-sparse-input": dict(loss="itakura-saito", X=sp.csr_matrix(X)),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_same_fit_bit_for_bit_on_one_two_and_three_threads(case):
    kw = dict(CASES[case])
    data = kw.pop("X", X)
    fits = {}
    for threads in (1, 2, 3):
        with _parallel.single_blas_thread():
            fits[threads] = nmfcore.factorize(data, 6, solver="mu", max_iter=30, tol=0,
                                              random_state=3, threads=threads, **kw)
    for threads in (2, 3):
        np.testing.assert_array_equal(fits[threads].W, fits[1].W)
        np.testing.assert_array_equal(fits[threads].H, fits[1].H)
        np.testing.assert_array_equal(fits[threads].history["loss"], fits[1].history["loss"])
        np.testing.assert_array_equal(fits[threads].history["rel_error"],
                                      fits[1].history["rel_error"])
    assert fits[1].history["loss"][-1] < fits[1].history["loss"][0]


@pytest.mark.parametrize("loss", [dict(loss="kl"), dict(loss="beta", beta=1.5)])
def test_exact_zeros_in_wh_give_the_same_fit_on_any_number_of_threads(loss):
    """A zero column of H (and of X) makes some blocks of W H need the floor: when the kernels
    switch to flooring every block must not depend on the order in which the lanes ran."""
    data = X.copy()
    data[:, 7] = 0.0
    rng = np.random.default_rng(4)
    W0, H0 = rng.random((X.shape[0], 6)) + 0.1, rng.random((6, X.shape[1])) + 0.1
    H0[:, 7] = 0.0
    fits = {}
    for threads in (1, 2, 3):
        with _parallel.single_blas_thread():
            fits[threads] = nmfcore.factorize(data, 6, solver="mu", W0=W0, H0=H0, max_iter=20,
                                              tol=0, threads=threads, **loss)
    for threads in (2, 3):
        np.testing.assert_array_equal(fits[threads].W, fits[1].W)
        np.testing.assert_array_equal(fits[threads].H, fits[1].H)
        np.testing.assert_array_equal(fits[threads].history["loss"], fits[1].history["loss"])
    assert np.isfinite(fits[1].history["loss"]).all()


def test_a_threaded_fit_matches_the_exact_objective_and_lowers_it_every_iteration():
    res = nmfcore.factorize(X, 6, solver="mu", loss="kl", max_iter=40, tol=0, random_state=0,
                            threads=2)
    h = np.asarray(res.history["loss"])
    assert np.all(np.diff(h) <= 1e-12 * h[0])
    WH = res.W @ res.H
    exact = float(np.sum(X * np.log(X / WH) - X + WH))
    assert h[-1] == pytest.approx(exact, rel=1e-9)


def _blas_threads():
    return [lib["num_threads"] for lib in threadpool_info()]


def test_blas_settings_are_back_after_a_threaded_fit_and_after_a_failing_one(monkeypatch):
    before = _blas_threads()
    nmfcore.factorize(X, 6, solver="mu", loss="kl", max_iter=5, tol=0, threads=2)
    assert _blas_threads() == before

    def boom(self, *args):
        raise RuntimeError("lane failed")

    monkeypatch.setattr(MultiplicativeUpdates, "_kl_lane", boom)
    with pytest.raises(RuntimeError, match="lane failed"):
        nmfcore.factorize(X, 6, solver="mu", loss="kl", max_iter=5, tol=0, threads=2)
    assert _blas_threads() == before
    assert _parallel._LIMIT_STATE["depth"] == 0


def test_lanes_see_the_callers_errstate():
    """NumPy's errstate lives in the caller's context: a lane on another thread raises where
    the caller asked for it, and stays quiet where the caller did not."""
    def divide(a):
        return np.divide(a, np.zeros_like(a))

    items = [np.ones(3), np.ones(4)]
    with np.errstate(divide="raise"):
        with pytest.raises(FloatingPointError):
            _threads.run_lanes(divide, items, 2, lambda x, y: x)
    with np.errstate(divide="ignore"), warnings.catch_warnings():
        warnings.simplefilter("error")
        out = _threads.run_lanes(divide, items, 2, lambda x, y: np.concatenate([x, y]))
    assert out.shape == (7,) and np.isinf(out).all()


def test_lanes_depend_on_the_number_of_blocks_only():
    assert _threads.lanes(1) == [range(0, 1)]
    split = _threads.lanes(19)
    assert len(split) == _threads.MAX_THREADS
    assert [i for lane in split for i in lane] == list(range(19))
    assert max(map(len, split)) - min(map(len, split)) <= 1


def _engine_threads(data, **kw):
    seen = []
    original = MultiplicativeUpdates.start

    def spy(self):
        seen.append(self.threads)
        return original(self)

    MultiplicativeUpdates.start = spy
    try:
        nmfcore.factorize(data, 4, solver="mu", max_iter=2, tol=0, **kw)
    finally:
        MultiplicativeUpdates.start = original
    return seen[0]


def test_threads_by_default_only_for_large_dense_data_outside_shared_tasks(monkeypatch):
    monkeypatch.setattr(_threads, "usable_cores", lambda: 2)
    big = _planted(1100, 500, 4)                        # 550,000 cells: above MIN_CELLS
    small = big[:200]
    assert big.size >= _threads.MIN_CELLS > small.size
    assert _engine_threads(big, loss="kl") == 2
    assert _engine_threads(big, loss="itakura-saito") == 2
    assert _engine_threads(small, loss="kl") == 1
    assert _engine_threads(big, loss="frobenius") == 1    # BLAS-bound: BLAS's own threads
    assert _engine_threads(sp.csr_matrix(big), loss="kl") == 1   # the sparse kernels
    assert _engine_threads(big, loss="kl", threads=3) == 3
    # a restart on an executor's thread (or in a pool worker, or on Dask) shares the cores
    assert _parallel._call_limited(lambda shared, task: _engine_threads(big, loss="kl"),
                                   None, None) == 1
    assert _engine_threads(big, loss="kl") == 2


def test_threads_must_be_a_positive_integer():
    with pytest.raises(ValueError, match="threads"):
        nmfcore.factorize(X, 3, solver="mu", loss="kl", threads=0)
