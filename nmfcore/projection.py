"""New samples scored against fitted components: ``W_new`` for ``X_new ~= W_new @ H``, H fixed.

Frobenius: an exact non-negative least-squares solve per sample (block principal pivoting,
:func:`nmfcore.solvers.anls.nnls_bpp`, all samples at once). KL: multiplicative updates on
``W`` alone, which never increase the divergence. Both work at unit scale (X and H multiplied by
exact powers of two), so data of any magnitude gives finite weights whenever they exist.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from . import _validation as v
from .losses import LOSSES, kl_floor, resolve_beta, wh_at_nonzeros
from .solvers.anls import nnls_bpp

__all__ = ["project", "project_weights", "sample_errors"]

PROJECT_LOSSES = LOSSES


def project(X_new, H, loss: str = "frobenius", *, beta=None, l1: float = 0.0, l2: float = 0.0,
            n_iter: int = 200):
    """Non-negative weights of new samples on fixed components.

    Parameters
    ----------
    X_new : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        Non-negative, finite; the same features (columns, in the same order) as ``H``.
    H : ndarray of shape (rank, n_features)
        Fitted components (e.g. ``NMFResult.H``), non-negative.
    loss : {"frobenius", "kl", "itakura-saito", "beta"}, default="frobenius"
        ``"frobenius"``: exact NNLS per sample, ``min ||x - w H||^2 / 2 + l1 sum(w) +
        l2 ||w||^2 / 2`` (the penalties of :func:`nmfcore.factorize`). The other
        beta-divergences (``"kl"``, ``"itakura-saito"``, ``"beta"`` with ``beta=``): ``n_iter``
        multiplicative updates of ``W`` (Fevotte & Idier 2011), which never increase it.
    beta : float or None
        The beta of ``loss="beta"`` (as in :func:`nmfcore.factorize`).
    l1, l2 : float, default=0.0
        Penalties on ``W`` (the fit's own, for weights consistent with the fit).
    n_iter : int, default=200
        Multiplicative updates for ``loss="kl"`` (unused for Frobenius).

    Returns
    -------
    W_new : ndarray of shape (n_samples, rank), ``>= 0``
        float32 for float32 input, else float64.

    Raises
    ------
    NMFInputError
        Bad X (negative, NaN, empty), H of the wrong shape, or a column count that differs.

    Examples
    --------
    >>> import numpy as np, nmfcore
    >>> H = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    >>> nmfcore.project(np.array([[2.0, 3.0, 2.0]]), H).round(6).tolist()
    [[2.0, 3.0]]
    """
    loss = v.check_choice("loss", loss, PROJECT_LOSSES)
    b_val = resolve_beta(loss, beta)
    H = np.asarray(H, dtype=np.float64)
    if H.ndim != 2 or H.shape[0] < 1:
        raise v.NMFInputError(f"H must be 2-D (rank x n_features); got shape {H.shape}.")
    if not np.isfinite(H).all() or (H < 0).any():
        raise v.NMFInputError("H must be finite and non-negative (the H of an NMF fit).")
    data = v.check_array(X_new)           # X_s = 2**a X
    if data.shape[1] != H.shape[1]:
        raise v.NMFInputError(
            f"X_new has {data.shape[1]} features (columns) but the components have "
            f"{H.shape[1]}: give the new samples the same features, in the same order, as the "
            f"data the components were fitted on.")
    l1 = v.check_number("l1", l1)
    l2 = v.check_number("l2", l2)
    top = float(H.max())
    b = v.unit_exponent(top) if top > 0 else 0
    H_s = np.ldexp(H, b)                   # H_s = 2**b H, so W = 2**(b - a) W_s
    a = data.exponent
    # the objective at unit scale is 2**(a*beta) times the caller's; penalties follow it
    with np.errstate(over="ignore"):   # a zero penalty stays 0 at any scale
        l1_s = float(l1 * np.float_power(2.0, a * b_val - a + b)) if l1 else 0.0
        l2_s = float(l2 * np.float_power(2.0, a * (b_val - 2) + 2 * b)) if l2 else 0.0
    if not (np.isfinite(l1_s) and np.isfinite(l2_s)):
        raise v.NMFInputError("l1/l2 are too large for the scale of X_new; use smaller "
                              "penalties, or rescale X_new.")
    X_s = data.X
    if b_val <= 0 and (X_s.data if sp.issparse(X_s) else X_s).min() <= 0:
        raise v.NMFInputError(
            f"loss={loss!r} (beta={b_val:g}) cannot score zeros in X_new: add a small epsilon "
            "to X_new first (as for the fit).")
    with np.errstate(over="ignore"):
        W = np.ldexp(project_weights(X_s, H_s.astype(data.dtype), beta=b_val, l1=l1_s,
                                     l2=l2_s, n_iter=n_iter), b - a)
    if not np.isfinite(W).all():
        raise v.NMFInputError(
            "the weights of these samples are not representable: X_new is far outside the "
            "scale of the data the components were fitted on (rescale it like that data).")
    return np.maximum(W, 0.0)


def project_weights(X, H, *, loss="frobenius", beta=None, l1=0.0, l2=0.0, n_iter=200):
    """The solve behind :func:`project`, without checks or rescaling (callers at unit scale).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    H : ndarray of shape (rank, n_features)
    loss, beta : the loss, or its beta directly (``beta`` wins when given)

    Returns
    -------
    ndarray of shape (n_samples, rank)
    """
    b_val = float(beta) if beta is not None else resolve_beta(loss)
    HXt = np.asarray((X @ H.T).T)
    if b_val == 2.0:
        G = H @ H.T + l2 * np.eye(H.shape[0])
        return np.ascontiguousarray(nnls_bpp(G, HXt - l1).T)
    # multiplicative updates on W alone (Lee & Seung for KL, Fevotte & Idier for any beta),
    # from a flat positive start
    floor = kl_floor(H.dtype)
    W = np.full((X.shape[0], H.shape[0]), max(float(X.mean()), floor) / H.shape[0] ** 0.5,
                dtype=H.dtype)
    rowsum = H.sum(axis=1)[None, :]
    if b_val == 1.0 and sp.issparse(X):   # KL on sparse X: the ratio X / WH at the non-zeros
        R = sp.csr_matrix(X, dtype=H.dtype, copy=True)
        R.sum_duplicates()
        data = R.data.copy()
        rows = np.repeat(np.arange(R.shape[0]), np.diff(R.indptr))
        Ht = np.ascontiguousarray(H.T)
        for _ in range(n_iter):
            R.data = data / np.maximum(wh_at_nonzeros(R, W, H, rows), floor)
            W *= (R @ Ht) / np.maximum(rowsum + l2 * W + l1, 1e-16)
        return W
    Xd = X.toarray() if sp.issparse(X) else X
    # exponent that makes each update decrease the divergence (Fevotte & Idier 2011, Table 2)
    gamma = 1.0 / (2.0 - b_val) if b_val < 1 else 1.0 / (b_val - 1.0) if b_val > 2 else 1.0
    for _ in range(n_iter):
        V = np.maximum(W @ H, floor)
        if b_val == 1.0:
            num, den = (Xd / V) @ H.T, rowsum
        else:
            num, den = (Xd * V ** (b_val - 2.0)) @ H.T, V ** (b_val - 1.0) @ H.T
        ratio = num / np.maximum(den + l2 * W + l1, 1e-16)
        W *= ratio if gamma == 1.0 else ratio ** gamma
    return W


def sample_errors(X, W, H) -> np.ndarray:
    """Relative reconstruction error of every sample: ``||x_i - w_i H|| / ||x_i||``.

    An all-zero sample has error 0 when its reconstruction is zero too, else ``inf``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)

    Returns
    -------
    ndarray of shape (n_samples,)
    """
    W = np.asarray(W, dtype=np.float64)
    H = np.asarray(H, dtype=np.float64)
    out = np.empty(W.shape[0])
    for start in range(0, W.shape[0], 1024):       # row blocks: never a dense n x m copy
        rows = slice(start, start + 1024)
        Xb = X[rows]
        Xb = np.asarray(Xb.toarray() if sp.issparse(Xb) else Xb, dtype=np.float64)
        scale = np.abs(Xb).max(axis=1, keepdims=True)
        scale = np.where(scale > 0, scale, 1.0)
        R = np.linalg.norm((Xb - W[rows] @ H) / scale, axis=1)
        N = np.linalg.norm(Xb / scale, axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[rows] = np.where(N > 0, R / np.where(N > 0, N, 1.0), np.where(R > 0, np.inf, 0.0))
    return out
