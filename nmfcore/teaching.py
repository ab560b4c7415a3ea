"""Small, transparent computations used by the Learn lessons (numpy and scipy only).

These are the pieces of maths the lessons show that the rest of :mod:`nmfcore` does not need:
the two classical alternatives to NMF (PCA through the SVD, vector quantization through
k-means), one multiplicative-update step with its update ratios exposed, the unprojected
gradient step of the classic "hand-written NMF" tutorial, a tiny FastICA, the Poisson
log-likelihood and a few counters. Everything here is written for readability on small
matrices, not for speed; real fits go through :func:`nmfcore.factorize`.

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

__all__ = [
    "storage_counts", "pca", "vector_quantization", "MUStep", "mu_step", "mu_trace",
    "gradient_step", "GradientTrace", "gradient_descent", "frobenius_loss",
    "poisson_log_likelihood", "kl_divergence", "fastica", "most_mixed_samples",
]


def _rng(random_state) -> np.random.Generator:
    return np.random.default_rng(random_state)


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


def frobenius_loss(X, W, H) -> float:
    """Squared Frobenius error ``sum((X - W H)**2)``."""
    R = np.asarray(X, dtype=float) - W @ H
    return float(np.sum(R * R))


@dataclass(frozen=True)
class MUStep:
    """One multiplicative-update iteration, with everything a student may want to see.

    Attributes
    ----------
    W, H : ndarray
        Factors after the step (H is updated first, then W uses the new H).
    ratio_H, ratio_W : ndarray
        The factors each entry was multiplied by: ``(W^T X) / (W^T W H + delta)`` and
        ``(X H^T) / (W H H^T + delta)``. Above 1 the entry grows, below 1 it shrinks.
    loss : float
        ``0.5 * ||X - W H||_F^2`` after the step, the objective :func:`nmfcore.factorize`
        reports in its history for ``loss="frobenius"``.
    """

    W: np.ndarray
    H: np.ndarray
    ratio_H: np.ndarray
    ratio_W: np.ndarray
    loss: float


def mu_step(X, W, H, delta: float = 1e-10) -> MUStep:
    """One Lee-Seung multiplicative update for the Frobenius loss.

    ``H <- H * (W^T X) / (W^T W H + delta)``, then ``W <- W * (X H^T) / (W H H^T + delta)``.
    With ``delta = 0`` a zero denominator gives ``0/0 = nan``; numpy warnings about it are
    silenced so the lesson can show the nan.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    delta : float, default=1e-10
        Added to each denominator.

    Returns
    -------
    MUStep
    """
    X = np.asarray(X, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio_H = (W.T @ X) / (W.T @ W @ H + delta)
        H_new = H * ratio_H
        ratio_W = (X @ H_new.T) / (W @ (H_new @ H_new.T) + delta)
        W_new = W * ratio_W
        loss = 0.5 * frobenius_loss(X, W_new, H_new)
    return MUStep(W_new, H_new, ratio_H, ratio_W, loss)


def mu_trace(X, W0, H0, n_steps: int, delta: float = 1e-10) -> list[MUStep]:
    """``n_steps`` successive :func:`mu_step` results from ``(W0, H0)``."""
    steps, W, H = [], np.array(W0, dtype=float), np.array(H0, dtype=float)
    for _ in range(int(n_steps)):
        step = mu_step(X, W, H, delta)
        steps.append(step)
        W, H = step.W, step.H
    return steps


def gradient_step(X, W, H, *, learning_rate: float, l2: float = 0.0, rows=None,
                  project: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """One gradient step on ``||X - W H||^2 + l2 (||W||^2 + ||H||^2)`` (hand-written style).

    With residual ``R = X - W H`` on the chosen rows: ``W <- W + eta (R H^T - l2 W)`` and
    ``H <- H + eta (W^T R - l2 H)``, both from the same ``R``. Without projection nothing
    stops entries from going negative; with it, they are clipped at zero afterwards.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    learning_rate : float
        Step size ``eta`` (absolute).
    l2 : float, default=0.0
        Ridge penalty ``lambda``.
    rows : array_like of int or None, default=None
        Mini-batch of sample indices; ``None`` uses every row.
    project : bool, default=True
        Clip both factors at zero after the step.

    Returns
    -------
    W, H : ndarray
        New factors (the inputs are not modified).
    """
    X = np.asarray(X, dtype=float)
    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows)
    W, H = np.array(W, dtype=float), np.array(H, dtype=float)
    Wb = W[rows]
    R = X[rows] - Wb @ H
    scale = X.shape[0] / len(rows)  # unbiased estimate of the full gradient for H
    W[rows] = Wb + learning_rate * (R @ H.T - l2 * Wb)
    H = H + learning_rate * (scale * (Wb.T @ R) - l2 * H)
    if project:
        np.maximum(W, 0.0, out=W)
        np.maximum(H, 0.0, out=H)
    return W, H


@dataclass(frozen=True)
class GradientTrace:
    """What a run of :func:`gradient_descent` did, one entry per epoch (index 0 = start).

    Attributes
    ----------
    loss : ndarray
        Squared Frobenius error (``inf`` once the run has blown up).
    min_entry : ndarray
        Smallest entry of W and H together (negative means the factors left the NMF set).
    negative_fraction : ndarray
        Share of entries of W and H below zero.
    W, H : ndarray
        Final factors (the last finite ones if the run diverged).
    diverged : bool
        True when the loss became non-finite or grew beyond ``1e6`` times its start.
    """

    loss: np.ndarray
    min_entry: np.ndarray
    negative_fraction: np.ndarray
    W: np.ndarray
    H: np.ndarray
    diverged: bool


def gradient_descent(X, W0, H0, *, learning_rate: float, l2: float = 0.0,
                     batch_size: int | None = None, n_epochs: int = 50,
                     project: bool = True, random_state=0) -> GradientTrace:
    """Plain (mini-batch) gradient descent from ``(W0, H0)``, projected or not.

    Each epoch visits the rows in a random order in batches of ``batch_size`` and calls
    :func:`gradient_step` on each batch. The run stops early when it diverges.

    Parameters
    ----------
    X : array_like of shape (n_samples, n_features)
    W0 : ndarray of shape (n_samples, rank)
    H0 : ndarray of shape (rank, n_features)
    learning_rate : float
        Absolute step size.
    l2 : float, default=0.0
    batch_size : int or None, default=None
        Rows per step; ``None`` = all rows (full gradient).
    n_epochs : int, default=50
    project : bool, default=True
    random_state : int or numpy.random.Generator, default=0
        Shuffles the batches.

    Returns
    -------
    GradientTrace
    """
    X = np.asarray(X, dtype=float)
    rng = _rng(random_state)
    m = X.shape[0]
    bs = m if batch_size is None else max(1, min(int(batch_size), m))
    W, H = np.array(W0, dtype=float), np.array(H0, dtype=float)

    def _record(W, H):
        both = np.concatenate([W.ravel(), H.ravel()])
        return frobenius_loss(X, W, H), float(both.min()), float(np.mean(both < 0))

    rec = [_record(W, H)]
    start, diverged = rec[0][0], False
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(int(n_epochs)):
            order = rng.permutation(m)
            Wn, Hn = W, H
            for b in range(0, m, bs):
                Wn, Hn = gradient_step(X, Wn, Hn, learning_rate=learning_rate, l2=l2,
                                       rows=order[b:b + bs], project=project)
            r = _record(Wn, Hn)
            if not np.isfinite(r[0]) or r[0] > 1e6 * max(start, 1e-12):
                diverged = True
                rec.append((np.inf, r[1] if np.isfinite(r[1]) else -np.inf, r[2]))
                break
            W, H = Wn, Hn
            rec.append(r)
    loss, mins, neg = (np.array(c, dtype=float) for c in zip(*rec))
    return GradientTrace(loss, mins, neg, W, H, diverged)


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
