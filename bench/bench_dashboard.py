"""Benchmark of the dashboard's two heavy actions, through the service layer the pages use.

1. A 4-solver race (MU-Frobenius, MU-KL, projected SGD, HALS) on the digits demo (1797 x 64),
   rank 10, 200 iterations each, from one shared nndsvda start, then both race figures built
   and serialised as the page draws them. Target: < 3 s.
2. A rank sweep 2..10 with 10 restarts per rank (HALS, 100 iterations per fit, one held-out
   fold, shuffled baseline: the Rank page's defaults), then every criterion figure and the
   consensus heatmap built. Target: < 30 s on 2 cores.

Caches are cleared before every repeat, so each timing is a cold computation. Usage::

    python bench/bench_dashboard.py [--repeats 3] [--skip-sweep] [--n-jobs 1]

Timings depend on the machine's load: run it on an otherwise idle machine and report the load
average printed at the start.
"""
from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

logging.getLogger("streamlit").setLevel(logging.ERROR)

from dashboard import jobs, plots, services  # noqa: E402  (after quieting streamlit's logger)
from nmfcore.datasets import load_demo  # noqa: E402

services.limit_blas_threads()   # as the app's entry script does

RACE = {"solvers": ["MU-Frobenius", "MU-KL", "projected SGD", "HALS"], "rank": 10,
        "init": "nndsvda", "max_iter": 200, "max_time": None, "tol": 0.0, "l1": 0.0, "l2": 0.0,
        "random_state": 0}
SWEEP = {"ranks": (2, 10), "n_restarts": 10, "solver": "hals", "max_iter": 100, "tol": 1e-4,
         "cv_folds": 1, "random_state": 0}


def _clear() -> None:
    import streamlit as st

    st.cache_data.clear()


def race_once(ds) -> tuple[float, dict]:
    _clear()
    t0 = time.perf_counter()
    res = services.run_race(ds, "bench-digits", RACE)
    hist = {name: r.history for name, r in res.items()}
    for y in ("loss", "rel_error"):
        plots.convergence(hist, y=y).to_json()
    return time.perf_counter() - t0, {k: round(r.seconds, 3) for k, r in res.items()}


def live_race_once(ds) -> float:
    """The page's path: the race in a background job, redrawn every 0.25 s while it runs."""
    _clear()
    t0 = time.perf_counter()
    job = services.start_race(ds, "bench-digits", RACE)

    def render(j) -> None:
        snap = {k: v for k, v in j.snapshot().items() if k != "finished"}
        plots.convergence(snap, y="rel_error").to_json()  # the page redraws one chart live

    jobs.watch(job, render)
    for y in ("loss", "rel_error"):
        plots.convergence({k: r.history for k, r in job.result.items()}, y=y).to_json()
    return time.perf_counter() - t0


def sweep_once(ds, n_jobs: int) -> tuple[float, int]:
    _clear()
    t0 = time.perf_counter()
    out = services._sweep("bench-digits", SWEEP, ds.X, _labels=ds.row_labels,  # noqa: SLF001
                          _n_jobs=n_jobs)
    for panel in services.criterion_panels(out).items():
        plots.small_multiples(out.table["rank"], dict([panel]), ncols=1).to_json()
    Z, labels = out.consensus[10]
    plots.consensus(Z, labels=labels).to_json()
    return time.perf_counter() - t0, out.n_fits


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--skip-sweep", action="store_true")
    ap.add_argument("--n-jobs", type=int, default=1, help="worker processes for the sweep")
    args = ap.parse_args()
    print(f"load average: {os.getloadavg()}  cpus: {os.cpu_count()}")
    ds = load_demo("digits")
    print(f"data: digits {ds.X.shape}")
    times = []
    for i in range(args.repeats):
        t, per = race_once(ds)
        times.append(t)
        print(f"race {i + 1}: {t:.2f} s (solver seconds {per})")
    print(f"RACE 4 solvers x 200 it, rank 10: best {min(times):.2f} s, "
          f"median {statistics.median(times):.2f} s (target < 3 s)")
    live = [live_race_once(ds) for _ in range(args.repeats)]
    print(f"RACE with live redraws (page path): best {min(live):.2f} s, "
          f"median {statistics.median(live):.2f} s")
    if args.skip_sweep:
        return
    times = []
    for i in range(max(1, args.repeats - 1)):
        t, n_fits = sweep_once(ds, args.n_jobs)
        times.append(t)
        print(f"sweep {i + 1}: {t:.1f} s ({n_fits} fits, n_jobs={args.n_jobs})")
    print(f"SWEEP ranks 2..10 x 10 restarts: best {min(times):.1f} s, "
          f"median {statistics.median(times):.1f} s (target < 30 s)")


if __name__ == "__main__":
    main()
