"""Regression tests for edge cases of nmfcore found by the property tests: each docstring names
the code that handles the case and what went wrong there without that handling."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from rel_helpers import assert_clear

pytestmark = pytest.mark.reliability


X54 = np.random.default_rng(0).random((5, 4))


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _finite_fit_or_clear_error(fn):
    try:
        res = fn()
    except ValueError as exc:
        assert_clear(exc)
        return None
    for A in (res.W, res.H, np.asarray(res.history["loss"]), np.asarray(res.history["rel_error"])):
        assert np.isfinite(A).all(), f"non-finite result: W={res.W.ravel()[:4]} " \
                                     f"H={res.H.ravel()[:4]} loss={res.history['loss']}"
    assert (res.W >= 0).all() and (res.H >= 0).all()
    return res


@pytest.mark.parametrize("init", sorted(nmfcore.INITS))
def test_float32_kl_with_a_zero_column_stays_finite(init):
    """nmfcore/solvers/mu.py (KL updates): float32 X with an all-zero column gives NaN W and H
    (and a negative start loss) for every init, at every magnitude. Likely the floors (``delta``
    1e-16 and the 1e-300-style guards) underflow in float32; use ``np.finfo(dtype).tiny`` /
    ``eps`` of the working dtype."""
    X = np.array([[0.0, 1.0], [0.0, 2.0]], dtype=np.float32)
    _finite_fit_or_clear_error(lambda: nmfcore.factorize(X, 1, loss="kl", init=init,
                                                         max_iter=3, tol=0, random_state=0))


@pytest.mark.parametrize("lr", [10.0, 50.0, 1e6])
def test_sgd_huge_learning_rate_reports_divergence(lr):
    """nmfcore/solvers/sgd.py ``_top_eig``: with learning_rate >= 10 the epoch overflows and
    ``np.linalg.eigvalsh`` would raise ``LinAlgError('Eigenvalues did not converge')`` (a bare
    numpy message); ``_top_eig`` returns ``np.inf`` for a non-finite ``G`` instead, so the loop
    ends the run with status "diverged"."""
    X = np.random.default_rng(0).random((3, 3))
    for seed in range(5):
        res = _finite_fit_or_clear_error(lambda: nmfcore.factorize(
            X, 3, solver="sgd", init="nndsvd", learning_rate=lr, max_iter=5, tol=0,
            random_state=seed))
        assert res is not None and res.status == "diverged"


@pytest.mark.parametrize("scale", [1e-320, 5e-324])
@pytest.mark.parametrize("loss", ["frobenius", "kl"])
def test_subnormal_data_gives_a_result_or_a_clear_error(scale, loss):
    """nmfcore/_validation.py ``check_array``: ``flat *= 2.0 ** exponent`` raises
    ``OverflowError: (34, 'Numerical result out of range')`` (not a ValueError) when X's largest
    entry is subnormal (exponent > 1023); the scaling uses ``np.ldexp`` (here and for
    ``root``/``loss_scale`` in _factorize.py), which is exact at any exponent."""
    _finite_fit_or_clear_error(lambda: nmfcore.factorize(X54 * scale, 2, loss=loss,
                                                         max_iter=3, random_state=0))


def test_kl_near_float_max_gives_a_finite_loss_or_a_clear_error():
    """nmfcore/_factorize.py: KL at X ~ 1.7e308 returns a history of ``inf`` losses (the sum
    of X overflows). Like Frobenius, KL refuses such X with a clear message when the loss is
    not representable (e.g. ``X.sum()`` overflows)."""
    _finite_fit_or_clear_error(lambda: nmfcore.factorize(X54 * 1.7e308, 2, loss="kl",
                                                         max_iter=3, random_state=0))


def test_huge_custom_start_gives_finite_losses_or_a_clear_error():
    """nmfcore/_validation.py ``check_factor`` / _factorize.py: W0, H0 of 1e300 make the start
    loss ``inf`` (W0 @ H0 overflows) and the history holds ``inf``. Refuse a start whose product
    is not representable."""
    _finite_fit_or_clear_error(lambda: nmfcore.factorize(
        X54, 2, W0=np.full((5, 2), 1e300), H0=np.full((2, 4), 1e300), max_iter=3))


@pytest.mark.parametrize("scale", [1e20, 1e30, 3e38])
def test_estimator_float32_large_values_finite(scale):
    """nmfcore/estimator.py ``fit_transform``/``transform`` (``project_weights``): float32 X
    above ~1e19 gives NaN weights (squares overflow float32) although ``factorize`` itself
    succeeds; the NNLS is solved at unit scale (``_validation.unit_exponent``)."""
    X = (X54 * scale).astype(np.float32)
    est = nmfcore.NMF(2, max_iter=4, random_state=0)
    W = est.fit_transform(X)
    assert np.isfinite(W).all() and np.isfinite(est.reconstruction_err_)


def test_estimator_transform_of_unrepresentable_weights_is_refused():
    """nmfcore/estimator.py ``transform``: new samples 1e300 times larger than the training data
    need weights beyond float range (``inf``); ``transform`` raises a ValueError saying the
    samples are far outside the scale of the training data."""
    est = nmfcore.NMF(1, max_iter=4, random_state=0).fit(np.array([[6.4e-101]]))
    try:
        W = est.transform(np.array([[6.4e299]]))
    except ValueError as exc:
        assert_clear(exc, "scale", "X")
        return
    assert np.isfinite(W).all()


@pytest.mark.parametrize("W", [-np.ones((3, 2)), np.full((3, 2), np.nan),
                               np.full((3, 2), np.inf)], ids=["negative", "nan", "inf"])
def test_memberships_refuses_invalid_weights(W):
    """nmfcore/membership.py ``memberships``: negative, NaN or inf weights are accepted and give
    NaN memberships (or all-zero rows flagged as "empty"); a ValueError names W and the
    problem (negative / not finite)."""
    with pytest.raises(ValueError) as err:
        nmfcore.memberships(W)
    assert_clear(err.value, "W")


def test_memberships_of_a_sparse_matrix():
    """nmfcore/membership.py: a scipy.sparse W raises numpy's bare "setting an array element
    with a sequence" unless it is accepted (``W.toarray()``) or refused with a sentence."""
    try:
        mem = nmfcore.memberships(sp.csr_matrix(np.array([[1.0, 3.0], [0.0, 0.0]])))
    except ValueError as exc:
        assert_clear(exc, "W", "sparse")
        return
    assert np.allclose(np.asarray(mem.P), [[0.25, 0.75], [0.0, 0.0]])
