"""Many fits of the same model from independent random starts, aligned and summarised.

NMF is not unique: ``W D P^T, P D^-1 H`` fits as well as ``W, H`` for any positive diagonal
``D`` and permutation ``P``, and different starts reach different local minima.
:func:`restarts` runs ``n_restarts`` fits (each one a call to :func:`nmfcore.factorize`),
removes the scaling (unit-norm rows of ``H``) and the permutation (Hungarian matching to a
reference fit), and measures what stays stable: per-component similarity, spread of the final
losses, and the consensus of the hard sample assignments (cophenetic, dispersion, PAC).

The module name is private so that it never shadows the function: import
:func:`restarts` and :class:`RestartsResult` from :mod:`nmfcore`.
"""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np
import scipy.sparse as sp

from . import consensus as _cons
from ._factorize import factorize
from ._memory import check_budget, estimate_fit_bytes
from ._validation import NMFInputError
from ._parallel import run_tasks
from .alignment import align_fit, normalize_factors
from .result import NMFResult, freeze_history

__all__ = ["restarts", "RestartsResult", "spawn_seeds"]

#: Above this many samples the (n_samples x n_samples) consensus is not built by default.
CONSENSUS_MAX_SAMPLES = 5000


def spawn_seeds(random_state, n: int) -> tuple[int, list[int]]:
    """Independent integer seeds for ``n`` fits, all derived from one ``random_state``.

    Parameters
    ----------
    random_state : int, numpy.random.Generator or None
        ``None`` draws fresh entropy; a Generator is consumed once to get the root seed.
    n : int
        Number of seeds.

    Returns
    -------
    root : int
        The root entropy actually used (pass it back to reproduce every seed).
    seeds : list of int
        ``n`` seeds in ``[0, 2**32)`` from ``numpy.random.SeedSequence(root).spawn(n)``.
    """
    if isinstance(random_state, np.random.Generator):
        root = int(random_state.integers(0, 2**63))
    elif random_state is None:
        root = int(np.random.SeedSequence().entropy)
    elif isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool) \
            and random_state >= 0:
        root = int(random_state)
    else:
        raise ValueError("random_state must be a non-negative int, a numpy.random.Generator or "
                         f"None; got {random_state!r}")
    children = np.random.SeedSequence(root).spawn(n)
    return root, [int(c.generate_state(1, np.uint32)[0]) for c in children]


@dataclass(frozen=True)
class FitTask:
    """One fit to run: which matrix of the shared dict, rank, seed, keywords, hold-out."""

    data: str
    rank: int
    seed: int
    kw: dict
    holdout: tuple[float, int] | None = None     # (fraction of observed entries, mask seed)
    tag: tuple = ()                              # caller's bookkeeping (e.g. ("cv", rank, fold))


def holdout_mask(observed: np.ndarray, fraction: float, seed: int) -> np.ndarray:
    """Pick ``round(fraction * n_observed)`` observed entries at random ("speckled" hold-out).

    Parameters
    ----------
    observed : ndarray of bool of shape (n_samples, n_features)
    fraction : float in (0, 1)
    seed : int

    Returns
    -------
    hidden : ndarray of bool of shape (n_samples, n_features)
        True on the held-out entries (a subset of ``observed``).
    """
    flat = np.flatnonzero(observed)
    k = max(1, int(round(fraction * flat.size)))
    pick = np.random.default_rng(seed).choice(flat, size=k, replace=False)
    hidden = np.zeros(observed.shape, dtype=bool)
    hidden.flat[pick] = True
    return hidden


def receive_fit(res: NMFResult) -> NMFResult:
    """A result back from a worker process: its history arrays, writeable after unpickling,
    are made read-only again (as :func:`nmfcore.factorize` returns them)."""
    return replace(res, history=freeze_history(dict(res.history)))


def fit_task(shared: dict, task: FitTask) -> NMFResult:
    """Run one :class:`FitTask` (module level so process pools and Dask can pickle it).

    Pass ``receive=receive_fit`` to ``run_tasks``.
    """
    X = shared[task.data]
    kw = dict(task.kw)
    if task.holdout is not None:
        observed = shared.get("observed")
        if observed is None:
            observed = np.ones(X.shape, dtype=bool)
        hidden = holdout_mask(observed, task.holdout[0], task.holdout[1])
        kw.pop("missing", None)
        kw["mask"] = observed & ~hidden
        dense = X.toarray() if sp.issparse(X) else np.asarray(X)
        if not (np.where(kw["mask"], dense, 0.0) > 0).any():
            raise NMFInputError(
                "X has too few positive entries for cross-validation: a hold-out fold hid all "
                "of them. Use cv_folds=0 (no held-out error) or a data set with more non-zeros.")
    return factorize(X, task.rank, random_state=task.seed, **kw)


