"""Benchmark: 20 restarts on the digits demo (1797 x 64) at rank 10, serial vs n_jobs=2.

Usage::

    python bench/bench_restarts.py [--n-restarts 20] [--rank 10] [--solver mu]
                                   [--max-iter 200] [--repeats 3]

Prints the wall time of ``nmfcore.restarts`` with ``n_jobs=1`` and ``n_jobs=2`` (process pool,
start-up included; best of ``--repeats``), the speed-up, and whether the results are
identical. The serial run uses the default BLAS threading of this process; a second serial
figure with BLAS limited to one thread (if threadpoolctl is installed) shows how much of the
serial time BLAS threads already parallelise. Goal: speed-up >= 1.7 on 2 cores.
"""
from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np


def load_digits() -> np.ndarray:
    try:
        from nmfcore.datasets import load_demo
        return np.asarray(load_demo("digits").X, dtype=float)
    except Exception:                                   # demo file missing: fall back
        from sklearn.datasets import load_digits as sk_digits
        return sk_digits().data.astype(float)


def timed(fn, repeats: int):
    best, out = np.inf, None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    import nmfcore

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n-restarts", type=int, default=20)
    ap.add_argument("--rank", type=int, default=10)
    ap.add_argument("--solver", default="mu")
    ap.add_argument("--max-iter", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    a = ap.parse_args()

    X = load_digits()
    kw = dict(n_restarts=a.n_restarts, random_state=0, solver=a.solver, max_iter=a.max_iter)
    warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
    print(f"digits {X.shape}, rank {a.rank}, {a.n_restarts} restarts, solver={a.solver}, "
          f"max_iter={a.max_iter}, cpu_count={os.cpu_count()}, best of {a.repeats}")

    t1, serial = timed(lambda: nmfcore.restarts(X, a.rank, n_jobs=1, **kw), a.repeats)
    t2, pool = timed(lambda: nmfcore.restarts(X, a.rank, n_jobs=2, **kw), a.repeats)
    same = np.array_equal(serial.W, pool.W) and np.array_equal(serial.H, pool.H)
    print(f"serial (default BLAS threads): {t1:7.2f} s")
    print(f"n_jobs=2 (1 BLAS thread each): {t2:7.2f} s")
    print(f"speed-up: {t1 / t2:.2f}x (goal >= 1.7x); identical results: {same}")
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    with threadpool_limits(limits=1):
        t1b, _ = timed(lambda: nmfcore.restarts(X, a.rank, n_jobs=1, **kw), a.repeats)
    print(f"serial (1 BLAS thread):        {t1b:7.2f} s -> speed-up vs it {t1b / t2:.2f}x")
    print(f"fits: mean n_iter {np.mean([f.n_iter for f in serial.fits]):.0f}, best rel_error "
          f"{serial.rel_errors.min():.4f}, loss spread {serial.loss_spread:.3g}, "
          f"component similarity min {serial.similarity_min.min():.3f}")


if __name__ == "__main__":
    main()
