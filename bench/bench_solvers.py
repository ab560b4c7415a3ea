"""Benchmark: nmfcore's solvers against scikit-learn and the matrix-product bound.

Usage (from the repository root)::

    .venv/bin/python bench/bench_solvers.py            # full run, writes bench/results.md
    .venv/bin/python bench/bench_solvers.py --quick    # fewer repeats / shorter caps (development)
    .venv/bin/python bench/bench_solvers.py --scale    # also the 100,000 x 20,000 sparse scale test
    .venv/bin/python bench/bench_solvers.py --only planted --no-profile --out /tmp/r.md

Every fit of one data set starts from the same NNDSVDa W0/H0 (``nmfcore.initialize``, equal to
scikit-learn's), in one process, with BLAS limited to 2 threads (threadpoolctl; ``--threads``
sets others). With one BLAS thread nmfcore's MU also keeps to one thread (``threads=1``), so
both libraries use one core; otherwise MU runs its dense KL and beta kernels on its own
threads by default (one per core for X of 2^19 cells or more), as scikit-learn runs its
products on BLAS's. Each timing is repeated and the best kept; the machine's load is printed
before and after. Numbers from different runs are not comparable: compare ratios within one
run.

Columns
-------
ms/it      the best wall time over --repeats of ``factorize`` / ``non_negative_factorization``
           for a fixed number of iterations (tol=0; each timed run >= --min-time seconds) less
           the best time of a one-iteration call (each repeat times one just before), divided by
           the iterations run less one: the cost of an iteration, without what a call costs
           once. The two bests are taken apart (see ``Timing``). For ``sgd`` one iteration is
           one epoch.
1-it call  wall time of a one-iteration call: what a call costs once (validation, set-up, the
           start's evaluation, the result) plus one iteration; best of --repeats.
bound ms   time of the iteration's data products alone on the same data and shapes:
           ``W.T @ X`` and ``X @ H.T`` (Frobenius), each in the faster of its two layouts
           (``(X.T @ W).T``, ``(H @ X.T).T``); KL adds two ``W @ H`` (dense), or ``W H``
           at the non-zeros only (sparse); beta-MU (beta not 1 or 2) twice the Frobenius pair plus
           two ``W @ H`` (numerator and denominator of each update). Best of many. The textbook-layout Frobenius bound
           is printed beside it.
% bound    bound ms / ms/it.
vs sk      ms/it of the matching scikit-learn row / ms/it of this row (>1: nmfcore faster);
           mu<->sk-mu, mu-kl<->sk-kl, hals/anls<->sk-cd, sgd<->sk-mu (an epoch vs an MU iteration),
           mu-b0<->sk-b0 and mu-b1.5<->sk-b1.5 (beta-MU at beta = 0 and 1.5, dense data only; at
           beta = 0 both get X + 1e-6 max(X) when X has zeros, which beta <= 0 cannot fit);
           mu-kl/10, mu-b0/10, mu-b1.5/10: the same fits with ``loss_every=10`` (the exact loss
           recorded every 10th iteration only; scikit-learn with tol=0 computes none).
to target  iterations and seconds to reach scikit-learn CD's best relative error * 1.001.
           sk-cd: 1000 iterations run in chunks of 10 from the previous (W, H) (CD and MU keep no
           state across calls), time and error recorded per chunk (so its own time-to-target is
           known at a 10-iteration granularity); sk-mu likewise. nmfcore: a callback stops the
           fit, seconds are the solver's own (start evaluation and callbacks excluded). Runs are
           capped (see "cap"); "-" = not reached (best error reached shown). KL and beta rows: n/a.
tt / sk-cd time-to-target / scikit-learn CD's time-to-target.
peak MB    tracemalloc peak during a short fit (5 iterations, data already allocated, so the
           input is not counted; a solver that copies X counts that copy).
"""
from __future__ import annotations

import argparse
import cProfile
import datetime as _dt
import io
import json
import math
import os
import platform
import pstats
import subprocess
import sys
import time
import tracemalloc
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy
import scipy.sparse as sp

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import nmfcore  # noqa: E402

TARGET_SLACK = 1.001   # "CD's best error + 0.1 %"
EXACT = 1e-6           # relative errors below this count as an exact fit


# --------------------------------------------------------------------------------------- data
@dataclass
class Case:
    name: str
    X: object
    rank: int
    note: str
    W0: np.ndarray = None
    H0: np.ndarray = None
    norm: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def sparse(self):
        return sp.issparse(self.X)