@dataclass(frozen=True)
class RestartsResult:
    """Result of :func:`restarts`.

    Attributes
    ----------
    fits : tuple of NMFResult
        Every finished fit, in seed order (as returned by :func:`nmfcore.factorize`).
    seeds : ndarray of shape (n_fits,)
        Seed of each fit (``fits[i].random_state``).
    random_state : int
        Root seed; ``restarts(X, rank, n_restarts, random_state=...)`` replays every fit.
    reference : int
        Index of the fit the others are aligned to (``-1`` for a user-given ``H``).
    W : ndarray of shape (n_fits, n_samples, rank)
        Normalised (scale moved from ``H``) and aligned ``W`` of every fit.
    H : ndarray of shape (n_fits, rank, n_features)
        Unit-norm, aligned components: ``H[i, k]`` of all fits describe the same component.
    permutations : ndarray of shape (n_fits, rank)
        ``H[i] = normalised(fits[i].H)[permutations[i]]``.
    similarity : ndarray of shape (n_fits, rank)
        Cosine similarity of each aligned component to the reference component.
    similarity_mean, similarity_min : ndarray of shape (rank,)
        Mean and minimum of ``similarity`` over the fits other than the reference (all fits
        when the reference is user-given or there is only one fit).
    losses, rel_errors : ndarray of shape (n_fits,)
        Final objective and relative error of each fit.
    labels : ndarray of shape (n_fits, n_samples)
        Hard assignment (dominant component, aligned numbering) of every sample in every fit.
    consensus : ndarray of shape (n_samples, n_samples) or None
        Mean connectivity of ``labels``; None when disabled (see ``consensus=`` argument).
        Computed on first access, like the next three (an O(n_samples^2) step the restart
        gallery may never need), then cached.
    order : ndarray of shape (n_samples,) or None
        Average-linkage order of ``consensus`` (for a reordered heatmap).
    cophenetic, dispersion, pac : float
        Summaries of ``consensus`` (NaN when it is disabled).
    build_consensus : bool
        Whether ``consensus`` is available.
    cancelled : bool
        True if the progress callback stopped the run; the fields then cover the finished fits.
    n_requested : int
        Number of restarts asked for.
    lost : int
        Fits that did not finish because the Dask cluster failed (scheduler lost, worker
        killed beyond Dask's retries); the fields then cover the finished fits.
    reason : str or None
        Why those fits were lost (a clause such as ``"the connection to the Dask scheduler
        was lost"``); None when none was.
    params : dict
        The arguments of the call (``fit_kw`` included) to reproduce it.
    """

    fits: tuple
    seeds: np.ndarray
    random_state: int
    reference: int
    W: np.ndarray
    H: np.ndarray
    permutations: np.ndarray
    similarity: np.ndarray
    similarity_mean: np.ndarray
    similarity_min: np.ndarray
    losses: np.ndarray
    rel_errors: np.ndarray
    labels: np.ndarray
    build_consensus: bool = True
    cancelled: bool = False
    n_requested: int = 0
    params: dict = field(default_factory=dict)
    lost: int = 0
    reason: str | None = None

    @property
    def partial(self) -> bool:
        """True when fewer fits finished than were asked for (Stop, or a cluster failure)."""
        return self.n_fits < self.n_requested

    @cached_property
    def _consensus(self) -> dict:
        if not self.build_consensus:
            return {"C": None, "order": None, "cophenetic": float("nan"),
                    "dispersion": float("nan"), "pac": float("nan")}
        C = _cons.consensus_matrix(self.labels)
        return {"C": C, **_cons.consensus_summary(C)}

    @property
    def consensus(self) -> np.ndarray | None:
        return self._consensus["C"]

    @property
    def order(self) -> np.ndarray | None:
        return self._consensus["order"]

    @property
    def cophenetic(self) -> float:
        return self._consensus["cophenetic"]

    @property
    def dispersion(self) -> float:
        return self._consensus["dispersion"]

    @property
    def pac(self) -> float:
        return self._consensus["pac"]

    @property
    def n_fits(self) -> int:
        return len(self.fits)

    @property
    def statuses(self) -> dict:
        """How many fits ended in each status, e.g. ``{"converged": 18, "max_iter": 2}``."""
        out: dict = {}
        for f in self.fits:
            out[f.status] = out.get(f.status, 0) + 1
        return out

    @property
    def n_unconverged(self) -> int:
        """Fits that did not reach a stationary point (stalled, max_iter, max_time, ...)."""
        return sum(1 for f in self.fits if not f.converged)

    @property
    def best(self) -> int:
        """Index of the fit with the lowest final loss."""
        return int(np.argmin(self.losses))

    @property
    def loss_spread(self) -> float:
        """``(max - min) / min`` of the final losses (0 when all restarts agree)."""
        lo = float(np.min(self.losses))
        return float((np.max(self.losses) - lo) / lo) if lo > 0 else float(np.ptp(self.losses))

    def __repr__(self) -> str:
        return (f"RestartsResult(n_fits={self.n_fits}, rank={self.H.shape[1]}, "
                f"best_loss={np.min(self.losses):.4g}, loss_spread={self.loss_spread:.3g}, "
                f"similarity_min={np.round(self.similarity_min, 3).tolist()}, "
                f"cophenetic={self._cophenetic_text()}, cancelled={self.cancelled})")

    def _cophenetic_text(self) -> str:
        if "_consensus" not in self.__dict__:          # do not trigger the O(n^2) step
            return "(not computed yet)"
        return f"{self.cophenetic:.3f}"


