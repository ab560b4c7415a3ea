"""The only module pages use to call nmfcore.

* Every computation is an ``st.cache_data(max_entries=...)`` wrapper keyed by the data set's
  fingerprint (``state.dataset_key()``) plus plain settings; arguments with a leading underscore
  (the matrix, callbacks) are left out of the key.
* Long work runs in a :class:`dashboard.jobs.Job`: a background thread that calls the cached
  function with a callback. The callback records live progress into the job and stops the work
  when the job's stop flag is set, so a Stop button really stops it. A stopped run is never
  cached. CSV/JSON/snippet exports and tables live in :mod:`dashboard.exports`, menus and
  option widgets in :mod:`dashboard.choices`, words in :mod:`dashboard.texts`.
* Results are nmfcore's own types (:class:`nmfcore.NMFResult` pickles, so it is cached as is).
* nmfcore's ``ValueError`` s become ``job.error`` (shown by the page with ``st.error``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import streamlit as st

import nmfcore
from nmfcore import NMFResult
from nmfcore.datasets import Dataset
from nmfcore.limits import DASHBOARD_MEMORY_BUDGET as MEMORY_BUDGET, MAX_CONSENSUS

from dashboard import choices, compute
from dashboard.jobs import Job, Stopped, history_recorder
from dashboard.pooling import block_mean

FitOutcome = NMFResult   # the name the pages used for a cached fit (now nmfcore's result itself)
CPUS = choices.CPUS
_BLAS_LIMITED = []


def limit_blas_threads() -> None:
    """One BLAS thread per process by default (``NMF_EXPLORER_BLAS_THREADS`` overrides it),
    set once with threadpoolctl; the entry script calls it.

    The fits run in a thread next to Streamlit's own; multi-threaded OpenBLAS then spins
    against them and, on a busy 2-core machine, made a 4-solver race on digits 10x slower
    (35 s instead of 3 s). The matrices here are small, so one thread loses little.
    """
    if _BLAS_LIMITED:
        return
    from threadpoolctl import threadpool_limits

    _BLAS_LIMITED.append(threadpool_limits(int(os.environ.get("NMF_EXPLORER_BLAS_THREADS", "1")),
                                           user_api="blas"))


def __getattr__(name: str):
    """The old module constants (``SOLVERS``, ``LOSSES``, ``INITS``, ``SOLVER_CHOICES``), read
    from nmfcore's registries at the time they are asked for."""
    live = {"SOLVERS": lambda: tuple(choices.solvers()),
            "LOSSES": lambda: tuple(choices.losses()),
            "INITS": lambda: tuple(choices.inits()),
            "SOLVER_CHOICES": choices.race_entries}
    if name in live:
        return live[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def fit_kwargs(ds: Dataset, settings: dict) -> dict:
    """factorize keywords for ``settings`` on ``ds`` (masked fit when the data keeps NaN)."""
    kw = {k: v for k, v in settings.items() if v is not None}
    if ds.extras.get("missing"):
        kw["missing"] = "mask"
    # every call from the dashboard is refused up front if it would need more than this
    kw.setdefault("memory_budget", os.environ.get("NMF_EXPLORER_MEMORY_BUDGET", MEMORY_BUDGET))
    return kw


# ------------------------------------------------------------------ cached computations
@st.cache_data(max_entries=32, show_spinner=False)
def _fit(key: str, settings: dict, shared_init: tuple | None, _X, _W0=None, _H0=None,
         _callback=None) -> NMFResult:
    kw = dict(settings)
    if _W0 is not None:
        kw.update(W0=_W0, H0=_H0)
        kw.pop("init", None)
    res = nmfcore.factorize(_X, callback=_callback, **kw)
    if res.status == "stopped":
        raise Stopped(res)
    return res


@st.cache_data(max_entries=16, show_spinner=False)
def _init(key: str, rank: int, init: str, seed: int, _X,
          _mask=None) -> tuple[np.ndarray, np.ndarray]:
    W0, H0 = nmfcore.initialize(_X, rank, init=init, random_state=seed, mask=_mask)
    return np.asarray(W0), np.asarray(H0)


def fit(ds: Dataset, key: str, settings: dict, callback=None) -> NMFResult:
    """One cached fit (raises ``Stopped`` with the partial result when the callback stops it)."""
    kw = fit_kwargs(ds, settings)
    return _fit(key, kw, None, ds.X, _callback=callback)


# ------------------------------------------------------------------ the pages' main actions
def start_fit(ds: Dataset, key: str, settings: dict) -> Job:
    def target(job: Job) -> NMFResult:
        cb = history_recorder(job, "fit")
        return fit(ds, key, settings, callback=cb)
    return Job("fit", settings, target, key).start()


def race_choices(ds: Dataset) -> list[str]:
    """Race entries usable on ``ds`` (with missing cells only solvers that can mask them;
    Itakura-Saito only when X has no zeros, which it cannot fit)."""
    entries = choices.race_entries(masked=bool(ds.extras.get("missing")))
    X = ds.X
    zeros = X.nnz < X.shape[0] * X.shape[1] or (X.data == 0).any() if sp.issparse(X) \
        else bool(np.any(np.asarray(X) == 0))
    return [name for name, e in entries.items() if not (zeros and e["loss"] == "itakura-saito")]


def race_entries(race: dict) -> list[tuple[str, dict]]:
    """(display name, factorize settings) per selected solver of a race configuration.

    Solver options come from ``race["options"][solver]``; a top-level key named like one of
    the solver's declared options (``race["learning_rate"]``) is used too, when not None."""
    common = {k: race[k] for k in ("rank", "max_iter", "tol", "gtol", "max_time", "l1", "l2",
                                   "random_state") if k in race}
    entries = choices.race_entries()
    out = []
    for name in race["solvers"]:
        kw = dict(common, **entries[name])
        if kw["loss"] == "beta":
            kw["beta"] = float(race.get("beta", choices.DEFAULT_BETA))
        cls = nmfcore.SOLVERS[kw["solver"]]
        kw.update({k: race[k] for k in cls.options if race.get(k) is not None})
        kw.update(race.get("options", {}).get(kw["solver"], {}))
        out.append((name, kw))
    return out


def run_race(ds: Dataset, key: str, race: dict, job: Job | None = None) -> dict:
    """All selected solvers, one after another (so their timings compare), from one shared
    start computed once with ``nmfcore.initialize``. Returns ``name -> NMFResult``."""
    X0, mask = ds.X, None
    if ds.extras.get("missing") and not hasattr(X0, "toarray"):
        mask = ~np.isnan(X0)   # missing cells get the observed mean, as in a masked fit
    W0, H0 = _init(key, race["rank"], race["init"], race["random_state"], X0, _mask=mask)
    shared = (race["init"], race["random_state"])
    results: dict[str, NMFResult] = {}
    for name, kw in race_entries(race):
        if job is not None and job.stop_requested:
            break
        cb = history_recorder(job, name) if job is not None else None
        try:
            results[name] = _fit(key, fit_kwargs(ds, kw), shared, ds.X, _W0=W0, _H0=H0,
                                 _callback=cb)
        except Stopped as exc:
            results[name] = exc.partial
            raise Stopped(results) from None
        if job is not None:
            job.update(**{name: dict(results[name].history)}, finished=list(results))
    if job is not None and job.stop_requested:
        raise Stopped(results)
    return results


def start_race(ds: Dataset, key: str, race: dict) -> Job:
    return Job("race", race, lambda job: run_race(ds, key, race, job), key).start()


# ------------------------------------------------------------------ factors of one fit
def factor_view(ds: Dataset, out: NMFResult) -> dict:
    """Soft memberships, hard clusters and (when the data has classes) the agreement scores."""
    from nmfcore import metrics

    mem = nmfcore.memberships(out.W)
    M, hard = np.asarray(mem.P), np.asarray(mem.hard)
    view = {"M": M, "hard": hard, "scores": None,
            "sizes": np.bincount(hard[hard >= 0], minlength=out.rank)}
    if ds.classes is not None and len(ds.classes) == len(hard):
        cls = np.asarray(ds.classes)
        view["scores"] = {"purity": metrics.purity(hard, cls),
                          "entropy": metrics.entropy(hard, cls),
                          "adjusted Rand": metrics.adjusted_rand_index(hard, cls)}
        view["table"] = (metrics.contingency_table(hard, cls),
                         [f"C{k + 1}" if k >= 0 else "none" for k in np.unique(hard)],
                         [str(c) for c in np.unique(cls)])
    return view


# A known part counts as recovered when a fitted component matches it this closely.
RECOVERED_COSINE = 0.99


def truth_check(ds: Dataset, out: NMFResult) -> dict | None:
    """How many of a data set's known parts (``extras["true_H"]``, e.g. swimmer, planted) the
    fit recovered: Hungarian matching on cosine similarity. None when the data set has no
    known parts of the fit's rank and width."""
    true_H = (ds.extras or {}).get("true_H")
    if true_H is None:
        return None
    true_H = np.asarray(true_H, dtype=float)
    if true_H.shape != out.H.shape:
        return None
    _, sim = nmfcore.align_components(true_H, out.H)
    return {"recovered": int((sim >= RECOVERED_COSINE).sum()), "total": int(true_H.shape[0]),
            "lowest": float(sim.min()), "threshold": RECOVERED_COSINE}


def sample_pair(ds: Dataset, out: NMFResult, i: int) -> tuple[np.ndarray, np.ndarray]:
    """Row ``i`` of X (dense) and of the reconstruction W H."""
    x = ds.X[i]
    x = np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=float).ravel()
    return x, out.W[i] @ out.H


