"""The beta-divergence family with multiplicative updates: scikit-learn as an oracle, the
objective never rising (majorization-minimization exponent), zero handling, units, messages."""
import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from nmfcore import losses
from nmfcore._validation import NMFInputError
from nmfcore.solvers import _upkeep


def problem(m=60, n=40, rank=4, zeros=0.0, seed=0, top=0.9):
    rng = np.random.default_rng(seed)
    X = rng.random((m, rank)) @ rng.random((rank, n)) + 0.1 * rng.random((m, n))
    X *= top / X.max()
    if zeros:
        X[rng.random((m, n)) < zeros] = 0.0
    W0, H0 = rng.random((m, rank)) + 0.1, rng.random((rank, n)) + 0.1
    return X, W0, H0


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0])
def test_beta_mu_matches_scikit_learn(beta):
    """Same start, 50 iterations: the same factors to round-off. scikit-learn updates W then
    H, nmfcore H then W, so scikit-learn runs on X^T with the factors swapped."""
    from sklearn.decomposition import NMF

    X, W0, H0 = problem()
    res = nmfcore.factorize(X, 4, solver="mu", loss="beta", beta=beta, W0=W0, H0=H0,
                            max_iter=50, tol=0)
    sk = NMF(4, solver="mu", beta_loss=beta, init="custom", max_iter=50, tol=0)
    Ht = sk.fit_transform(X.T, W=H0.T.copy(), H=W0.T.copy())
    Wt = sk.components_
    np.testing.assert_allclose(res.W, Wt.T, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(res.H, Ht.T, rtol=1e-10, atol=1e-13)


def test_named_losses_are_their_betas():
    X, W0, H0 = problem(seed=2)
    kw = dict(solver="mu", W0=W0, H0=H0, max_iter=20, tol=0)
    for name, beta in (("itakura-saito", 0.0), ("kl", 1.0), ("frobenius", 2.0)):
        a = nmfcore.factorize(X, 4, loss=name, **kw)
        b = nmfcore.factorize(X, 4, loss="beta", beta=beta, **kw)
        np.testing.assert_array_equal(a.W, b.W)
        np.testing.assert_array_equal(a.history["loss"], b.history["loss"])
        assert b.params["beta"] == beta and "beta" not in a.params
    replay = nmfcore.factorize(X, **{**b.params, "W0": W0, "H0": H0})
    np.testing.assert_array_equal(replay.W, b.W)


@pytest.mark.parametrize("beta", [0.0, 0.3, 1.0, 1.5, 2.6])
@pytest.mark.parametrize("form", ["dense", "sparse", "masked"])
def test_objective_never_rises(beta, form):
    """2000 iterations; zeros in X except for beta <= 0; every step is an MM step."""
    X, W0, H0 = problem(seed=3, zeros=0.0 if beta <= 0 else 0.3)
    X *= 1000.0                               # not at unit scale: the loss is converted back
    kw = {}
    if form == "masked":
        kw["mask"] = np.random.default_rng(4).random(X.shape) > 0.2
    Xin = sp.csr_matrix(X) if form == "sparse" else X
    res = nmfcore.factorize(Xin, 4, solver="mu", loss="beta", beta=beta, W0=W0, H0=H0,
                            max_iter=2000, tol=0, **kw)
    L = np.asarray(res.history["loss"])
    assert len(L) == 2001 and np.all(np.isfinite(L))
    assert np.all(np.diff(L) <= 1e-9 * L[1:])
    assert L[-1] < 0.5 * L[0]


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.5, 3.0])
@pytest.mark.parametrize("form", ["dense", "sparse", "masked"])
def test_history_holds_the_loss_and_rel_error_of_each_iterate(beta, form):
    X, W0, H0 = problem(seed=5, zeros=0.0 if beta <= 0 else 0.2)
    X *= 37.0
    mask = np.random.default_rng(6).random(X.shape) > 0.25 if form == "masked" else None
    seen = []
    Xin = sp.csr_matrix(X) if form == "sparse" else X
    nmfcore.factorize(Xin, 4, solver="mu", loss="beta", beta=beta, W0=W0, H0=H0, max_iter=8,
                      tol=0, l1=0.01, l2=0.02, mask=mask,
                      callback=lambda s: seen.append((s.loss, s.rel_error, s.W.copy(), s.H.copy())))
    norm = np.linalg.norm(X if mask is None else X * mask)
    for loss, rel, W, H in seen:
        obj, sq = losses.evaluate(X, W, H, loss="beta", beta=beta, l1=0.01, l2=0.02, mask=mask)
        assert loss == pytest.approx(obj, rel=1e-9)
        assert rel == pytest.approx(np.sqrt(sq) / norm, rel=1e-7)


