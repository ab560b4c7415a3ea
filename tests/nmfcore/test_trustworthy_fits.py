"""Fits that can be trusted: no degenerate stalls, statuses that mean what they say, defaults
that reach the right answer (swimmer parts, planted ranks)."""
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import nmfcore
from nmfcore.datasets import load_demo
from nmfcore.solvers import _upkeep


def other_swimmer():
    """A swimmer built independently of nmfcore's: 24 x 20 images, a thick torso and four
    limbs drawn as 2-pixel-wide segments at four angles each (4**4 = 256 images); no two
    parts share a pixel, so the 17 parts are the unique non-negative factorization."""
    h, w = 24, 20
    torso = np.zeros((h, w))
    torso[6:17, 9:11] = 1.0
    joints = [(7, 8, -1), (7, 11, 1), (16, 9, -1), (16, 10, 1)]   # (row, col, side)
    parts = [torso.ravel()]
    for r0, c0, side in joints:
        for angle in np.linspace(-60, 60, 4):
            img = np.zeros((h, w))
            a = np.deg2rad(angle)
            for t in np.linspace(1, 6, 30):
                r = int(round(r0 + t * np.sin(a) * (1 if r0 < 12 else -1)))
                c = int(round(c0 + side * t * np.cos(a)))
                img[r, c] = img[r, min(c + 1, w - 1) if side > 0 else max(c - 1, 0)] = 1.0
            used = np.sum(parts, axis=0).reshape(h, w) > 0
            img[used] = 0.0                       # parts are disjoint, as in the original
            parts.append(img.ravel())
    P = np.array(parts)
    combos = np.array(np.meshgrid(*[np.arange(4)] * 4, indexing="ij")).reshape(4, -1).T
    W = np.zeros((256, 17))
    W[:, 0] = 1.0
    for limb in range(4):
        W[np.arange(256), 1 + 4 * limb + combos[:, limb]] = 1.0
    return W @ P, P


def matched_cosines(H, true_H):
    from scipy.optimize import linear_sum_assignment
    A = H / np.maximum(np.linalg.norm(H, axis=1, keepdims=True), 1e-300)
    B = true_H / np.linalg.norm(true_H, axis=1, keepdims=True)
    C = A @ B.T
    r, c = linear_sum_assignment(-C)
    return C[r, c]


SWIMMERS = {"nmfcore": (load_demo("swimmer").X, load_demo("swimmer").extras["true_H"]),
            "other": other_swimmer()}


def test_other_swimmer_has_17_distinct_parts():
    X, P = SWIMMERS["other"]
    # as in Donoho & Stodden's: linear rank 13 (each limb's positions sum to the same row),
    # non-negative rank 17
    assert np.linalg.matrix_rank(X) == 13
    assert P.shape == (17, 480)
    assert np.all((P > 0).astype(int).sum(axis=0) <= 1)   # disjoint
    assert np.all(P.sum(axis=1) >= 6)             # no empty part
    C = (P / np.linalg.norm(P, axis=1, keepdims=True))
    C = C @ C.T
    np.fill_diagonal(C, 0)
    assert C.max() < 0.9                          # parts are distinct


@pytest.mark.parametrize("init", ["nndsvd", "nndsvda"])
@pytest.mark.parametrize("which", ["nmfcore", "other"])
def test_default_solver_recovers_every_swimmer_part_from_deterministic_starts(which, init):
    X, true_H = SWIMMERS[which]
    with warnings.catch_warnings():
        warnings.simplefilter("error", nmfcore.ConvergenceWarning)
        res = nmfcore.factorize(X, 17, init=init)
    assert res.solver == "hals"
    assert res.status == "converged" and res.converged
    assert res.rel_error < 1e-3
    assert res.n_dead == 0
    cos = matched_cosines(res.H, true_H)
    # the torso is in every image, so a few of its pixels can move to all four positions of
    # one limb without changing X (an exact ambiguity of both swimmers): 0.98, not 1
    assert cos.min() >= (0.99 if which == "nmfcore" else 0.98), cos.round(3)
    dead, split = _upkeep.health(res.W, res.H, float(np.linalg.norm(X)))
    assert not dead.any() and not split.any()


