"""Every validation error names the problem and the remedy."""
import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from nmfcore import NMFInputError

X = np.arange(1.0, 31.0).reshape(5, 6)


def test_errors_are_value_errors():
    assert issubclass(NMFInputError, ValueError)


def test_negative_entries_are_counted_and_remedies_named():
    bad = X.copy()
    bad[1, 2] = -3.5
    bad[4, 0] = -1.0
    with pytest.raises(NMFInputError, match=r"2 negative entries \(minimum -3\.5\) \(first at row 1, column 2\)") as e:
        nmfcore.factorize(bad, 2)
    for remedy in ("shift", "clip", "missing='mask'"):
        assert remedy in str(e.value)


def test_negative_sparse():
    bad = sp.csr_matrix(-X)
    with pytest.raises(NMFInputError, match="30 negative entries"):
        nmfcore.factorize(bad, 2)


def test_nan_and_inf():
    bad = X.copy()
    bad[0, 3] = np.nan
    with pytest.raises(NMFInputError, match=r"1 NaN entries \(first at row 0, column 3\).*missing='mask'"):
        nmfcore.factorize(bad, 2)
    bad[0, 3] = np.inf
    with pytest.raises(NMFInputError, match="1 infinite entries"):
        nmfcore.factorize(bad, 2)


@pytest.mark.parametrize("shape", [(0, 5), (5, 0), (0, 0)])
def test_empty(shape):
    with pytest.raises(NMFInputError, match=r"X is empty: 0 (sample|feature)\(s\) \(shape="):
        nmfcore.factorize(np.zeros(shape), 1)


def test_not_2d_and_not_numeric():
    with pytest.raises(NMFInputError, match="2-D"):
        nmfcore.factorize(np.ones(5), 1)
    with pytest.raises(NMFInputError, match="numeric"):
        nmfcore.factorize(np.array([["a", "b"], ["c", "d"]]), 1)


def test_all_zero():
    with pytest.raises(NMFInputError, match="no positive entry"):
        nmfcore.factorize(np.zeros((3, 3)), 1)


@pytest.mark.parametrize("rank", [0, -1, 6, 2.5, True, "3"])
def test_rank_out_of_range(rank):
    with pytest.raises(NMFInputError, match=r"rank must be an integer in \[1, min\(n_samples, n_features\)\] = \[1, 5\]"):
        nmfcore.factorize(X, rank)


def test_unknown_names_list_valid_ones():
    with pytest.raises(NMFInputError, match="unknown solver 'cd'; valid solvers: 'anls', 'hals', 'mu', 'sgd'"):
        nmfcore.factorize(X, 2, solver="cd")
    with pytest.raises(NMFInputError, match="unknown loss 'hinge'; valid losss?: 'beta', "
                                            "'frobenius', 'itakura-saito', 'kl'"):
        nmfcore.factorize(X, 2, loss="hinge")
    with pytest.raises(NMFInputError, match="unknown init 'svd'; valid inits: 'nndsvd', 'nndsvda', 'nndsvdar', 'random'"):
        nmfcore.factorize(X, 2, init="svd")


@pytest.mark.parametrize("solver", ["hals", "anls", "sgd"])
def test_kl_needs_mu(solver):
    with pytest.raises(NMFInputError, match=f"loss='kl' is not available with solver='{solver}'.*solver='mu'"):
        nmfcore.factorize(X, 2, solver=solver, loss="kl")


def test_custom_start_shapes():
    with pytest.raises(NMFInputError, match=r"W0 must have shape \(n_samples, rank\) = \(5, 2\); got \(5, 3\)"):
        nmfcore.factorize(X, 2, W0=np.ones((5, 3)), H0=np.ones((2, 6)))
    with pytest.raises(NMFInputError, match=r"H0 must have shape \(rank, n_features\) = \(2, 6\); got \(6, 2\)"):
        nmfcore.factorize(X, 2, W0=np.ones((5, 2)), H0=np.ones((6, 2)))
    with pytest.raises(NMFInputError, match="both W0 and H0"):
        nmfcore.factorize(X, 2, W0=np.ones((5, 2)))
    with pytest.raises(NMFInputError, match="W0 has negative entries"):
        nmfcore.factorize(X, 2, W0=-np.ones((5, 2)), H0=np.ones((2, 6)))