def test_beta_divergence_matches_scikit_learn_and_its_definition():
    from sklearn.decomposition._nmf import _beta_divergence

    X, W, H = problem(seed=7, zeros=0.2)
    for beta in (0.5, 1.0, 1.5, 2.0, 3.0):
        assert losses.beta_divergence(X, W, H, beta) == pytest.approx(
            _beta_divergence(X, W, H, beta), rel=1e-12)
        assert losses.beta_divergence(sp.csr_matrix(X), W, H, beta) == pytest.approx(
            _beta_divergence(X, W, H, beta), rel=1e-12)
    Xp = X + 0.05
    assert losses.beta_divergence(Xp, W, H, 0.0) == pytest.approx(
        _beta_divergence(Xp, W, H, 0.0), rel=1e-12)
    # the limits: beta -> 1 is KL, beta -> 0 is Itakura-Saito
    assert losses.beta_divergence(Xp, W, H, 1 + 1e-7) == pytest.approx(
        losses.kl_divergence(Xp, W, H), rel=1e-5)
    assert losses.beta_divergence(Xp, W, H, 1e-7) == pytest.approx(
        losses.beta_divergence(Xp, W, H, 0.0), rel=1e-5)


@pytest.mark.parametrize("beta", [0.0, 0.5, 1.5, 3.0])
def test_beta_gradient_is_the_derivative(beta):
    X, W, H = problem(m=9, n=7, rank=2, seed=8, zeros=0.0 if beta <= 0 else 0.3)
    gW, gH = _upkeep._beta_gradient(X, W, H, None, 1.0, beta)
    eps = 1e-6
    for (i, j) in [(0, 0), (3, 1), (8, 1)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[i, j] += eps
        Wm[i, j] -= eps
        fd = (losses.beta_divergence(X, Wp, H, beta) - losses.beta_divergence(X, Wm, H, beta)) / (2 * eps)
        assert gW[i, j] == pytest.approx(fd, rel=1e-5, abs=1e-8)
    for (i, j) in [(0, 0), (1, 6)]:
        Hp, Hm = H.copy(), H.copy()
        Hp[i, j] += eps
        Hm[i, j] -= eps
        fd = (losses.beta_divergence(X, W, Hp, beta) - losses.beta_divergence(X, W, Hm, beta)) / (2 * eps)
        assert gH[i, j] == pytest.approx(fd, rel=1e-5, abs=1e-8)
    gs = _upkeep._beta_gradient(sp.csr_matrix(X), W, H, None, 1.0, beta)
    np.testing.assert_allclose(gs[0], gW, rtol=1e-12)


@pytest.mark.parametrize("beta", [0.0, 1.5])
def test_units_scale_as_s_to_the_beta(beta):
    """factorize(c X) gives sqrt(c) times the factors of factorize(X), loss times c**beta."""
    X, W0, H0 = problem(seed=9)
    kw = dict(solver="mu", loss="beta", beta=beta, max_iter=30, tol=0)
    a = nmfcore.factorize(X, 4, W0=W0, H0=H0, **kw)
    c = 3.0 ** 6                                   # not a power of two: exponent != 0
    b = nmfcore.factorize(c * X, 4, W0=np.sqrt(c) * W0, H0=np.sqrt(c) * H0, **kw)
    np.testing.assert_allclose(b.W, np.sqrt(c) * a.W, rtol=1e-9)
    np.testing.assert_allclose(b.history["loss"], c ** beta * np.asarray(a.history["loss"]),
                               rtol=1e-9)
    np.testing.assert_allclose(b.history["rel_error"], a.history["rel_error"], rtol=1e-9)


def test_converges_and_revives_a_dead_component():
    X, W0, H0 = problem(seed=10, zeros=0.2)
    W0[:, 1] = 0.0                                  # a dead component at the start
    res = nmfcore.factorize(X, 4, solver="mu", loss="beta", beta=1.5, W0=W0, H0=H0,
                            max_iter=3000, tol=1e-6)
    L = np.asarray(res.history["loss"])
    assert np.all(np.diff(L) <= 1e-9 * L[1:])
    assert res.n_dead == 0 and res.n_revived >= 1
    assert res.status in ("converged", "stalled") and np.isfinite(res.gradient_ratio)


@pytest.mark.parametrize("form", ["dense", "sparse", "masked"])
def test_zeros_are_refused_for_beta_at_most_zero(form):
    X, _, _ = problem(seed=11, zeros=0.1)
    Xin = sp.csr_matrix(X) if form == "sparse" else X
    kw = {"mask": np.ones(X.shape, bool)} if form == "masked" else {}
    for loss, beta in (("itakura-saito", None), ("beta", -0.5), ("beta", 0.0)):
        with pytest.raises(NMFInputError, match=r"cannot fit zeros.*small epsilon.*Add a small epsilon"):
            nmfcore.factorize(Xin, 3, loss=loss, beta=beta, **kw)
    # zeros at missing cells only are no problem
    res = nmfcore.factorize(X, 3, loss="itakura-saito", mask=X > 0, max_iter=20)
    assert np.all(np.isfinite(res.W))
    # the remedy the message names fixes it
    from nmfcore.preprocess import REMEDIES
    fixed, desc = REMEDIES["add_epsilon"][0](Xin)
    assert "epsilon" in desc or "ε" in desc
    assert np.all(np.isfinite(nmfcore.factorize(fixed, 3, loss="itakura-saito", max_iter=20).W))


@pytest.mark.parametrize("solver", ["hals", "anls", "sgd"])
@pytest.mark.parametrize("loss,beta", [("kl", None), ("itakura-saito", None), ("beta", 1.5)])
def test_other_solvers_refuse_non_frobenius_losses(solver, loss, beta):
    X, _, _ = problem(seed=12)
    with pytest.raises(NMFInputError, match=r"not available with solver.*use solver='mu'"):
        nmfcore.factorize(X + 0.1, 3, solver=solver, loss=loss, beta=beta)
    # beta = 2 is the Frobenius loss, which they minimise
    assert nmfcore.factorize(X, 3, solver=solver, loss="beta", beta=2.0, max_iter=5, tol=0).n_iter == 5


def test_bad_beta_arguments():
    X, _, _ = problem(seed=13)
    for kw, text in ((dict(loss="beta"), "needs a finite number beta"),
                     (dict(loss="beta", beta=float("nan")), "needs a finite number beta"),
                     (dict(loss="beta", beta="1"), "needs a finite number beta"),
                     (dict(loss="kl", beta=2.0), "use loss='beta', beta=2.0"),
                     (dict(loss="hinge"), "loss")):
        with pytest.raises(NMFInputError, match=text):
            nmfcore.factorize(X, 3, **kw)
    assert "itakura-saito" in nmfcore.LOSSES and "beta" in nmfcore.LOSSES
    assert set(nmfcore.LOSSES) <= set(nmfcore.SOLVERS["mu"].losses)


def test_validate_notes_zeros_and_offers_the_epsilon_remedy():
    from nmfcore import preprocess as pp

    X, _, _ = problem(seed=14, zeros=0.1)
    note = pp.validate(X).problem("zeros")
    assert note.severity == "info" and "Itakura-Saito" in note.message
    assert [r.name for r in note.remedies] == ["add_epsilon"]
    assert pp.validate(X + 0.01).problem("zeros") is None
    assert pp.validate(sp.csr_matrix(X)).problem("zeros") is None    # sparse: zeros are normal
    fixed, _ = pp.add_epsilon(X)
    assert fixed.min() == pytest.approx(1e-6 * X.max()) and np.all(X == fixed - 1e-6 * X.max())