def sparse_counts(m, n, nnz, rng, zipf=True, dtype=np.float64):
    """CSR count matrix with about ``nnz`` stored entries (unique positions), Poisson-ish counts.

    Rows are uniform, columns follow a Zipf-like popularity (text-like) when ``zipf``; built from
    sorted unique linear keys, so memory stays O(nnz) and nothing dense is ever formed.
    """
    if zipf:
        cdf = np.cumsum(1.0 / (np.arange(n) + 10.0))
        cdf /= cdf[-1]
        perm = rng.permutation(n)
    keys = np.empty(0, dtype=np.int64)
    while keys.size < nnz:                      # popular columns collide: draw until enough
        over = int((nnz - keys.size) * 1.1) + 16
        rows = rng.integers(0, m, size=over, dtype=np.int64)
        if zipf:
            cols = perm[np.minimum(np.searchsorted(cdf, rng.random(over)), n - 1)]
        else:
            cols = rng.integers(0, n, size=over, dtype=np.int64)
        rows *= n
        rows += cols
        del cols
        keys = np.union1d(keys, rows)
        del rows
    if keys.size > nnz:
        keys = np.sort(rng.choice(keys, size=nnz, replace=False))
    r = (keys // n)
    c = (keys % n).astype(np.int32)
    del keys
    indptr = np.zeros(m + 1, dtype=np.int64)
    np.cumsum(np.bincount(r, minlength=m), out=indptr[1:])
    del r
    data = (1.0 + rng.poisson(1.5, size=c.size)).astype(dtype)
    if indptr[-1] < np.iinfo(np.int32).max:
        indptr = indptr.astype(np.int32)
    return sp.csr_matrix((data, c, indptr), shape=(m, n))


def load_cases(only=None):
    rng = np.random.default_rng(0)
    cases = []

    def want(name):
        return only is None or name in only

    if want("planted"):
        W = rng.random((2000, 20))
        H = rng.random((20, 1000))
        V = W @ H
        V += rng.normal(0.0, 0.01 * V.mean(), size=V.shape)
        cases.append(Case("planted", np.abs(V), 20,
                          "2000x1000 dense, uniform W,H rank 20, +1% Gaussian noise (of mean), abs"))
    if want("digits"):
        try:
            from nmfcore.datasets import load_demo
            X = np.asarray(load_demo("digits").X, dtype=np.float64)
            src = "nmfcore demo"
        except Exception:  # demo file missing
            from sklearn.datasets import load_digits
            X, src = load_digits().data.astype(np.float64), "sklearn load_digits"
        cases.append(Case("digits", X, 10, f"1797x64 dense ({src})"))
    if want("text"):
        X = sparse_counts(5000, 3000, 150_000, np.random.default_rng(1))
        cases.append(Case("text", X, 15,
                          f"5000x3000 CSR, {X.nnz} non-zeros ({X.nnz / 15e6:.2%}), Zipf columns, "
                          f"counts 1+Poisson(1.5)"))
    if want("swimmer"):
        try:
            from nmfcore.datasets import load_demo
            X = np.asarray(load_demo("swimmer").X, dtype=np.float64)
        except Exception:
            from nmfcore.datasets import make_swimmer
            X = np.asarray(make_swimmer().X, dtype=np.float64)
        cases.append(Case("swimmer", X, 17, f"{X.shape[0]}x{X.shape[1]} dense (nmfcore swimmer)"))
    for c in cases:
        c.W0, c.H0 = nmfcore.initialize(c.X, c.rank, "nndsvda")
        c.W0, c.H0 = np.ascontiguousarray(c.W0), np.ascontiguousarray(c.H0)
        c.norm = math.sqrt(sq_norm(c.X))
    return cases


def sq_norm(X):
    if sp.issparse(X):
        return float(np.dot(X.data, X.data))
    return float(np.vdot(X, X))


def rel_err(X, W, H, norm):
    """||X - W H||_F / ||X||_F (sparse: from rank-sized products, never densified)."""
    if sp.issparse(X):
        sq = norm ** 2 - 2.0 * float(np.vdot(W, X @ H.T)) + float(np.vdot(W.T @ W, H @ H.T))
    else:
        R = X - W @ H
        sq = float(np.vdot(R, R))
    return math.sqrt(max(sq, 0.0)) / norm


# --------------------------------------------------------------------------------------- rows
ROWS = [
    # name, library, options, matching scikit-learn row, loss
    ("mu", "nmfcore", dict(solver="mu", loss="frobenius"), "sk-mu", "fro"),
    ("mu-kl", "nmfcore", dict(solver="mu", loss="kl"), "sk-kl", "kl"),
    ("hals", "nmfcore", dict(solver="hals"), "sk-cd", "fro"),
    ("anls", "nmfcore", dict(solver="anls"), "sk-cd", "fro"),
    ("sgd", "nmfcore", dict(solver="sgd"), "sk-mu", "fro"),
    ("sk-mu", "sklearn", dict(solver="mu", beta_loss="frobenius"), None, "fro"),
    ("sk-cd", "sklearn", dict(solver="cd"), None, "fro"),
    ("sk-kl", "sklearn", dict(solver="mu", beta_loss="kullback-leibler"), None, "kl"),
    # beta-MU at beta = 0 (Itakura-Saito) and 1.5, dense data only; beta = 0 cannot fit zeros,
    # so on data with zeros both libraries get X + 1e-6 * max(X) (see beta0_x)
    ("mu-b0", "nmfcore", dict(solver="mu", loss="beta", beta=0.0), "sk-b0", "beta"),
    ("mu-b1.5", "nmfcore", dict(solver="mu", loss="beta", beta=1.5), "sk-b1.5", "beta"),
    ("sk-b0", "sklearn", dict(solver="mu", beta_loss=0.0), None, "beta"),
    ("sk-b1.5", "sklearn", dict(solver="mu", beta_loss=1.5), None, "beta"),
    # the same MU fits asking for the exact loss every 10th iteration only (loss_every=10;
    # scikit-learn with tol=0 computes none): the cost of the updates alone
    ("mu-kl/10", "nmfcore", dict(solver="mu", loss="kl", loss_every=10), "sk-kl", "kl"),
    ("mu-b0/10", "nmfcore", dict(solver="mu", loss="beta", beta=0.0, loss_every=10), "sk-b0", "beta"),
    ("mu-b1.5/10", "nmfcore", dict(solver="mu", loss="beta", beta=1.5, loss_every=10), "sk-b1.5",
     "beta"),
]
BETA0_EPS = 1e-6


def beta0_x(case):
    """X for the beta = 0 rows: X itself, or X + 1e-6 * max(X) when X has zeros (cached)."""
    if "x_b0" not in case.extra:
        X = case.X
        case.extra["x_b0"] = X + BETA0_EPS * X.max() if (X == 0).any() else X
    return case.extra["x_b0"]


def rows_for(case):
    """The rows run on ``case``: the beta rows on dense data only."""
    return [r for r in ROWS if r[4] != "beta" or not case.sparse]


# nmfcore MU's own threads (dense KL and beta row blocks): one in the one-BLAS-thread section,
# so both libraries use one core there; the default (one per core for large X) otherwise.
NM_THREADS = {"threads": None}


def fit_nm(case, opts, n_iter, callback=None, max_time=None, X=None, W0=None, H0=None):
    X = case.X if X is None else X
    if opts.get("solver") == "mu" and NM_THREADS["threads"] is not None:
        opts = {**opts, "threads": NM_THREADS["threads"]}
    return nmfcore.factorize(X, case.rank, W0=case.W0 if W0 is None else W0,
                             H0=case.H0 if H0 is None else H0, max_iter=n_iter, tol=0,
                             max_time=max_time, random_state=0, callback=callback, **opts)


def fit_sk(case, opts, n_iter, W=None, H=None, X=None):
    from sklearn.decomposition import non_negative_factorization
    W = case.W0.copy() if W is None else W
    H = case.H0.copy() if H is None else H
    X = case.X if X is None else X
    W, H, n = non_negative_factorization(X, W=W, H=H, n_components=case.rank, init="custom",
                                         tol=0, max_iter=n_iter, **opts)
    return W, H, n


def run_row(case, row, n_iter):
    """One timed run: returns the iterations actually run."""
    name, lib, opts, _, _ = row
    X = beta0_x(case) if opts.get("beta") == 0.0 or opts.get("beta_loss") == 0.0 else None
    if lib == "nmfcore":
        return fit_nm(case, opts, n_iter, X=X).n_iter
    return fit_sk(case, opts, n_iter, X=X)[2]


def calibrate(case, row, min_time):
    """Iterations per timed run so that it lasts about ``min_time`` seconds."""
    run_row(case, row, 2)                                   # warm-up
    t = time.perf_counter()
    done = run_row(case, row, 5)
    est = (time.perf_counter() - t) / max(done, 1)
    return int(min(max(math.ceil(min_time / max(est, 1e-6)), 10), 20000))


# Before each timed run, so that BLAS threads left spinning by the previous run (OpenBLAS keeps
# them busy for a while after a call) are idle again: a precaution, whose effect on one
# machine was within the run-to-run noise.
PAUSE = 0.1


def time_run(case, row, n):
    """Wall and process-CPU seconds of one run of ``n`` iterations, and the iterations run."""
    time.sleep(PAUSE)
    c = time.process_time()
    t = time.perf_counter()
    done = run_row(case, row, n)
    return time.perf_counter() - t, time.process_time() - c, done


class Timing:
    """The timed runs of one row: the best (least) time of a one-iteration call and, apart
    from it, the best time of an ``n``-iteration run. Per iteration is their difference over
    ``n - 1``: the iterations after a call's first, with what a call costs once (validation,
    set-up, the start's evaluation, the result) left out for both libraries alike. The two
    bests are taken apart because a call's one-time cost varies from call to call (most for
    scikit-learn's, whose first iteration allocates its m x n temporaries afresh): the least
    of differences would pick the run whose one-iteration call was slowest and read an
    iteration as cheaper than it is."""

    def __init__(self):
        self.w1 = self.c1 = self.wn = self.cn = math.inf
        self.done = 0

    def add(self, case, row, n):
        """Time one one-iteration call, then one ``n``-iteration run, after an untimed
        one-iteration call: both timed calls then start where a call of the same row left
        the allocator (otherwise the one-iteration call, run after another row's, would pay
        for mapping scikit-learn's temporaries and the run after it would not)."""
        run_row(case, row, 1)
        w1, c1, _ = time_run(case, row, 1)
        wn, cn, done = time_run(case, row, n)
        self.w1, self.c1 = min(self.w1, w1), min(self.c1, c1)
        self.wn, self.cn, self.done = min(self.wn, wn), min(self.cn, cn), done
        return self

    @property
    def wall(self):
        """Wall seconds per iteration."""
        return max(self.wn - self.w1, 0.0) / max(self.done - 1, 1)

    @property
    def cpu(self):
        """Process-CPU seconds per iteration."""
        return max(self.cn - self.c1, 0.0) / max(self.done - 1, 1)


def ms_per_iter(case, row, repeats, min_time):
    n = calibrate(case, row, min_time)
    t = Timing()
    for _ in range(repeats):
        t.add(case, row, n)
    return 1e3 * t.wall, t.done


def peak_mb(case, row, n_iter=5):
    tracemalloc.start()
    tracemalloc.reset_peak()
    run_row(case, row, n_iter)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 2 ** 20


# --------------------------------------------------------------------------------------- bound
# The clock of the primary figures: wall time, except with ONE BLAS thread, where the process
# CPU time is all the work and excludes the time spent waiting for a core on a loaded machine.
CLOCK = {"clock": time.perf_counter}


def best_time(fn, samples=7, min_sample=0.02):
    clock = CLOCK["clock"]
    fn()
    t = clock()
    fn()
    one = max(clock() - t, 1e-6)
    k = max(1, int(min_sample / one))
    best = math.inf
    for _ in range(samples):
        t = clock()
        for _ in range(k):
            fn()
        best = min(best, (clock() - t) / k)
    return best


def wh_at(X, W, Ht, rows):
    return np.einsum("ij,ij->i", W[rows], Ht[X.indices])


def wh_bsr(X, W, Ht, S):
    """W H at the non-zeros as one block-sparse product: S holds the gathered columns of H."""
    np.take(Ht, X.indices, axis=0, out=S.data.reshape(X.nnz, -1), mode="clip")
    return S @ W.ravel()


def product_bound(case):
    """Milliseconds of one iteration's data products alone (best way found for each)."""
    X, W, H = case.X, case.W0, case.H0
    out = {}
    if case.sparse:
        XT = X.T.tocsr()
        out["WtX"] = min(best_time(lambda: W.T @ X), best_time(lambda: (XT @ W).T))
        out["XHt"] = best_time(lambda: X @ H.T)
        rows = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
        Ht = np.ascontiguousarray(H.T)
        r = W.shape[1]
        S = sp.bsr_matrix((np.zeros((X.nnz, 1, r)), rows.astype(np.int32),
                           np.arange(X.nnz + 1, dtype=np.int32)), shape=(X.nnz, X.shape[0] * r),
                          blocksize=(1, r))
        out["WH"] = min(best_time(lambda: wh_at(X, W, Ht, rows)),
                        best_time(lambda: wh_bsr(X, W, Ht, S)))
    else:
        # each product in its textbook layout and in the transposed one, (X^T W)^T and
        # (H X^T)^T: the bound is the fastest found (nmfcore uses H @ X.T, 1.3-1.4x faster than
        # X @ H.T here); the textbook pair is kept for reference
        textbook = {"WtX": best_time(lambda: W.T @ X), "XHt": best_time(lambda: X @ H.T)}
        out["WtX"] = min(textbook["WtX"], best_time(lambda: (X.T @ W).T))
        out["XHt"] = min(textbook["XHt"], best_time(lambda: (H @ X.T).T))
        out["WH"] = best_time(lambda: W @ H)
    fro = out["WtX"] + out["XHt"]
    fro_textbook = textbook["WtX"] + textbook["XHt"] if not case.sparse else fro
    return {"fro": 1e3 * fro, "kl": 1e3 * (fro + 2 * out["WH"]),
            "beta": 1e3 * (2 * fro + 2 * out["WH"]), "fro_textbook": 1e3 * fro_textbook,
            "parts": {k: 1e3 * v for k, v in out.items()}}


# ------------------------------------------------------------------------------ time to target
def sk_chunks(case, opts, max_iter, cap, chunk=10):
    """Run scikit-learn in chunks from the previous (W, H): per chunk (iters, seconds, rel_err)."""
    W, H = case.W0.copy(), case.H0.copy()
    trace, total, it = [], 0.0, 0
    while it < max_iter and total < cap:
        t = time.perf_counter()
        W, H, n = fit_sk(case, opts, chunk, W, H)
        total += time.perf_counter() - t
        it += chunk
        trace.append((it, total, rel_err(case.X, W, H, case.norm)))
    return trace


def first_reach(trace, target):
    for it, sec, err in trace:
        if err <= target:
            return it, sec
    return None


def nm_to_target(case, opts, target, max_iter, max_time):
    def cb(state):
        return state.rel_error <= target
    res = fit_nm(case, opts, max_iter, callback=cb, max_time=max_time)
    errs = res.history["rel_error"]
    reached = errs[-1] <= target
    return (res.n_iter, float(res.history["seconds"][-1])) if reached else None, float(errs.min()), res


# ------------------------------------------------------------------------------------ profiles
class LineTimer:
    """Inclusive CPU time per source line of nmfcore's files (sys.settrace).

    Run with one BLAS thread, the process CPU clock counts all the work and none of the time the
    process waits for a core, so the attribution survives other jobs' load.
    """

    def __init__(self, prefixes, clock=time.process_time):
        self.prefixes = prefixes
        self.clock = clock
        self.times = {}
        self.state = {}

    def _tracer(self, frame, event, arg):
        fname = frame.f_code.co_filename
        if not fname.startswith(self.prefixes):
            return None
        now = self.clock()
        key = id(frame)
        if event == "call":
            self.state[key] = (None, now)
            return self._tracer
        last, t0 = self.state.get(key, (None, now))
        if last is not None:
            self.times[last] = self.times.get(last, 0.0) + now - t0
        if event == "line":
            self.state[key] = ((fname, frame.f_lineno), self.clock())
        elif event == "return":
            self.state.pop(key, None)
        return self._tracer

    def run(self, fn):
        sys.settrace(self._tracer)
        try:
            fn()
        finally:
            sys.settrace(None)


_SOURCES = {}


def snapshot_sources():
    """Source lines of nmfcore as imported (the files may be edited while the bench runs)."""
    for mod in list(sys.modules.values()):
        f = getattr(mod, "__file__", None) or ""
        if f.startswith(str(Path(nmfcore.__file__).resolve().parent)) and f.endswith(".py"):
            _SOURCES[f] = Path(f).read_text().splitlines()


def _line_text(fname, lineno):
    try:
        lines = _SOURCES.get(fname) or Path(fname).read_text().splitlines()
        return lines[lineno - 1].strip()
    except Exception:
        return "?"


def git_state():
    def git(*args):
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout
        except Exception:
            return "?"
    # porcelain lines are "XY path": the status may start with a space, so no strip before [3:]
    dirty = [line[3:] for line in git("status", "--porcelain", "--", "nmfcore").splitlines() if line]
    return f"{git('rev-parse', '--short', 'HEAD').strip()}" + (
        f" (nmfcore has uncommitted edits: {', '.join(dirty)})" if dirty else "")


def profile_solvers(case, n_iter=20, top=8):
    out = []
    solver_dir = str(Path(nmfcore.__file__).resolve().parent)
    specs = [("mu", dict(solver="mu")), ("mu-kl", dict(solver="mu", loss="kl")),
             ("hals", dict(solver="hals")), ("anls", dict(solver="anls")), ("sgd", dict(solver="sgd"))]
    for name, opts in specs:
        fit_nm(case, opts, 2)
        pr = cProfile.Profile(time.process_time)
        pr.enable()
        c = time.process_time()
        res = fit_nm(case, opts, n_iter)
        pr.disable()
        cpu_total = time.process_time() - c
        s = io.StringIO()
        st = pstats.Stats(pr, stream=s)
        total = st.total_tt
        rows = []
        for (file, line, func), (cc, nc, tt, ct, callers) in st.stats.items():
            rows.append((tt, ct, nc, f"{Path(file).name}:{line}({func})" if line else func))
        rows.sort(reverse=True)
        lt = LineTimer((solver_dir,))
        lt.run(lambda: fit_nm(case, opts, n_iter))
        lines = sorted(lt.times.items(), key=lambda kv: -kv[1])
        step_lines = [(k, v) for k, v in lines
                      if "_factorize.py" not in k[0] or "engine.step()" in _line_text(*k)]
        c = time.process_time()
        plain = fit_nm(case, opts, n_iter)
        plain_cpu = time.process_time() - c
        out.append(dict(name=name, n_iter=n_iter, total=total, solver_s=float(plain.history["seconds"][-1]),
                        plain_cpu=plain_cpu, prof_cpu=cpu_total,
                        funcs=[(1e3 * tt / n_iter, 1e3 * ct / n_iter, nc // n_iter if nc >= n_iter else nc, f)
                               for tt, ct, nc, f in rows[:top]],
                        lines=[(1e3 * v / n_iter, f"{Path(k[0]).name}:{k[1]}", _line_text(*k))
                               for k, v in step_lines[:top]]))
    return out


# --------------------------------------------------------------------------------- scale test
def _rss_now_mb():
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 2 ** 10
    except OSError:
        pass
    return float("nan")


def scale_child(solver, n_iter, threads):
    import resource
    rng = np.random.default_rng(7)
    t = time.perf_counter()
    X = sparse_counts(100_000, 20_000, 10_000_000, rng, zipf=True)
    gen = time.perf_counter() - t
    rss_data = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 10
    from threadpoolctl import threadpool_limits
    with threadpool_limits(threads):
        t = time.perf_counter()
        W0, H0 = nmfcore.initialize(X, 20, "nndsvda")
        init_s = time.perf_counter() - t
        rss_before = _rss_now_mb()
        tracemalloc.start()
        t = time.perf_counter()
        res = nmfcore.factorize(X, 20, solver=solver, W0=W0, H0=H0, max_iter=n_iter, tol=0)
        wall = time.perf_counter() - t
        fit_peak = tracemalloc.get_traced_memory()[1] / 2 ** 20
        tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2 ** 10
    secs = np.diff(res.history["seconds"])
    print(json.dumps(dict(solver=solver, shape=list(X.shape), nnz=int(X.nnz), gen_s=gen,
                          init_s=init_s, wall_s=wall, n_iter=int(res.n_iter),
                          s_per_iter=float(secs.min()), s_per_iter_mean=float(secs.mean()),
                          rel_error=float(res.rel_error), rss_after_data_mb=rss_data,
                          rss_before_fit_mb=rss_before, fit_traced_peak_mb=fit_peak,
                          fit_rss_estimate_mb=rss_before + fit_peak,
                          peak_rss_mb=rss, x_mb=(X.data.nbytes + X.indices.nbytes + X.indptr.nbytes) / 2 ** 20,
                          dense_mb=X.shape[0] * X.shape[1] * 8 / 2 ** 20, sparse_out=bool(sp.issparse(X)))))


def run_scale(n_iter, threads):
    out = []
    for solver in ("mu", "hals"):
        p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--scale-child", solver,
                            "--scale-iter", str(n_iter), "--threads", str(threads)], capture_output=True, text=True)
        if p.returncode != 0:
            out.append(dict(solver=solver, error=p.stderr.strip().splitlines()[-1:] or ["?"]))
        else:
            out.append(json.loads(p.stdout.strip().splitlines()[-1]))
        print("  scale", solver, out[-1], flush=True)
    return out