def summarize_fits(fits, *, reference: Any = "best", consensus: Any = "auto",
                   seeds=None, root: int = 0, cancelled: bool = False,
                   n_requested: int | None = None, params: dict | None = None,
                   lost: int = 0, reason: str | None = None) -> RestartsResult:
    """Normalise, align and summarise fits of the same rank into a :class:`RestartsResult`.

    Parameters
    ----------
    fits : sequence of NMFResult
        At least one fit; all with the same rank and data shape.
    reference : "best", int or ndarray of shape (rank, n_features), default="best"
        Fit to align to: the lowest final loss, an index into ``fits``, or given components.
    consensus : "auto" or bool, default="auto"
        Make the consensus matrix available (computed lazily); "auto" does so for at most
        :data:`CONSENSUS_MAX_SAMPLES` samples.
    seeds, root, cancelled, n_requested, params, lost, reason
        Stored as they are in the result.

    Returns
    -------
    RestartsResult
    """
    fits = tuple(fits)
    if not fits:
        raise ValueError("summarize_fits needs at least one fit; got none")
    losses = np.array([f.final_loss for f in fits])
    normalised = [normalize_factors(f.W, f.H) for f in fits]
    if isinstance(reference, str) and reference == "best":
        ref_idx = int(np.argmin(losses))
        H_ref = normalised[ref_idx][1]
    elif isinstance(reference, (int, np.integer)) and not isinstance(reference, bool):
        if not -len(fits) <= reference < len(fits):
            raise ValueError(f"reference index must be in [0, {len(fits)}); got {reference}")
        ref_idx = int(reference) % len(fits)
        H_ref = normalised[ref_idx][1]
    else:
        ref_idx = -1
        H_ref = normalize_factors(np.ones((1, np.shape(reference)[0])), np.asarray(reference,
                                  dtype=float))[1]
    aligned = [align_fit(Wn, Hn, H_ref) for Wn, Hn in normalised]
    W = np.stack([a[0] for a in aligned])
    H = np.stack([a[1] for a in aligned])
    perms = np.stack([a[2] for a in aligned])
    sim = np.stack([a[3] for a in aligned])
    others = [i for i in range(len(fits)) if i != ref_idx] or list(range(len(fits)))
    labels = np.stack([_cons.hard_assignments(w) for w in W])
    n = W.shape[1]
    build = (n <= CONSENSUS_MAX_SAMPLES) if consensus == "auto" else bool(consensus)
    return RestartsResult(
        fits=fits, seeds=np.array([f.random_state for f in fits] if seeds is None else seeds),
        random_state=int(root), reference=ref_idx, W=W, H=H, permutations=perms,
        similarity=sim, similarity_mean=sim[others].mean(axis=0),
        similarity_min=sim[others].min(axis=0), losses=losses,
        rel_errors=np.array([f.rel_error for f in fits]), labels=labels,
        build_consensus=build, cancelled=cancelled,
        n_requested=len(fits) if n_requested is None else n_requested, params=params or {},
        lost=int(lost), reason=reason)


def restart_kwargs(fit_kw: dict, n_restarts: int) -> dict:
    """Default ``init="random"`` and warn when every restart would start from the same point."""
    kw = dict(fit_kw)
    kw.setdefault("init", "random")
    if n_restarts > 1 and (kw.get("W0") is not None or kw["init"] in ("nndsvd", "nndsvda")):
        warnings.warn(f"init={kw['init']!r} (or W0/H0) is deterministic: all {n_restarts} "
                      "restarts start from the same point; use init='random' to explore "
                      "local minima", UserWarning, stacklevel=3)
    return kw


