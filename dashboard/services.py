"""The only module pages use to call nmfcore.

* Every computation is an ``st.cache_data(max_entries=...)`` wrapper keyed by the data set's
  fingerprint (``state.dataset_key()``) plus plain settings; arguments with a leading underscore
  (the matrix, callbacks) are left out of the key.
* Long work runs in a :class:`dashboard.jobs.Job`: a background thread that calls the cached
  function with a callback. The callback records live progress into the job and stops the work
  when the job's stop flag is set, so a Stop button really stops it. A stopped run is never
  cached. CSV/JSON/snippet exports live in :mod:`dashboard.exports`.
* nmfcore's ``ValueError`` s become ``job.error`` (shown by the page with ``st.error``).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import streamlit as st

import nmfcore
from nmfcore.datasets import Dataset

from dashboard.jobs import Job, Stopped, history_recorder


def _limit_blas_threads() -> None:
    """One BLAS thread per process by default (``NMF_EXPLORER_BLAS_THREADS`` overrides it).

    The fits run in a thread next to Streamlit's own; multi-threaded OpenBLAS then spins
    against them and, on a busy 2-core machine, made a 4-solver race on digits 10x slower
    (35 s instead of 3 s). The matrices here are small, so one thread loses little.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return
    threadpool_limits(int(os.environ.get("NMF_EXPLORER_BLAS_THREADS", "1")), user_api="blas")


_limit_blas_threads()

# display name -> factorize keywords
SOLVER_CHOICES: dict[str, dict] = {
    "MU-Frobenius": {"solver": "mu", "loss": "frobenius"},
    "MU-KL": {"solver": "mu", "loss": "kl"},
    "projected SGD": {"solver": "sgd", "loss": "frobenius"},
    "HALS": {"solver": "hals", "loss": "frobenius"},
    "ANLS": {"solver": "anls", "loss": "frobenius"},
}
SOLVERS = ("mu", "sgd", "hals", "anls")
CPUS = os.cpu_count() or 1
LOSSES = ("frobenius", "kl")
INITS = ("nndsvda", "nndsvd", "nndsvdar", "random")
SGD_OPTIONS = ("learning_rate", "batch_size", "decay")
MEMORY_BUDGET = "2GB"   # per fit, restarts or sweep (NMF_EXPLORER_MEMORY_BUDGET overrides it)


@dataclass
class FitOutcome:
    """A picklable copy of an ``NMFResult`` (cache_data stores pickles)."""

    W: np.ndarray
    H: np.ndarray
    history: dict
    n_iter: int
    converged: bool
    status: str
    message: str
    solver: str
    loss: str
    rank: int
    random_state: int
    params: dict

    @property
    def rel_error(self) -> float:
        return float(self.history["rel_error"][-1])

    @property
    def seconds(self) -> float:
        return float(self.history["seconds"][-1])


def _outcome(res) -> FitOutcome:
    params = {k: v for k, v in dict(res.params).items() if k not in ("W0", "H0", "callback")}
    return FitOutcome(W=np.array(res.W), H=np.array(res.H),
                      history={k: np.array(v) for k, v in res.history.items()},
                      n_iter=int(res.n_iter), converged=bool(res.converged), status=res.status,
                      message=res.message, solver=res.solver, loss=res.loss, rank=int(res.rank),
                      random_state=int(res.random_state), params=params)


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
         _callback=None) -> FitOutcome:
    kw = dict(settings)
    if _W0 is not None:
        kw.update(W0=_W0, H0=_H0)
        kw.pop("init", None)
    res = nmfcore.factorize(_X, callback=_callback, **kw)
    out = _outcome(res)
    if res.status == "stopped":
        raise Stopped(out)
    return out


@st.cache_data(max_entries=16, show_spinner=False)
def _init(key: str, rank: int, init: str, seed: int, _X) -> tuple[np.ndarray, np.ndarray]:
    W0, H0 = nmfcore.initialize(_X, rank, init=init, random_state=seed)
    return np.asarray(W0), np.asarray(H0)


def fit(ds: Dataset, key: str, settings: dict, callback=None) -> FitOutcome:
    """One cached fit (raises ``Stopped`` with the partial result when the callback stops it)."""
    kw = fit_kwargs(ds, settings)
    return _fit(key, kw, None, ds.X, _callback=callback)


# ------------------------------------------------------------------ the pages' main actions
def start_fit(ds: Dataset, key: str, settings: dict) -> Job:
    def target(job: Job) -> FitOutcome:
        cb = history_recorder(job, "fit")
        return fit(ds, key, settings, callback=cb)
    return Job("fit", settings, target, key).start()


def race_choices(ds: Dataset) -> list[str]:
    """Race entries usable on ``ds`` (with missing cells only solvers that can mask them)."""
    if not ds.extras.get("missing"):
        return list(SOLVER_CHOICES)
    return [name for name, kw in SOLVER_CHOICES.items()
            if getattr(nmfcore.SOLVERS.get(kw["solver"]), "supports_mask", False)]


