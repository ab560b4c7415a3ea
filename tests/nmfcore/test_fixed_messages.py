"""Inputs of nmfcore's analysis functions that would otherwise give a bare numpy/scipy message
or a silent NaN: each raises a ``ValueError`` whose message names the problem. One test per
case; the docstring names the code that checks it."""
from __future__ import annotations

import numpy as np
import pytest

import nmfcore
from rel_helpers import assert_clear

pytestmark = pytest.mark.reliability


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_align_components_refuses_non_finite_components(bad):
    """nmfcore/alignment.py ``align_components``: NaN/inf in H reach
    ``scipy.optimize.linear_sum_assignment``, whose bare "matrix contains invalid numeric
    entries" would be what the user sees; the inputs are checked with ``np.isfinite`` first and
    the message names H_ref / H."""
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


def test_rank_sweep_holdout_does_not_hide_every_positive_entry():
    """nmfcore/sweep.py (cross-validation hold-out, ``holdout_mask``): on a valid X with a single
    positive entry, ``rank_sweep(X, [1, 2], cv_folds=1, random_state=4)`` raises "X has no
    positive entry: an all-zero matrix has nothing to factorize" -- the fold hid the only
    positive entry, and the message blamed the user's X. The hidden entries are drawn so the
    observed part keeps a positive entry in every row/column it had one, or the message says
    "X has too few positive entries for cross-validation; use cv_folds=0"."""
    X = np.array([[0.0, 1.0], [0.0, 0.0]])
    for seed in range(8):
        try:
            nmfcore.rank_sweep(X, [1, 2], n_restarts=2, max_iter=3, cv_folds=1,
                               random_state=seed, solver="hals")
        except ValueError as exc:
            msg = str(exc)
            assert "cross-validation" in msg or "cv_folds" in msg, f"seed {seed}: {msg}"