# ------------------------------------------------------------------------- fresh processes
# scikit-learn's KL and beta MU form several m x n temporaries per iteration; what they cost
# depends on the state of glibc's allocator (whether freed blocks are handed back to the
# system and faulted in again on the next iteration). The main tables run late in one long
# process; this section runs each pair (an nmfcore row and its scikit-learn row, interleaved)
# in a new process, once with glibc's defaults (a new Python process, as a script runs) and
# once with freed memory kept (MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at 1 GiB).
FRESH_PAIRS = ("mu-kl", "mu-kl/10", "mu-b0", "mu-b1.5")
FRESH_ENVS = (("glibc defaults", {}),
              ("freed memory kept", {"MALLOC_MMAP_THRESHOLD_": str(1 << 30),
                                     "MALLOC_TRIM_THRESHOLD_": str(1 << 30)}))


def fresh_child(name, threads, repeats, min_time):
    """In this (new) process: each of FRESH_PAIRS on data set ``name`` against its
    scikit-learn row, interleaved, the same iterations for both; prints one JSON line."""
    from threadpoolctl import threadpool_limits
    (case,) = load_cases([name])
    by_name = {r[0]: r for r in ROWS}
    out = {}
    with threadpool_limits(threads):
        for nm in FRESH_PAIRS:
            rows = [by_name[nm], by_name[by_name[nm][3]]]
            if any(r not in rows_for(case) for r in rows):
                continue
            n = max(calibrate(case, r, min_time) for r in rows)
            t = [Timing(), Timing()]
            for _ in range(repeats):
                for i, r in enumerate(rows):
                    t[i].add(case, r, n)
            out[nm] = dict(sk=rows[1][0], nm_ms=1e3 * t[0].wall, sk_ms=1e3 * t[1].wall, iters=n)
    print(json.dumps(out))