def race_entries(race: dict) -> list[tuple[str, dict]]:
    """(display name, factorize settings) per selected solver of a race configuration."""
    common = {k: race[k] for k in ("rank", "max_iter", "tol", "max_time", "l1", "l2",
                                   "random_state")}
    out = []
    for name in race["solvers"]:
        kw = dict(common, **SOLVER_CHOICES[name])
        if kw["solver"] == "sgd":
            kw.update({k: race[k] for k in SGD_OPTIONS if race.get(k) is not None})
        out.append((name, kw))
    return out


def run_race(ds: Dataset, key: str, race: dict, job: Job | None = None) -> dict:
    """All selected solvers, one after another (so their timings compare), from one shared
    start computed once with ``nmfcore.initialize``. Returns ``name -> FitOutcome``."""
    X0 = ds.X
    if ds.extras.get("missing") and not hasattr(X0, "toarray"):
        X0 = np.nan_to_num(X0, nan=0.0)  # the start ignores missing cells, as a masked fit does
    W0, H0 = _init(key, race["rank"], race["init"], race["random_state"], X0)
    shared = (race["init"], race["random_state"])
    results: dict[str, FitOutcome] = {}
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


def race_table(results: dict) -> list[dict]:
    rows = []
    for name, r in results.items():
        secs = r.seconds
        rows.append({"solver": name, "final rel. error": r.rel_error,
                     "final loss": float(r.history["loss"][-1]), "iterations": r.n_iter,
                     "seconds": secs, "ms / iteration": 1000 * secs / max(r.n_iter, 1),
                     "converged": r.converged, "status": r.status})
    return rows


def histories_csv(results: dict) -> str:
    """Long-format CSV: run, iteration, seconds, loss, rel_error."""
    lines = ["run,iteration,seconds,loss,rel_error"]
    for name, r in results.items():
        h = r.history if isinstance(r, FitOutcome) else r
        for i, s, l, e in zip(h["iteration"], h["seconds"], h["loss"], h["rel_error"]):
            lines.append(f"{name},{int(i)},{s:.6g},{l:.10g},{e:.10g}")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ factors of one fit
def factor_view(ds: Dataset, out: FitOutcome) -> dict:
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


def sample_pair(ds: Dataset, out: FitOutcome, i: int) -> tuple[np.ndarray, np.ndarray]:
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


@st.cache_data(max_entries=8, show_spinner=False)
def _restarts(key: str, settings: dict, _X, _labels=None, _callback=None,
              _n_jobs: int = 1) -> RestartsOutcome:
    from nmfcore.alignment import normalize_factors

    kw = dict(settings)
    rank, n = kw.pop("rank"), kw.pop("n_restarts")
    res = nmfcore.restarts(_X, rank, n_restarts=n, callback=_callback, n_jobs=_n_jobs, **kw)
    best = int(np.argmin(res.losses))
    out = RestartsOutcome(
        H_raw=np.stack([normalize_factors(f.W, f.H)[1] for f in res.fits]), H=np.array(res.H),
        similarity=np.array(res.similarity), losses=np.array(res.losses),
        rel_errors=np.array(res.rel_errors), consensus=pooled_consensus(res.consensus, res.order, _labels),
        cophenetic=float(res.cophenetic), dispersion=float(res.dispersion), pac=float(res.pac),
        reference=int(res.reference), seeds=np.array(res.seeds),
        W_best=np.array(res.fits[best].W), H_best=np.array(res.fits[best].H),
        n_requested=int(res.n_requested))
    if res.cancelled:
        raise Stopped(out)
    return out


def start_restarts(ds: Dataset, key: str, settings: dict) -> Job:
    def target(job: Job) -> RestartsOutcome:
        def callback(done, total, result=None):
            job.update(done=int(done), total=int(total))
            return job.stop_requested
        kw = fit_kwargs(ds, settings)
        n_jobs = int(kw.pop("n_jobs", 1))  # results do not depend on it: not in the cache key
        return _restarts(key, kw, ds.X, _labels=ds.row_labels, _callback=callback,
                         _n_jobs=n_jobs)
    return Job("restarts", settings, target, key).start()


def ambiguity_demo(W: np.ndarray, H: np.ndarray, seed: int = 0) -> dict:
    """Rescale and permute a fit: ``W' = W D P``, ``H' = Pᵀ D⁻¹ H``. Returns the factors'
    changes next to the (unchanged) product, as numbers for the page."""
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


MAX_CONSENSUS = 300


