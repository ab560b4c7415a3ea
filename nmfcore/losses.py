"""Objectives: squared Frobenius error and generalized Kullback-Leibler divergence.

With penalties the objective minimised by every solver is::

    frobenius:  1/2 ||M o (X - W H)||_F^2          + l1 (|W|_1 + |H|_1) + l2/2 (||W||^2 + ||H||^2)
    kl:         sum_M  X log(X / WH) - X + WH      + the same penalties

where ``M`` selects the observed entries (all of them unless a mask is given). The KL
divergence is, up to terms free of W and H, the negative Poisson log-likelihood of X given
the rates W H.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LOSSES = ("frobenius", "kl")

def kl_floor(dtype) -> float:
    """Floor for entries of WH inside the logs and ratios of the KL loss: the smallest normal
    number of the working dtype (so float32 never divides by an underflowed zero)."""
    return float(np.finfo(dtype).tiny)
# Non-zeros processed per chunk when evaluating WH at the non-zeros of a sparse X: small enough
# that the gathered rows of W and H stay in cache (about 2x faster than one big gather).
_CHUNK = 2048


def penalty(W, H, l1: float, l2: float) -> float:
    """``l1 (|W|_1 + |H|_1) + l2/2 (||W||_F^2 + ||H||_F^2)`` for non-negative W, H."""
    value = 0.0
    if l1:
        value += l1 * (float(W.sum()) + float(H.sum()))
    if l2:
        value += 0.5 * l2 * (float(np.vdot(W, W)) + float(np.vdot(H, H)))
    return value


def sq_error_from_products(norm_sq: float, W, XHt, WtW, HHt) -> float:
    """``||X - W H||_F^2`` from products a solver already holds.

    ``XHt = X @ H.T`` (n_samples, rank), ``WtW = W.T @ W`` and ``HHt = H @ H.T`` (rank, rank):
    ``||X||^2 - 2 <W, X H^T> + <W^T W, H H^T>``, clamped at 0 against round-off.
    """
    value = norm_sq - 2.0 * float(np.vdot(W, XHt)) + float(np.vdot(WtW, HHt))
    return max(value, 0.0)


def wh_at_nonzeros(X: sp.csr_matrix, W: np.ndarray, H: np.ndarray, rows=None) -> np.ndarray:
    """Entries of ``W @ H`` at the stored positions of a CSR matrix, without forming W H.

    Parameters
    ----------
    X : csr_matrix of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    rows : ndarray of shape (nnz,), optional
        Row index of every stored entry (``np.repeat(arange, diff(indptr))``), if cached.

    Returns
    -------
    ndarray of shape (nnz,)
    """
    if rows is None:
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    cols = X.indices
    Ht = np.ascontiguousarray(H.T)
    out = np.empty(X.nnz, dtype=W.dtype)
    rank = W.shape[1]
    bw = np.empty((_CHUNK, rank), dtype=W.dtype)
    bh = np.empty((_CHUNK, rank), dtype=W.dtype)
    for start in range(0, X.nnz, _CHUNK):
        stop = min(start + _CHUNK, X.nnz)
        k = stop - start
        np.take(W, rows[start:stop], axis=0, out=bw[:k])
        np.take(Ht, cols[start:stop], axis=0, out=bh[:k])
        np.einsum("ij,ij->i", bw[:k], bh[:k], out=out[start:stop])
    return out


def sq_error(X, W, H, mask=None, norm_sq=None) -> float:
    """``||M o (X - W H)||_F^2`` from scratch (dense or sparse X).

    Without a mask it uses the Gram-matrix form (one product with X, no dense residual);
    ``norm_sq`` (``||X||_F^2``) is computed unless given.
    """
    if mask is None:
        if norm_sq is None:
            norm_sq = float(X.multiply(X).sum()) if sp.issparse(X) else float(np.vdot(X, X))
        return sq_error_from_products(norm_sq, W, X @ H.T, W.T @ W, H @ H.T)
    R = X - W @ H
    R *= mask
    return float(np.vdot(R, R))


def kl_divergence(X, W, H, mask=None) -> float:
    """Generalized KL divergence ``sum X log(X / WH) - X + WH`` over observed entries."""
    if sp.issparse(X):
        wh = np.maximum(wh_at_nonzeros(X, W, H), kl_floor(W.dtype))
        x = X.data
        pos = x > 0
        total_wh = float(W.sum(axis=0) @ H.sum(axis=1))
        return float(np.sum(x[pos] * np.log(x[pos] / wh[pos])) - x.sum() + total_wh)
    WH = np.maximum(W @ H, kl_floor(W.dtype))
    return kl_from_dense(X, WH, mask)


def kl_terms(X: np.ndarray, WH: np.ndarray) -> np.ndarray:
    """Per-entry terms ``X log(X / WH) - X + WH`` of the KL divergence (0 log 0 = 0)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(X > 0, X * np.log(X / WH), 0.0) - X + WH


def kl_from_dense(X: np.ndarray, WH: np.ndarray, mask=None) -> float:
    """KL divergence given the dense product ``WH`` (already floored)."""
    terms = kl_terms(X, WH)
    if mask is not None:
        terms *= mask
    return float(terms.sum())


def evaluate(X, W, H, *, loss: str, l1: float, l2: float, mask=None, norm_sq=None):
    """Return ``(objective, squared Frobenius error)`` of (W, H) from scratch."""
    sq = sq_error(X, W, H, mask, norm_sq)
    data_term = 0.5 * sq if loss == "frobenius" else kl_divergence(X, W, H, mask)
    return data_term + penalty(W, H, l1, l2), sq
