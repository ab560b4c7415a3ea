"""What keeps every solver's iterate healthy, and the measure of stationarity.

Three pieces, shared by all solvers through :class:`nmfcore.solvers.Solver`:

* :func:`balance` rescales a component ``w_k h_k`` (column of W, row of H) so that both carry
  the same norm. ``W H`` does not change, so neither does the data term; the scale of a
  component is free in NMF, and when it drifts apart (a row of H near 1e-15 with its column of
  W near 1e14) the products lose precision, coordinate updates stall and the split can grow
  past what floating point represents.
* :func:`revive` re-seeds a component that collapsed to zero. Its row of H becomes the positive
  part of the residual of the worst-fitted sample and its column of W the best non-negative
  weights for that row (one exact coordinate step), so the objective never rises: a dead
  component left alone is a wasted rank, and no coordinate or multiplicative update can bring
  it back by itself.
* :func:`projected_gradient_sq` is the squared norm of the projected gradient (Lin 2007): zero
  exactly at the stationary points of the constrained problem. The stopping rule compares it
  with its value at the start.

References
----------
C.-J. Lin, "Projected gradient methods for nonnegative matrix factorization", Neural
Computation 19(10), 2007. doi:10.1162/neco.2007.19.10.2756
N. Gillis, "Nonnegative Matrix Factorization", SIAM, 2020, sections 8.3 (scaling) and 8.4.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .. import losses

# A component whose norms ||w_k|| and ||h_k|| differ by more than this factor is rebalanced.
SPLIT_LIMIT = 1e3
# A component whose rank-one term ||w_k|| ||h_k|| is below this share of ||X|| is dead.
DEAD_SHARE = 1e-10
# A revival must lower the objective by at least this share of it to be kept.
REVIVE_GAIN = 1e-12


def component_norms(W: np.ndarray, H: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Euclidean norms of W's columns and H's rows, each of shape (rank,)."""
    return np.sqrt(np.einsum("ij,ij->j", W, W)), np.sqrt(np.einsum("ij,ij->i", H, H))


def health(W: np.ndarray, H: np.ndarray, x_norm: float) -> tuple[np.ndarray, np.ndarray]:
    """Boolean masks of dead and of split-scale components, each of shape (rank,).

    Parameters
    ----------
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    x_norm : float
        ``||X||_F`` in the same units as ``W H``.
    """
    a, b = component_norms(W, H)
    dead = a * b <= DEAD_SHARE * x_norm
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = a / b
    split = ~dead & ((ratio > SPLIT_LIMIT) | (ratio < 1.0 / SPLIT_LIMIT))
    return dead, split