def run_fresh(cases, threads, repeats, min_time):
    """:func:`fresh_child` for every case, under each of FRESH_ENVS."""
    out = {}
    for label, env in FRESH_ENVS:
        for c in cases:
            p = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--fresh-child",
                                c.name, "--threads", str(threads), "--fresh-repeats",
                                str(repeats), "--fresh-min-time", str(min_time)],
                               capture_output=True, text=True, env={**os.environ, **env})
            if p.returncode != 0:
                out[(label, c.name)] = {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
            else:
                out[(label, c.name)] = json.loads(p.stdout.strip().splitlines()[-1])
            print(f"  fresh process ({label}) {c.name}: "
                  + ", ".join(f"{k} {v['nm_ms']:.3f} vs {v['sk']} {v['sk_ms']:.3f} ms/it"
                              for k, v in out[(label, c.name)].items() if k != "error"),
                  flush=True)
    return out


def fresh_lines(fresh, threads, cases, main_results):
    """The fresh-process section of results.md."""
    L = [f"## KL and beta MU in fresh processes ({threads} BLAS thread(s), wall clock)", "",
         "Each pair (the nmfcore row and its scikit-learn row, interleaved, the same iterations, "
         "best of the repeats, counted after a call's first iteration as above) in a new "
         "process of its own: with glibc's defaults, as in a new Python process, and with freed "
         "memory kept (MALLOC_MMAP_THRESHOLD_ and MALLOC_TRIM_THRESHOLD_ at 1 GiB). 'bench "
         "process' is the ratio in the tables above, measured late in one long process. "
         "Ratios > 1: nmfcore faster.", "",
         "| data | row | " + " | ".join(f"{lab}: nmfcore / sk ms/it, ratio" for lab, _ in FRESH_ENVS)
         + " | bench process |", "|---|---|" + "---|" * (len(FRESH_ENVS) + 1)]
    for c in cases:
        names = [k for k in FRESH_PAIRS if k in fresh.get((FRESH_ENVS[0][0], c.name), {})]
        for k in names:
            cells = []
            for lab, _ in FRESH_ENVS:
                v = fresh.get((lab, c.name), {}).get(k)
                cells.append("failed" if v is None else
                             f"{v['nm_ms']:.3f} / {v['sk_ms']:.3f}, **{v['sk_ms'] / v['nm_ms']:.2f}x**")
            main = (main_results or {}).get(c.name, {}).get(k, {}).get("speedup")
            L.append(f"| {c.name} | {k} vs {fresh[(FRESH_ENVS[0][0], c.name)][k]['sk']} | "
                     + " | ".join(cells) + f" | {fmt(main)}x |")
    return L + [""]


# --------------------------------------------------------------------------------------- main
def fmt(x, spec=".2f", none="-"):
    return none if x is None or (isinstance(x, float) and not math.isfinite(x)) else format(x, spec)


def bench_case(case, a):
    print(f"\n== {case.name}: {case.note}, rank {case.rank}", flush=True)
    # interleaved: every repeat times the bound and each row once, so a load spike hits one
    # sample of each rather than all samples of one row; the best of each is kept
    rows = rows_for(case)
    ns = {row[0]: calibrate(case, row, a.min_time) for row in rows}
    # a row and the scikit-learn row it is compared with run the same iterations (the most
    # either needs): per-iteration costs drift along a fit (subnormals, allocations)
    for sk in {row[3] for row in rows if row[3] in ns}:
        group = [sk] + [row[0] for row in rows if row[3] == sk]
        most = max(ns[g] for g in group)
        ns.update((g, most) for g in group)
    timing = {row[0]: Timing() for row in rows}
    for rep in range(a.repeats):
        b = product_bound(case)
        bound = b if rep == 0 else {k: (min(bound[k], b[k]) if k != "parts" else
                                        {p: min(bound["parts"][p], b["parts"][p]) for p in b["parts"]})
                                    for k in b}
        for row in rows:
            timing[row[0]].add(case, row, ns[row[0]])
    print(f"  bound: frobenius {bound['fro']:.3f} ms, kl {bound['kl']:.3f} ms  parts "
          + ", ".join(f"{k} {v:.3f}" for k, v in bound["parts"].items()), flush=True)
    res = {}
    for row in rows:
        name, lib, opts, match, loss = row
        t = timing[name]
        wall, iters, cpu = 1e3 * t.wall, t.done, 1e3 * t.cpu
        ms = cpu if CLOCK["clock"] is time.process_time else wall
        mem = peak_mb(case, row)
        b = bound[loss]
        res[name] = dict(ms=ms, wall=wall, cpu=cpu, iters=iters, mem=mem, pct=100.0 * b / ms,
                         start=1e3 * t.w1,
                         bound=b, match=match, loss=loss,
                         pct_textbook=100.0 * bound["fro_textbook"] / ms if loss == "fro" else None)
        print(f"  {name:6s} {ms:9.3f} ms/it ({iters} it, wall {wall:.3f}, cpu {cpu:.3f}; "
              f"1-it call {1e3 * t.w1:.1f} ms)  {100 * b / ms:5.1f}% of bound  "
              f"peak {mem:8.1f} MB", flush=True)
    for name, r in res.items():
        r["speedup"] = res[r["match"]]["ms"] / r["ms"] if r["match"] else None

    # time to target
    cd = sk_chunks(case, ROWS[6][2], a.cd_iters, math.inf)
    best = min(e for _, _, e in cd)
    # + 0.1 %; an exact factorization (swimmer) has a best error at round-off level, where 0.1 %
    # means nothing: errors below EXACT count as having reached it
    target = max(best * TARGET_SLACK, EXACT)
    sk_tt = first_reach(cd, target)
    # Caps in iterations, from this run's best ms/it, so that they do not depend on the load
    # while the long runs happen: each row may use cap_factor x sk-cd's (iterations x best ms/it)
    # time-to-target; max_time is only a safety net.
    sk_est = sk_tt[0] * res["sk-cd"]["ms"] / 1e3
    budget = max(a.cap_factor * sk_est, a.cap_min)

    def cap_iter(name):
        return int(min(max(math.ceil(budget / (res[name]["ms"] / 1e3)), 20), 50000))

    res["sk-cd"].update(tt=sk_tt, best_err=best, run_err=best)
    print(f"  sk-cd best rel_error {best:.6g} after {cd[-1][0]} it ({cd[-1][1]:.2f} s); target "
          f"{target:.6g} reached at {sk_tt[0]} it, {sk_tt[1]:.3f} s (it x best ms/it {sk_est:.3f} s); "
          f"budget for others {budget:.2f} s at best ms/it", flush=True)
    mu_trace = sk_chunks(case, ROWS[5][2], cap_iter("sk-mu"), a.safety)
    r = first_reach(mu_trace, target)
    res["sk-mu"].update(tt=r, run_err=min(e for _, _, e in mu_trace),
                        tt_note=f"{mu_trace[-1][0]} it, {mu_trace[-1][1]:.2f} s")
    for name in ("mu", "hals", "anls", "sgd"):
        opts = ROWS[[r_[0] for r_ in ROWS].index(name)][2]
        tt, err, fit = nm_to_target(case, opts, target, cap_iter(name), a.safety)
        if tt is not None and a.repeats > 1:           # reached: repeat once, keep the faster
            tt2, _, _ = nm_to_target(case, opts, target, cap_iter(name), a.safety)
            if tt2 is not None and tt2[1] < tt[1]:
                tt = tt2
        res[name].update(tt=tt, run_err=err, tt_note=f"{fit.n_iter} it, {fit.history['seconds'][-1]:.2f} s")
        if name == "mu":
            res[name]["fit"] = fit
    for name, r in res.items():
        if r.get("tt") and sk_tt:
            r["tt_ratio"] = r["tt"][1] / sk_tt[1]
            # load-robust estimate: iterations to target x best ms/it of this run
            r["tt_est"] = r["tt"][0] * r["ms"] / 1e3
            r["tt_est_ratio"] = r["tt_est"] / (sk_tt[0] * res["sk-cd"]["ms"] / 1e3)
        print(f"  {name:6s} to target: {fmt(r.get('tt'), '')}  best err {fmt(r.get('run_err'), '.6f')}"
              f"  tt/sk-cd {fmt(r.get('tt_ratio'))}", flush=True)
    case.extra.update(target=target, cap=budget, cd_best=best, cd_iters=cd[-1][0], cd_total=cd[-1][1])

    # SGD vs MU final error after a fixed number of iterations / epochs
    n_fin = a.final_iter
    e_mu = fit_nm(case, dict(solver="mu"), n_fin).rel_error
    e_sgd = fit_nm(case, dict(solver="sgd"), n_fin).rel_error
    case.extra.update(final_iter=n_fin, final_mu=float(e_mu), final_sgd=float(e_sgd))

    # subnormals after MU's long run (and late vs early per-iteration cost)
    fit = res["mu"].pop("fit")
    tiny = np.finfo(fit.W.dtype).tiny
    sub = int(((fit.W > 0) & (fit.W < tiny)).sum() + ((fit.H > 0) & (fit.H < tiny)).sum())
    # iterations from the long run's end (where tiny entries would have decayed) vs from the
    # start, interleaved, best of the repeats: a subnormal slow-down shows as late/early > 1
    late_W, late_H = np.ascontiguousarray(fit.W), np.ascontiguousarray(fit.H)
    n_sub = ns["mu"]
    early = late = math.inf
    clock = CLOCK["clock"]                   # CPU with one BLAS thread: not distorted by load
    for _ in range(max(a.repeats, 2)):
        t = clock()
        fit_nm(case, dict(solver="mu"), n_sub)
        early = min(early, clock() - t)
        t = clock()
        fit_nm(case, dict(solver="mu"), n_sub, W0=late_W, H0=late_H)
        late = min(late, clock() - t)
    late_early = late / early
    case.extra.update(subnormals=sub, late_early=late_early, mu_long_iter=int(fit.n_iter))
    case.extra["bound_parts"] = bound["parts"]
    case.extra["fro_textbook"] = bound["fro_textbook"]
    return res


def float32_check(case, a):
    X32 = case.X.astype(np.float32)
    W32, H32 = case.W0.astype(np.float32), case.H0.astype(np.float32)
    c32 = Case(case.name + "-f32", X32, case.rank, case.note, W32, H32, case.norm)
    row = ("mu", "nmfcore", dict(solver="mu"), None, "fro")
    ms64, _ = ms_per_iter(case, row, a.repeats, a.min_time)
    ms32, _ = ms_per_iter(c32, row, a.repeats, a.min_time)
    mem64, mem32 = peak_mb(case, row), peak_mb(c32, row)
    r64 = fit_nm(case, dict(solver="mu"), a.final_iter)
    r32 = fit_nm(c32, dict(solver="mu"), a.final_iter)
    e32 = rel_err(case.X, r32.W.astype(np.float64), r32.H.astype(np.float64), case.norm)
    return dict(ms64=ms64, ms32=ms32, mem64=mem64, mem32=mem32, dtype=str(r32.W.dtype),
                err64=float(r64.rel_error), err32=e32, n=a.final_iter,
                x_mb64=case.X.nbytes / 2 ** 20, x_mb32=X32.nbytes / 2 ** 20)


def met(ok):
    return "n/a" if ok is None else ("**met**" if ok else "**not met**")


def targets(results, cases, f32, scale):
    by = {c.name: c for c in cases}
    t = []
    g = lambda ds, row, key: results.get(ds, {}).get(row, {}).get(key)  # noqa: E731
    for ds, goal in (("planted", 90), ("digits", 80)):
        if ds in results:
            p, q = g(ds, "mu", "pct"), g(ds, "mu", "pct_textbook")
            t.append((f"Frobenius MU >= {goal} % of the product bound on {ds} (judged on the fastest "
                      "layout of each product)",
                      f"{p:.0f} % (of the textbook-layout bound W.T @ X + X @ H.T: {q:.0f} %)", met(p >= goal)))
    sps = {ds: g(ds, "mu", "speedup") for ds in results}
    t.append(("Frobenius MU not slower than scikit-learn MU anywhere",
              ", ".join(f"{ds} {v:.2f}x" for ds, v in sps.items()), met(min(sps.values()) >= 1.0)))
    if "planted" in results:
        sk = g("planted", "sk-cd", "tt")
        best = None
        for name in ("mu", "hals", "anls", "sgd"):
            tt, est = g("planted", name, "tt"), g("planted", name, "tt_est")
            if tt and (best is None or est < g("planted", best[0], "tt_est")):
                best = (name, tt[1])
        if best:
            est = g("planted", best[0], "tt_est_ratio")
            t.append(("fastest nmfcore solver reaches sk CD's best error (+0.1 %) on planted in <= 0.5x "
                      "CD's time", f"{best[0]} {best[1]:.3f} s vs sk-cd {sk[1]:.3f} s = {best[1] / sk[1]:.2f}x "
                      f"(iterations x best ms/it: {est:.2f}x; judged on the latter, which the load "
                      f"does not distort)", met(est <= 0.5)))
        else:
            t.append(("fastest nmfcore solver reaches sk CD's best error on planted in <= 0.5x CD's time",
                      "no nmfcore solver reached it within the cap", met(False)))
    for every in ("", "/10"):
        how = "" if not every else ", exact loss every 10th iteration (loss_every=10)"
        for ds in results:
            c = by[ds]
            s = g(ds, "mu-kl" + every, "speedup")
            mem = g(ds, "mu-kl" + every, "mem")
            mn = c.X.shape[0] * c.X.shape[1] * 8 / 2 ** 20
            if c.sparse:
                ok = s >= 3 and mem < 0.5 * mn
                t.append((f"KL-MU sparse ({ds}) >= 3x scikit-learn, no m x n temporaries{how}",
                          f"{s:.2f}x; peak {mem:.1f} MB vs one m x n array {mn:.0f} MB", met(ok)))
            else:
                t.append((f"KL-MU dense ({ds}) >= 2x scikit-learn{how}", f"{s:.2f}x", met(s >= 2)))
        for beta in ("0", "1.5"):
            sps = {ds: g(ds, f"mu-b{beta}{every}", "speedup") for ds in results if not by[ds].sparse}
            if sps:
                t.append((f"beta-MU (beta={beta}) dense >= 2x scikit-learn{how}",
                          ", ".join(f"{ds} {v:.2f}x" for ds, v in sps.items()),
                          met(min(sps.values()) >= 2)))
    for ds in results:
        q = g(ds, "sgd", "ms") / g(ds, "mu", "ms")
        c = by[ds]
        t.append((f"SGD epoch <= 2x MU iteration ({ds})", f"{q:.2f}x", met(q <= 2)))
        e_mu, e_sgd = c.extra["final_mu"], c.extra["final_sgd"]
        t.append((f"SGD within 5 % of MU's final error after {c.extra['final_iter']} it ({ds})",
                  f"sgd {e_sgd:.5f} vs mu {e_mu:.5f} ({100 * (e_sgd / e_mu - 1):+.1f} %)",
                  met(e_sgd <= 1.05 * e_mu)))
    for ds in results:
        c = by[ds]
        le = c.extra["late_early"]
        t.append((f"no subnormal slow-down (MU, {ds}: subnormal entries after {c.extra['mu_long_iter']} it; "
                  f"time of the same iterations from there / from the start)", f"{c.extra['subnormals']} subnormal; late/early {fmt(le)}",
                  met(le is None or le <= 1.15)))   # MU flushes every few iterations: a few may remain
    if f32:
        ok = f32["dtype"] == "float32" and f32["mem32"] <= 0.6 * f32["mem64"]
        t.append(("float32 input runs in float32 (half the memory), planted MU",
                  f"W dtype {f32['dtype']}; peak {f32['mem32']:.1f} vs {f32['mem64']:.1f} MB; "
                  f"{f32['ms32']:.2f} vs {f32['ms64']:.2f} ms/it; rel_error {f32['err32']:.6f} vs "
                  f"{f32['err64']:.6f} after {f32['n']} it", met(ok)))
    if scale == "above":
        t.append(("scale 100k x 20k sparse (MU, HALS) < 4 GB", "run once: see the first section", "n/a"))
    elif scale:
        for s in scale:
            if "error" in s:
                t.append((f"scale 100k x 20k, 10M nnz, rank 20, {s['solver']}", f"failed: {s['error']}", met(False)))
                continue
            ok = s["peak_rss_mb"] < 4096
            t.append((f"scale 100k x 20k, {s['nnz'] / 1e6:.1f}M nnz, rank 20, {s['solver']}: < 4 GB, no densifying",
                      f"{s['s_per_iter']:.2f} s/it; peak RSS {s['peak_rss_mb']:.0f} MB (building the data "
                      f"alone {s['rss_after_data_mb']:.0f} MB; fit: RSS at start {s.get('rss_before_fit_mb', float('nan')):.0f} "
                      f"+ traced peak {s.get('fit_traced_peak_mb', float('nan')):.0f} MB; dense X would be "
                      f"{s['dense_mb'] / 1024:.0f} GB)", met(ok)))
    else:
        t.append(("scale 100k x 20k sparse (MU, HALS) < 4 GB", "not run (use --scale)", "n/a"))
    return t


def table_lines(case, res):
    L = [f"### {case.name} — {case.note}, rank {case.rank}", "",
         f"Bound: Frobenius {res['mu']['bound']:.3f} ms, KL {res['mu-kl']['bound']:.3f} ms"
         + (f", beta {res['mu-b1.5']['bound']:.3f} ms" if "mu-b1.5" in res else "") + " per iteration "
         f"(parts: " + ", ".join(f"{k} {v:.3f} ms" for k, v in case.extra["bound_parts"].items()) + "; "
         f"Frobenius with the textbook layouts W.T @ X and X @ H.T: {case.extra['fro_textbook']:.3f} ms). "
         f"Target rel. error {case.extra['target']:.6g} (sk-cd best {case.extra['cd_best']:.6g} after "
         f"{case.extra['cd_iters']} it, {case.extra['cd_total']:.2f} s). Time-to-target runs are capped "
         f"in iterations: each row gets {case.extra['cap']:.2f} s at its best ms/it (2x sk-cd's iterations "
         f"to target x its best ms/it), with a {60:.0f} s wall-time safety net.", "",
         "| row | ms/it | wall ms/it | cpu ms/it | 1-it call ms | % bound | vs sk | it to target | s to target | tt / sk-cd | it x ms/it | ratio of those | best rel. err (run) | peak MB |",
         "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, r in res.items():
        tt = r.get("tt")
        kl = r["loss"] in ("kl", "beta")
        it_s = "n/a" if kl else (str(tt[0]) if tt else "-")
        sec_s = "n/a" if kl else (f"{tt[1]:.3f}" if tt else f"- ({r.get('tt_note', '')})")
        vs = f"{r['speedup']:.2f}x ({r['match']})" if r.get("speedup") else ""
        L.append(f"| {name} | {r['ms']:.3f} | {r['wall']:.3f} | {r['cpu']:.3f} | {r['start']:.1f} | {r['pct']:.0f} % | {vs} | {it_s} | {sec_s} | "
                 f"{fmt(r.get('tt_ratio'))} | {fmt(r.get('tt_est'), '.3f')} | {fmt(r.get('tt_est_ratio'))} | {fmt(r.get('run_err'), '.6g') if not kl else 'n/a'} | {r['mem']:.1f} |")
    return L


def blas_lines():
    from threadpoolctl import threadpool_info
    L = []
    for d in threadpool_info():
        L.append(f"- {d.get('user_api')}/{d.get('internal_api')} {d.get('version')} "
                 f"threads={d.get('num_threads')} arch={d.get('architecture', '-')} "
                 f"({Path(d.get('filepath', '')).name})")
    return L


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="1 repeat, shorter runs and caps")
    ap.add_argument("--scale", action="store_true", help="also run the 100k x 20k sparse scale test")
    ap.add_argument("--only", nargs="*", help="data sets: planted digits text swimmer")
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--out", default=str(HERE / "results.md"))
    ap.add_argument("--scale-child", help=argparse.SUPPRESS)
    ap.add_argument("--scale-iter", type=int, default=3, help="iterations in the scale test")
    ap.add_argument("--no-fresh", action="store_true",
                    help="skip the KL and beta pairs in fresh processes")
    ap.add_argument("--fresh-child", help=argparse.SUPPRESS)
    ap.add_argument("--fresh-repeats", type=int, default=5, help=argparse.SUPPRESS)
    ap.add_argument("--fresh-min-time", type=float, default=0.3, help=argparse.SUPPRESS)
    ap.add_argument("--threads", type=int, nargs="+", default=[2],
                    help="BLAS thread setting(s) (threadpoolctl), default 2; e.g. --threads 2 1 "
                         "runs the whole table once per setting")
    a = ap.parse_args()
    if a.scale_child:
        return scale_child(a.scale_child, a.scale_iter, a.threads[0])
    if a.fresh_child:
        warnings.simplefilter("ignore")
        return fresh_child(a.fresh_child, a.threads[0], a.fresh_repeats, a.fresh_min_time)
    a.repeats = 1 if a.quick else 5
    a.min_time = 0.1 if a.quick else 0.3
    a.cd_iters = 300 if a.quick else 1000
    a.cap_factor, a.cap_min = (1.0, 0.3) if a.quick else (2.0, 1.0)
    a.safety = 10.0 if a.quick else 60.0
    a.final_iter = 100 if a.quick else 200
    warnings.simplefilter("ignore")

    from threadpoolctl import threadpool_limits
    import sklearn
    t_start = time.perf_counter()
    load0 = os.getloadavg()
    date = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    print(f"bench_solvers {date}; load {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}; cpus {os.cpu_count()}")
    code = git_state()                     # at the start: the solver files may change during the run
    cases = load_cases(a.only)
    snapshot_sources()
    runs = []                               # one per BLAS thread setting
    profiles = scale = fresh = None

    def write(final):
        load1 = os.getloadavg()
        elapsed = time.perf_counter() - t_start
        all_tgt = write_doc(a, date, code, load0, load1, elapsed, cases, runs, profiles, scale, final,
                            fresh)
        return all_tgt, load1, elapsed

    for threads in a.threads:
        CLOCK["clock"] = time.process_time if threads == 1 else time.perf_counter
        NM_THREADS["threads"] = 1 if threads == 1 else None
        with threadpool_limits(threads):
            blas = blas_lines()
            print(f"\n######## BLAS threads = {threads}\n" + "\n".join(blas), flush=True)
            l0 = os.getloadavg()
            results = {c.name: bench_case(c, a) for c in cases}
            f32 = float32_check(next(c for c in cases if c.name == "planted"), a) \
                if any(c.name == "planted" for c in cases) else None
            extras = {c.name: dict(c.extra) for c in cases}
            l1 = os.getloadavg()
        runs.append(dict(threads=threads, blas=blas, results=results, f32=f32, extras=extras,
                         load=(l0, l1)))
        if profiles is None and not a.no_profile and any(c.name == "planted" for c in cases):
            print("\n== profiles (planted)", flush=True)
            with threadpool_limits(1):
                profiles = profile_solvers(next(c for c in cases if c.name == "planted"))
        write(False)                        # results so far, in case a later section is cut short
    if not a.no_fresh:
        print(f"\n== KL and beta in fresh processes ({a.threads[0]} BLAS threads)", flush=True)
        fresh = run_fresh(cases, a.threads[0], a.repeats, a.min_time)
    if a.scale:
        scale = run_scale(a.scale_iter, a.threads[0])
    all_tgt, load1, elapsed = write(True)
    for threads, tgt in all_tgt:
        print(f"\n-- targets, {threads} BLAS thread(s)")
        print("\n".join(f"{x}: {y} -> {z}" for x, y, z in tgt))
    print(f"\nwrote {a.out} ({elapsed:.0f} s; load end {load1[0]:.2f})")


def write_doc(a, date, code, load0, load1, elapsed, cases, runs, profiles, scale, final,
              fresh=None):
    import sklearn
    L = ["# nmfcore solver benchmark (generated by `bench/bench_solvers.py`)", "",
         f"- date: {date}; run took {elapsed:.0f} s{'' if final else ' so far (INCOMPLETE: later sections still running)'}; mode: {'quick' if a.quick else 'full'}"
         f"{' + scale' if scale else ''}; command: `{' '.join(['.venv/bin/python', 'bench/bench_solvers.py'] + sys.argv[1:])}`",
         f"- code: commit {code} (at the start of the run)",
         f"- load average (1/5/15 min): start {load0[0]:.2f} {load0[1]:.2f} {load0[2]:.2f}, "
         f"end {load1[0]:.2f} {load1[1]:.2f} {load1[2]:.2f}; cpu_count {os.cpu_count()}",
         f"- python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
         f"scikit-learn {sklearn.__version__}; BLAS thread settings run: {', '.join(map(str, a.threads))}",
         f"- every timing is the best of {a.repeats} interleaved repeat(s), each timed run >= {a.min_time} s; "
         "same NNDSVDa start for every row; tol=0 everywhere. Compare ratios within one section only.",
         ""]
    all_tgt = []
    for run in runs:
        for c in cases:
            c.extra = dict(run["extras"][c.name])   # a copy: the next section updates c.extra
        tgt = targets(run["results"], cases, run["f32"],
                      scale if run is runs[0] else ("above" if scale else None))
        all_tgt.append((run["threads"], tgt))
        (l0, l1) = run["load"]
        L += [f"# BLAS threads = {run['threads']}", "",
              f"- load average during this section: start {l0[0]:.2f} {l0[1]:.2f} {l0[2]:.2f}, "
              f"end {l1[0]:.2f} {l1[1]:.2f} {l1[2]:.2f}", "- threadpoolctl:", *run["blas"], "",
              f"## Targets, {run['threads']} BLAS thread(s)", "",
              "| target | measured | status |", "|---|---|---|"]
        L += [f"| {x} | {y} | {z} |" for x, y, z in tgt]
        L += ["", f"## Tables, {run['threads']} BLAS thread(s)", "",
              f"ms/it: per iteration (epoch for sgd), best of the interleaved repeats, measured with "
              f"{'the process CPU clock (one BLAS thread: all the work, none of the waiting for a core while other jobs load the machine); the bound with the same clock' if run['threads'] == 1 else 'the wall clock'}; "
              "each counts the iterations after a call's first (the best run's time minus the best "
              "one-iteration call's, over its iterations less one), for both libraries; "
              "wall ms/it and cpu ms/it: both clocks (cpu counts every BLAS thread, spin-waiting included); "
              "1-it call ms: wall time of a whole one-iteration call (validation, set-up, the start's "
              "evaluation, one iteration, the result), best of the repeats; "
              "% bound: product-bound time / ms/it; "
              "vs sk: matching scikit-learn ms/it / this ms/it (>1 = nmfcore faster); to target: first "
              "iteration with rel. error <= scikit-learn CD's best * 1.001 (sklearn rows: 10-iteration "
              "chunks; nmfcore: solver seconds via the callback, best of 2 runs); '-' = not reached within "
              "the cap (the run's iterations and seconds in brackets); it x ms/it: iterations to target "
              "times this run's best ms/it (a load-robust estimate) and its ratio to sk-cd's; peak MB: "
              "tracemalloc peak of a 5-iteration fit, input excluded.", ""]
        for c in cases:
            L += table_lines(c, run["results"][c.name]) + [""]
    if fresh:
        L += fresh_lines(fresh, a.threads[0], cases, runs[0]["results"] if runs else None)
    if scale:
        L += [f"## Scale (own subprocess each, `resource.getrusage` peak RSS, {a.threads[0]} BLAS thread(s))", "",
              "RSS after data: peak while building X (the generator's own temporaries); RSS before fit: "
              "current RSS when the fit starts; fit traced peak: tracemalloc peak during factorize "
              "(numpy/scipy allocations of the fit, start included); their sum estimates the fit's peak.", "",
              "| solver | shape | nnz | s/it (best) | s/it (mean) | iterations | rel. err | X MB | RSS after data MB | RSS before fit MB | fit traced peak MB | peak RSS MB |",
              "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
        for s in scale:
            if "error" in s:
                L.append(f"| {s['solver']} | failed: {s['error']} |")
                continue
            L.append(f"| {s['solver']} | {s['shape'][0]}x{s['shape'][1]} | {s['nnz']} | {s['s_per_iter']:.2f} | "
                     f"{s['s_per_iter_mean']:.2f} | {s['n_iter']} | {s['rel_error']:.4f} | {s['x_mb']:.0f} | "
                     f"{s['rss_after_data_mb']:.0f} | {s.get('rss_before_fit_mb', float('nan')):.0f} | "
                     f"{s.get('fit_traced_peak_mb', float('nan')):.0f} | {s['peak_rss_mb']:.0f} |")
        L.append("")
    if profiles:
        L += ["## Where the time goes (planted 2000x1000 r20, 20 iterations each, 1 BLAS thread, CPU clock)", "",
              "Measured with ONE BLAS thread and the process CPU clock (`time.process_time`), so that "
              "the attribution does not depend on other jobs' load. cProfile: functions, CPU ms per "
              "iteration; 'own' includes the numpy/BLAS work started directly from that function's "
              "lines (a matrix product written as `@` is not a function call, so it shows up as the "
              "caller's own time). Line timer (sys.settrace): inclusive CPU ms per iteration of each "
              "source line of nmfcore (callees included), the fit's start included once in 20.", ""]
        for p in profiles:
            L += [f"### {p['name']} (without profiler: {1e3 * p['plain_cpu'] / p['n_iter']:.2f} CPU ms/it for "
                  f"the whole call, solver {1e3 * p['solver_s'] / p['n_iter']:.2f} wall ms/it; under cProfile "
                  f"{1e3 * p['prof_cpu'] / p['n_iter']:.2f})", "",
                  "| own ms/it | cum ms/it | calls/it | function |", "|---:|---:|---:|---|"]
            L += [f"| {tt:.3f} | {ct:.3f} | {nc} | `{f}` |" for tt, ct, nc, f in p["funcs"]]
            L += ["", "| incl. ms/it | line | source |", "|---:|---|---|"]
            L += [f"| {ms:.3f} | {loc} | `{src.replace('|', '¦')}` |" for ms, loc, src in p["lines"]]
            L.append("")
    Path(a.out).write_text("\n".join(L) + "\n")
    return all_tgt


if __name__ == "__main__":
    main()