# ------------------------------------------------------------------ restarts
@dataclass
class RestartsOutcome:
    """Picklable summary of ``nmfcore.restarts`` for the page."""

    H_raw: np.ndarray          # (n_fits, rank, n_features) unit-norm rows, solver's own order
    H: np.ndarray              # aligned to the reference
    similarity: np.ndarray     # (n_fits, rank)
    losses: np.ndarray
    rel_errors: np.ndarray
    consensus: tuple | None    # (reordered matrix, labels) pooled to <= MAX_CONSENSUS rows
    cophenetic: float
    dispersion: float
    pac: float
    reference: int
    seeds: np.ndarray
    W_best: np.ndarray
    H_best: np.ndarray
    n_requested: int
    statuses: dict = None      # status -> number of fits ("converged", "stalled", "max_iter")
    notice: str | None = None  # why only some runs finished, when it was not Stop (cluster lost)


@st.cache_data(max_entries=8, show_spinner=False)
def _restarts(key: str, settings: dict, _X, _labels=None, _callback=None,
              _n_jobs: int = 1, _executor=None) -> RestartsOutcome:
    from nmfcore.alignment import normalize_factors

    kw = dict(settings)
    rank, n = kw.pop("rank"), kw.pop("n_restarts")
    res = nmfcore.restarts(_X, rank, n_restarts=n, callback=_callback, n_jobs=_n_jobs,
                           executor=_executor, **kw)
    best = int(np.argmin(res.losses))
    out = RestartsOutcome(
        H_raw=np.stack([normalize_factors(f.W, f.H)[1] for f in res.fits]), H=np.array(res.H),
        similarity=np.array(res.similarity), losses=np.array(res.losses),
        rel_errors=np.array(res.rel_errors), consensus=pooled_consensus(res.consensus, res.order, _labels),
        cophenetic=float(res.cophenetic), dispersion=float(res.dispersion), pac=float(res.pac),
        reference=int(res.reference), seeds=np.array(res.seeds),
        W_best=np.array(res.fits[best].W), H_best=np.array(res.fits[best].H),
        n_requested=int(res.n_requested), statuses=res.statuses)
    if res.lost:
        out.notice = cluster_notice(res.reason, res.n_fits, res.n_requested, "runs",
                                    f"the page shows the {res.n_fits} that finished")
    if res.cancelled or res.lost:
        raise Stopped(out)       # partial: never cached
    return out


