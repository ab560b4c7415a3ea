"""Objectives: the beta-divergence family (Frobenius, generalized Kullback-Leibler,
Itakura-Saito and every beta between and beyond).

With penalties the objective minimised by every solver is::

    frobenius:      1/2 ||M o (X - W H)||_F^2          + l1 (|W|_1 + |H|_1) + l2/2 (||W||^2 + ||H||^2)
    kl:             sum_M  X log(X / WH) - X + WH      + the same penalties
    itakura-saito:  sum_M  X / WH - log(X / WH) - 1    + the same penalties
    beta:           sum_M  d_beta(X | WH)              + the same penalties

    d_beta(x | y) = (x**beta + (beta - 1) y**beta - beta x y**(beta - 1)) / (beta (beta - 1))

where ``M`` selects the observed entries (all of them unless a mask is given). ``d_beta`` is
the Frobenius term at beta = 2, KL at beta = 1 and Itakura-Saito at beta = 0 (its limits), so
the named losses are members of the family. The KL divergence is, up to terms free of W and
H, the negative Poisson log-likelihood of X given the rates W H; Itakura-Saito is scale
invariant (``d_0(s x | s y) = d_0(x | y)``), so quiet and loud parts of a spectrogram weigh
the same. In general ``d_beta(s x | s y) = s**beta d_beta(x | y)``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LOSSES = ("frobenius", "kl", "itakura-saito", "beta")
#: The beta of each named loss (``"beta"`` takes its beta from the caller).
NAMED_BETA = {"frobenius": 2.0, "kl": 1.0, "itakura-saito": 0.0}


def resolve_beta(loss: str, beta=None) -> float:
    """The beta of ``loss`` (``beta`` is required for ``"beta"``, optional and checked for the
    named losses); raises ``NMFInputError`` with the allowed values otherwise."""
    from numbers import Real

    from ._validation import NMFInputError

    if loss == "beta":
        if beta is None or isinstance(beta, (bool, np.bool_)) or not isinstance(beta, Real) \
                or not np.isfinite(beta):
            raise NMFInputError(f"loss='beta' needs a finite number beta= (0: Itakura-Saito, "
                                f"1: KL, 2: Frobenius, or any value between); got beta={beta!r}.")
        return float(beta)
    value = NAMED_BETA[loss]
    if beta is not None and beta != value:
        raise NMFInputError(f"loss={loss!r} is the beta-divergence with beta={value:g}, not "
                            f"beta={beta!r}; use loss='beta', beta={beta!r} for another beta.")
    return value


def kernel_loss(beta: float) -> str:
    """The loss whose kernels minimise the beta-divergence ``beta``: ``"frobenius"`` (2),
    ``"kl"`` (1) or the general ``"beta"``."""
    return {2.0: "frobenius", 1.0: "kl"}.get(float(beta), "beta")


def canonical_loss(beta: float) -> str:
    """The name of the beta-divergence ``beta`` among :data:`LOSSES`."""
    return {2.0: "frobenius", 1.0: "kl", 0.0: "itakura-saito"}.get(float(beta), "beta")


def mm_exponent(beta: float) -> float:
    """Exponent of the multiplicative update that makes it a majorization-minimization step
    for every beta (Fevotte & Idier 2011): ``1 / (2 - beta)`` below 1, 1 in [1, 2],
    ``1 / (beta - 1)`` above 2."""
    if beta < 1.0:
        return 1.0 / (2.0 - beta)
    if beta > 2.0:
        return 1.0 / (beta - 1.0)
    return 1.0


def beta_floor(dtype, beta: float) -> float:
    """Floor for entries of WH in the powers of the beta kernels (beta < 2): small enough to be
    no floor for any representable fit, large enough that ``floor**(beta - 2)`` (and its sums)
    stay finite in ``dtype``."""
    if beta >= 2.0:
        return 0.0
    return float(np.finfo(dtype).tiny ** (1.0 / (3.0 - beta)))

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


def beta_terms(X: np.ndarray, WH: np.ndarray, beta: float) -> np.ndarray:
    """Per-entry ``d_beta(X | WH)`` (``WH`` already floored where beta < 2; 0 log 0 = 0)."""
    beta = float(beta)
    if beta == 2.0:
        return 0.5 * (X - WH) ** 2
    if beta == 1.0:
        return kl_terms(X, WH)
    with np.errstate(divide="ignore", invalid="ignore"):
        if beta == 0.0:
            ratio = X / WH
            return ratio - np.log(ratio) - 1.0
        return (X ** beta + (beta - 1.0) * WH ** beta - beta * X * WH ** (beta - 1.0)) \
            / (beta * (beta - 1.0))


# Cells per row block when the beta-divergence is evaluated from scratch (dense or sparse X).
_EVAL_CELLS = 1 << 16


def beta_divergence(X, W, H, beta: float, mask=None) -> float:
    """``sum_M d_beta(X | WH)`` from scratch, in row blocks (no m x n temporary; a sparse X is
    densified one block at a time)."""
    beta = float(beta)
    if beta == 1.0:
        return kl_divergence(X, W, H, mask)
    if beta == 2.0:
        return 0.5 * sq_error(X, W, H, mask)
    m, n = X.shape
    rows = max(1, min(m, _EVAL_CELLS // max(n, 1)))
    floor = beta_floor(W.dtype, beta)
    if sp.issparse(X):
        X = X.tocsr()
    total = 0.0
    for a in range(0, m, rows):
        b = min(a + rows, m)
        XI = X[a:b].toarray() if sp.issparse(X) else X[a:b]
        WH = np.maximum(W[a:b] @ H, floor)
        terms = beta_terms(XI, WH, beta)
        if mask is not None:
            terms = terms * mask[a:b]
        total += float(terms.sum())
    return max(total, 0.0)


def evaluate(X, W, H, *, loss: str, l1: float, l2: float, mask=None, norm_sq=None,
             beta: float | None = None):
    """Return ``(objective, squared Frobenius error)`` of (W, H) from scratch.

    ``loss`` is a name of :data:`LOSSES`; ``beta`` is needed for ``"beta"`` only.
    """
    sq = sq_error(X, W, H, mask, norm_sq)
    if loss == "frobenius":
        data_term = 0.5 * sq
    elif loss == "kl":
        data_term = kl_divergence(X, W, H, mask)
    else:
        data_term = beta_divergence(X, W, H, resolve_beta(loss, beta), mask)
    return data_term + penalty(W, H, l1, l2), sq
