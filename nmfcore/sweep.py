"""Rank selection: every common criterion for a range of ranks, side by side.

For each rank :func:`rank_sweep` runs restarts (consensus, cophenetic, dispersion, PAC,
silhouette, stability of components), speckled cross-validation (a random share of the entries
is hidden, the model is fitted on the rest with a masked solver and judged on the hidden ones;
Owen & Perry 2009, RcppML's ``crossValidate``) and the same fits on a shuffled copy of the data
(each column permuted independently, R NMF's ``randomize``; Frigyesi & Hoglund 2008). Four
rules turn the table into suggestions; they need not agree, and the UI shows where they do not.

Sparse data too large to densify (more than ``limits.MAX_DENSE_CELLS_FOR_MASK`` cells) is never
made dense: the held-out error is then Owen & Perry's bi-cross-validation (a random block of
rows and columns is held out; the fit on the other rows and columns, with both factors
extended to the block by non-negative least squares, predicts it) and the shuffled copy is
built column by column in sparse form.

References
----------
Brunet, J.-P. et al. (2004). PNAS 101(12), 4164-4169. doi:10.1073/pnas.0308531101
Frigyesi, A., Hoglund, M. (2008). Non-negative matrix factorization for the analysis of
complex gene expression data. Cancer Informatics 6, 275-292. doi:10.4137/cin.s606
Owen, A. B., Perry, P. O. (2009). Bi-cross-validation of the SVD and the nonnegative matrix
factorization. Ann. Appl. Stat. 3(2), 564-594. doi:10.1214/08-AOAS227
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import scipy.sparse as sp

from . import consensus as _cons
from .criteria import CRITERIA
from . import metrics as _metrics
from ._factorize import factorize
from ._parallel import run_tasks
from ._memory import check_budget, estimate_fit_bytes
from ._restarts import (FitTask, RestartsResult, fit_task, holdout_mask, receive_fit,
                        restart_kwargs, spawn_seeds, summarize_fits)
from .limits import MAX_DENSE_CELLS_FOR_MASK
from .losses import wh_at_nonzeros
from .projection import project_weights
from .solvers import SOLVERS, masked_counterpart

__all__ = ["rank_sweep", "SweepResult", "RankSuggestion", "COLUMNS"]

#: Columns of :attr:`SweepResult.table`, in display order.
COLUMNS = ("rank", "seed", "rel_error", "explained_variance", "cophenetic", "dispersion", "pac",
           "silhouette", "similarity", "cv_error", "cv_error_std", "shuffled_rel_error",
           "shuffled_explained_variance", "shuffled_cv_error")

#: Brunet's rule ignores cophenetic decreases smaller than this.
COPHENETIC_DROP = 0.01

_GENERIC_KW = ("loss", "beta", "init", "max_iter", "tol", "max_time", "l1", "l2")


@dataclass(frozen=True)
class RankSuggestion:
    """The rank one rule picks, with the rule's name, a one-line reason and the column of
    :data:`nmfcore.criteria.CRITERIA` the rule reads."""

    rule: str
    rank: int | None
    explanation: str
    criterion: str | None = None


@dataclass(frozen=True)
class SweepResult:
    """Result of :func:`rank_sweep`.

    Attributes
    ----------
    table : dict of str to ndarray of shape (n_ranks,)
        Columns :data:`COLUMNS` (equal length, one row per completed rank, ascending):
        ``rank``; ``seed`` (root seed of that rank's restarts: ``restarts(X, rank,
        n_restarts, random_state=seed, **fit_kw)`` replays them); ``rel_error`` and
        ``explained_variance`` of the best restart; ``cophenetic``, ``dispersion``, ``pac`` of
        the consensus; ``silhouette`` of the consensus clustering (tree on ``1 - C`` cut into
        ``rank`` groups, distances ``1 - C``); ``similarity`` (mean over components of the mean
        cosine similarity of aligned components to the best restart); ``cv_error`` (mean
        relative error on held-out entries over the folds) and its standard deviation;
        ``shuffled_rel_error``, ``shuffled_explained_variance`` (``1 - shuffled_rel_error**2``)
        and ``shuffled_cv_error`` on the column-shuffled data. :data:`nmfcore.criteria.CRITERIA`
        describes each criterion column.
        Undefined values are NaN: consensus measures and silhouette at rank 1 (one cluster),
        CV columns when ``cv_folds=0``, shuffled columns when ``shuffle_baseline=False``.
    suggestions : tuple of RankSuggestion
        One per rule, in this order: ``"lowest held-out error"``, ``"Brunet: first drop of
        cophenetic"`` (first rank whose next rank's cophenetic is lower by more than
        :data:`COPHENETIC_DROP`), ``"Senbabaoglu: lowest PAC"``, ``"Frigyesi: error decrease
        below shuffled data"`` (smallest rank where adding a component lowers the relative error
        ``||X - WH|| / ||X||`` less than on shuffled data; Frigyesi & Hoglund state it with the
        RSS, whose drops on the shuffled copy are inflated by its larger residual, so the
        relative error is used: same norm ``||X||`` for both, compared on the unsquared scale).
        ``rank`` is None when a rule cannot be applied.
    restarts : dict of int to RestartsResult
        Everything about the restarts at each rank (aligned factors, consensus, its order).
    cv_errors : dict of int to ndarray of shape (cv_folds,)
        Held-out error of each fold.
    random_state : int
        Root seed; the same call with it replays the whole sweep.
    cancelled : bool
        True if the callback stopped the sweep: the table then holds the ranks whose fits all
        finished (possibly none) and no exception is raised.
    n_fits : int
        Number of fits the full sweep needs (progress total).
    params : dict
        Arguments of the call.
    n_done : int
        Fits that finished (``n_fits`` unless stopped or lost).
    lost : int
        Fits that did not finish because the Dask cluster failed (scheduler lost, a worker
        killed beyond Dask's own retries); the table then holds the ranks whose fits all
        finished and :attr:`unfinished` names the others.
    reason : str or None
        Why those fits were lost (a clause); None when none was.
    """

    table: dict
    suggestions: tuple
    restarts: dict
    cv_errors: dict
    random_state: int
    cancelled: bool = False
    n_fits: int = 0
    params: dict = field(default_factory=dict)
    n_done: int = 0
    lost: int = 0
    reason: str | None = None

    @property
    def ranks(self) -> list[int]:
        return [int(r) for r in self.table["rank"]]

    @property
    def unfinished(self) -> list[int]:
        """Ranks asked for that are not in the table (stopped or lost before all their fits
        finished)."""
        done = set(self.ranks)
        return [int(r) for r in self.params.get("ranks", ()) if int(r) not in done]

    @property
    def partial(self) -> bool:
        """True when some asked-for rank is missing from the table (Stop or cluster failure)."""
        return bool(self.unfinished)

    @property
    def n_unconverged(self) -> int:
        """Restart fits, over all ranks, that did not reach a stationary point; when it is not
        0 the criteria rest partly on unfinished fits (raise ``max_iter``)."""
        return sum(res.n_unconverged for res in self.restarts.values())

    @property
    def consensus(self) -> dict:
        """Consensus matrix of each rank (for a reordered heatmap with :attr:`orders`)."""
        return {r: res.consensus for r, res in self.restarts.items()}

    @property
    def orders(self) -> dict:
        """Average-linkage sample order of each rank's consensus matrix."""
        return {r: res.order for r, res in self.restarts.items()}

    def rows(self) -> list[dict]:
        """The table as a list of row dicts (ints for rank and seed, floats elsewhere)."""
        return [{c: (int(self.table[c][i]) if c in ("rank", "seed") else float(self.table[c][i]))
                 for c in COLUMNS} for i in range(len(self.table["rank"]))]


def _derive(root: int, *key: int) -> int:
    """An int seed determined by ``root`` and a key (independent of the list of ranks)."""
    return int(np.random.SeedSequence(root, spawn_key=key).generate_state(1, np.uint32)[0])


def _check_ranks(ranks, shape) -> list[int]:
    try:
        out = sorted({int(r) for r in ranks})
    except (TypeError, ValueError):
        raise ValueError(f"ranks must be a sequence of ints; got {ranks!r}") from None
    if not out or any(int(r) != r for r in ranks):
        raise ValueError(f"ranks must be a non-empty sequence of ints; got {ranks!r}")
    hi = min(shape)
    if out[0] < 1 or out[-1] > hi:
        raise ValueError(f"every rank must be in [1, {hi}] (min(n_samples, n_features)); "
                         f"got {out}")
    return out


def _cv_kwargs(kw: dict) -> dict:
    """Fit keywords for masked (held-out) fits: keep the solver if it can mask, else switch to
    its masked counterpart (``Solver.masked_fallback``) without its own options."""
    solver = kw.get("solver", "mu")
    if solver not in SOLVERS or SOLVERS[solver].supports_mask:
        return dict(kw)
    out = {k: kw[k] for k in _GENERIC_KW if k in kw}
    out["solver"] = masked_counterpart(solver, kw.get("loss", "frobenius"))
    return out


def _prepare(X, fit_kw):
    """Dense data with zeros at missing entries, the observed mask (or None) and the raw X."""
    mask = fit_kw.get("mask")
    dense = X.toarray() if sp.issparse(X) else np.asarray(X, dtype=float)
    observed = None
    if fit_kw.get("missing") == "mask":
        observed = ~np.isnan(dense)
    if mask is not None:
        m = np.asarray(mask, dtype=bool)
        observed = m if observed is None else observed & m
    if observed is not None:
        dense = np.where(observed, dense, 0.0)
    return dense, observed


def _hidden_error(Xd, observed, fraction, mask_seed, res) -> float:
    hidden = holdout_mask(np.ones(Xd.shape, bool) if observed is None else observed,
                          fraction, mask_seed)
    rows, cols = np.nonzero(hidden)
    pred = np.einsum("ij,ji->i", res.W[rows], res.H[:, cols])
    truth = Xd[rows, cols]
    den = float(truth @ truth)
    return float(np.sqrt(((truth - pred) ** 2).sum() / den)) if den > 0 else float("nan")


def uses_bicross_validation(X, fit_kw: dict | None = None) -> bool:
    """Whether :func:`rank_sweep` holds out a block (sparse data too large to densify, no mask)
    rather than speckled entries."""
    fit_kw = fit_kw or {}
    return (sp.issparse(X) and X.shape[0] * X.shape[1] > MAX_DENSE_CELLS_FOR_MASK
            and fit_kw.get("mask") is None and fit_kw.get("missing") != "mask")


def bcv_split(shape: tuple[int, int], fraction: float, seed: int):
    """Rows and columns held out by bi-cross-validation.

    About ``sqrt(fraction)`` of the rows and of the columns, so that the held-out block holds
    about ``fraction`` of the cells; at least one of each, and at least one left in.

    Returns
    -------
    rows, cols : ndarray of int (sorted)
    """
    rng = np.random.default_rng(seed)
    share = float(np.sqrt(fraction))
    out = []
    for size in shape:
        k = min(max(1, int(round(share * size))), size - 1)
        out.append(np.sort(rng.choice(size, size=k, replace=False)))
    return out[0], out[1]


def _complement(idx: np.ndarray, size: int) -> np.ndarray:
    keep = np.ones(size, dtype=bool)
    keep[idx] = False
    return np.flatnonzero(keep)


def _bcv_task(task: FitTask, data):
    """Fit the rows and columns kept in, extend both factors to the held-out block by NNLS
    (for the fit's loss) and return the fit with ``params["heldout_error"]``: the relative
    Frobenius error on the block, from sparse products only (no block-sized array)."""
    X = sp.csr_matrix(data)
    rows, cols = bcv_split(X.shape, task.holdout[0], task.holdout[1])
    keep_r, keep_c = _complement(rows, X.shape[0]), _complement(cols, X.shape[1])
    top, bottom = X[keep_r], X[rows]
    res = factorize(top[:, keep_c], task.rank, random_state=task.seed, **task.kw)
    loss, beta = task.kw.get("loss", "frobenius"), task.kw.get("beta")
    W_out = project_weights(bottom[:, keep_c], res.H, loss=loss, beta=beta)       # (|rows|, r)
    H_out = project_weights(sp.csr_matrix(top[:, cols].T), res.W.T, loss=loss, beta=beta).T
    block = sp.csr_matrix(bottom[:, cols])
    den = float(block.data @ block.data)
    cross = float(block.data @ wh_at_nonzeros(block, W_out, H_out))
    square = float(np.sum((W_out.T @ W_out) * (H_out @ H_out.T)))
    err = float(np.sqrt(max(den - 2.0 * cross + square, 0.0) / den)) if den > 0 else float("nan")
    return replace(res, params={**res.params, "heldout_error": err, "holdout": "bi-cross"})


def shuffled_sparse(X, seed: int):
    """``X`` with each column's entries moved to random rows, independently per column (the
    sparse counterpart of ``rng.permuted(X, axis=0)``), as CSR."""
    rng = np.random.default_rng(seed)
    C = sp.csc_matrix(X, copy=True)
    C.sum_duplicates()
    m = C.shape[0]
    rows = np.empty_like(C.indices)
    for j in range(C.shape[1]):
        a, b = C.indptr[j], C.indptr[j + 1]
        if b > a:
            rows[a:b] = rng.choice(m, size=b - a, replace=False)
    C.indices = rows
    C.has_sorted_indices = False
    return C.tocsr()


def _suggestion(column: str, rank, explanation: str) -> RankSuggestion:
    """The suggestion of the rule registered for ``column`` in :data:`nmfcore.criteria.CRITERIA`."""
    return RankSuggestion(CRITERIA[column].rule, rank, explanation, criterion=column)


def _suggest(t: dict) -> tuple:
    ranks = t["rank"].astype(int)
    out = []
    cv = t["cv_error"]
    if np.any(np.isfinite(cv)):
        # one-standard-error rule (Breiman et al. 1984; ESL 7.10): the smallest rank whose
        # held-out error is within one standard deviation over the folds of the lowest, so a
        # larger rank that is better only by fold-to-fold noise is not picked
        best = int(np.nanargmin(cv))
        spread = t["cv_error_std"][best]
        spread = float(spread) if np.isfinite(spread) else 0.0
        i = int(np.flatnonzero(cv <= cv[best] + spread)[0])
        why = (f"held-out (speckled CV) error is lowest at rank {ranks[best]} ({cv[best]:.4g})"
               if i == best else
               f"held-out (speckled CV) error at rank {ranks[i]} ({cv[i]:.4g}) is within one "
               f"standard deviation over the folds ({spread:.2g}) of the lowest, at rank "
               f"{ranks[best]} ({cv[best]:.4g})")
        out.append(_suggestion("cv_error", int(ranks[i]),
                               why + "; more components start fitting noise"))
    else:
        out.append(_suggestion("cv_error", None,
                                  "cross-validation was not run (cv_folds=0)"))
    ok = np.isfinite(t["cophenetic"])
    r_c, c = ranks[ok], t["cophenetic"][ok]
    pick = next((i for i in range(len(c) - 1) if c[i + 1] < c[i] - COPHENETIC_DROP), None)
    if len(c) == 0:
        out.append(_suggestion("cophenetic", None,
                                  "needs ranks >= 2 (consensus is trivial at rank 1)"))
    elif pick is None:
        out.append(_suggestion("cophenetic", int(r_c[-1]),
                                  "cophenetic never drops within the tested ranks: largest "
                                  "tested rank; try larger ranks"))
    else:
        out.append(_suggestion("cophenetic", int(r_c[pick]),
                                  f"cophenetic falls from {c[pick]:.3f} at rank {r_c[pick]} to "
                                  f"{c[pick + 1]:.3f} at rank {r_c[pick + 1]}"))
    p = t["pac"][ok]
    if len(p) == 0:
        out.append(_suggestion("pac", None,
                                  "needs ranks >= 2 (consensus is trivial at rank 1)"))
    else:
        i = int(np.flatnonzero(p <= p.min() + 1e-9)[0])
        out.append(_suggestion("pac", int(r_c[i]),
                                  f"the share of ambiguous consensus entries (PAC) is lowest at "
                                  f"rank {r_c[i]} ({p[i]:.3f}); ties go to the smaller rank"))
    e, s = t["rel_error"], t["shuffled_rel_error"]
    if not np.any(np.isfinite(s)) or len(ranks) < 2:
        out.append(_suggestion("rel_error", None,
                                  "needs the shuffled baseline and at least two ranks"))
    else:
        real, shuf = e[:-1] - e[1:], s[:-1] - s[1:]
        pick = next((i for i in range(len(real)) if real[i] < shuf[i]), None)
        if pick is None:
            out.append(_suggestion("rel_error",
                                      int(ranks[-1]), "every added component helps more than "
                                      "on shuffled data: largest tested rank; try larger ranks"))
        else:
            out.append(_suggestion(
                "rel_error", int(ranks[pick]),
                f"going from rank {ranks[pick]} to {ranks[pick + 1]} lowers the error by "
                f"{real[pick]:.3g}, less than on shuffled data ({shuf[pick]:.3g})"))
    return tuple(out)


def rank_sweep(X, ranks: Sequence[int], n_restarts: int = 5, random_state=None,
               n_jobs: int | None = 1, executor=None, cv_folds: int = 3,
               cv_fraction: float = 0.05, shuffle_baseline: bool = True,
               callback: Callable | None = None, **fit_kw) -> SweepResult:
    """Compare ranks with every common criterion (error, consensus, held-out error, baseline).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        Non-negative data (NaN allowed with ``missing="mask"``). Cross-validation and the
        shuffled baseline work on a dense copy.
    ranks : sequence of int
        Ranks to try (sorted, duplicates dropped), each in ``[1, min(X.shape)]``.
    n_restarts : int, default=5
        Restarts per rank (see :func:`nmfcore.restarts`; ``init`` defaults to ``"random"``).
        With 1 the consensus is trivially crisp (cophenetic 1, PAC 0); R NMF suggests 30-50
        runs per rank for rank estimation, 10 already shows unstable ranks on small data.
    random_state : int, numpy.random.Generator or None, default=None
        Root seed. Each rank's seeds depend on the root and the rank only, and the hold-out
        masks and the shuffled copy are shared by all ranks (paired comparison).
    n_jobs : int or None, default=1
        Local worker processes; results do not depend on it.
    executor : None, dask.distributed.Client, str or concurrent.futures.Executor, default=None
        As in :func:`nmfcore.restarts`.
    cv_folds : int, default=3
        Hold-out repetitions per rank (0 disables cross-validation). Each fold hides a fresh
        random ``cv_fraction`` of the observed entries, the same for every rank. Masked fits
        need ``solver="mu"`` or ``"hals"``; other solvers are replaced by ``"hals"`` (``"mu"``
        for KL) for these fits only. Sparse X with more than
        ``limits.MAX_DENSE_CELLS_FOR_MASK`` cells (and no mask) is never densified: each fold
        holds out a random block of rows and columns instead (bi-cross-validation, Owen &
        Perry 2009; :func:`bcv_split`), and ``params["cv_method"]`` is ``"bi-cross"``.
    cv_fraction : float, default=0.05
        Share of observed entries hidden per fold, in (0, 0.5] (bi-cross-validation: the
        share of cells in the held-out block, ``sqrt(cv_fraction)`` of the rows and of the
        columns).
    shuffle_baseline : bool, default=True
        Also fit a copy of X whose columns are permuted independently (one fit per rank, and
        one held-out fold per rank when ``cv_folds > 0``).
    callback : callable or None, default=None
        ``callback(n_done, n_total, result)`` after each finished fit (``result.rank`` tells
        the rank). A truthy return cancels: the sweep returns the completed ranks with
        ``cancelled=True`` (it does not raise). A Dask cluster that fails mid-sweep also gives
        the completed ranks, with ``lost``, ``reason`` and ``unfinished`` set.
    **fit_kw
        Passed to :func:`nmfcore.factorize` (``solver``, ``loss``, ``max_iter``, ``tol`` ...).

    Returns
    -------
    SweepResult
        ``table`` (dict of columns), ``suggestions``, per-rank ``restarts`` (consensus and its
        order), ``cv_errors``.

    Raises
    ------
    ValueError
        Bad ``ranks``, ``cv_folds`` or ``cv_fraction``; invalid fit arguments are reported by
        :func:`nmfcore.factorize`.
    ClusterError
        The Dask scheduler cannot be reached, or the cluster failed before any fit finished.

    Examples
    --------
    >>> import numpy as np, nmfcore
    >>> rng = np.random.default_rng(0)
    >>> X = rng.random((40, 3)) @ rng.random((3, 30))
    >>> sw = nmfcore.rank_sweep(X, [2, 3, 4], n_restarts=2, cv_folds=1, random_state=0,
    ...                         solver="hals", max_iter=100)
    >>> sw.ranks, [s.rule for s in sw.suggestions][0]
    ([2, 3, 4], 'lowest held-out error')
    """
    ranks = _check_ranks(ranks, X.shape)
    if not isinstance(cv_folds, (int, np.integer)) or cv_folds < 0:
        raise ValueError(f"cv_folds must be an int >= 0; got {cv_folds!r}")
    if not 0.0 < float(cv_fraction) <= 0.5:
        raise ValueError(f"cv_fraction must be in (0, 0.5]; got {cv_fraction!r}")
    kw = restart_kwargs(fit_kw, n_restarts)
    root, _ = spawn_seeds(random_state, 0)
    extra: dict = {}
    if uses_bicross_validation(X, fit_kw):
        shared, tasks = _sparse_plan(X, ranks, n_restarts, root, kw, cv_folds,
                                     float(cv_fraction), shuffle_baseline)
        Xd = observed = None
        extra["cv_method"] = "bi-cross"
    else:
        Xd, observed, shared, tasks = _dense_plan(X, ranks, n_restarts, root, kw, fit_kw,
                                                  cv_folds, cv_fraction, shuffle_baseline)
    run = run_tasks(_sweep_task, tasks, shared=shared, n_jobs=n_jobs, executor=executor,
                    callback=callback, receive=receive_fit)
    return _assemble(X, ranks, tasks, run, root, Xd, observed, shared, cv_fraction,
                     params={"ranks": ranks, "n_restarts": n_restarts, "random_state": root,
                             "cv_folds": cv_folds, "cv_fraction": cv_fraction, **extra,
                             "shuffle_baseline": shuffle_baseline, **kw})


def _dense_plan(X, ranks, n_restarts, root, kw, fit_kw, cv_folds, cv_fraction,
                shuffle_baseline):
    """The shared data (a dense copy for the held-out and shuffled fits) and the tasks of a
    sweep that may densify X: ``(Xd, observed, shared, tasks)``."""
    if cv_folds or shuffle_baseline:   # the dense copy below, and a fit at the largest rank
        needed = estimate_fit_bytes(X, max(ranks), loss=fit_kw.get("loss", "frobenius"),
                                    masked=bool(cv_folds), dense_copies=2)
        check_budget(needed, fit_kw.get("memory_budget"),
                     f"this rank sweep (up to rank {max(ranks)} on {X.shape[0]} x {X.shape[1]})")
    Xd, observed = _prepare(X, fit_kw) if (cv_folds or shuffle_baseline) else (None, None)
    shared = {"X": X}
    if cv_folds:
        shared["Xd"] = Xd
        shared["observed"] = observed
    if shuffle_baseline:
        rng = np.random.default_rng(_derive(root, 2))
        src = Xd if observed is None else np.where(observed, Xd, np.nan)
        Xs = rng.permuted(src, axis=0)
        obs_s = ~np.isnan(Xs) if observed is not None else None
        shared["Xs"] = np.nan_to_num(Xs, nan=0.0)
        shared["observed_s"] = obs_s
    unmasked = {k: v for k, v in kw.items() if k not in ("mask", "missing")}
    cv_kw = _cv_kwargs(unmasked)
    s_kw = dict(unmasked)
    if shuffle_baseline and obs_s is not None:
        s_kw["mask"] = obs_s
    tasks = _sweep_tasks(ranks, root, n_restarts, kw, cv_folds, cv_fraction, shuffle_baseline,
                         cv_data="Xd", cv_kw=cv_kw, shuffled_kw=s_kw)
    return Xd, observed, shared, tasks


def _sweep_tasks(ranks, root, n_restarts, kw, cv_folds, cv_fraction, shuffle_baseline, *,
                 cv_data, cv_kw, shuffled_kw) -> list:
    """Every fit of a sweep, in order: per rank its restarts, its held-out folds (on
    ``cv_data``), the shuffled copy's fit and that copy's held-out fold. The seeds depend on
    the root and the rank only, and the folds' hold-outs on the root and the fold only."""
    tasks = []
    for r in ranks:
        rank_seed = _derive(root, r, 0)
        tasks += [FitTask("X", r, s, kw, tag=("fit", r, i))
                  for i, s in enumerate(spawn_seeds(rank_seed, n_restarts)[1])]
        tasks += [FitTask(cv_data, r, _derive(root, r, 1, f), cv_kw,
                          holdout=(cv_fraction, _derive(root, 1, f)), tag=("cv", r, f))
                  for f in range(cv_folds)]
        if shuffle_baseline:
            tasks.append(FitTask("Xs", r, _derive(root, r, 2), shuffled_kw,
                                 tag=("shuffled", r, 0)))
            if cv_folds:
                tasks.append(FitTask("Xs", r, _derive(root, r, 3), cv_kw,
                                     holdout=(cv_fraction, _derive(root, 3)),
                                     tag=("shuffled_cv", r, 0)))
    return tasks


def _sparse_plan(X, ranks, n_restarts, root, kw, cv_folds, cv_fraction, shuffle_baseline):
    """The shared data and the tasks of a sweep on sparse data too large to densify
    (bi-cross-validation, sparse shuffled copy; the seeds and the task order are those of the
    dense sweep): ``(shared, tasks)``."""
    needed = estimate_fit_bytes(X, max(ranks), loss=kw.get("loss", "frobenius"))
    check_budget(needed + (X.data.nbytes + X.indices.nbytes if shuffle_baseline else 0),
                 kw.get("memory_budget"),
                 f"this rank sweep (up to rank {max(ranks)} on {X.shape[0]} x {X.shape[1]})")
    shared = {"X": X, "bcv": True}
    if shuffle_baseline:
        shared["Xs"] = shuffled_sparse(X, _derive(root, 2))
    tasks = _sweep_tasks(ranks, root, n_restarts, kw, cv_folds, cv_fraction, shuffle_baseline,
                         cv_data="X", cv_kw=kw, shuffled_kw=kw)
    return shared, tasks


def _sweep_task(shared: dict, task: FitTask):
    """Like :func:`fit_task` but the shuffled data uses its own observed mask, and sparse data
    too large to densify is held out by bi-cross-validation."""
    if shared.get("bcv") and task.holdout is not None:
        return _bcv_task(task, shared[task.data])
    if task.data == "Xs" and task.holdout is not None:
        shared = {"Xs": shared["Xs"], "observed": shared.get("observed_s")}
    return fit_task(shared, task)


def _assemble(X, ranks, tasks, run, root, Xd, observed, shared, cv_fraction, params):
    by_tag = {t.tag: (t, r) for t, r in zip(tasks, run.results)}
    complete = [r for r in ranks
                if all(res is not None for t, res in by_tag.values() if t.tag[1] == r)]
    cols = {c: np.full(len(complete), np.nan) for c in COLUMNS}
    rest, cv_errors = {}, {}
    for row, r in enumerate(complete):
        fits = [by_tag[k][1] for k in sorted(k for k in by_tag if k[:2] == ("fit", r))]
        rs: RestartsResult = summarize_fits(fits, root=_derive(root, r, 0),
                                            n_requested=len(fits))
        rest[r] = rs
        best = fits[rs.best]
        cols["rank"][row], cols["seed"][row] = r, rs.random_state
        cols["rel_error"][row] = best.rel_error
        Xe = X if observed is None else Xd
        cols["explained_variance"][row] = _metrics.explained_variance(Xe, best.W, best.H,
                                                                      mask=observed)
        cols["similarity"][row] = float(np.mean(rs.similarity_mean))
        if r >= 2 and rs.consensus is not None:
            cols["cophenetic"][row], cols["dispersion"][row] = rs.cophenetic, rs.dispersion
            cols["pac"][row] = rs.pac
            lab = _cons.consensus_clusters(rs.consensus, r)
            if 2 <= len(np.unique(lab)) <= len(lab) - 1:
                cols["silhouette"][row] = _metrics.silhouette_score(1.0 - rs.consensus, lab)
        folds = sorted(k for k in by_tag if k[:2] == ("cv", r))
        if folds:
            errs = np.array([by_tag[k][1].params["heldout_error"] if shared.get("bcv") else
                             _hidden_error(Xd, observed, cv_fraction, by_tag[k][0].holdout[1],
                                           by_tag[k][1]) for k in folds])
            cv_errors[r] = errs
            cols["cv_error"][row], cols["cv_error_std"][row] = errs.mean(), errs.std()
        if ("shuffled", r, 0) in by_tag:
            cols["shuffled_rel_error"][row] = by_tag[("shuffled", r, 0)][1].rel_error
            cols["shuffled_explained_variance"][row] = 1.0 - cols["shuffled_rel_error"][row] ** 2
        if ("shuffled_cv", r, 0) in by_tag:
            t, res = by_tag[("shuffled_cv", r, 0)]
            cols["shuffled_cv_error"][row] = res.params["heldout_error"] if shared.get("bcv") \
                else _hidden_error(shared["Xs"], shared.get("observed_s"), cv_fraction,
                                   t.holdout[1], res)
    cols["rank"] = cols["rank"].astype(int)
    cols["seed"] = cols["seed"].astype(np.int64)
    for a in cols.values():
        a.flags.writeable = False
    return SweepResult(table=cols, suggestions=_suggest(cols) if complete else (),
                       restarts=rest, cv_errors=cv_errors, random_state=root,
                       cancelled=run.cancelled, n_fits=len(tasks), params=params,
                       n_done=run.n_done, lost=len(run.lost), reason=run.reason)
