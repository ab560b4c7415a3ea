"""Property tests (hypothesis) over the public API of nmfcore.

Every call either returns finite, non-negative results or raises a ``ValueError`` whose message
is a sentence naming the problem (``rel_helpers.assert_clear``); the same seed gives bit-identical
results. Inputs: shapes 1..8 x 1..8 (1 x n and n x 1 included), rank up to min(shape), dense
and CSR, float32 and float64, zero rows/columns, magnitudes 1e-300 .. 1e300, every solver x
loss x init (invalid combinations must give a clear error too).

Cases of defects found (and fixed) live in ``test_fixed_*.py`` (see docs/reliability.md).
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import nmfcore
from rel_helpers import assert_clear, count

pytestmark = pytest.mark.reliability


def FAST(n):
    """Hypothesis settings: n examples, no deadline (2 shared cores), no example database."""
    return settings(max_examples=n, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                           HealthCheck.filter_too_much])
EXPONENTS = [-320, -300, -200, -100, -30, -5, 0, 5, 30, 100, 200, 300, 307]  # -320: subnormal
SOLVERS = sorted(nmfcore.SOLVERS)
INITS = sorted(nmfcore.INITS)
LOSSES = ["frobenius", "kl"]


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")       # ConvergenceWarning etc.: not what is tested here
        yield


@st.composite
def matrices(draw, max_side=8, allow_sparse=True, dtypes=(np.float64, np.float32)):
    """(X, seed): a non-negative matrix with the awkward features users bring."""
    shape_kind = draw(st.sampled_from(["row", "col", "any", "any", "any"]))
    m = 1 if shape_kind == "row" else draw(st.integers(1, max_side))
    n = 1 if shape_kind == "col" else draw(st.integers(1, max_side))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.random((m, n))
    X[rng.random((m, n)) < draw(st.sampled_from([0.0, 0.0, 0.4, 0.8]))] = 0.0
    if m > 1 and draw(st.booleans()):
        X[rng.integers(m)] = 0.0                      # an all-zero row
    if n > 1 and draw(st.booleans()):
        X[:, rng.integers(n)] = 0.0                   # an all-zero column
    if not X.any() and draw(st.integers(0, 9)) > 0:   # mostly keep one positive entry
        X[rng.integers(m), rng.integers(n)] = 1.0
    X *= 10.0 ** draw(st.sampled_from(EXPONENTS))
    X = X.astype(draw(st.sampled_from(dtypes)))   # float32 may over/underflow: clear error
    if allow_sparse and draw(st.booleans()):
        X = draw(st.sampled_from([sp.csr_matrix, sp.csc_matrix]))(X)
    return X, seed


def _rank(draw, X):
    top = min(X.shape)
    return draw(st.one_of(st.just(top), st.integers(1, top)))


def _finite_nonneg(*arrays):
    for A in arrays:
        A = np.asarray(A)
        assert np.isfinite(A).all(), "non-finite entries in a result"
        assert (A >= 0).all(), "negative entries in a result"


def _check_fit(res, X, rank):
    assert res.W.shape == (X.shape[0], rank) and res.H.shape == (rank, X.shape[1])
    _finite_nonneg(res.W, res.H)
    for key in ("iteration", "seconds", "loss", "rel_error"):
        h = np.asarray(res.history[key], dtype=float)
        assert np.isfinite(h).all(), f"history[{key!r}] holds {h}"
    assert len({len(res.history[k]) for k in res.history}) == 1
    assert res.status in ("converged", "max_iter", "max_time", "stopped", "diverged")


def _outcome(fn):
    """("ok", value) or ("error", message) -- a ValueError must be a clear one."""
    try:
        return "ok", fn()
    except ValueError as exc:
        assert_clear(exc)
        return "error", str(exc)


# ---------------------------------------------------------------------------- factorize
@FAST(450)
@given(data=st.data())
def test_factorize_finite_or_clear_error_and_reproducible(data):
    X, seed = data.draw(matrices())
    rank = _rank(data.draw, X)
    solver = data.draw(st.sampled_from(SOLVERS))
    loss = data.draw(st.sampled_from(LOSSES))
    init = data.draw(st.sampled_from(INITS))
    kw = dict(solver=solver, loss=loss, init=init, max_iter=data.draw(st.integers(0, 6)),
              tol=data.draw(st.sampled_from([0.0, 1e-4])), random_state=seed)
    if solver == "sgd":
        kw["learning_rate"] = data.draw(st.sampled_from([0.5, 1.0, 1.9, 10.0, 50.0, 1e6]))
    count("factorize")
    kind, a = _outcome(lambda: nmfcore.factorize(X, rank, **kw))
    kind_b, b = _outcome(lambda: nmfcore.factorize(X, rank, **kw))
    assert kind == kind_b
    if kind == "error":
        assert a == b                      # same input, same message
        if loss == "kl" and solver != "mu":
            assert "kl" in a.lower()
        return
    _check_fit(a, X, rank)
    assert a.W.dtype == (np.float32 if X.dtype == np.float32 else np.float64)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.H, b.H), "same seed, different W/H"
    assert np.array_equal(a.history["loss"], b.history["loss"])
    if solver == "mu" and X.dtype == np.float64 and a.n_iter > 0:
        h = np.asarray(a.history["loss"])
        Xd = X.toarray() if sp.issparse(X) else X
        scale = float((Xd ** 2).sum() + Xd.sum())       # round-off of a loss value ~ eps * this
        assert np.all(np.diff(h) <= 1e-9 * h[0] + 1e-12 * scale), f"MU loss increased: {h}"


@FAST(60)
@given(data=st.data())
def test_factorize_bad_arguments_give_clear_errors(data):
    X, seed = data.draw(matrices(max_side=5))
    top = min(X.shape)
    bad = data.draw(st.sampled_from([
        ("rank", dict(rank=0)), ("rank", dict(rank=top + 1)), ("rank", dict(rank=-3)),
        ("rank", dict(rank=1.5)), ("solver", dict(solver="adam")), ("loss", dict(loss="l1")),
        ("init", dict(init="svd")), ("max_iter", dict(max_iter=-1)),
        ("max_iter", dict(max_iter=2.5)), ("tol", dict(tol=-1.0)), ("tol", dict(tol=np.nan)),
        ("l1", dict(l1=-1.0)), ("l2", dict(l2=np.inf)),
        ("random_state", dict(random_state=-1)), ("random_state", dict(random_state="x")),
        ("learning_rate", dict(solver="sgd", learning_rate=0.0)),
        ("learning_rate", dict(solver="sgd", learning_rate=-1.0)),
        ("batch_size", dict(solver="sgd", batch_size=0)),
        ("option", dict(solver="mu", learning_rate=1.0)),
        ("W0", dict(W0=np.ones((X.shape[0] + 1, 1)), H0=np.ones((1, X.shape[1])), rank=1)),
        ("W0", dict(W0=-np.ones((X.shape[0], 1)), H0=np.ones((1, X.shape[1])), rank=1)),
        ("W0", dict(W0=np.ones((X.shape[0], 1)), rank=1)),
        ("max_time", dict(max_time=0)),
    ]))
    name, kw = bad
    kw = dict(kw)
    rank = kw.pop("rank", 1)
    count("factorize bad arguments")
    with pytest.raises(ValueError) as err:
        nmfcore.factorize(X, rank, max_iter=kw.pop("max_iter", 2), random_state=kw.pop(
            "random_state", seed), **kw)
    words = {"option": ("option", "learning_rate"), "W0": ("W0", "H0")}.get(name, (name,))
    assert_clear(err.value, *words, "X")   # a broken X (e.g. all zero) may be reported first


@FAST(40)
@given(data=st.data())
def test_factorize_bad_data_gives_clear_errors(data):
    m, n = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 5))
    X = np.random.default_rng(data.draw(st.integers(0, 99))).random((m, n)) + 0.1
    what = data.draw(st.sampled_from(["negative", "nan", "inf", "empty", "zero", "3d", "text",
                                      "complex"]))
    if what == "negative":
        X[0, 0] = -1.0
    elif what == "nan":
        X[0, -1] = np.nan
    elif what == "inf":
        X[-1, 0] = np.inf
    elif what == "empty":
        X = X[:0]
    elif what == "zero":
        X = np.zeros_like(X)
    elif what == "3d":
        X = X[None]
    elif what == "text":
        X = X.astype(str)
    else:
        X = X + 1j
    if data.draw(st.booleans()) and what in ("negative", "nan", "inf", "zero"):
        X = sp.csr_matrix(X)
    count("factorize bad data")
    with pytest.raises(ValueError) as err:
        nmfcore.factorize(X, 1, max_iter=2)
    assert_clear(err.value, "X")


# ---------------------------------------------------------------------------- estimator
@FAST(80)
@given(data=st.data())
def test_estimator_fit_transform_inverse(data):
    X, seed = data.draw(matrices(allow_sparse=True))
    rank = _rank(data.draw, X)
    est = nmfcore.NMF(n_components=rank, solver=data.draw(st.sampled_from(SOLVERS)),
                      max_iter=4, random_state=seed)
    count("NMF estimator")
    kind, W = _outcome(lambda: est.fit_transform(X))
    if kind == "error":
        return
    _finite_nonneg(W, est.components_)
    assert np.isfinite(est.reconstruction_err_) and est.reconstruction_err_ >= 0
    # new samples of a different magnitude (still within 1e-300..1e300)
    rng = np.random.default_rng(seed)
    Y = rng.random((data.draw(st.integers(1, 4)), X.shape[1])) * 10.0 ** data.draw(
        st.sampled_from([-300, -30, 0, 30, 300]))      # unrepresentable weights: clear error
    kind, Wy = _outcome(lambda: est.transform(Y))
    if kind == "ok":
        _finite_nonneg(Wy)
        _finite_nonneg(est.inverse_transform(Wy))
    with pytest.raises(ValueError) as err:
        est.transform(np.ones((2, X.shape[1] + 1)))
    assert_clear(err.value, "features")


# ---------------------------------------------------------------------------- memberships
@FAST(60)
@given(data=st.data())
def test_memberships_rows_sum_to_one_or_flagged(data):
    m, r = data.draw(st.integers(1, 8)), data.draw(st.integers(1, 6))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    W = rng.random((m, r)) * 10.0 ** data.draw(st.sampled_from(EXPONENTS))
    W[rng.random((m, r)) < 0.3] = 0.0
    count("memberships")
    mem = nmfcore.memberships(W)
    P = np.asarray(mem.P)
    _finite_nonneg(P)
    zero = ~W.any(axis=1)
    assert np.array_equal(np.sort(mem.zero_rows), np.flatnonzero(zero))
    assert np.allclose(P[~zero].sum(axis=1), 1.0) and not P[zero].any()
    assert np.array_equal(mem.hard[zero], -np.ones(zero.sum(), int))
    assert np.array_equal(mem.hard[~zero], W[~zero].argmax(axis=1))


# ---------------------------------------------------------------------------- alignment
@FAST(60)
@given(data=st.data())
def test_align_components_recovers_a_permutation(data):
    r, n = data.draw(st.integers(1, 6)), data.draw(st.integers(1, 8))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    H = rng.random((r, n)) * 10.0 ** data.draw(st.sampled_from([-100, -5, 0, 5, 100]))
    perm = rng.permutation(r)
    scale = rng.uniform(0.5, 2.0, r)[:, None]
    count("align_components")
    p, sim = nmfcore.align_components(H, H[perm] * scale)
    assert sorted(p.tolist()) == list(range(r))
    assert np.isfinite(sim).all() and (sim >= 0).all() and (sim <= 1 + 1e-12).all()
    assert np.allclose(sim, 1.0)                      # every component found again
    Wn, Hn = nmfcore.normalize_factors(rng.random((3, r)), H)
    _finite_nonneg(Wn, Hn)
    with pytest.raises(ValueError) as err:
        nmfcore.align_components(H, np.ones((r, n + 1)))
    assert_clear(err.value, "H_ref", "features")


# ---------------------------------------------------------------------------- consensus
@FAST(80)
@given(data=st.data())
def test_consensus_functions_on_random_labelings(data):
    n = data.draw(st.integers(1, 12))
    runs = data.draw(st.integers(1, 6))
    k = data.draw(st.integers(1, 4))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    labelings = [rng.integers(0, k, n) for _ in range(runs)]
    count("consensus")
    C = nmfcore.consensus_matrix(labelings)
    assert C.shape == (n, n) and np.allclose(C, C.T) and np.allclose(np.diag(C), 1.0)
    assert ((C >= 0) & (C <= 1)).all()
    assert np.array_equal(nmfcore.connectivity(labelings[0]),
                          (labelings[0][:, None] == labelings[0][None, :]).astype(float))
    order = nmfcore.consensus_order(C)
    assert sorted(np.asarray(order).tolist()) == list(range(n))
    d, p = nmfcore.dispersion(C), nmfcore.pac(C)
    assert 0 <= d <= 1 + 1e-12 and 0 <= p <= 1
    coph = nmfcore.cophenetic_correlation(C)
    assert np.isfinite(coph) and -1 - 1e-12 <= coph <= 1 + 1e-12
    c = data.draw(st.integers(1, n))
    labels = nmfcore.consensus_clusters(C, c)
    assert len(labels) == n and len(set(np.asarray(labels).tolist())) <= c
    W = rng.random((n, k)) * 10.0 ** data.draw(st.sampled_from(EXPONENTS))
    hard = nmfcore.hard_assignments(W)
    assert np.array_equal(hard, W.argmax(axis=1))
    for bad in (np.ones((n, n + 1)), np.full((n, n), np.nan), np.full((n, n), 2.0)):
        with pytest.raises(ValueError) as err:
            nmfcore.cophenetic_correlation(bad)
        assert_clear(err.value, "consensus")


# ---------------------------------------------------------------------------- metrics
@FAST(80)
@given(data=st.data())
def test_cluster_metrics_in_range(data):
    n = data.draw(st.integers(1, 15))
    rng = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1)))
    pred = rng.integers(0, data.draw(st.integers(1, 4)), n)
    true = rng.integers(0, data.draw(st.integers(1, 4)), n)
    count("cluster metrics")
    pu, en, ari = (nmfcore.purity(pred, true), nmfcore.entropy(pred, true),
                   nmfcore.adjusted_rand_index(pred, true))
    assert 0 < pu <= 1 and en >= 0 and np.isfinite(en) and -1 <= ari <= 1
    assert nmfcore.purity(true, true) == 1 and nmfcore.adjusted_rand_index(true, true) == 1
    pts = rng.random((n, 2))
    D = np.sqrt(((pts[:, None] - pts[None]) ** 2).sum(-1))
    k = len(set(pred.tolist()))
    if 2 <= k <= n - 1:
        s = nmfcore.silhouette_samples(D, pred)
        assert np.isfinite(s).all() and (np.abs(s) <= 1 + 1e-12).all()
        assert -1 <= nmfcore.silhouette_score(D, pred) <= 1
    else:
        with pytest.raises(ValueError) as err:
            nmfcore.silhouette_score(D, pred)
        assert_clear(err.value, "cluster")
    with pytest.raises(ValueError) as err:
        nmfcore.purity(pred, np.append(true, 0))
    assert_clear(err.value, "labels")


@FAST(80)
@given(data=st.data())
def test_fit_metrics_in_range(data):
    X, seed = data.draw(matrices(allow_sparse=True))
    # below ~1e-154 / above ~1e154 the squares under/overflow: test_fixed_numeric_range.py
    assume(X.dtype == np.float64 and (X.max() == 0 or 1e-150 <= X.max() <= 1e150))
    rng = np.random.default_rng(seed)
    r = data.draw(st.integers(1, 4))
    s = float(np.sqrt(X.max())) if X.max() > 0 else 1.0
    W, H = rng.random((X.shape[0], r)) * s, rng.random((r, X.shape[1])) * s / r
    count("fit metrics")
    re_, ev = nmfcore.relative_error(X, W, H), nmfcore.explained_variance(X, W, H)
    assert np.isfinite(ev) and ev <= 1 + 1e-12
    assert re_ >= 0 and (np.isfinite(re_) or X.max() == 0)
    if np.isfinite(re_) and X.max() > 0:
        assert abs((1 - re_ ** 2) - ev) <= 1e-6 * max(1.0, re_ ** 2)
    v = rng.random(data.draw(st.integers(2, 10))) * 10.0 ** data.draw(
        st.sampled_from([-100, -5, 0, 5, 100]))          # 1e+-300: test_fixed_numeric_range
    h = nmfcore.hoyer_sparsity(v)
    assert 0 <= h <= 1
    one_hot = np.zeros_like(v)
    one_hot[0] = v.max()
    assert nmfcore.hoyer_sparsity(one_hot) == pytest.approx(1.0)
    assert nmfcore.hoyer_sparsity(np.full_like(v, v.max())) == pytest.approx(0.0, abs=1e-9)


# ---------------------------------------------------------------------------- restarts / sweep
@FAST(40)
@given(data=st.data())
def test_restarts_finite_and_reproducible(data):
    X, seed = data.draw(matrices(max_side=6))
    rank = _rank(data.draw, X)
    kw = dict(n_restarts=data.draw(st.integers(1, 3)), random_state=seed, max_iter=3,
              solver=data.draw(st.sampled_from(SOLVERS)))
    count("restarts")
    kind, a = _outcome(lambda: nmfcore.restarts(X, rank, **kw))
    if kind == "error":
        return
    b = nmfcore.restarts(X, rank, **kw)
    _finite_nonneg(a.H, a.similarity, a.losses)
    for fa, fb in zip(a.fits, b.fits):
        _check_fit(fa, X, rank)
        assert np.array_equal(fa.W, fb.W) and np.array_equal(fa.H, fb.H)
    assert not a.cancelled and len(a.fits) == kw["n_restarts"]


@FAST(20)
@given(data=st.data())
def test_rank_sweep_finite_table(data):
    X, seed = data.draw(matrices(max_side=6, allow_sparse=True))
    top = min(X.shape)
    ranks = sorted(set(data.draw(st.lists(st.integers(1, top), min_size=1, max_size=3))))
    count("rank_sweep")
    kind, sw = _outcome(lambda: nmfcore.rank_sweep(
        X, ranks, n_restarts=2, random_state=seed, max_iter=3, cv_folds=data.draw(
            st.integers(0, 1)), solver=data.draw(st.sampled_from(["mu", "hals"]))))
    if kind == "error":
        return
    t = sw.table
    assert list(t["rank"]) == ranks
    for col in ("rel_error", "shuffled_rel_error"):
        assert np.isfinite(np.asarray(t[col], float)).all(), (col, t[col])
        assert (np.asarray(t[col], float) >= 0).all()


# n_jobs=1 and n_jobs=2 give identical results (a process pool per example: few examples)
@settings(max_examples=3, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_restarts_and_sweep_identical_for_one_and_two_jobs(data):
    m, n = data.draw(st.integers(2, 7)), data.draw(st.integers(2, 7))
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    X = rng.random((m, n)) * 10.0 ** data.draw(st.sampled_from([-100, 0, 100]))
    X[rng.random((m, n)) < 0.3] = 0.0
    X[0, 0] = X[-1, -1] = X.max() or 1.0          # (a near-empty X: test_fixed_messages.py)
    rank = _rank(data.draw, X)
    solver = data.draw(st.sampled_from(SOLVERS))
    count("n_jobs parity", 2)
    a = nmfcore.restarts(X, rank, n_restarts=3, random_state=seed, max_iter=4, solver=solver,
                         n_jobs=1)
    b = nmfcore.restarts(X, rank, n_restarts=3, random_state=seed, max_iter=4, solver=solver,
                         n_jobs=2)
    for fa, fb in zip(a.fits, b.fits, strict=True):
        assert np.array_equal(fa.W, fb.W) and np.array_equal(fa.H, fb.H)
    assert np.array_equal(a.losses, b.losses)
    kw = dict(n_restarts=2, random_state=seed, max_iter=3, cv_folds=1, solver="hals")
    s1 = nmfcore.rank_sweep(X, [1, 2], n_jobs=1, **kw)
    s2 = nmfcore.rank_sweep(X, [1, 2], n_jobs=2, **kw)
    for col in s1.table:
        assert np.array_equal(np.asarray(s1.table[col]), np.asarray(s2.table[col]),
                              equal_nan=True), col
