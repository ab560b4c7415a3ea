"""A fit larger than a memory budget is refused with a message before it allocates anything.

A 60000 x 60000 sparse matrix with 200 stored entries (a 6.5 KB .mtx upload that
``dashboard/uploads/`` accepts: its budget counts the stored entries) would make
``factorize(X, 30000)`` allocate ``(60000, 60001)`` floats in the initialisation (numpy's
``MemoryError: Unable to allocate 26.8 GiB``). ``nmfcore._memory`` estimates each call's bytes
and ``factorize``, ``restarts`` and ``rank_sweep`` refuse a call above ``memory_budget``
(default ``$NMFCORE_MEMORY_BUDGET`` or a share of the RAM, see ``nmfcore.limits``); the
dashboard passes its own budget, so the page shows the message without starting the job.
A sweep over small ranks of the same matrix used to densify X for cross-validation (and was
refused); it now holds out a block of rows and columns and runs in sparse form, so it must
simply finish, as it does from the dashboard.

The calls run in a child process under ``RLIMIT_AS`` = 3 GiB so that they can never take the
machine's memory, whatever the implementation does.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from rel_helpers import ROOT

pytestmark = pytest.mark.reliability


CHILD = r'''
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (3 * 2**30, 3 * 2**30))
import numpy as np, scipy.sparse as sp
import nmfcore
n = 60000
rng = np.random.default_rng(0)
X = sp.csr_matrix((rng.random(200) + 0.1, (rng.integers(0, n, 200), rng.integers(0, n, 200))),
                  shape=(n, n))
out = {}
def run(name, fn):
    try:
        fn(); out[name] = ["ran", ""]
    except ValueError as e:
        out[name] = ["ValueError", str(e)]
    except BaseException as e:
        out[name] = [type(e).__name__, str(e)]
run("factorize", lambda: nmfcore.factorize(X, 30000, max_iter=1))
run("restarts", lambda: nmfcore.restarts(X, 30000, n_restarts=2, max_iter=1))
run("rank_sweep", lambda: nmfcore.rank_sweep(X, [29999, 30000], n_restarts=1, max_iter=1))
run("small-rank sweep", lambda: nmfcore.rank_sweep(X, [1, 2], n_restarts=1, max_iter=1))
from dashboard import services
from nmfcore.datasets import Dataset
ds = Dataset(name="huge sparse", X=X)
job = services.start_sweep(ds, "huge", {"ranks": (1, 2), "n_restarts": 1, "solver": "hals",
                                         "max_iter": 1, "tol": 1e-4, "cv_folds": 1,
                                         "random_state": 0})
job.wait(120)
out["dashboard sweep"] = ["error" if job.error else "ran", job.error or ""]
print("RESULT" + json.dumps(out))
'''


def test_fits_beyond_a_memory_budget_are_refused_with_a_message():
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    proc = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=300)
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT")]
    assert line, f"child failed: {proc.stderr[-2000:]}"
    out = json.loads(line[0][len("RESULT"):])
    runs = {"small-rank sweep", "dashboard sweep"}     # sparse all the way: no densifying
    assert {name: out[name][0] for name in runs} == {name: "ran" for name in runs}, out
    bad = {}
    for name, (kind, msg) in out.items():
        clear = kind in ("ValueError", "error") and "memory" in msg.lower() \
            and "Unable to allocate" not in msg and "MemoryError" not in msg
        if name not in runs and not clear:
            bad[name] = f"{kind}: {msg[:160]}"
    assert not bad, f"not refused with a memory-budget message: {bad}"
