"""PENDING: inputs of nmfcore's analysis functions that give a bare numpy/scipy message or a
silent NaN instead of a clear ``ValueError`` (issue 9: "never a bare numpy message").

One test per defect; they fail until the file named in the docstring is fixed. Not skipped.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from rel_helpers import assert_clear


@pytest.mark.parametrize("W", [-np.ones((3, 2)), np.full((3, 2), np.nan),
                               np.full((3, 2), np.inf)], ids=["negative", "nan", "inf"])
def test_memberships_refuses_invalid_weights(W):
    """nmfcore/membership.py ``memberships``: negative, NaN or inf weights are accepted and give
    NaN memberships (or all-zero rows flagged as "empty"). Raise a ValueError naming W and the
    problem (negative / not finite)."""
    with pytest.raises(ValueError) as err:
        nmfcore.memberships(W)
    assert_clear(err.value, "W")


def test_memberships_of_a_sparse_matrix():
    """nmfcore/membership.py: a scipy.sparse W raises numpy's bare "setting an array element
    with a sequence". Accept it (``W.toarray()``) or say that W must be dense."""
    try:
        mem = nmfcore.memberships(sp.csr_matrix(np.array([[1.0, 3.0], [0.0, 0.0]])))
    except ValueError as exc:
        assert_clear(exc, "W", "sparse")
        return
    assert np.allclose(np.asarray(mem.P), [[0.25, 0.75], [0.0, 0.0]])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_align_components_refuses_non_finite_components(bad):
    """nmfcore/alignment.py ``align_components``: NaN/inf in H reach
    ``scipy.optimize.linear_sum_assignment``, whose bare "matrix contains invalid numeric
    entries" is what the user sees. Check ``np.isfinite`` first and name H_ref / H."""
    H = np.ones((2, 3))
    H[0, 1] = bad
    with pytest.raises(ValueError) as err:
        nmfcore.align_components(np.ones((2, 3)), H)
    assert_clear(err.value, "H")


@pytest.mark.parametrize("fn", [nmfcore.relative_error, nmfcore.explained_variance])
def test_fit_metrics_check_shapes(fn):
    """nmfcore/metrics.py ``_residual_sums``: W, H that do not match X give numpy's bare
    "operands could not be broadcast together". Check ``W.shape[0] == X.shape[0]``,
    ``H.shape[1] == X.shape[1]`` and ``W.shape[1] == H.shape[0]`` with a sentence."""
    with pytest.raises(ValueError) as err:
        fn(np.ones((2, 2)), np.ones((3, 1)), np.ones((1, 2)))
    assert_clear(err.value, "W", "shape")


@pytest.mark.parametrize("fn", [nmfcore.relative_error, nmfcore.explained_variance])
def test_fit_metrics_refuse_nan_or_negative_data(fn):
    """nmfcore/metrics.py: X with NaN gives ``inf`` relative error and negative X is scored
    silently. Without a mask, refuse NaN / negative X with a clear ValueError (as factorize
    does)."""
    for X in (np.full((2, 2), np.nan), -np.ones((2, 2))):
        with pytest.raises(ValueError) as err:
            fn(X, np.ones((2, 1)), np.ones((1, 2)))
        assert_clear(err.value, "X")
