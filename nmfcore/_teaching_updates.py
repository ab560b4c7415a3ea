"""Update rules of the Learn lessons, one step at a time (numpy only).

One Lee-Seung multiplicative-update step with its update ratios exposed (:func:`mu_step`,
:func:`mu_trace`) and the (un)projected gradient step of the classic "hand-written NMF"
tutorial (:func:`gradient_step`, :func:`gradient_descent`), with the squared Frobenius error
they report. Written for readability on small matrices, not for speed.

Everything here is re-exported by :mod:`nmfcore.teaching`; import it from there.

References
----------
Lee, D. D. and Seung, H. S. (2001). Algorithms for non-negative matrix factorization.
NIPS 13, 556-562.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _rng(random_state) -> np.random.Generator:
    return np.random.default_rng(random_state)


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