def pooled_consensus(C, order, labels=None) -> tuple | None:
    """The reordered consensus matrix, block-averaged to at most ``MAX_CONSENSUS`` rows (small
    enough to cache and to draw), with its row labels."""
    from dashboard.plots import block_mean

    if C is None:
        return None
    idx = np.arange(len(C)) if order is None else np.asarray(order)
    lab = [str(labels[i]) if labels is not None else f"sample {i}" for i in idx]
    return block_mean(np.asarray(C)[np.ix_(idx, idx)], lab, MAX_CONSENSUS)


# ------------------------------------------------------------------ rank sweep
CRITERIA = {  # table column -> (title, baseline column, suggestion rule, how to read it)
    "rel_error": ("Relative error", "shuffled_rel_error",
                  "Frigyesi: error decrease below shuffled data",
                  "Always falls as the rank grows. Look for the rank after which it falls no "
                  "faster than on shuffled data (dashed): extra components then fit noise."),
    "explained_variance": ("Explained variance", "shuffled_explained_variance", None,
                           "1 − error²: share of ‖X‖² the fit reproduces. An elbow, and the gap "
                           "to the shuffled baseline, show where real structure ends."),
    "cophenetic": ("Cophenetic correlation", None, "Brunet: first drop of cophenetic",
                   "How crisp the consensus of the restarts is (1 = every restart clusters "
                   "the samples alike). Brunet picks the rank before its first clear drop."),
    "dispersion": ("Dispersion", None, None,
                   "Another crispness score of the consensus matrix (1 = entries all 0 or 1). "
                   "Higher is more stable."),
    "pac": ("PAC (ambiguous pairs)", None, "Senbabaoglu: lowest PAC",
            "Share of sample pairs clustered together in 10–90 % of restarts. Lower is better; "
            "a minimum marks a stable rank."),
    "silhouette": ("Silhouette of consensus clusters", None, None,
                   "How well separated the consensus clusters are (−1…1). Higher is better."),
    "cv_error": ("Held-out error", "shuffled_cv_error", "lowest held-out error",
                 "Error on hidden entries the fit never saw. It falls, then rises once the "
                 "model over-fits: its minimum is the rank that generalises best."),
}


Y_TITLES = {"rel_error": "‖X−WH‖ / ‖X‖", "explained_variance": "share of ‖X‖²",
            "cophenetic": "correlation", "dispersion": "dispersion (0–1)",
            "pac": "share of sample pairs", "silhouette": "mean silhouette",
            "cv_error": "rel. error on hidden entries"}


@dataclass
class SweepOutcome:
    table: dict
    suggestions: list
    consensus: dict            # rank -> (pooled reordered matrix, labels)
    n_fits: int


@st.cache_data(max_entries=6, show_spinner=False)
def _sweep(key: str, settings: dict, _X, _labels=None, _callback=None,
           _n_jobs: int = 1) -> SweepOutcome:
    kw = dict(settings)
    lo, hi = kw.pop("ranks")
    res = nmfcore.rank_sweep(_X, list(range(lo, hi + 1)), callback=_callback, n_jobs=_n_jobs,
                             **kw)
    table = {k: np.asarray(v, dtype=float) for k, v in res.table.items()}
    if "shuffled_rel_error" in table:
        table["shuffled_explained_variance"] = 1.0 - table["shuffled_rel_error"] ** 2
    out = SweepOutcome(
        table=table,
        suggestions=[{"rule": s.rule, "rank": s.rank, "why": s.explanation}
                     for s in res.suggestions],
        consensus={int(r): pooled_consensus(C, res.orders[r], _labels)
                   for r, C in res.consensus.items() if C is not None},
        n_fits=int(res.n_fits))
    if res.cancelled:
        raise Stopped(out)
    return out


def start_sweep(ds: Dataset, key: str, settings: dict) -> Job:
    def target(job: Job) -> SweepOutcome:
        def callback(done, total, result=None):
            job.update(done=int(done), total=int(total),
                       rank=int(getattr(result, "rank", 0) or 0))
            return job.stop_requested
        kw = fit_kwargs(ds, settings)
        n_jobs = int(kw.pop("n_jobs", 1))  # results do not depend on it: not in the cache key
        return _sweep(key, kw, ds.X, _labels=ds.row_labels, _callback=callback, _n_jobs=n_jobs)
    return Job("rank", settings, target, key).start()


def criterion_panels(out: SweepOutcome) -> dict:
    """Per criterion: ``{"y", "baseline", "mark", "y_title"}`` for ``plots.small_multiples``."""
    marks = {s["rule"].split(":")[0].lower(): s["rank"] for s in out.suggestions}
    panels = {}
    for col, (title, base, rule, _) in CRITERIA.items():
        if col not in out.table or not np.isfinite(out.table[col]).any():
            continue
        panels[title] = {"y": out.table[col], "baseline": out.table.get(base),
                         "mark": marks.get(rule.split(":")[0].lower()) if rule else None,
                         "y_title": Y_TITLES.get(col),
                         "column": col}
    return panels