@pytest.mark.parametrize("which", ["nmfcore", "other"])
@pytest.mark.parametrize("solver", ["hals", "anls", "mu", "sgd"])
def test_no_solver_ends_at_a_dead_or_split_component_on_swimmers(which, solver):
    X, _ = SWIMMERS[which]
    for init in ("nndsvd", "nndsvda"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
            res = nmfcore.factorize(X, 17, solver=solver, init=init, random_state=0)
        a, b = np.linalg.norm(res.W, axis=0), np.linalg.norm(res.H, axis=1)
        assert np.all(a * b > 1e-10 * np.linalg.norm(X)), (init, a * b)
        assert np.all(np.maximum(a / b, b / a) <= 1e3 * 1.0001), (init, a / b)


def test_a_converged_status_is_a_stationary_point_and_mu_is_not_called_converged_early():
    X, _ = SWIMMERS["nmfcore"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mu = nmfcore.factorize(X, 17, solver="mu", max_iter=200)
    # MU crawls on swimmer: the loss decrease becomes tiny long before a stationary point
    assert mu.rel_error > 0.05
    assert mu.status in ("stalled", "max_iter") and not mu.converged
    assert mu.gradient_ratio > 1e-3
    assert any(issubclass(w.category, nmfcore.ConvergenceWarning) for w in caught)
    assert "gradient" in mu.message or "max_iter" in mu.message
    hals = nmfcore.factorize(X, 17)
    assert hals.converged and (hals.gradient_ratio <= 1e-3 or hals.rel_error == 0.0)
    assert "Converged" in hals.message


def test_symmetric_start_is_neither_a_dead_end_nor_called_converged():
    # constant factors with one zero component: every update keeps the two live components
    # identical (a saddle point) and the zero one dead, and the loss stops decreasing at once
    rng = np.random.default_rng(0)
    X = rng.random((40, 3)) @ rng.random((3, 30))
    W0, H0 = np.full((40, 3), 0.5), np.full((3, 30), 0.5)
    W0[:, 0] = 0.0
    H0[0] = 0.0
    hals = nmfcore.factorize(X, 3, solver="hals", W0=W0, H0=H0, max_iter=3000)
    assert hals.n_revived >= 1                     # the dead and the duplicate are re-seeded
    assert hals.converged and hals.rel_error < 1e-5
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        mu = nmfcore.factorize(X, 3, solver="mu", W0=W0, H0=H0, max_iter=3000)
    assert mu.n_revived >= 1
    # MU crawls after that: it is reported as stalled (or unfinished), never as converged
    assert not mu.converged and mu.status in ("stalled", "max_iter")
    assert mu.gradient_ratio > 1e-3
    assert any(issubclass(w.category, nmfcore.ConvergenceWarning) for w in caught)


def test_stalled_status_when_the_loss_stops_without_a_stationary_point():
    rng = np.random.default_rng(0)
    X = rng.random((40, 3)) @ rng.random((3, 30))
    # SGD with a tiny step makes quiet iterations far from a stationary point: stalled
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        slow = nmfcore.factorize(X, 3, solver="sgd", learning_rate=1e-6, random_state=0,
                                 max_iter=500)
    assert slow.status == "stalled" and not slow.converged
    assert slow.gradient_ratio > 1e-3
    assert slow.message.startswith("Stalled")
    assert any(issubclass(w.category, nmfcore.ConvergenceWarning) for w in caught)


def test_rebalancing_and_revival_leave_wh_and_the_objective_no_worse():
    rng = np.random.default_rng(3)
    X = rng.random((30, 4)) @ rng.random((4, 25))
    W, H = rng.random((30, 4)), rng.random((4, 25))
    W[:, 1] *= 1e9
    H[1] /= 1e9
    WH = W @ H
    assert _upkeep.health(W, H, np.linalg.norm(X))[1][1]
    assert _upkeep.balance(W, H)
    np.testing.assert_allclose(W @ H, WH, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(W, axis=0), np.linalg.norm(H, axis=1), rtol=1e-12)
    W[:, 2] = 0.0
    before = 0.5 * np.linalg.norm(X - W @ H) ** 2
    dead = np.array([False, False, True, False])
    assert _upkeep.revive(X, W, H, dead, objective=before) == 1
    after = 0.5 * np.linalg.norm(X - W @ H) ** 2
    assert after < before and W[:, 2].any() and H[2].any()


def test_rank_forced_dead_component_is_reported_not_revived_forever():
    # 3 non-zero columns: a rank-4 fit has nothing to put in its fourth component
    rng = np.random.default_rng(1)
    X = np.zeros((20, 6))
    X[:, :3] = rng.random((20, 3)) + 0.1
    res = nmfcore.factorize(X, 4, init="nndsvd")
    assert res.rel_error < 1e-6
    assert res.status == "converged"


@settings(max_examples=25, deadline=None)
@given(m=st.integers(8, 30), n=st.integers(8, 30), r=st.integers(1, 5),
       solver=st.sampled_from(["hals", "anls", "mu"]),
       init=st.sampled_from(["nndsvd", "nndsvda", "random"]), seed=st.integers(0, 2**16))
def test_property_no_returned_fit_has_a_dead_or_split_component(m, n, r, solver, init, seed):
    rng = np.random.default_rng(seed)
    X = rng.random((m, r)) @ rng.random((r, n)) + 0.01 * rng.random((m, n))
    k = min(r + 1, m, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
        res = nmfcore.factorize(X, k, solver=solver, init=init, random_state=seed)
    dead, split = _upkeep.health(res.W, res.H, float(np.linalg.norm(X)))
    assert not split.any()
    # the data (full rank with the noise) always leave something for every component
    assert res.n_dead == int(dead.sum()) == 0


def planted(m, n, r, noise, seed):
    rng = np.random.default_rng(seed)
    V = rng.random((m, r)) @ rng.random((r, n))
    return np.abs(V + rng.normal(0, noise * V.mean(), V.shape))


@pytest.mark.slow
@pytest.mark.parametrize("m,n,r,noise,seed", [(120, 80, 4, 0.05, 0), (100, 150, 6, 0.05, 0),
                                              (150, 100, 5, 0.2, 0), (80, 120, 3, 0.1, 1)])
def test_default_rank_sweep_picks_the_planted_rank(m, n, r, noise, seed):
    X = planted(m, n, r, noise, seed)
    res = nmfcore.rank_sweep(X, range(2, 9), n_restarts=4, random_state=0)
    picks = {s.rule: s.rank for s in res.suggestions}
    assert picks["lowest held-out error"] == r, picks
    assert res.n_unconverged == 0


@pytest.mark.slow
@pytest.mark.parametrize("name,rank", [("digits", 10), ("text", 8), ("swimmer", 17)])
def test_defaults_reach_the_long_run_error_without_a_warning(name, rank):
    X = load_demo(name).X
    with warnings.catch_warnings():
        warnings.simplefilter("error", nmfcore.ConvergenceWarning)
        res = nmfcore.factorize(X, rank)
    assert res.converged
    W0, H0 = nmfcore.initialize(X, rank, "nndsvda")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
        best = min(nmfcore.factorize(X, rank, solver=s, W0=W0, H0=H0, max_iter=n, tol=0).rel_error
                   for s, n in (("hals", 2000), ("anls", 300)))
    # within 0.5 % of the long runs from the same start (bench/bench_defaults.py: digits
    # +0.18 % of HALS's 3000-iteration error; swimmer exact)
    assert res.rel_error <= best * 1.005 + 1e-6, (res.rel_error, best)


def test_stalled_advice_names_only_solvers_that_exist_for_the_loss():
    """MU is the only solver for KL: a stalled KL fit does not send the user to another
    solver, a stalled Frobenius fit does."""
    X = nmfcore.datasets.load_demo("audio").X
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kl = nmfcore.factorize(X + 1e-6 * X.max(), 4, loss="kl", random_state=0)
    assert kl.status == "stalled", kl.message
    assert "another solver" not in kl.message and "no other solver" in kl.message
    from nmfcore._factorize import _message
    info = {"gradient_ratio": 0.1, "revived": 0, "dead": 0}
    assert "try another solver" in _message("stalled", info, 1e-4, 1e-3, 500, ["hals"])


def _hist(losses):
    return {"iteration": list(range(len(losses))), "loss": list(losses)}


def test_a_fall_that_speeds_up_is_a_saddle_being_left_not_a_minimum():
    """The default swimmer fit (one BLAS build) passes a plateau at 13 % error whose gradient
    stays under gtol for ten quiet iterations while the fall grows (2.7e-5, 3.0e-5, 3.6e-5,
    4.6e-5, 6.1e-5 of the loss per iteration) before it reaches the exact factorization
    (test_default_solver_recovers_every_swimmer_part_from_deterministic_starts): such a
    stretch is not a minimum."""
    from nmfcore._factorize import _speeding_up
    leaving = 100.0 - np.cumsum([0, 5e-4, 4e-4, 3e-4, 3e-4, 3.2e-4, 3.6e-4, 4.6e-4, 6e-4, 8e-4])
    settling = 100.0 - np.cumsum([0, 5e-4, 4e-4, 3e-4, 2e-4, 1.5e-4, 1e-4, 8e-5, 6e-5, 4e-5])
    noise = 1.0 + 1e-16 * np.array([0, 1, -1, 2, 1, 0, 3, 1, 4, 7])   # round-off, not a fall
    assert _speeding_up(_hist(leaving), tol=1e-4)
    assert not _speeding_up(_hist(settling), tol=1e-4)
    assert not _speeding_up(_hist(noise), tol=1e-4)
    assert not _speeding_up(_hist(leaving[:3]), tol=1e-4)          # too short to tell


def test_anls_undoes_a_step_that_would_raise_the_objective():
    """Near an exact fit an ill-conditioned block solve returned a point worse by 5e-8 of the
    start (found by the property tests); the step is undone, so the loss never rises."""
    X = np.zeros((9, 7))
    for i, j, v in [(0, 4, 539.6243986482082), (1, 5, 110.35619705660315),
                    (2, 2, 920.5601337704647), (2, 4, 928.6428188468143),
                    (2, 6, 746.156925023063), (4, 2, 468.3894159230385),
                    (4, 4, 548.6267177073827), (5, 2, 629.9805838692771),
                    (5, 3, 612.3548273074273), (5, 4, 791.5313061148898),
                    (5, 5, 226.58012564911257), (6, 3, 990.1528183788907),
                    (6, 6, 59.79233204998246), (7, 2, 639.1158921287345),
                    (7, 4, 40.07883572253312), (8, 2, 320.3705318432669),
                    (8, 4, 138.39440199493157), (8, 5, 970.1358622462897)]:
        X[i, j] = v
    res = nmfcore.factorize(X, 7, solver="anls", max_iter=10, tol=0, random_state=218400972)
    h = np.asarray(res.history["loss"])
    assert np.all(np.diff(h) <= 64 * np.finfo(float).eps * 0.5 * np.vdot(X, X))
    assert h[-1] < 1e-6 * h[0]
