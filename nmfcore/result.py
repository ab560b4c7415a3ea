"""The frozen result of a fit and the state handed to callbacks."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import numpy as np


class ConvergenceWarning(UserWarning):
    """A fit stopped at ``max_iter``, or stalled, before converging."""


# The columns of every fit's history, in this order (NMFResult.history, live progress, CSV).
HISTORY_KEYS = ("iteration", "seconds", "loss", "rel_error")

STATUS_MESSAGES = {
    "converged": "The loss stopped decreasing at a stationary point (projected gradient below gtol).",
    "stalled": "The loss stopped decreasing away from a stationary point (projected gradient above gtol).",
    "max_iter": "Stopped after max_iter iterations before converging.",
    "max_time": "Stopped after max_time seconds.",
    "stopped": "Stopped by the callback.",
    "diverged": "The loss grew without bound (step too large); the last finite iterate is returned.",
}


@dataclass(frozen=True)
class IterationState:
    """What a callback sees after each iteration (and once for the starting point).

    Attributes
    ----------
    iteration : int
        0 for the starting point, then 1, 2, ...
    seconds : float
        Solver time so far (callback time excluded).
    loss : float
        Objective value (penalties included) at the current iterate.
    rel_error : float
        ``||X - W H||_F / ||X||_F`` over the observed entries.
    W : ndarray of shape (n_samples, rank)
        Read-only view of the current W (copy it to keep it).
    H : ndarray of shape (rank, n_features)
        Read-only view of the current H.
    """

    iteration: int
    seconds: float
    loss: float
    rel_error: float
    W: np.ndarray
    H: np.ndarray


@dataclass(frozen=True)
class NMFResult:
    """Result of :func:`nmfcore.factorize`.

    Attributes
    ----------
    W : ndarray of shape (n_samples, rank)
        Sample weights, finite and >= 0.
    H : ndarray of shape (rank, n_features)
        Components, finite and >= 0.
    n_iter : int
        Iterations (epochs for ``sgd``) run.
    converged : bool
        True when the fit stopped at a stationary point (``status == "converged"``).
    status : {"converged", "stalled", "max_iter", "max_time", "stopped", "diverged"}
        Why the fit stopped; ``message`` says it in words, with the test that decided it.
        ``"stalled"``: the loss stopped decreasing but the projected gradient is still above
        ``gtol`` times its start (not a stationary point).
    message : str
    history : mapping of str to ndarray of shape (n_iter + 1,)
        ``"iteration"``, ``"seconds"``, ``"loss"`` and ``"rel_error"`` for the starting point and
        after every iteration.
    solver, loss : str
    rank : int
    random_state : int
        The seed actually used; ``factorize(X, **result.params)`` replays the fit.
    params : mapping
        Every keyword needed to reproduce the fit with :func:`nmfcore.factorize`.
    init_seconds : float
        Time spent building the starting point.
    gradient_ratio : float
        Last measured ``||P grad f|| / ||P grad f_0||`` (projected gradient relative to the
        start); NaN when never measured (``tol=0``).
    n_revived : int
        Components that collapsed to zero during the fit and were re-seeded from the residual.
    n_dead : int
        Components that carry nothing at the end because the data leave nothing for them.
    """

    W: np.ndarray
    H: np.ndarray
    n_iter: int
    converged: bool
    status: str
    message: str
    history: Mapping[str, np.ndarray]
    solver: str
    loss: str
    rank: int
    random_state: int
    params: Mapping[str, object]
    init_seconds: float = 0.0
    gradient_ratio: float = float("nan")
    n_revived: int = 0
    n_dead: int = 0

    @property
    def rel_error(self) -> float:
        """Final relative error ``||X - W H||_F / ||X||_F`` (observed entries)."""
        return float(self.history["rel_error"][-1])

    @property
    def final_loss(self) -> float:
        return float(self.history["loss"][-1])

    @property
    def seconds(self) -> float:
        """Solver time (initialisation and callbacks excluded)."""
        return float(self.history["seconds"][-1])

    def reconstruction(self) -> np.ndarray:
        """The dense product ``W @ H`` of shape (n_samples, n_features)."""
        return self.W @ self.H

    def __repr__(self) -> str:
        return (f"NMFResult(solver={self.solver!r}, loss={self.loss!r}, rank={self.rank}, "
                f"status={self.status!r}, n_iter={self.n_iter}, rel_error={self.rel_error:.4g}, "
                f"seconds={self.seconds:.3g}, random_state={self.random_state})")


def freeze_history(columns: dict) -> Mapping[str, np.ndarray]:
    out = {}
    for key, values in columns.items():
        arr = np.asarray(values, dtype=np.int64 if key == "iteration" else np.float64)
        arr.flags.writeable = False
        out[key] = arr
    return out