def restarts(X, rank: int, n_restarts: int = 10, random_state=None, n_jobs: int | None = 1,
             executor=None, callback: Callable | None = None, reference="best",
             consensus="auto", **fit_kw) -> RestartsResult:
    """Fit the same model from ``n_restarts`` independent random starts and compare them.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        Non-negative data (NaN allowed with ``missing="mask"``, as in ``factorize``).
    rank : int
        Number of components.
    n_restarts : int, default=10
        Number of fits.
    random_state : int, numpy.random.Generator or None, default=None
        Root of the seeds: fit ``i`` uses ``SeedSequence(root).spawn(n_restarts)[i]``, so the
        results are identical whatever ``n_jobs`` or ``executor`` is.
    n_jobs : int or None, default=1
        Local worker processes (``-1``: all CPUs); each worker uses one BLAS thread.
    executor : None, dask.distributed.Client, str or concurrent.futures.Executor, default=None
        Run the fits elsewhere: a Dask client or scheduler address (needs the ``dask`` extra),
        or any Executor. Overrides ``n_jobs``.
    callback : callable or None, default=None
        ``callback(n_done, n_total, result)`` after each finished fit (in completion order). A
        truthy return value cancels the remaining fits: the result then covers the finished
        fits and has ``cancelled=True`` (no exception is raised). On a Dask cluster that fails
        mid-run (scheduler lost, a worker killed beyond Dask's own retries) the result also
        covers the finished fits, with ``lost`` and ``reason`` set.
    reference : "best", int or ndarray of shape (rank, n_features), default="best"
        What the components are aligned to: the fit with the lowest final loss, the fit with
        that index, or given components (e.g. from an earlier run).
    consensus : "auto" or bool, default="auto"
        Make the (n_samples, n_samples) consensus matrix available (built on first access);
        "auto": only for at most 5000 samples.
    **fit_kw
        Passed to :func:`nmfcore.factorize` (``solver``, ``loss``, ``max_iter``, ``tol``, ...).
        ``init`` defaults to ``"random"`` here: the deterministic initialisations
        (``"nndsvd"``, ``"nndsvda"``) or a given ``W0``/``H0`` would make every restart identical
        (a ``UserWarning`` says so).

    Returns
    -------
    RestartsResult
        All fits, aligned factors, similarity per component, losses, hard assignments,
        consensus matrix, its order, cophenetic correlation, dispersion and PAC.

    Raises
    ------
    ValueError
        Invalid ``n_restarts``, ``random_state`` or ``reference``; invalid fit arguments are
        reported by :func:`nmfcore.factorize` (raised from the first failing fit).
    ClusterError
        The Dask scheduler cannot be reached, or the cluster failed before any fit finished.

    Examples
    --------
    >>> import numpy as np, nmfcore
    >>> X = np.random.default_rng(0).random((30, 12))
    >>> res = nmfcore.restarts(X, 3, n_restarts=4, random_state=0, max_iter=50)
    >>> res.H.shape, res.consensus.shape
    ((4, 3, 12), (30, 30))
    """
    if not isinstance(n_restarts, (int, np.integer)) or isinstance(n_restarts, bool) \
            or n_restarts < 1:
        raise ValueError(f"n_restarts must be an int >= 1; got {n_restarts!r}")
    kw = restart_kwargs(fit_kw, n_restarts)
    if hasattr(X, "shape") and isinstance(rank, int) and rank > 0:   # refuse before any worker
        workers = 1 if n_jobs in (None, 1) or executor is not None else max(1, int(n_jobs))
        needed = workers * estimate_fit_bytes(X, rank, loss=kw.get("loss", "frobenius"),
                                              masked=kw.get("missing") == "mask")
        check_budget(needed, kw.get("memory_budget"),
                     f"{n_restarts} restarts (rank {rank} on {X.shape[0]} x {X.shape[1]})")
    root, seeds = spawn_seeds(random_state, int(n_restarts))
    tasks = [FitTask("X", rank, s, kw) for s in seeds]
    run = run_tasks(fit_task, tasks, shared={"X": X}, n_jobs=n_jobs, executor=executor,
                    callback=callback, receive=receive_fit)
    done = [i for i, r in enumerate(run.results) if r is not None]
    params = {"rank": rank, "n_restarts": int(n_restarts), "random_state": root,
              "reference": reference if isinstance(reference, (str, int)) else "array", **kw}
    return summarize_fits([run.results[i] for i in done], reference=reference,
                          consensus=consensus, seeds=[seeds[i] for i in done], root=root,
                          cancelled=run.cancelled, n_requested=int(n_restarts), params=params,
                          lost=len(run.lost), reason=run.reason)
