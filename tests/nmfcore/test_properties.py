"""Property tests (hypothesis) over random shapes, ranks, seeds, solvers and inits."""
import numpy as np
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nmfcore

def _norm_sq(X):
    """Scale of the round-off in a loss value: ||X||^2 (Frobenius) plus sum(X) (KL)."""
    X = X.toarray() if sp.issparse(X) else X
    return float((X.astype(np.float64) ** 2).sum() + X.sum())


SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def problems(draw):
    m = draw(st.integers(1, 12))
    n = draw(st.integers(1, 12))
    rank = draw(st.integers(1, min(m, n)))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    X = rng.random((m, n)) * draw(st.sampled_from([1e-3, 1.0, 1e3]))
    X[rng.random((m, n)) < draw(st.sampled_from([0.0, 0.3, 0.7]))] = 0
    if draw(st.booleans()) and m > 1:
        X[rng.integers(m)] = 0            # an all-zero row
    if draw(st.booleans()) and n > 1:
        X[:, rng.integers(n)] = 0         # an all-zero column
    if not X.any():
        X[0, 0] = 1.0
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    X = X.astype(dtype)
    if draw(st.booleans()):
        X = sp.csr_matrix(X)
    return X, rank, seed


@SETTINGS
@given(problems(), st.sampled_from(sorted(nmfcore.SOLVERS)), st.sampled_from(sorted(nmfcore.INITS)))
def test_results_finite_nonnegative_and_reproducible(problem, solver, init):
    X, rank, seed = problem
    kw = dict(solver=solver, init=init, max_iter=15, tol=0, random_state=seed)
    a = nmfcore.factorize(X, rank, **kw)
    assert a.W.shape == (X.shape[0], rank) and a.H.shape == (rank, X.shape[1])
    for A in (a.W, a.H):
        assert np.isfinite(A).all() and (A >= 0).all()
        assert A.dtype == X.dtype
    assert np.isfinite(a.history["loss"]).all() and np.isfinite(a.history["rel_error"]).all()
    b = nmfcore.factorize(X, rank, **kw)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.H, b.H)
    assert np.array_equal(a.history["loss"], b.history["loss"])


@SETTINGS
@given(problems(), st.sampled_from(["frobenius", "kl"]), st.sampled_from(["random", "nndsvda", "nndsvdar"]))
def test_mu_loss_never_increases(problem, loss, init):
    X, rank, seed = problem
    X = X.astype(np.float64)
    res = nmfcore.factorize(X, rank, solver="mu", loss=loss, init=init, max_iter=25, tol=0, random_state=seed)
    h = res.history["loss"]
    # losses are exact up to round-off of order eps * ||X||^2 (Gram-matrix evaluation)
    assert np.all(np.diff(h) <= 1e-9 * abs(h[0]) + 1e-12 * _norm_sq(X))


@settings(max_examples=40, deadline=None)
@given(problems())
def test_hals_and_anls_never_increase(problem):
    X, rank, seed = problem
    X = X.astype(np.float64)
    for solver in ("hals", "anls"):
        h = nmfcore.factorize(X, rank, solver=solver, max_iter=10, tol=0, random_state=seed).history["loss"]
        assert np.all(np.diff(h) <= 1e-8 * abs(h[0]) + 1e-12 * _norm_sq(X))
