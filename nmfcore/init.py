"""Starting points for the solvers: random and the NNDSVD family.

References
----------
C. Boutsidis and E. Gallopoulos, "SVD based initialization: A head start for nonnegative
matrix factorization", Pattern Recognition 41(4), 2008. doi:10.1016/j.patcog.2007.09.010
"""
from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

INITS = ("random", "nndsvd", "nndsvda", "nndsvdar")

# NNDSVD entries below this are set to exactly zero (then filled by the "a"/"ar" variants).
_NNDSVD_EPS = 1e-6


def fill_missing(X, mask):
    """X with its missing entries (``mask`` False) replaced by the mean of the observed ones.

    The one fill used for every masked start (``factorize(mask=...)``, the dashboard's shared
    race start): a start built from the observed entries only, with the scale of the data.
    Missing entries may hold anything (NaN included). ``mask=None`` returns X itself.
    """
    if mask is None:
        return X
    mask = np.asarray(mask, dtype=bool)
    if sp.issparse(X):
        X = X.toarray()
    X = np.asarray(X)
    observed = np.where(mask, X, 0.0)
    count = int(mask.sum())
    mean = float(observed.sum() / count) if count else 0.0
    return observed + (1.0 - mask) * mean


def initialize(X, rank: int, init: str = "nndsvda", random_state=None, *, mask=None):
    """Build a starting pair ``(W0, H0)``.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        Non-negative data (already validated; missing entries, where ``mask`` is False, may
        hold anything).
    rank : int
    init : {"random", "nndsvd", "nndsvda", "nndsvdar"}, default="nndsvda"
        ``random``: entries ``|N(0, 1)| * sqrt(mean(X) / rank)`` so that ``W H`` has the scale of X.
        ``nndsvd``: non-negative parts of the leading singular triplets (deterministic; leaves
        zeros, which multiplicative updates can never leave). ``nndsvda``: zeros filled with
        ``mean(X)``. ``nndsvdar``: zeros filled with small random values ``|N(0,1)| mean(X) / 100``.

        Every start is built with X at unit scale (multiplied by the power of two ``2**k`` that
        brings its largest entry into [0.25, 1), which is exact) and scaled back by ``2**(-k/2)``,
        so ``initialize(c * X)`` is ``sqrt(c) * initialize(X)`` for any power of four ``c``. For
        ``nndsvd`` this equals scikit-learn's start; for ``nndsvda``/``nndsvdar`` it does when
        ``max(X)`` is in [0.25, 1) (scikit-learn fills with ``mean(X)`` in the data's own units,
        which makes the start's scale depend quadratically on the data's).
    random_state : int, numpy Generator or None
        Used by ``random`` and ``nndsvdar``.
    mask : array-like of bool of shape (n_samples, n_features), optional
        True where an entry is observed; the others are filled by :func:`fill_missing` first.

    Returns
    -------
    W0 : ndarray of shape (n_samples, rank)
    H0 : ndarray of shape (rank, n_features)
    """
    from ._validation import check_choice

    from ._validation import unit_exponent

    check_choice("init", init, INITS)
    X = fill_missing(X, mask)
    rng = random_state if isinstance(random_state, np.random.Generator) \
        else np.random.default_rng(random_state)
    top = float(X.max())
    k = unit_exponent(top) if top > 0 else 0
    if k:
        Xs = X.copy()
        if sp.issparse(Xs):
            np.ldexp(Xs.data, k, out=Xs.data)
        else:
            Xs = np.ldexp(X, k).astype(X.dtype, copy=False)
        W, H = initialize(Xs, rank, init, rng)
        return np.ldexp(W, -(k // 2)), np.ldexp(H, -(k // 2))
    dtype = X.dtype if X.dtype in (np.float32, np.float64) else np.float64
    m, n = X.shape
    mean = float(X.sum()) / (m * n)
    if init == "random":
        scale = np.sqrt(mean / rank)
        H = scale * np.abs(rng.standard_normal((rank, n)))
        W = scale * np.abs(rng.standard_normal((m, rank)))
        return W.astype(dtype), H.astype(dtype)
    W, H = _nndsvd(X, rank)
    if init == "nndsvda":
        W[W == 0] = mean
        H[H == 0] = mean
    elif init == "nndsvdar":
        zw, zh = W == 0, H == 0
        W[zw] = np.abs(mean * rng.standard_normal(int(zw.sum())) / 100)
        H[zh] = np.abs(mean * rng.standard_normal(int(zh.sum())) / 100)
    return W.astype(dtype), H.astype(dtype)


def _leading_svd(X, rank: int):
    """Top ``rank`` singular triplets, largest first (exact dense SVD for small problems)."""
    small = min(X.shape) <= 400 or rank >= min(X.shape) - 1
    dtype = np.float32 if X.dtype == np.float32 else np.float64   # float32 stays float32
    if small:
        A = X.toarray() if sp.issparse(X) else X
        U, S, Vt = scipy.linalg.svd(A.astype(dtype, copy=False), full_matrices=False,
                                    check_finite=False)
        return U[:, :rank], S[:rank], Vt[:rank]
    A = X.astype(dtype, copy=False)
    U, S, Vt = scipy.sparse.linalg.svds(A, k=rank, random_state=0)
    order = np.argsort(S)[::-1]
    return U[:, order], S[order], Vt[order]


def _nndsvd(X, rank: int):
    U, S, Vt = _leading_svd(X, rank)
    W = np.zeros((X.shape[0], rank))
    H = np.zeros((rank, X.shape[1]))
    # The leading pair of a non-negative matrix can be taken non-negative (Perron-Frobenius).
    W[:, 0] = np.sqrt(S[0]) * np.abs(U[:, 0])
    H[0] = np.sqrt(S[0]) * np.abs(Vt[0])
    for k in range(1, rank):
        u, v = U[:, k], Vt[k]
        parts = []
        for su, sv in ((np.maximum(u, 0), np.maximum(v, 0)), (np.maximum(-u, 0), np.maximum(-v, 0))):
            nu, nv = np.linalg.norm(su), np.linalg.norm(sv)
            parts.append((nu * nv, su, sv, nu, nv))
        # keep the sign pattern carrying more of the rank-one term (ties go to the negative part)
        weight, su, sv, nu, nv = parts[0] if parts[0][0] > parts[1][0] else parts[1]
        if weight == 0.0:
            continue
        scale = np.sqrt(S[k] * weight)
        W[:, k] = scale * su / nu
        H[k] = scale * sv / nv
    W[W < _NNDSVD_EPS] = 0.0
    H[H < _NNDSVD_EPS] = 0.0
    return W, H
