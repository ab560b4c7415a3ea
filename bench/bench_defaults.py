"""Do the defaults give the right answer? (run by hand: ``.venv/bin/python bench/bench_defaults.py``)

For each bench data set (planted, digits, text, swimmer; the same sets and starts as
bench_solvers.py) this fits

* ``nmfcore.factorize(X, r)`` with every default (solver, stopping rule, init),
* scikit-learn's ``NMF(n_components=r)`` with its defaults (CD, tol 1e-4, max_iter 200),
* long runs of every nmfcore solver from the same NNDSVDa start (tol 0), whose lowest error is
  the reference,

and prints the default fit's error against that reference (goal: within 0.5 %), its status,
and its time against scikit-learn's (goal: no more).
"""
from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import nmfcore  # noqa: E402
from bench_solvers import load_cases  # noqa: E402

LONG = {"hals": 3000, "anls": 600, "mu": 5000}


def best_error(case):
    best = np.inf
    for solver, iters in LONG.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            r = nmfcore.factorize(case.X, case.rank, solver=solver, W0=case.W0, H0=case.H0,
                                  max_iter=iters, tol=0)
        best = min(best, r.rel_error)
    return best


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args(argv)
    from sklearn.decomposition import NMF
    from threadpoolctl import threadpool_limits
    rows = []
    with threadpool_limits(1):
        for case in load_cases(a.only):
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = nmfcore.factorize(case.X, case.rank)
            warned = any(issubclass(w.category, nmfcore.ConvergenceWarning) for w in caught)
            t_nc, t_sk = [], []
            for _ in range(a.repeats):
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    nmfcore.factorize(case.X, case.rank)
                t_nc.append(time.perf_counter() - t)
                t = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    sk = NMF(n_components=case.rank)
                    Wsk = sk.fit_transform(case.X)
                t_sk.append(time.perf_counter() - t)
            sk_err = float(np.sqrt(max(0.0, _sq(case.X, Wsk, sk.components_)))) / case.norm
            best = best_error(case)
            rows.append((case.name, res.solver, res.status, res.n_iter, res.rel_error, best,
                         sk_err, sk.n_iter_, min(t_nc), min(t_sk), warned))
            print(f"{case.name:8s} default {res.solver}: {res.status} after {res.n_iter} it, "
                  f"error {res.rel_error:.5g} (best {best:.5g}, +{(res.rel_error - best) / max(best, 1e-12):.2%}), "
                  f"warning={warned}; sklearn {sk_err:.5g} in {sk.n_iter_} it; "
                  f"time {min(t_nc):.3f}s vs sklearn {min(t_sk):.3f}s "
                  f"({min(t_nc) / min(t_sk):.2f}x)", flush=True)
    return rows


def _sq(X, W, H):
    import scipy.sparse as sp
    if sp.issparse(X):
        return float(X.multiply(X).sum()) - 2 * float(np.vdot(W, X @ H.T)) \
            + float(np.vdot(W.T @ W, H @ H.T))
    R = X - W @ H
    return float(np.vdot(R, R))


if __name__ == "__main__":
    main()
