"""The fast multiplicative-update kernels against a textbook implementation.

nmfcore's MU keeps W transposed, sweeps dense KL in row blocks and works on the non-zeros of
sparse KL only; these tests pin all of that to the plain formulas (same update order: H, then W),
and check that every loss in the history is the loss of the iterate the callback sees.
"""
import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from nmfcore import losses
from nmfcore.solvers import mu as mu_module
from nmfcore.solvers.mu import MultiplicativeUpdates

TINY = np.finfo(np.float64).tiny


def mu_reference(X, W, H, loss, n_iter, delta=1e-16):
    for _ in range(n_iter):
        if loss == "frobenius":
            H = H * (W.T @ X) / np.maximum(W.T @ W @ H, delta)
            W = W * (X @ H.T) / np.maximum(W @ (H @ H.T), delta)
        else:
            H = H * (W.T @ (X / np.maximum(W @ H, TINY))) / np.maximum(W.sum(0)[:, None], delta)
            W = W * ((X / np.maximum(W @ H, TINY)) @ H.T) / np.maximum(H.sum(1)[None, :], delta)
    return W, H


def problem(m=53, n=37, rank=4, zeros=0.3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.random((m, rank)) @ rng.random((rank, n)) + 0.05 * rng.random((m, n))
    X[rng.random((m, n)) < zeros] = 0.0          # exact zeros: 0 log 0 and sparse storage
    X *= 0.9 / X.max()                           # already at unit scale: no rescaling anywhere
    W0, H0 = rng.random((m, rank)) + 0.1, rng.random((rank, n)) + 0.1
    return X, W0, H0


@pytest.mark.parametrize("loss", ["frobenius", "kl"])
@pytest.mark.parametrize("block_cells", [None, 7 * 37, 37])   # many blocks, a partial last one
@pytest.mark.parametrize("sparse", [False, True])
def test_mu_kernels_match_the_textbook_updates(loss, block_cells, sparse, monkeypatch):
    if block_cells is not None:   # dense: cells per block; sparse: stored entries per block
        monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_CELLS", block_cells)
        monkeypatch.setattr(MultiplicativeUpdates, "ONE_BLOCK_CELLS", 0)
        monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_NNZ", block_cells // 5)
    X, W0, H0 = problem()
    Xin = sp.csr_matrix(X) if sparse else X
    res = nmfcore.factorize(Xin, 4, solver="mu", loss=loss, W0=W0, H0=H0, max_iter=25, tol=0)
    W, H = mu_reference(X, W0, H0, loss, 25)
    np.testing.assert_allclose(res.W, W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.H, H, rtol=1e-9, atol=1e-12)


def kl_fit(X, W0, H0, n_iter=25, **kw):
    return nmfcore.factorize(X, W0.shape[1], solver="mu", loss="kl", W0=W0, H0=H0,
                             max_iter=n_iter, tol=0, **kw)


@pytest.mark.parametrize("block_nnz", [None, 40])
def test_mostly_zero_dense_kl_runs_the_sparse_kernels(block_nnz, monkeypatch):
    """Dense X with few non-zeros takes the sparse KL kernels (on a CSR copy at unit scale):
    the same iterates and losses as the dense kernels and the textbook, to round-off."""
    if block_nnz is not None:
        monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_NNZ", block_nnz)
    X, W0, H0 = problem(zeros=0.95, seed=2)
    assert np.count_nonzero(X) <= MultiplicativeUpdates.SPARSE_KL_BELOW * X.size
    scale = 37.0                                  # the CSR copy is made at unit scale
    engine = MultiplicativeUpdates(nmfcore._validation.check_array(X * scale), W0.copy(),
                                   H0.copy(), loss="kl", l1=0.0, l2=0.0, rng=None)
    assert sp.issparse(engine._kx) and engine._sweep == engine._kl_sparse_sweep
    fast = kl_fit(X * scale, W0, H0)
    monkeypatch.setattr(MultiplicativeUpdates, "SPARSE_KL_BELOW", 0.0)    # force the dense kernels
    dense = kl_fit(X * scale, W0, H0)
    np.testing.assert_allclose(fast.W, dense.W, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fast.H, dense.H, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(fast.history["loss"], dense.history["loss"], rtol=1e-11)
    np.testing.assert_allclose(fast.history["rel_error"], dense.history["rel_error"], rtol=1e-9)
    assert np.all(np.diff(fast.history["loss"]) <= 1e-12 * fast.history["loss"][0])
    W, H = mu_reference(X * scale, W0, H0, "kl", 25)
    np.testing.assert_allclose(fast.W, W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(fast.H, H, rtol=1e-9, atol=1e-12)


def test_mostly_zero_dense_kl_keeps_a_zero_row_and_column_finite():
    X, W0, H0 = problem(zeros=0.95, seed=4)
    X[3], X[:, 5] = 0.0, 0.0
    res = kl_fit(X, W0, H0, n_iter=40)
    assert np.isfinite(res.W).all() and np.isfinite(res.H).all()
    assert np.isfinite(res.history["loss"]).all()
    assert np.all(np.diff(res.history["loss"]) <= 1e-12 * res.history["loss"][0])


def count_floors(monkeypatch):
    """A list that gains an entry each time a kernel floors a block of W H."""
    floored, add_floor = [], mu_module._add_floor
    monkeypatch.setattr(mu_module, "_add_floor",
                        lambda Y, f: floored.append(Y.size) or add_floor(Y, f))
    return floored


@pytest.mark.parametrize("block_cells", [None, 7 * 37])
def test_dense_kl_with_exact_zeros_in_wh_floors_them_and_keeps_the_textbook_fit(block_cells,
                                                                                monkeypatch):
    """A zero column of H (and of X) gives W H exact zeros: the dense kernel then floors every
    cell (by adding the floor), which must leave the iterates those of the textbook updates
    (floored by a maximum) and the loss finite and never rising."""
    if block_cells is not None:
        monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_CELLS", block_cells)
        monkeypatch.setattr(MultiplicativeUpdates, "ONE_BLOCK_CELLS", 0)
    X, W0, H0 = problem(seed=14)
    X[:, 5], H0[:, 5] = 0.0, 0.0
    floored = count_floors(monkeypatch)
    res = kl_fit(X, W0, H0, n_iter=30)
    assert floored                               # the floor was needed, and applied
    W, H = mu_reference(X, W0, H0, "kl", 30)
    np.testing.assert_allclose(res.W, W, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(res.H, H, rtol=1e-9, atol=1e-12)
    loss = res.history["loss"]
    assert np.isfinite(loss).all() and np.all(np.diff(loss) <= 1e-12 * loss[0])


@pytest.mark.parametrize("beta", [0.0, 1.5])
def test_beta_with_exact_zeros_in_wh_stays_finite_and_never_rises(beta, monkeypatch):
    X, W0, H0 = problem(seed=15, zeros=0.0 if beta == 0.0 else 0.3)
    if beta == 0.0:
        X += 0.01                                # beta = 0 cannot fit zeros in X
    X[:, 5], H0[:, 5] = (0.01 if beta == 0.0 else 0.0), 0.0
    floored = count_floors(monkeypatch)
    res = nmfcore.factorize(X, 4, solver="mu", loss="beta", beta=beta, W0=W0, H0=H0,
                            max_iter=200, tol=0)
    assert floored
    loss = res.history["loss"]
    assert np.isfinite(res.W).all() and np.isfinite(res.H).all() and np.isfinite(loss).all()
    assert np.all(np.diff(loss) <= 1e-9 * loss[0])
    if beta > 0:     # (at beta = 0 the floored column's d(x | floor) ~ 1e102 swamps the rest)
        assert loss[-1] < 0.5 * loss[0]


@pytest.mark.parametrize("loss", ["frobenius", "kl"])
@pytest.mark.parametrize("sparse", [False, True, "mostly-zero"])
def test_history_holds_the_loss_of_each_iterate(loss, sparse, monkeypatch):
    monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_CELLS", 5 * 37)
    monkeypatch.setattr(MultiplicativeUpdates, "ONE_BLOCK_CELLS", 0)
    monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_NNZ", 50)
    X, W0, H0 = problem(seed=1, zeros=0.95 if sparse == "mostly-zero" else 0.3)
    sparse = sparse is True
    scale = 37.0                                  # not a power of two: units are converted back
    seen = []

    def callback(state):
        seen.append((state.iteration, state.loss, state.rel_error, state.W.copy(), state.H.copy()))

    Xin = sp.csr_matrix(X * scale) if sparse else X * scale
    res = nmfcore.factorize(Xin, 4, solver="mu", loss=loss, W0=W0, H0=H0, max_iter=12, tol=0, l2=0.01,
                            callback=callback)
    assert [s[0] for s in seen] == list(range(13))
    norm = np.linalg.norm(X * scale)
    for it, loss_value, rel, W, H in seen:
        obj, sq = losses.evaluate(X * scale, W, H, loss=loss, l1=0.0, l2=0.01)
        assert loss_value == pytest.approx(obj, rel=1e-9), it
        assert rel == pytest.approx(np.sqrt(sq) / norm, rel=1e-7, abs=1e-12), it
    np.testing.assert_allclose(res.history["loss"], [s[1] for s in seen])


@pytest.mark.parametrize("solver,loss,share", [("mu", "frobenius", 0.1), ("mu", "kl", 0.3),
                                               ("hals", "frobenius", 0.1), ("sgd", "frobenius", 0.7)])
def test_dense_fits_from_a_given_start_do_not_copy_x(solver, loss, share):
    """X (not at unit scale) is used in place: the products take the power-of-two scale, so the
    peak extra memory stays a fraction of X (sgd: one batch of rows)."""
    import tracemalloc
    rng = np.random.default_rng(3)
    X = rng.random((600, 500)) * 37.0
    W0, H0 = rng.random((600, 5)), rng.random((5, 500))
    tracemalloc.start()
    try:
        res = nmfcore.factorize(X, 5, solver=solver, loss=loss, W0=W0, H0=H0, max_iter=3, tol=0)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert res.rel_error < 1.0
    assert peak < share * X.nbytes, (peak, X.nbytes)


@pytest.mark.parametrize("shape", [(1, 1), (3, 7), (32, 1000), (5, 2)])
def test_sum_log_pairs_cells_and_falls_back_on_overflow(shape):
    from nmfcore.solvers.mu import _sum_log
    rng = np.random.default_rng(7)
    floor = losses.beta_floor(np.float64, 0.0)
    Y = np.exp(rng.uniform(np.log(floor), 5.0, size=shape))
    scratch = np.empty_like(Y)
    expected = float(np.log(Y).sum())
    kept = Y.copy()
    assert _sum_log(Y, scratch) == pytest.approx(expected, rel=1e-13, abs=1e-12)
    np.testing.assert_array_equal(Y, kept)                 # Y is left as it was
    if Y.size > 1:
        Y.ravel()[0] = Y.ravel()[Y.size // 2] = 1e200       # a pair's product overflows
        assert _sum_log(Y, scratch) == pytest.approx(float(np.log(Y).sum()), rel=1e-13)


@pytest.mark.parametrize("loss,beta", [("kl", None), ("beta", 0.0), ("beta", 1.5),
                                       ("frobenius", None)])
@pytest.mark.parametrize("form", ["dense", "sparse", "mostly-zero", "masked"])
def test_loss_every_records_every_kth_iterate_of_the_same_fit(loss, beta, form):
    """loss_every=k: the same iterates; the history and the callbacks at 0, k, 2k, ... and the
    last, each with the exact loss and error of that iterate."""
    X, W0, H0 = problem(seed=8, zeros=0.0 if beta == 0.0 else (0.95 if form == "mostly-zero" else 0.3))
    X = X * 37.0
    kw = dict(solver="mu", loss=loss, W0=W0, H0=H0, max_iter=23, tol=0)
    if beta is not None:
        kw["beta"] = beta
    mask = np.random.default_rng(9).random(X.shape) > 0.2 if form == "masked" else None
    Xin = sp.csr_matrix(X) if form == "sparse" else X
    every = nmfcore.factorize(Xin, 4, mask=mask, **kw)
    seen = []
    some = nmfcore.factorize(Xin, 4, mask=mask, loss_every=5,
                             callback=lambda s: seen.append((s.iteration, s.loss, s.rel_error,
                                                             s.W.copy(), s.H.copy())), **kw)
    np.testing.assert_array_equal(some.W, every.W)
    np.testing.assert_array_equal(some.H, every.H)
    its = [0, 5, 10, 15, 20, 23]
    assert list(some.history["iteration"]) == its and some.n_iter == 23
    assert [s[0] for s in seen] == its
    np.testing.assert_allclose(some.history["loss"], every.history["loss"][its], rtol=1e-12)
    np.testing.assert_allclose(some.history["rel_error"], every.history["rel_error"][its],
                               rtol=1e-12)
    norm = np.linalg.norm(X if mask is None else X * mask)
    for it, value, rel, W, H in seen:
        obj, sq = losses.evaluate(X, W, H, loss=loss, beta=beta, mask=mask, l1=0.0, l2=0.0)
        assert value == pytest.approx(obj, rel=1e-9), it
        assert rel == pytest.approx(np.sqrt(sq) / norm, rel=1e-7, abs=1e-12), it
    assert some.params["loss_every"] == 5


def test_loss_every_keeps_the_stopping_rule():
    """With tol the fit still stops (converged or stalled) by the per-iteration test, at a
    recorded iteration, with a loss that never rose; the result matches the default's closely."""
    X, W0, H0 = problem(seed=10, zeros=0.2)
    kw = dict(solver="mu", loss="kl", W0=W0, H0=H0, max_iter=3000, tol=1e-5)
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
        every = nmfcore.factorize(X, 4, **kw)
        some = nmfcore.factorize(X, 4, loss_every=7, **kw)
    assert some.status in ("converged", "stalled") and some.status == every.status
    assert some.n_iter % 7 == 0 and some.n_iter < 3000
    assert abs(some.n_iter - every.n_iter) <= 2 * 7 + 30
    L = some.history["loss"]
    assert np.all(np.diff(L) <= 1e-12 * L[0])
    assert L[-1] == pytest.approx(every.history["loss"][-1], rel=1e-3)


def test_loss_every_with_max_time_records_the_iterate_it_stops_at():
    X, W0, H0 = problem(m=400, n=300, seed=11)
    seen = []
    res = nmfcore.factorize(X, 4, solver="mu", loss="kl", W0=W0, H0=H0, max_iter=10 ** 6, tol=0,
                            max_time=0.05, loss_every=1000,
                            callback=lambda s: seen.append((s.loss, s.W.copy(), s.H.copy())))
    assert res.status == "max_time" and 0 < res.n_iter < 10 ** 6
    assert res.history["iteration"][-1] == res.n_iter
    obj, _ = losses.evaluate(X, seen[-1][1], seen[-1][2], loss="kl", l1=0.0, l2=0.0)
    assert seen[-1][0] == pytest.approx(obj, rel=1e-9)
    np.testing.assert_array_equal(seen[-1][1], res.W)


@pytest.mark.parametrize("bad", [0, -1, 2.5, True])
def test_loss_every_must_be_a_positive_integer(bad):
    X, W0, H0 = problem()
    with pytest.raises(ValueError, match="loss_every"):
        nmfcore.factorize(X, 4, solver="mu", loss="kl", W0=W0, H0=H0, loss_every=bad)


@pytest.mark.parametrize("beta", [0.5, 1.5, 3.0])
@pytest.mark.parametrize("block_cells", [None, 7 * 37])
def test_mostly_zero_dense_beta_forms_the_ratio_at_the_non_zeros(beta, block_cells, monkeypatch):
    """beta > 0 on dense X with few non-zeros (and on sparse X): X o WH^(beta-2) only at the
    non-zeros; the same iterates and losses as the dense kernel, to round-off."""
    if block_cells is not None:
        monkeypatch.setattr(MultiplicativeUpdates, "BLOCK_CELLS", block_cells)
        monkeypatch.setattr(MultiplicativeUpdates, "ONE_BLOCK_CELLS", 0)
    X, W0, H0 = problem(zeros=0.95, seed=12)
    X = X * 37.0
    kw = dict(solver="mu", loss="beta", beta=beta, W0=W0, H0=H0, max_iter=30, tol=0)
    fast = nmfcore.factorize(X, 4, **kw)
    csr = nmfcore.factorize(sp.csr_matrix(X), 4, **kw)
    monkeypatch.setattr(MultiplicativeUpdates, "SPARSE_KL_BELOW", 0.0)    # the dense kernel
    dense = nmfcore.factorize(X, 4, **kw)
    for other in (dense, csr):
        np.testing.assert_allclose(fast.W, other.W, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fast.H, other.H, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fast.history["loss"], other.history["loss"], rtol=1e-10)
        np.testing.assert_allclose(fast.history["rel_error"], other.history["rel_error"],
                                   rtol=1e-9)
    L = fast.history["loss"]
    assert np.all(np.isfinite(L)) and np.all(np.diff(L) <= 1e-9 * L[1:])
