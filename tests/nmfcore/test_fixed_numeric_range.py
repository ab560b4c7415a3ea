"""Numeric range of nmfcore's measures: each holds for data of any magnitude (1e-300 .. 1e300).

Each test states one property; the docstring names the code that keeps it and what happened
without it. Not skipped, not xfail: they stay able to fail.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import nmfcore

pytestmark = pytest.mark.reliability


X54 = np.random.default_rng(0).random((5, 4))


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


@pytest.mark.parametrize("scale", [1e-300, 1e-200, 1e200, 1e300])
def test_fit_metrics_are_scale_invariant(scale):
    """nmfcore/metrics.py ``_residual_sums``: the squares under/overflow outside ~1e+-154:
    ``relative_error`` is 0.0 (any fit looks perfect) at 1e-300 and NaN at 1e300;
    ``explained_variance`` likewise; X and W H are divided by a power of two near max|X|."""
    rng = np.random.default_rng(1)
    W, H = rng.random((5, 2)), rng.random((2, 4))
    ref_re, ref_ev = nmfcore.relative_error(X54, W, H), nmfcore.explained_variance(X54, W, H)
    s = np.sqrt(scale)
    assert nmfcore.relative_error(X54 * scale, W * s, H * s) == pytest.approx(ref_re, rel=1e-9)
    assert nmfcore.explained_variance(X54 * scale, W * s, H * s) == pytest.approx(ref_ev,
                                                                                  rel=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1e300])
def test_hoyer_sparsity_is_scale_invariant(scale):
    """nmfcore/metrics.py ``hoyer_sparsity``: ``x * x`` overflows at 1e300 (an all-equal vector
    scores 1.0 instead of 0) and underflows at 1e-300; each vector is divided by its max."""
    v = np.array([1.0, 1.0, 1.0])
    assert nmfcore.hoyer_sparsity(v * scale) == pytest.approx(0.0, abs=1e-9)
    w = np.array([3.0, 1.0, 0.0, 0.5])
    assert nmfcore.hoyer_sparsity(w * scale) == pytest.approx(nmfcore.hoyer_sparsity(w))


@pytest.mark.parametrize("scale", [1e-200, 1e200])
def test_alignment_is_scale_invariant(scale):
    """nmfcore/alignment.py ``component_similarity`` / ``normalize_factors``: ``np.linalg.norm``
    squares the rows, so at 1e200 the norms are ``inf`` and at 1e-200 they are 0: identical
    components get similarity 0 instead of 1, and ``normalize_factors(W, H)`` returns H of zeros
    and W of ``inf``; each row is scaled by its max before the norm (``max * norm(row / max)``)."""
    H = np.random.default_rng(2).random((3, 6)) * scale
    perm, sim = nmfcore.align_components(H, H[[2, 0, 1]])
    assert perm.tolist() == [1, 2, 0] and np.allclose(sim, 1.0)
    Wn, Hn = nmfcore.normalize_factors(np.full((4, 3), 1.0 / scale), H)
    assert np.isfinite(Wn).all() and np.allclose(np.linalg.norm(Hn, axis=1), 1.0)
