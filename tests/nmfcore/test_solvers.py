"""Solver behaviour on data with a known answer."""
import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore


def planted(m=120, n=80, r=4, zero_frac=0.4, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.random((m, r))
    W[rng.random(W.shape) < zero_frac] = 0
    H = rng.random((r, n))
    H[rng.random(H.shape) < zero_frac] = 0
    return W @ H, W, H


def true_rel_error(X, res):
    X = X.toarray() if sp.issparse(X) else X
    return np.linalg.norm(X - res.W @ res.H) / np.linalg.norm(X)


def test_registry_and_inits_match_contract():
    assert {"mu", "sgd", "hals", "anls"} <= set(nmfcore.SOLVERS)
    assert {"random", "nndsvd", "nndsvda", "nndsvdar"} <= set(nmfcore.INITS)
    assert set(nmfcore.SOLVERS["mu"].losses) == {"frobenius", "kl", "itakura-saito", "beta"}


@pytest.mark.parametrize("solver", ["hals", "anls"])
def test_exact_planted_data_recovered(solver):
    X, _, _ = planted()
    res = nmfcore.factorize(X, 4, solver=solver, max_iter=500, tol=1e-12, random_state=0)
    assert true_rel_error(X, res) < 1e-6


@pytest.mark.parametrize("solver,bound", [("mu", 0.03), ("sgd", 0.05)])
def test_mu_and_sgd_get_close(solver, bound):
    X, _, _ = planted()
    res = nmfcore.factorize(X, 4, solver=solver, max_iter=400, tol=0, random_state=0)
    assert true_rel_error(X, res) < bound


@pytest.mark.parametrize("solver", ["mu", "hals", "anls", "sgd"])
def test_result_contract(solver):
    X, _, _ = planted(40, 30, 3)
    res = nmfcore.factorize(X, 3, solver=solver, max_iter=20, tol=0, random_state=3)
    assert res.W.shape == (40, 3) and res.H.shape == (3, 30)
    assert np.isfinite(res.W).all() and np.isfinite(res.H).all()
    assert (res.W >= 0).all() and (res.H >= 0).all()
    assert res.n_iter == 20 and not res.converged and res.status == "max_iter"
    lengths = {k: len(v) for k, v in res.history.items()}
    assert set(lengths) == {"iteration", "seconds", "loss", "rel_error"}
    assert set(lengths.values()) == {21}
    assert np.all(np.diff(res.history["seconds"]) >= 0)
    assert res.history["rel_error"][-1] == pytest.approx(true_rel_error(X, res), rel=1e-6, abs=1e-9)
    assert (res.solver, res.loss, res.rank, res.random_state) == (solver, "frobenius", 3, 3)


@pytest.mark.parametrize("solver", ["mu", "hals", "anls", "sgd"])
def test_params_replay_the_fit(solver):
    X, _, _ = planted(50, 40, 3)
    res = nmfcore.factorize(X, 3, solver=solver, init="random", max_iter=30, random_state=None)
    again = nmfcore.factorize(X, **res.params)
    assert np.array_equal(res.W, again.W) and np.array_equal(res.H, again.H)
    assert np.array_equal(res.history["loss"], again.history["loss"])


def test_generator_seed_is_recorded():
    X, _, _ = planted(30, 20, 2)
    res = nmfcore.factorize(X, 2, init="random", random_state=np.random.default_rng(5), max_iter=5)
    again = nmfcore.factorize(X, 2, init="random", random_state=res.random_state, max_iter=5)
    assert np.array_equal(res.W, again.W)


@pytest.mark.parametrize("loss", ["frobenius", "kl"])
def test_mu_loss_never_increases_including_penalties(loss):
    rng = np.random.default_rng(0)
    X = rng.poisson(2.0, size=(60, 40)).astype(float)
    res = nmfcore.factorize(X, 5, loss=loss, init="random", max_iter=150, tol=0, l1=0.1, l2=0.2,
                            random_state=0)
    h = res.history["loss"]
    assert np.all(np.diff(h) <= 1e-10 * abs(h[0]))
    assert h[-1] < 0.9 * h[0]


@pytest.mark.parametrize("solver,loss", [("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius"),
                                         ("anls", "frobenius"), ("sgd", "frobenius")])
def test_sparse_input_gives_the_dense_fit(solver, loss):
    Xs = sp.random(80, 60, density=0.1, random_state=1, format="csr") * 5
    a = nmfcore.factorize(Xs, 4, solver=solver, loss=loss, max_iter=30, tol=0, random_state=0)
    b = nmfcore.factorize(Xs.toarray(), 4, solver=solver, loss=loss, max_iter=30, tol=0, random_state=0)
    np.testing.assert_allclose(a.W, b.W, rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-9)


def test_float32_stays_float32():
    X, _, _ = planted(40, 30, 3)
    res = nmfcore.factorize(X.astype(np.float32), 3, solver="hals", max_iter=50)
    assert res.W.dtype == np.float32 and res.H.dtype == np.float32
    assert res.rel_error < 1e-2


@pytest.mark.parametrize("solver,loss", [("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius")])
def test_masked_fit_predicts_hidden_entries(solver, loss):
    X, _, _ = planted(100, 80, 3, zero_frac=0.2, seed=2)
    X = X + 0.05
    rng = np.random.default_rng(0)
    hidden = rng.random(X.shape) < 0.2
    Xn = X.copy()
    Xn[hidden] = np.nan
    res = nmfcore.factorize(Xn, 3, solver=solver, loss=loss, missing="mask", max_iter=400, tol=0,
                            random_state=0)
    pred = (res.W @ res.H)[hidden]
    err = np.linalg.norm(pred - X[hidden]) / np.linalg.norm(X[hidden])
    assert err < 0.05
    if solver == "mu":
        assert np.all(np.diff(res.history["loss"]) <= 1e-10 * res.history["loss"][0])
    # the same hidden set given as an explicit mask gives the same fit
    res2 = nmfcore.factorize(np.where(hidden, 0.0, X), 3, solver=solver, loss=loss, mask=~hidden,
                             max_iter=400, tol=0, random_state=0)
    np.testing.assert_allclose(res.W, res2.W, rtol=1e-6, atol=1e-9)


def test_all_zero_rows_and_columns_stay_finite():
    X, _, _ = planted(30, 20, 3)
    X[4] = 0
    X[:, 7] = 0
    for solver in nmfcore.SOLVERS:
        for init in nmfcore.INITS:
            res = nmfcore.factorize(X, 3, solver=solver, init=init, max_iter=20, random_state=0)
            assert np.isfinite(res.W).all() and np.isfinite(res.H).all()
            assert (res.W >= 0).all() and (res.H >= 0).all()


def test_tol_stops_and_converged_is_set():
    X, _, _ = planted()
    res = nmfcore.factorize(X, 4, solver="hals", max_iter=1000, tol=1e-3, random_state=0)
    assert res.converged and res.status == "converged" and res.n_iter < 1000
    h = res.history["loss"]
    assert 0 <= h[-2] - h[-1] < 1e-3 * h[0]


def test_callback_sees_every_iteration_and_can_stop():
    X, _, _ = planted()
    seen = []

    def cb(state):
        seen.append((state.iteration, state.loss))
        assert not state.W.flags.writeable
        return state.iteration >= 7

    res = nmfcore.factorize(X, 4, max_iter=100, tol=0, callback=cb)
    assert res.status == "stopped" and res.n_iter == 7
    assert [s[0] for s in seen] == list(range(8))
    assert [s[1] for s in seen] == list(res.history["loss"])


def test_callback_stopiteration_and_max_time():
    X, _, _ = planted()

    def cb(state):
        if state.iteration == 3:
            raise StopIteration
    assert nmfcore.factorize(X, 4, callback=cb, tol=0).n_iter == 3
    res = nmfcore.factorize(X, 4, max_iter=10**6, tol=0, max_time=0.2, solver="mu")
    assert res.status == "max_time" and 0.2 <= res.seconds < 5


def test_sgd_divergence_is_detected_not_nan():
    X, _, _ = planted()
    res = nmfcore.factorize(X, 4, solver="sgd", learning_rate=50.0, max_iter=50, tol=0, random_state=0)
    assert res.status == "diverged" and not res.converged
    assert np.isfinite(res.W).all() and np.isfinite(res.history["loss"]).all()


def test_sgd_without_projection_goes_negative():
    X, _, _ = planted()
    res = nmfcore.factorize(X, 4, solver="sgd", project=False, learning_rate=1.0, max_iter=5,
                            init="random", random_state=0)
    assert (res.W < 0).any() or (res.H < 0).any()


def test_l1_makes_factors_sparser():
    X, _, _ = planted(zero_frac=0.1)
    plain = nmfcore.factorize(X, 4, solver="hals", max_iter=200, random_state=0)
    sparse = nmfcore.factorize(X, 4, solver="hals", max_iter=200, random_state=0, l1=0.5 * float(X.mean()))
    def near_zero(A):
        return (A < 1e-12 * A.max()).mean()
    assert near_zero(sparse.H) >= 1.5 * near_zero(plain.H)
    assert near_zero(sparse.W) >= 1.5 * near_zero(plain.W)


def test_max_iter_zero_returns_start():
    X, _, _ = planted()
    W0, H0 = nmfcore.initialize(X, 4, "nndsvda")
    res = nmfcore.factorize(X, 4, max_iter=0)
    assert res.n_iter == 0 and np.array_equal(res.W, W0)


def test_memberships():
    W = np.array([[1.0, 3.0], [0.0, 0.0], [2.0, 2.0]])
    mem = nmfcore.memberships(W)
    np.testing.assert_allclose(mem.P, [[0.25, 0.75], [0, 0], [0.5, 0.5]])
    assert list(mem.hard) == [1, -1, 0] and list(mem.zero_rows) == [1]