def start_restarts(ds: Dataset, key: str, settings: dict) -> Job:
    def target(job: Job) -> RestartsOutcome:
        def callback(done, total, result=None):
            job.update(done=int(done), total=int(total))
            return job.stop_requested
        kw = fit_kwargs(ds, settings)
        n_jobs = int(kw.pop("n_jobs", 1))  # results do not depend on it: not in the cache key
        return _restarts(key, kw, ds.X, _labels=ds.row_labels, _callback=callback,
                         _n_jobs=n_jobs, _executor=executor)
    executor = compute.executor()        # read here: the job's thread has no session
    return Job("restarts", settings, target, key).start()


def rank_list(ranks) -> str:
    """``[2, 3, 4, 5, 8]`` -> ``"2–5, 8"``."""
    out, ranks = [], sorted(int(r) for r in ranks)
    i = 0
    while i < len(ranks):
        j = i
        while j + 1 < len(ranks) and ranks[j + 1] == ranks[j] + 1:
            j += 1
        out.append(str(ranks[i]) if i == j else f"{ranks[i]}–{ranks[j]}")
        i = j + 1
    return ", ".join(out)


def cluster_notice(reason: str | None, done: int, total: int, unit: str, kept: str) -> str:
    """The one sentence for a run the Dask cluster cut short (what happened, what is kept,
    what to do); the sidebar's cluster status is asked again."""
    compute.cluster_info.clear()
    return (f"The Dask cluster failed after {done} of {total} {unit} ({reason or 'lost'}); "
            f"{kept}. Check the cluster under Compute in the sidebar and run again for the "
            "rest.")


