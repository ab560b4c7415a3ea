"""Cancellation and limits.

* A cancelled ``restarts``/``rank_sweep`` on a process pool stops its worker processes: no
  descendant of this process is left (``/proc``), except the forkserver, which is meant to stay.
* The dashboard's Stop (``services.Job.stop``) ends a running race, restarts and sweep; the time
  from Stop to the job being done is recorded as a figure (no timing assertion: shared cores).
* Every ``st.cache_data``/``st.cache_resource`` in dashboard/ has a ``max_entries`` bound.
"""
from __future__ import annotations

import ast
import os
import time

import numpy as np
import pytest

import nmfcore
from rel_helpers import FIGURES, ROOT, wait_no_workers
from rel_helpers import workers as _workers


def _slow_data():
    rng = np.random.default_rng(0)
    return rng.random((300, 8)) @ rng.random((8, 200)) + 0.01 * rng.random((300, 200))


# ------------------------------------------------------------------ process pools
@pytest.mark.parametrize("what", ["restarts", "rank_sweep"])
def test_cancelled_pool_leaves_no_worker_processes(what):
    X = _slow_data()
    me = os.getpid()
    before = set(_workers(me))
    seen_workers: list[int] = []
    stop_at: list[float] = []

    def callback(done, total, result=None):
        seen_workers.append(len(_workers(me)))
        stop_at.append(time.perf_counter())
        return True                              # cancel at the first finished fit

    kw = dict(random_state=0, n_jobs=2, callback=callback, solver="mu", max_iter=3000, tol=0)
    if what == "restarts":
        res = nmfcore.restarts(X, 6, n_restarts=8, **kw)
    else:
        res = nmfcore.rank_sweep(X, [4, 6, 8], n_restarts=3, cv_folds=1, **kw)
    returned = time.perf_counter()
    assert res.cancelled
    assert max(seen_workers) >= 1, "the fits did not run in worker processes"
    left = wait_no_workers(me, before)
    gone = time.perf_counter()
    assert not left, f"worker processes left after cancelling {what}: {left}"
    FIGURES[f"stop {what} (n_jobs=2)"] = (f"returned {returned - stop_at[0]:.2f} s after the "
                                          f"callback asked to stop; workers gone after "
                                          f"{gone - stop_at[0]:.2f} s")


# ------------------------------------------------------------------ dashboard Stop
@pytest.mark.parametrize("kind", ["race", "restarts", "rank"])
def test_dashboard_stop_ends_the_job(kind):
    from dashboard import services
    from nmfcore.datasets import Dataset

    X = _slow_data()
    ds = Dataset(name=f"stop-{kind}", X=X)
    key = f"reliability-stop-{kind}-{time.time_ns()}"
    me = os.getpid()
    before = set(_workers(me))
    if kind == "race":
        job = services.start_race(ds, key, {
            "solvers": ["MU-Frobenius", "HALS"], "rank": 6, "init": "random",
            "max_iter": 20000, "max_time": None, "tol": 0.0, "l1": 0.0, "l2": 0.0,
            "random_state": 0, "learning_rate": None, "batch_size": None, "decay": None})
    elif kind == "restarts":
        job = services.start_restarts(ds, key, {
            "rank": 6, "n_restarts": 50, "solver": "mu", "init": "random", "max_iter": 500,
            "tol": 0.0, "random_state": 0})
    else:
        job = services.start_sweep(ds, key, {
            "ranks": (2, 8), "n_restarts": 10, "solver": "mu", "max_iter": 500, "tol": 0.0,
            "cv_folds": 1, "random_state": 0, "n_jobs": 2})
    deadline = time.monotonic() + 60
    while not job.snapshot() and time.monotonic() < deadline:   # wait until it is working
        time.sleep(0.05)
    assert not job.done, "the job finished before it could be stopped: make it longer"
    t0 = time.perf_counter()
    job.stop()
    assert job.wait(timeout=300), f"{kind}: Stop did not end the job"
    took = time.perf_counter() - t0
    assert job.stopped and job.error is None, (job.stopped, job.error)
    left = wait_no_workers(me, before)
    assert not left, f"worker processes left after Stop: {left}"
    FIGURES[f"dashboard Stop -> job done ({kind})"] = f"{took:.2f} s" + (
        " (sweep on 2 worker processes)" if kind == "rank" else "")


# ------------------------------------------------------------------ cache limits
def _cache_decorators():
    for path in sorted((ROOT / "dashboard").rglob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for dec in node.decorator_list:
                target = dec.func if isinstance(dec, ast.Call) else dec
                name = ast.unparse(target)
                if name.endswith(("cache_data", "cache_resource")):
                    yield path.relative_to(ROOT), node.name, dec


def test_every_dashboard_cache_has_a_size_limit():
    found = list(_cache_decorators())
    assert len(found) >= 5, "expected the services' and pages' caches"
    unbounded = []
    for path, fn, dec in found:
        kw = {k.arg: k.value for k in dec.keywords} if isinstance(dec, ast.Call) else {}
        limit = kw.get("max_entries")
        if not (isinstance(limit, ast.Constant) and isinstance(limit.value, int)
                and 0 < limit.value <= 256):
            unbounded.append(f"{path}:{fn}")
    assert not unbounded, f"caches without a max_entries bound: {unbounded}"
    FIGURES["bounded caches"] = f"{len(found)} st.cache_data/cache_resource, all with max_entries"
