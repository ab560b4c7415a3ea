"""Soft memberships: rows of W normalised to sum to one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from ._validation import NMFInputError, unit_exponent


@dataclass(frozen=True)
class Memberships:
    """Row-normalised weights.

    Attributes
    ----------
    P : ndarray of shape (n_samples, rank)
        Each row sums to 1 (all-zero rows of W stay all zero).
    hard : ndarray of int of shape (n_samples,)
        Dominant component of each sample (-1 for an all-zero row).
    zero_rows : ndarray of int
        Indices of samples whose row of W is all zero (they belong to no component).
    """

    P: np.ndarray
    hard: np.ndarray
    zero_rows: np.ndarray

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self.P, dtype=dtype)


def memberships(W) -> Memberships:
    """Normalise the rows of ``W`` into memberships and hard assignments.

    Parameters
    ----------
    W : array-like of shape (n_samples, rank)
        Non-negative weights.

    Returns
    -------
    Memberships
    """
    if sp.issparse(W):
        W = W.toarray()
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise NMFInputError(f"W must be 2-D (n_samples x rank); got {W.ndim} dimension(s).")
    if not np.isfinite(W).all():
        raise NMFInputError("W has NaN or infinite entries; memberships need finite weights.")
    if (W < 0).any():
        raise NMFInputError(f"W has negative entries (minimum {float(W.min()):.4g}); memberships "
                            "need the non-negative weights of an NMF fit.")
    top = float(W.max()) if W.size else 0.0
    if top > 0:   # normalise at unit scale so huge or tiny weights cannot overflow the row sums
        W = np.ldexp(W, unit_exponent(top))
    totals = W.sum(axis=1)
    zero = totals <= 0
    P = np.divide(W, totals[:, None], out=np.zeros_like(W), where=~zero[:, None])
    hard = np.where(zero, -1, W.argmax(axis=1))   # W at an exact scale: ties stay ties
    return Memberships(P=P, hard=hard, zero_rows=np.flatnonzero(zero))
