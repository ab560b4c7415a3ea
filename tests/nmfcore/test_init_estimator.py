"""Inits against scikit-learn (as an oracle only) and the estimator protocol."""
import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore


def data(m=60, n=40, seed=0):
    rng = np.random.default_rng(seed)
    return rng.random((m, 5)) @ rng.random((5, n)) + 0.1 * rng.random((m, n))


@pytest.mark.parametrize("init,scale", [("nndsvd", 1.0), ("nndsvd", 37.0), ("nndsvda", 1.0)])
@pytest.mark.parametrize("sparse", [False, True])
def test_nndsvd_equals_scikit_learn(init, scale, sparse):
    """nndsvd at any scale; nndsvda when max(X) is in [0.25, 1) (see initialize's docstring)."""
    from sklearn.decomposition._nmf import _initialize_nmf

    X = data() * scale
    if scale == 1.0:
        X = X / (1.01 * X.max())
    Xin = sp.csr_matrix(X) if sparse else X
    W, H = nmfcore.initialize(Xin, 5, init)
    Ws, Hs = _initialize_nmf(Xin, 5, init=init, random_state=0)
    np.testing.assert_allclose(W, Ws, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(H, Hs, rtol=1e-6, atol=1e-8)


def test_nndsvd_large_path_matches_dense_svd():
    rng = np.random.default_rng(1)
    X = rng.random((600, 5)) @ rng.random((5, 450))
    W, H = nmfcore.initialize(X, 5, "nndsvd")          # truncated (svds) path
    from nmfcore.init import _nndsvd
    import nmfcore.init as init_mod
    U, S, Vt = np.linalg.svd(X, full_matrices=False)
    assert min(X.shape) > 400
    Wd, Hd = _nndsvd(X, 5)
    np.testing.assert_allclose(W @ H, Wd @ Hd, rtol=1e-6, atol=1e-8)
    assert init_mod is not None and S[0] > 0


def test_random_init_scale_and_seed():
    X = data()
    W, H = nmfcore.initialize(X, 5, "random", random_state=3)
    W2, H2 = nmfcore.initialize(X, 5, "random", random_state=3)
    assert np.array_equal(W, W2) and (W >= 0).all()
    assert 0.3 < (W @ H).mean() / X.mean() < 3


def test_nndsvdar_fills_zeros_with_small_values():
    X = data()
    W0, _ = nmfcore.initialize(X, 5, "nndsvd")
    W, _ = nmfcore.initialize(X, 5, "nndsvdar", random_state=0)
    zero = W0 == 0
    assert zero.any() and (W[zero] > 0).all() and W[zero].max() < X.mean() * 0.1


def test_estimator_basic_api():
    X = data()
    est = nmfcore.NMF(n_components=5, solver="hals", max_iter=300, random_state=0)
    W = est.fit_transform(X)
    assert W.shape == (60, 5) and est.components_.shape == (5, 40)
    assert est.n_iter_ >= 1 and est.reconstruction_err_ == pytest.approx(
        np.linalg.norm(X - W @ est.components_), rel=1e-6)
    W_new = est.transform(X)
    assert np.linalg.norm(X - W_new @ est.components_) <= 1.001 * est.reconstruction_err_
    np.testing.assert_allclose(est.inverse_transform(W), W @ est.components_)
    assert est.get_params()["n_components"] == 5
    assert est.set_params(n_components=3).n_components == 3
    with pytest.raises(ValueError, match="invalid parameter"):
        est.set_params(alpha=1)


def test_estimator_transform_kl():
    X = data()
    est = nmfcore.NMF(3, loss="kl", max_iter=200, random_state=0).fit(X)
    W = est.transform(X)
    assert (W >= 0).all() and np.linalg.norm(X - W @ est.components_) / np.linalg.norm(X) < 0.2


def test_estimator_passes_scikit_learn_checks():
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_estimator(nmfcore.NMF(n_components=2, max_iter=50, random_state=0))


@pytest.mark.parametrize("init", ["random", "nndsvd", "nndsvda", "nndsvdar"])
def test_starts_are_scale_equivariant(init):
    X = data()
    W, H = nmfcore.initialize(X, 5, init, random_state=0)
    W2, H2 = nmfcore.initialize(X * 4.0 ** 40, 5, init, random_state=0)
    np.testing.assert_allclose(W2, W * 2.0 ** 40, rtol=1e-12)
    np.testing.assert_allclose(H2, H * 2.0 ** 40, rtol=1e-12)


def test_estimator_fits_and_projects_with_its_beta():
    rng = np.random.default_rng(0)
    X = rng.random((30, 3)) @ rng.random((3, 12)) + 0.05
    est = nmfcore.NMF(3, loss="beta", beta=0.5, random_state=0, max_iter=300)
    W = est.fit_transform(X)
    assert est.result_.params["beta"] == 0.5
    # projecting the training rows with the fit's own beta gives back its weights
    np.testing.assert_allclose(est.transform(X) @ est.components_, W @ est.components_,
                               rtol=0.05, atol=0.02)