def merge_duplicates(W: np.ndarray, H: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Fold components that duplicate another (parallel rows of H and columns of W) into it.

    A symmetric start (e.g. constant factors) keeps duplicates identical under every update:
    a saddle point that looks converged. ``w_a h_a + w_b h_b`` with ``h_b = c h_a`` equals
    ``(w_a + c w_b) h_a``, so component b can be zeroed without changing ``W H`` and then
    revived. Returns the updated ``dead`` mask.
    """
    live = np.flatnonzero(~dead)
    if live.size < 2:
        return dead
    a, b = component_norms(W[:, live], H[live])
    Hn = H[live] / b[:, None]
    Wn = W[:, live] / a
    same = ((Hn @ Hn.T) > 1.0 - 1e-9) & ((Wn.T @ Wn) > 1.0 - 1e-9)
    np.fill_diagonal(same, False)
    dead = dead.copy()
    for i in range(live.size):
        for j in range(i + 1, live.size):
            if same[i, j] and not dead[live[j]] and not dead[live[i]]:
                ki, kj = live[i], live[j]
                W[:, ki] += W[:, kj] * (b[j] / b[i])
                W[:, kj] = 0.0
                H[kj] = 0.0
                dead[kj] = True
    return dead


def balance(W: np.ndarray, H: np.ndarray, l1: float = 0.0, l2: float = 0.0) -> bool:
    """Rescale ``W[:, k] *= d_k``, ``H[k] /= d_k`` in place so ``W H`` is unchanged.

    Without penalties each component ends with ``||w_k|| == ||h_k||``. With penalties ``d_k``
    is the one, among 1, the L1-balancing and the L2-balancing factor, that gives the smallest
    penalty, so the objective never increases. Dead components are left alone.

    Returns
    -------
    bool
        True when any factor changed.
    """
    a, b = component_norms(W, H)
    live = (a > 0) & (b > 0)
    if not live.any():
        return False
    d = np.ones_like(a)
    d[live] = np.sqrt(b[live] / a[live])
    if l1:
        s1, t1 = W.sum(axis=0), H.sum(axis=1)
        cands = [np.ones_like(a), d]
        ok = live & (s1 > 0) & (t1 > 0)
        d1 = np.ones_like(a)
        d1[ok] = np.sqrt(t1[ok] / s1[ok])
        cands.append(d1)
        pen = [l1 * (c * s1 + t1 / c) + 0.5 * l2 * (c * c * a * a + b * b / (c * c)) for c in cands]
        d = np.choose(np.argmin(np.stack(pen), axis=0), cands)
    if np.all(d == 1.0):
        return False
    W *= d
    H /= d[:, None]
    return True


def _rows_sq(X) -> np.ndarray:
    if sp.issparse(X):
        return np.asarray(X.multiply(X).sum(axis=1)).ravel()
    return np.einsum("ij,ij->i", X, X)


def _row(X, i: int) -> np.ndarray:
    return X[i].toarray().ravel() if sp.issparse(X) else np.asarray(X[i], dtype=float)


def revive(X, W: np.ndarray, H: np.ndarray, dead: np.ndarray, *, l1: float = 0.0,
           l2: float = 0.0, mask=None, objective: float | None = None) -> int:
    """Re-seed the dead components of ``(W, H)`` in place from the residual ``X - W H``.

    For each dead component ``k`` (in turn): ``w_k = 0``; the sample ``i`` with the largest
    residual not yet used gives ``h_k = max(0, x_i - w_i H)``, and ``w_k`` becomes the exact
    minimiser of the Frobenius objective over ``w_k >= 0`` with ``h_k`` fixed (penalties
    included). The component is kept only if that lowers the objective by more than
    ``REVIVE_GAIN`` of ``objective``; otherwise it stays at zero (the data leave nothing for it,
    e.g. the rank exceeds the rank of X).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        The data in the units of ``W H``; 0 where missing.
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    dead : ndarray of bool of shape (rank,)
    l1, l2 : float
    mask : ndarray of shape (n_samples, n_features) or None
    objective : float or None
        The current objective, the scale for the gain threshold.

    Returns
    -------
    int
        Number of components revived.
    """
    ks = np.flatnonzero(dead)
    W[:, ks] = 0.0
    H[ks] = 0.0
    if mask is None:
        XHt = np.asarray(X @ H.T)
        res_sq = _rows_sq(X) - 2.0 * np.einsum("ij,ij->i", W, XHt) \
            + np.einsum("ij,jk,ik->i", W, H @ H.T, W)
    else:
        R = (X - W @ H) * mask
        res_sq = np.einsum("ij,ij->i", R, R)
    order = np.argsort(-res_sq, kind="stable")
    scale = abs(objective) if objective else 1.0
    revived = 0
    for k, i in zip(ks, order):
        if res_sq[i] <= 0:
            break
        r_i = _row(X, i) - W[i] @ H
        if mask is not None:
            r_i *= mask[i]
        h = np.maximum(r_i, 0.0)
        hh = float(h @ h)
        if hh <= 0:
            continue
        if mask is None:
            Rh = np.asarray(X @ h).ravel() - W @ (H @ h)
            denom = np.full(W.shape[0], hh + l2)
        else:
            Rh = ((X - W @ H) * mask) @ h
            denom = mask @ (h * h) + l2
        gain = np.maximum(Rh - l1, 0.0)
        w = gain / np.maximum(denom, np.finfo(W.dtype).tiny)
        change = -0.5 * float(np.sum(gain * w)) + l1 * float(h.sum()) + 0.5 * l2 * hh
        if change < -REVIVE_GAIN * scale and w.any():
            W[:, k], H[k] = w, h
            revived += 1
    return revived


def _project(G: np.ndarray, F: np.ndarray) -> float:
    """``||P(G)||^2`` with ``P(G) = G`` where ``F > 0`` and ``min(G, 0)`` where ``F == 0``."""
    np.putmask(G, (F <= 0) & (G > 0), 0.0)          # G is the caller's temporary
    return float(np.vdot(G, G))


def projected_gradient_sq(X, W: np.ndarray, H: np.ndarray, *, loss: str, l1: float = 0.0,
                          l2: float = 0.0, mask=None, x_scale: float = 1.0,
                          beta: float | None = None) -> float:
    """Squared norm of the projected gradient of the objective at ``(W, H)``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        ``x_scale * X`` is the data in the units of ``W H`` (dense X may be the caller's array,
        see :meth:`Solver.dense_x`); 0 where missing.
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    loss : {"frobenius", "kl", "beta"}
    l1, l2 : float
    mask : ndarray or None
    x_scale : float
    beta : float or None
        The beta of ``loss="beta"``.

    Returns
    -------
    float
        ``||P(grad_W)||^2 + ||P(grad_H)||^2``.
    """
    if loss == "frobenius" and mask is None:
        XHt = np.asarray(X @ H.T) * x_scale
        WtX = np.asarray((X.T @ W).T if sp.issparse(X) else W.T @ X) * x_scale
        gW = W @ (H @ H.T)
        gW -= XHt
        gH = (W.T @ W) @ H
        gH -= WtX
    elif loss == "frobenius":
        E = (W @ H - x_scale * X) * mask
        gW, gH = E @ H.T, W.T @ E
    elif loss == "kl":
        gW, gH = _kl_gradient(X, W, H, mask, x_scale)
    else:
        gW, gH = _beta_gradient(X, W, H, mask, x_scale, float(beta))
    if l1 or l2:
        gW += l1 + l2 * W
        gH += l1 + l2 * H
    return _project(gW, W) + _project(gH, H)


def _kl_gradient(X, W, H, mask, x_scale):
    """Gradients of the KL divergence: ``(1 - X / WH) H^T`` and ``W^T (1 - X / WH)``
    (ones and ratio restricted to observed entries), in row blocks (no m x n temporary)."""
    floor = losses.kl_floor(W.dtype)
    if sp.issparse(X):
        X = X.tocsr()
        wh = np.maximum(losses.wh_at_nonzeros(X, W, H), floor)
        Q = sp.csr_matrix((x_scale * X.data / wh, X.indices, X.indptr), shape=X.shape)
        gW = H.sum(axis=1)[None, :] - np.asarray(Q @ H.T)
        gH = W.sum(axis=0)[:, None] - np.asarray((Q.T @ W).T)
        return gW, gH
    m, n = X.shape
    rows = max(1, min(m, (1 << 11) // max(n, 1)))          # small: no memory beside the solver
    buf = np.empty((rows, n), dtype=W.dtype)
    gW = np.empty_like(W)
    gH = np.zeros_like(H)
    hsum = H.sum(axis=1)
    for a in range(0, m, rows):
        b = min(a + rows, m)
        Q = np.matmul(W[a:b], H, out=buf[:b - a])
        np.maximum(Q, floor, out=Q)
        np.divide(X[a:b], Q, out=Q)
        if x_scale != 1.0:
            Q *= x_scale
        if mask is None:
            gW[a:b] = hsum - Q @ H.T
            gH += W[a:b].sum(axis=0)[:, None] - W[a:b].T @ Q
        else:
            Q *= mask[a:b]
            gW[a:b] = mask[a:b] @ H.T - Q @ H.T
            gH += W[a:b].T @ mask[a:b] - W[a:b].T @ Q
    return gW, gH


def _beta_gradient(X, W, H, mask, x_scale, beta):
    """Gradients of the beta-divergence: ``G H^T`` and ``W^T G`` with
    ``G = M o (WH**(beta - 1) - X o WH**(beta - 2))``, in row blocks (no m x n temporary; a
    sparse X is densified one block at a time)."""
    floor = losses.beta_floor(W.dtype, beta)
    if sp.issparse(X):
        X = X.tocsr()
    m, n = X.shape
    rows = max(1, min(m, (1 << 11) // max(n, 1)))
    gW = np.empty_like(W)
    gH = np.zeros_like(H)
    for a in range(0, m, rows):
        b = min(a + rows, m)
        XI = X[a:b].toarray() if sp.issparse(X) else X[a:b]
        Y = W[a:b] @ H
        if floor:
            np.maximum(Y, floor, out=Y)
        P = Y ** (beta - 2.0)
        G = P * Y
        G -= x_scale * XI * P
        if mask is not None:
            G *= mask[a:b]
        gW[a:b] = G @ H.T
        gH += W[a:b].T @ G
    return gW, gH