def test_bad_numbers_and_options():
    with pytest.raises(NMFInputError, match="max_iter must be an integer >= 0; got -1"):
        nmfcore.factorize(X, 2, max_iter=-1)
    with pytest.raises(NMFInputError, match="tol must be a finite number >= 0"):
        nmfcore.factorize(X, 2, tol=-1e-3)
    with pytest.raises(NMFInputError, match="learning_rate must be a finite number > 0"):
        nmfcore.factorize(X, 2, solver="sgd", learning_rate=0)
    with pytest.raises(NMFInputError, match=r"unknown option\(s\) \['learning_rate'\] for solver 'hals'"):
        nmfcore.factorize(X, 2, solver="hals", learning_rate=0.1)
    with pytest.raises(NMFInputError, match="random_state must be"):
        nmfcore.factorize(X, 2, random_state="seed")


def test_mask_only_where_supported():
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(NMFInputError, match="cannot leave out missing entries; use one of \\['hals', 'mu'\\]"):
        nmfcore.factorize(bad, 2, solver="anls", missing="mask")
    with pytest.raises(NMFInputError, match="mask must have the shape of X"):
        nmfcore.factorize(X, 2, mask=np.ones((2, 2), bool))


def test_inputs_never_modified():
    A = X.copy()
    W0, H0 = np.ones((5, 2)), np.ones((2, 6))
    nmfcore.factorize(A, 2, W0=W0, H0=H0, max_iter=5)
    assert np.array_equal(A, X) and np.all(W0 == 1) and np.all(H0 == 1)


@pytest.mark.parametrize("scale", [4.0 ** 240, 4.0 ** 30, 4.0 ** -30, 4.0 ** -240])
@pytest.mark.parametrize("solver,loss", [("mu", "frobenius"), ("mu", "kl"), ("hals", "frobenius"),
                                         ("anls", "frobenius"), ("sgd", "frobenius")])
def test_any_magnitude_fits_exactly_like_unit_scale(scale, solver, loss):
    """Data are fitted at unit scale: X * 4**j gives the same fit, scaled (penalties included)."""
    kw = dict(solver=solver, loss=loss, max_iter=30, tol=0, random_state=0)
    pen = abs(np.log2(scale)) < 200
    if pen:   # penalties in the caller's units scale with X
        kw.update(l1=0.01, l2=0.02)
    ref = nmfcore.factorize(X, 2, **kw)
    if pen:
        kw.update(l1=0.01 * scale ** (1.5 if loss == "frobenius" else 0.5),
                  l2=0.02 * (scale if loss == "frobenius" else 1.0))
    res = nmfcore.factorize(X * scale, 2, **kw)
    assert np.isfinite(res.W).all() and np.isfinite(res.history["loss"]).all()
    assert res.rel_error == pytest.approx(ref.rel_error, rel=1e-9)
    np.testing.assert_allclose(res.W / np.sqrt(scale), ref.W, rtol=1e-9)
    np.testing.assert_allclose(res.history["loss"] / (scale ** 2 if loss == "frobenius" else scale),
                               ref.history["loss"], rtol=1e-9)


@pytest.mark.parametrize("scale", [1e300, 1e-300])
def test_extreme_magnitudes(scale):
    res = nmfcore.factorize(X * scale, 2, loss="kl", max_iter=30)
    assert np.isfinite(res.W).all() and np.isfinite(res.history["loss"]).all()
    with pytest.raises(NMFInputError, match="squared error is not representable.*X / X.max"):
        nmfcore.factorize(X * scale, 2)
