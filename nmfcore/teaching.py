"""Small, transparent computations used by the Learn lessons (numpy and scipy only).

These are the pieces of maths the lessons show that the rest of :mod:`nmfcore` does not need:
the two classical alternatives to NMF (PCA through the SVD, vector quantization through
k-means), one multiplicative-update step with its update ratios exposed, the unprojected
gradient step of the classic "hand-written NMF" tutorial, a tiny FastICA, the Poisson
log-likelihood and a few counters. Everything here is written for readability on small
matrices, not for speed; real fits go through :func:`nmfcore.factorize`.
The step-by-step update rules (:func:`mu_step`, :func:`mu_trace`, :func:`gradient_step`,
:func:`gradient_descent`, their result types and :func:`frobenius_loss`) live in
``nmfcore/_teaching_updates.py`` and are re-exported here.

Convention as in the rest of the package: ``X`` (n_samples, n_features) ~= ``W @ H`` with
``W`` (n_samples, rank) and ``H`` (rank, n_features).

References
----------
Lee, D. D. and Seung, H. S. (1999). Learning the parts of objects by non-negative matrix
factorization. Nature 401, 788-791. doi:10.1038/44565
Lee, D. D. and Seung, H. S. (2001). Algorithms for non-negative matrix factorization.
NIPS 13, 556-562.
Hyvarinen, A. and Oja, E. (2000). Independent component analysis: algorithms and
applications. Neural Networks 13, 411-430. doi:10.1016/S0893-6080(00)00026-5
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.cluster.vq import kmeans2
from scipy.special import gammaln

from . import losses
from .metrics import hoyer_sparsity
from ._teaching_updates import (
    GradientTrace, MUStep, frobenius_loss, gradient_descent, gradient_step, mu_step, mu_trace,
    _rng)

__all__ = [
    "storage_counts", "pca", "vector_quantization", "MUStep", "mu_step", "mu_trace",
    "gradient_step", "GradientTrace", "gradient_descent", "frobenius_loss",
    "poisson_log_likelihood", "kl_divergence", "fastica", "most_mixed_samples", "ambiguity_demo",
    "PartsComparison", "compare_parts",
]


def storage_counts(n_samples: int, n_features: int, rank: int) -> dict:
    """How many numbers X takes to store, and how many W and H take together.

    Parameters
    ----------
    n_samples, n_features : int
        Shape of X.
    rank : int
        Number of components r.

    Returns
    -------
    dict
        ``{"X": m*n, "factors": r*(m+n), "ratio": factors / X}``.

    Examples
    --------
    >>> storage_counts(100, 50, 5)
    {'X': 5000, 'factors': 750, 'ratio': 0.15}
    """
    full = int(n_samples) * int(n_features)
    factors = int(rank) * (int(n_samples) + int(n_features))
    return {"X": full, "factors": factors, "ratio": factors / full}


@dataclass(frozen=True)
class Decomposition:
    """A basis, the weights on it and the reconstruction it gives.

    Attributes
    ----------
    components : ndarray of shape (rank, n_features)
        Basis vectors (PCA loadings, or k-means centroids).
    weights : ndarray of shape (n_samples, rank)
        PCA scores, or one-hot cluster indicators for vector quantization.
    reconstruction : ndarray of shape (n_samples, n_features)
        What the basis and weights give back (the mean is added back for PCA).
    mean : ndarray of shape (n_features,)
        Column means removed before the SVD (zeros for vector quantization).
    labels : ndarray of shape (n_samples,) or None
        Hard cluster label of each sample (vector quantization only).
    explained_variance_ratio : ndarray of shape (rank,) or None
        Share of the total variance along each component (PCA only); components beyond the
        rank of the centred data have ratio ~0 and arbitrary directions.
    """

    components: np.ndarray
    weights: np.ndarray
    reconstruction: np.ndarray
    mean: np.ndarray
    labels: np.ndarray | None = None
    explained_variance_ratio: np.ndarray | None = None


def pca(X, rank: int) -> Decomposition:
    """Principal components through the SVD of the column-centred matrix.

    Signs are fixed so that the largest-magnitude entry of each component is positive.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    rank : int
        Number of components kept.

    Returns
    -------
    Decomposition
        ``components`` have unit norm and mixed signs; ``reconstruction`` is
        ``mean + weights @ components``.
    """
    X = np.asarray(X, dtype=float)
    mean = X.mean(axis=0)
    U, s, Vt = np.linalg.svd(X - mean, full_matrices=False)
    comps = Vt[:rank].copy()
    scores = U[:, :rank] * s[:rank]
    flip = np.sign(comps[np.arange(comps.shape[0]), np.argmax(np.abs(comps), axis=1)])
    flip[flip == 0] = 1.0
    comps *= flip[:, None]
    scores *= flip[None, :]
    total = float(np.sum(s ** 2))
    ratio = s[:rank] ** 2 / total if total > 0 else np.zeros(min(rank, s.size))
    return Decomposition(comps, scores, mean + scores @ comps, mean,
                         explained_variance_ratio=ratio)


def vector_quantization(X, rank: int, random_state=0) -> Decomposition:
    """k-means prototypes: each sample is replaced by its nearest centroid.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    rank : int
        Number of centroids.
    random_state : int or numpy.random.Generator, default=0

    Returns
    -------
    Decomposition
        ``components`` are the centroids, ``weights`` one-hot indicators, ``labels`` the
        hard assignments.
    """
    X = np.asarray(X, dtype=float)
    centroids, labels = kmeans2(X, rank, minit="++", seed=_rng(random_state))
    onehot = np.zeros((X.shape[0], rank))
    onehot[np.arange(X.shape[0]), labels] = 1.0
    return Decomposition(centroids, onehot, centroids[labels], np.zeros(X.shape[1]), labels)


def poisson_log_likelihood(X, WH, *, elementwise: bool = False):
    """Log-likelihood of counts ``X`` under ``X_ij ~ Poisson((W H)_ij)``.

    ``sum(X log WH - WH - log X!)``; entries with ``X = 0`` contribute ``-WH`` only.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Non-negative counts.
    WH : array_like of the same shape
        The model's means; must be positive where ``X > 0``.
    elementwise : bool, default=False
        Return the per-entry terms instead of the sum.

    Returns
    -------
    float or ndarray
    """
    X, WH = np.asarray(X, dtype=float), np.asarray(WH, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(X > 0, X * np.log(WH), 0.0) - WH - gammaln(X + 1.0)
    return term if elementwise else float(term.sum())


def kl_divergence(X, WH, *, elementwise: bool = False):
    """Generalized Kullback-Leibler divergence ``sum(X log(X/WH) - X + WH)``.

    It equals the saturated Poisson log-likelihood minus :func:`poisson_log_likelihood`,
    which is why minimising it maximises the likelihood.
    """
    term = losses.kl_terms(np.asarray(X, dtype=float), np.asarray(WH, dtype=float))
    return term if elementwise else float(term.sum())


def fastica(X, rank: int, *, max_iter: int = 400, tol: float = 1e-6, random_state=0):
    """A small symmetric FastICA (log-cosh contrast) on the column-centred data.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Samples are rows. The model is ``X - mean ~= S @ A`` with sources ``S``
        (n_samples, rank) and mixing ``A`` (rank, n_features), the same layout as W and H.
    rank : int
    max_iter : int, default=400
    tol : float, default=1e-6
    random_state : int or numpy.random.Generator, default=0

    Returns
    -------
    sources : ndarray of shape (n_samples, rank)
        Unit-variance, as independent as possible.
    mixing : ndarray of shape (rank, n_features)
        Rows play the role of components; signs are fixed so each row's largest-magnitude
        entry is positive.
    """
    X = np.asarray(X, dtype=float)
    Xc = X - X.mean(axis=0)
    U, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    Z = U[:, :rank] * np.sqrt(X.shape[0])  # whitened (n_samples, rank)
    rng = _rng(random_state)
    Wm = np.linalg.qr(rng.standard_normal((rank, rank)))[0]
    for _ in range(int(max_iter)):
        Y = Z @ Wm.T
        g, g_prime = np.tanh(Y), 1.0 - np.tanh(Y) ** 2
        W_new = (g.T @ Z) / Z.shape[0] - g_prime.mean(axis=0)[:, None] * Wm
        u, _, vt = np.linalg.svd(W_new)
        W_new = u @ vt  # symmetric decorrelation
        done = np.max(np.abs(np.abs(np.sum(W_new * Wm, axis=1)) - 1.0)) < tol
        Wm = W_new
        if done:
            break
    S = Z @ Wm.T
    A = np.linalg.lstsq(S, Xc, rcond=None)[0]
    flip = np.sign(A[np.arange(rank), np.argmax(np.abs(A), axis=1)])
    flip[flip == 0] = 1.0
    return S * flip[None, :], A * flip[:, None]


def most_mixed_samples(memberships, k: int = 1) -> np.ndarray:
    """Indices of the ``k`` samples whose two largest memberships are closest to equal.

    Parameters
    ----------
    memberships : array_like of shape (n_samples, rank)
        Rows summing to one (all-zero rows are never chosen).
    k : int, default=1

    Returns
    -------
    ndarray of int
    """
    M = np.asarray(memberships, dtype=float)
    top2 = np.sort(M, axis=1)[:, -2:]
    score = top2[:, 0] / np.maximum(top2[:, 1], 1e-300)
    score[M.sum(axis=1) == 0] = -1.0
    return np.argsort(-score, kind="stable")[:k]


def ambiguity_demo(W: np.ndarray, H: np.ndarray, seed: int = 0) -> dict:
    """Rescale and permute a fit: ``W' = W D P``, ``H' = Pᵀ D⁻¹ H``. Returns the factors'
    changes next to the (unchanged) product, as numbers for a page.

    Returns
    -------
    dict
        ``rows`` (per new component: the old component it is, its scale ``d``, the norm of its
        H row before and after), ``max_abs_product_change``, ``product_scale``,
        ``max_abs_W_change``, ``max_abs_H_change``.
    """
    W, H = np.asarray(W, dtype=float), np.asarray(H, dtype=float)
    rng = np.random.default_rng(seed)
    r = W.shape[1]
    d = np.round(rng.uniform(0.25, 4.0, r), 2)
    perm = rng.permutation(r)
    W2 = (W * d)[:, perm]
    H2 = (H / d[:, None])[perm]
    WH, WH2 = W @ H, W2 @ H2
    rows = [{"new component": f"C{k + 1}", "is old component": f"C{perm[k] + 1}",
             "scale d (W column ×d, H row ÷d)": float(d[perm[k]]),
             "‖H row‖ before": float(np.linalg.norm(H[perm[k]])),
             "‖H row‖ after": float(np.linalg.norm(H2[k]))} for k in range(r)]
    return {"rows": rows, "max_abs_product_change": float(np.abs(WH - WH2).max()),
            "product_scale": float(np.abs(WH).max()),
            "max_abs_W_change": float(np.abs(W - W2).max()),
            "max_abs_H_change": float(np.abs(H - H2).max())}


@dataclass(frozen=True)
class PartsComparison:
    """NMF, PCA and vector quantization of the same images with the same number of bases.

    Attributes
    ----------
    bases : dict of str to ndarray of shape (rank, n_features)
        ``"NMF"`` (rows of H), ``"PCA"`` (unit-norm principal axes, signed) and ``"VQ"``
        (k-means centroids). PCA keeps only axes that carry variance: when the centred data
        span fewer than ``rank`` dimensions (e.g. the swimmer set) the rest are arbitrary
        directions and are left out.
    reconstructions : dict of str to ndarray of shape (n_samples, n_features)
        What each method gives back for every sample.
    sparsity : dict of str to float
        Mean Hoyer sparsity of each basis' vectors (of their absolute values for PCA):
        1 = a single pixel, 0 = all pixels equal. Localized parts score high.
    rel_error : dict of str to float
        ``||X - reconstruction||_F / ||X||_F`` of each method.
    nmf_W : ndarray of shape (n_samples, rank)
    nmf_n_iter : int
    """

    bases: dict
    reconstructions: dict
    sparsity: dict
    rel_error: dict
    nmf_W: np.ndarray
    nmf_n_iter: int


def compare_parts(X, rank: int, *, l1: float = 0.0, init: str = "random", max_iter: int = 1000,
                  tol: float = 1e-6, random_state=0) -> PartsComparison:
    """The Lee & Seung (1999) comparison: NMF parts vs PCA eigenimages vs k-means prototypes.

    NMF is fitted with HALS (``solver``, ``tol`` and ``max_iter`` passed explicitly, so the
    comparison does not move when the library's defaults do); PCA and k-means come from
    :func:`pca` and :func:`vector_quantization`.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
        Non-negative images, one per row.
    rank : int
        Number of basis images for every method.
    l1 : float, default=0.0
        L1 penalty of the NMF fit (on W and H); a small one makes the parts sparser.
    init : str, default="random"
    max_iter : int, default=1000
    tol : float, default=1e-6
    random_state : int, default=0
        Seed of the NMF start and of k-means++.

    Returns
    -------
    PartsComparison
    """
    from ._factorize import factorize  # the front door; imported here to keep teaching light

    X = np.asarray(X, dtype=float)
    res = factorize(X, rank, solver="hals", init=init, l1=l1, max_iter=max_iter, tol=tol,
                    random_state=random_state)
    p = pca(X, rank)
    v = vector_quantization(X, rank, random_state=random_state)
    useful = p.explained_variance_ratio > 1e-10
    bases = {"NMF": np.asarray(res.H), "PCA": p.components[useful], "VQ": v.components}
    recs = {"NMF": np.asarray(res.W) @ np.asarray(res.H), "PCA": p.reconstruction,
            "VQ": v.reconstruction}
    norm = max(float(np.linalg.norm(X)), 1e-300)
    return PartsComparison(
        bases=bases, reconstructions=recs,
        sparsity={k: float(np.mean(hoyer_sparsity(b, axis=1))) for k, b in bases.items()},
        rel_error={k: float(np.linalg.norm(X - r) / norm) for k, r in recs.items()},
        nmf_W=np.asarray(res.W), nmf_n_iter=int(res.n_iter))
