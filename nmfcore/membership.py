"""Soft memberships: rows of W normalised to sum to one."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"W must be 2-D (n_samples x rank); got {W.ndim} dimension(s).")
    totals = W.sum(axis=1)
    zero = totals <= 0
    P = np.divide(W, totals[:, None], out=np.zeros_like(W), where=~zero[:, None])
    hard = np.where(zero, -1, P.argmax(axis=1))
    return Memberships(P=P, hard=hard, zero_rows=np.flatnonzero(zero))