def pooled_consensus(C, order, labels=None) -> tuple | None:
    """The reordered consensus matrix, block-averaged to at most ``MAX_CONSENSUS`` rows (small
    enough to cache and to draw), with its row labels."""
    if C is None:
        return None
    idx = np.arange(len(C)) if order is None else np.asarray(order)
    lab = [str(labels[i]) if labels is not None else f"sample {i}" for i in idx]
    return block_mean(np.asarray(C)[np.ix_(idx, idx)], lab, MAX_CONSENSUS)


# ------------------------------------------------------------------ rank sweep
@dataclass
class SweepOutcome:
    table: dict
    suggestions: list
    consensus: dict            # rank -> (pooled reordered matrix, labels)
    n_fits: int
    n_unconverged: int = 0     # restart fits that did not reach a stationary point
    unfinished: list = None    # ranks asked for but not in the table (stopped or lost)
    notice: str | None = None  # why some ranks are missing, when it was not Stop (cluster lost)


@st.cache_data(max_entries=6, show_spinner=False)
def _sweep(key: str, settings: dict, _X, _labels=None, _callback=None,
           _n_jobs: int = 1, _executor=None) -> SweepOutcome:
    kw = dict(settings)
    lo, hi = kw.pop("ranks")
    res = nmfcore.rank_sweep(_X, list(range(lo, hi + 1)), callback=_callback, n_jobs=_n_jobs,
                             executor=_executor,
                             **kw)
    table = {k: np.asarray(v, dtype=float) for k, v in res.table.items()}
    out = SweepOutcome(
        table=table,
        suggestions=[{"rule": s.rule, "rank": s.rank, "why": s.explanation,
                      "criterion": s.criterion} for s in res.suggestions],
        consensus={int(r): pooled_consensus(C, res.orders[r], _labels)
                   for r, C in res.consensus.items() if C is not None},
        n_fits=int(res.n_fits), n_unconverged=int(res.n_unconverged),
        unfinished=list(res.unfinished))
    if res.lost:
        kept = (f"the table shows the finished rank{'s' if len(res.ranks) > 1 else ''} "
                f"{rank_list(res.ranks)} (not finished: {rank_list(res.unfinished)})"
                if res.ranks else
                "no rank had all its fits finished")
        out.notice = cluster_notice(res.reason, res.n_done, res.n_fits, "fits", kept)
    if res.cancelled or res.lost:
        raise Stopped(out)       # partial: never cached
    return out


