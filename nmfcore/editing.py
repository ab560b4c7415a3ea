"""Edit a fit before refitting it: drop components, merge two (a warm start for factorize).

Both keep ``W @ H`` as close as they can: dropping removes exactly the dropped components'
part ``W[:, k] H[k]``; merging replaces two parts by one whose W column is the sum of theirs and
whose H row is their average weighted by each part's total weight, which is exact when the two
H rows are proportional (the same part split in two). Refit with
``nmfcore.factorize(X, rank, W0=W, H0=H)``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

__all__ = ["drop_components", "merge_components"]


def _check(W, H):
    W = np.asarray(W, dtype=float)
    H = np.asarray(H, dtype=float)
    if W.ndim != 2 or H.ndim != 2 or W.shape[1] != H.shape[0]:
        raise ValueError(f"W must be (n_samples, rank) and H (rank, n_features) with the same "
                         f"rank; got W {W.shape} and H {H.shape}.")
    return W, H


def drop_components(W, H, components: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """``W`` and ``H`` without the listed components (at least one must remain)."""
    W, H = _check(W, H)
    drop = sorted({int(k) for k in components})
    if any(k < 0 or k >= H.shape[0] for k in drop):
        raise ValueError(f"components must be in 0..{H.shape[0] - 1}; got {drop}.")
    keep = [k for k in range(H.shape[0]) if k not in drop]
    if not keep:
        raise ValueError("cannot drop every component: keep at least one.")
    return W[:, keep].copy(), H[keep].copy()


def merge_components(W, H, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
    """Merge components ``i`` and ``j`` into one, placed at ``min(i, j)``.

    The rows of H are first scaled to sum 1 (their scale moved into W), then the merged
    component has ``w = w_i + w_j`` and ``h = (s_i h_i + s_j h_j) / (s_i + s_j)`` with
    ``s = sum(w)``, the total weight of each part. ``W @ H`` is unchanged when ``h_i`` and
    ``h_j`` are proportional.

    Returns
    -------
    W_m : ndarray of shape (n_samples, rank - 1)
    H_m : ndarray of shape (rank - 1, n_features)
    """
    W, H = _check(W, H)
    r = H.shape[0]
    i, j = int(i), int(j)
    if i == j or not (0 <= i < r and 0 <= j < r):
        raise ValueError(f"merge needs two different components in 0..{r - 1}; got {i} and {j}.")
    scale = H.sum(axis=1)
    scale = np.where(scale > 0, scale, 1.0)
    Wn, Hn = W * scale[None, :], H / scale[:, None]
    si, sj = Wn[:, i].sum(), Wn[:, j].sum()
    h = (si * Hn[i] + sj * Hn[j]) / (si + sj) if si + sj > 0 else 0.5 * (Hn[i] + Hn[j])
    lo, hi = min(i, j), max(i, j)
    Wm, Hm = Wn.copy(), Hn.copy()
    Wm[:, lo] = Wn[:, i] + Wn[:, j]
    Hm[lo] = h
    return np.delete(Wm, hi, axis=1), np.delete(Hm, hi, axis=0)
