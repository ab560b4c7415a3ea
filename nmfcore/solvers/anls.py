"""Alternating non-negative least squares with block principal pivoting.

Each half-iteration solves the non-negative least-squares problem for one factor exactly,
for all right-hand sides at once: columns that share a passive set share one Cholesky
factorization. The previous iterate's support warm-starts the pivoting.

References
----------
J. Kim and H. Park, "Fast nonnegative matrix factorization: an active-set-like method and
comparisons", SIAM J. Sci. Comput. 33(6), 2011. doi:10.1137/110821172
"""
from __future__ import annotations

import numpy as np

from .. import losses
from ._base import Solver


# Columns solved per batched LAPACK call (memory: chunk * k * k floats).
_BATCH = 2048


# Columns are grouped by passive set (Kim & Park) when the distinct sets number at most this
# fraction of the columns; otherwise every column gets its own system in batched calls.
_GROUPS_PER_COLUMN = 0.125
_BITS = np.left_shift(1, np.arange(63), dtype=np.int64)


def _solve_passive(AtA, AtB, F, X, cols):
    """Unconstrained least squares on the passive sets ``F[:, cols]``, written into ``X[:, cols]``.

    Columns that share a passive set share one factorization: each distinct set ``P`` solves
    ``AtA[P, P] x = AtB[P, cols_P]`` for all its columns at once (late in a fit, when few
    distinct sets remain, this is most of the saving). When the sets are mostly distinct, each
    column j gets the system ``(AtA restricted to F_j) x = AtB_j`` padded with the identity
    outside ``F_j``, and all are solved by batched calls (the padding forces ``x = 0`` off the
    passive set). A tiny ridge keeps singular Gram blocks solvable.
    """
    k = AtA.shape[0]
    info = np.finfo(AtA.dtype)
    ridge = 16 * info.eps * max(float(np.trace(AtA)) / max(k, 1), info.tiny)
    if cols.size == 0:
        return
    if k <= 63:                                               # one integer per passive set
        keys = _BITS[:k] @ F[:, cols].astype(np.int64)
    else:
        keys = np.packbits(F[:, cols], axis=0).T
        keys = np.ascontiguousarray(keys).view(np.dtype((np.void, keys.shape[1]))).ravel()
    _, first, group = np.unique(keys, return_index=True, return_inverse=True)
    if first.size <= max(1.0, _GROUPS_PER_COLUMN * cols.size):
        order = np.argsort(group, kind="stable")
        bounds = np.flatnonzero(np.diff(group[order])) + 1
        for members in np.split(cols[order], bounds):
            idx = np.flatnonzero(F[:, members[0]])
            X[:, members] = 0.0
            if idx.size:
                G = AtA[np.ix_(idx, idx)] + ridge * np.eye(idx.size, dtype=AtA.dtype)
                rhs = AtB[np.ix_(idx, members)]
                try:
                    X[np.ix_(idx, members)] = np.linalg.solve(G, rhs)
                except np.linalg.LinAlgError:  # numerically singular block: least-norm solution
                    X[np.ix_(idx, members)] = np.linalg.lstsq(G, rhs, rcond=None)[0]
        return
    eye = np.eye(k, dtype=AtA.dtype)
    for start in range(0, cols.size, _BATCH):
        block = cols[start:start + _BATCH]
        f = F[:, block].T.astype(AtA.dtype)                   # (b, k)
        G = AtA[None, :, :] * f[:, :, None] * f[:, None, :]   # (b, k, k)
        G += eye * (1.0 - f)[:, :, None] + eye * (ridge * f)[:, :, None]
        rhs = (AtB[:, block].T * f)[:, :, None]
        try:
            X[:, block] = np.linalg.solve(G, rhs)[:, :, 0].T
        except np.linalg.LinAlgError:  # numerically singular block: least-norm solutions
            X[:, block] = np.stack([np.linalg.lstsq(g, r, rcond=None)[0][:, 0]
                                    for g, r in zip(G, rhs)], axis=1)


def nnls_bpp(AtA, AtB, passive=None, max_iter=None):
    """Solve ``min ||A x - b||`` subject to ``x >= 0`` for every column of ``AtB``.

    Parameters
    ----------
    AtA : ndarray of shape (k, k)
        ``A^T A`` (symmetric positive semi-definite).
    AtB : ndarray of shape (k, n)
        ``A^T B``: one right-hand side per column.
    passive : ndarray of bool of shape (k, n), optional
        Starting guess of the support (e.g. ``previous > 0``).
    max_iter : int, optional
        Pivoting rounds; the default ``5 k + 10`` is far above what is needed in practice.

    Returns
    -------
    ndarray of shape (k, n)
        Non-negative solutions.
    """
    k, n = AtB.shape
    F = np.zeros((k, n), dtype=bool) if passive is None else passive.copy()
    X = np.zeros((k, n), dtype=AtB.dtype)
    _solve_passive(AtA, AtB, F, X, np.arange(n))
    alpha = np.full(n, 3)
    beta = np.full(n, k + 1)
    for _ in range(max_iter or 5 * k + 10):
        Y = AtA @ X - AtB
        infeasible = (F & (X < 0)) | (~F & (Y < 0))
        count = infeasible.sum(axis=0)
        bad = count > 0
        if not bad.any():
            break
        improved = bad & (count < beta)
        beta[improved] = count[improved]
        alpha[improved] = 3
        stalled = bad & ~improved & (alpha >= 1)
        alpha[stalled] -= 1
        full = improved | stalled
        flip = np.zeros_like(F)
        flip[:, full] = infeasible[:, full]
        # backup rule (Murty): exchange only the last infeasible index of the column
        for j in np.flatnonzero(bad & ~full):
            flip[k - 1 - np.argmax(infeasible[::-1, j]), j] = True
        F ^= flip
        _solve_passive(AtA, AtB, F, X, np.flatnonzero(bad))
    np.maximum(X, 0.0, out=X)
    return X


class ANLS(Solver):
    """Alternating non-negative least squares by block principal pivoting (batched solves)."""

    name = "anls"
    losses = ("frobenius",)
    supports_mask = False
    masked_fallback = "hals"
    option_specs = ()
    description = "Alternating non-negative least squares (block principal pivoting)"

    # An exact block solve cannot raise the objective, but near an exact fit an ill-conditioned
    # Gram block (and the ridge that keeps it solvable) can return a worse point than the last
    # by more than round-off (found by the property tests): such a step is undone.
    def start(self):
        self._last = super().start()
        return self._last

    def refresh(self):
        self._last = super().refresh()
        return self._last

    def step(self):
        X, W, H = self.X, self._W, self._H
        before = (W.copy(), H.copy())
        eye = self.l2 * np.eye(H.shape[0], dtype=H.dtype)
        WtX = (X.T @ W).T if self.sparse else W.T @ X
        H[...] = nnls_bpp(W.T @ W + eye, WtX - self.l1, passive=H > 0)
        HXt = np.ascontiguousarray((X @ H.T).T)
        HHt = H @ H.T
        W[...] = nnls_bpp(HHt + eye, HXt - self.l1, passive=W.T > 0).T
        sq = losses.sq_error_from_products(self.norm_sq, W.T, HXt, W.T @ W, HHt)
        out = (self.objective_from_sq(sq), sq)
        last = self._last[0]
        if out[0] > last + 64 * np.finfo(W.dtype).eps * max(abs(last), 0.5 * self.norm_sq):
            W[...], H[...] = before
            return self._last
        self._last = out
        return out