def start_sweep(ds: Dataset, key: str, settings: dict) -> Job:
    def target(job: Job) -> SweepOutcome:
        def callback(done, total, result=None):
            job.update(done=int(done), total=int(total),
                       rank=int(getattr(result, "rank", 0) or 0))
            return job.stop_requested
        kw = fit_kwargs(ds, settings)
        n_jobs = int(kw.pop("n_jobs", 1))  # results do not depend on it: not in the cache key
        return _sweep(key, kw, ds.X, _labels=ds.row_labels, _callback=callback, _n_jobs=n_jobs,
                      _executor=executor)
    executor = compute.executor()        # read here: the job's thread has no session
    return Job("rank", settings, target, key).start()


def criterion_panels(out: SweepOutcome) -> dict:
    """Per criterion of :data:`nmfcore.RANK_CRITERIA` with finite values, by column:
    ``{"y", "baseline", "mark"}`` (``mark``: the rank its rule suggests, or None)."""
    marks = {s["criterion"]: s["rank"] for s in out.suggestions}
    panels = {}
    for col, crit in nmfcore.RANK_CRITERIA.items():
        if col not in out.table or not np.isfinite(out.table[col]).any():
            continue
        panels[col] = {"y": out.table[col], "baseline": out.table.get(crit.baseline),
                       "mark": marks.get(col)}
    return panels


# ------------------------------------------------------------------ working with a fit
def fit_token(out: NMFResult) -> str:
    """Short hash of a fit's factors: a cache key and a widget-key suffix for that fit."""
    import hashlib

    h = hashlib.blake2b(digest_size=8)
    h.update(np.ascontiguousarray(out.H).tobytes())
    h.update(np.ascontiguousarray(out.W).tobytes())
    return h.hexdigest()


@st.cache_data(max_entries=8, show_spinner="Projecting the new samples onto the parts…")
def _project(fit: str, data: str, loss: str, beta, l1: float, l2: float, _X, _H):
    W = nmfcore.project(_X, _H, loss=loss, beta=beta, l1=l1, l2=l2)
    return W, nmfcore.sample_errors(_X, W, _H)


def project_new(out: NMFResult, X_new, data_token: str) -> tuple[np.ndarray, np.ndarray]:
    """Weights of new samples on the fit's H with the fit's own loss (NNLS for Frobenius,
    multiplicative updates for the other beta-divergences) and penalties, and each sample's
    relative reconstruction error."""
    l1, l2 = float(out.params.get("l1", 0.0)), float(out.params.get("l2", 0.0))
    return _project(fit_token(out), data_token, out.loss, out.params.get("beta"), l1, l2,
                    X_new, out.H)


def training_errors(ds: Dataset, out: NMFResult) -> np.ndarray:
    """Relative reconstruction error of every training sample (to compare new ones with)."""
    X = np.nan_to_num(ds.X) if not hasattr(ds.X, "toarray") else ds.X
    return nmfcore.sample_errors(X, out.W, out.H)


def topic_view(out: NMFResult) -> dict:
    """Everything the topic explorer draws: MDS coordinates of the Jensen–Shannon distances
    between topics, their shares of the weight, and the term totals of the model W H (each
    topic's part, and the total over topics). p(w) is the model's own term share, so a bar's
    red part over its grey total is the topic's share times the lift of the term."""
    D = nmfcore.js_distances(out.H)
    in_topic, overall = nmfcore.term_frequencies(out.W, out.H)
    return {"coords": nmfcore.classical_mds(D, 2), "distances": D,
            "shares": nmfcore.topic_shares(out.W, out.H),
            "term_prob": nmfcore.term_probabilities(W=out.W, H=out.H), "in_topic": in_topic,
            "overall": overall}


def refit(ds: Dataset, key: str, settings: dict, W0: np.ndarray, H0: np.ndarray,
          start: tuple) -> NMFResult:
    """A fit warm-started from edited factors (``W0``, ``H0``); ``start`` describes the edit
    (it is part of the cache key, the arrays are not)."""
    kw = fit_kwargs(ds, {**settings, "rank": int(H0.shape[0])})
    kw.pop("note", None)
    return _fit(key, kw, start, ds.X, _W0=W0, _H0=H0)
