"""One fit on several cores: a solver's row blocks dealt into lanes that threads run.

A blocked kernel (dense KL and beta multiplicative updates) splits its row blocks into a fixed
number of contiguous *lanes* that depends on the data's shape only (:func:`lanes`). Each lane
has its own buffers and partial sums, and the partials are added in lane order, so the
arithmetic is the same whether the lanes run one after the other or on threads: a fit gives
bitwise the same result whatever its number of threads.

NumPy releases the GIL inside its loops and BLAS calls, so the lanes' work runs in parallel;
while they run, BLAS is limited to one thread (:func:`nmfcore._parallel.single_blas_thread`),
since a multi-threaded BLAS under several threads of ours would fight for the same cores.
"""
from __future__ import annotations

import contextvars
import os
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait

from . import _parallel

#: Below this many cells of X a fit keeps to one thread: handing blocks to threads costs more
#: than it saves (digits, 115,000 cells: no faster on two cores; planted, 2,000,000: 1.3-1.5x).
MIN_CELLS = 1 << 19
#: At most this many threads per fit (and lanes per kernel: more threads would have no lane).
MAX_THREADS = 8

_POOLS: dict[int, ThreadPoolExecutor] = {}
_POOLS_LOCK = threading.Lock()


def usable_cores() -> int:
    """The cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def auto_threads(cells: int) -> int:
    """The threads a fit on ``cells`` cells of X uses when the caller did not say: one per
    usable core (at most :data:`MAX_THREADS`) for :data:`MIN_CELLS` cells and more, and one
    for smaller data or inside a task that shares the cores with others (a restart or a rank
    in a process pool, an executor's thread, a Dask worker)."""
    if cells < MIN_CELLS or _parallel.in_concurrent_task():
        return 1
    return min(usable_cores(), MAX_THREADS)


def lanes(n_blocks: int) -> list[range]:
    """The row blocks ``0 .. n_blocks - 1`` as at most :data:`MAX_THREADS` contiguous lanes of
    sizes differing by at most one (the same split whatever the number of threads)."""
    k = max(1, min(MAX_THREADS, n_blocks))
    q, r = divmod(n_blocks, k)
    out, a = [], 0
    for i in range(k):
        b = a + q + (i < r)
        out.append(range(a, b))
        a = b
    return out


def _pool(threads: int) -> ThreadPoolExecutor:
    with _POOLS_LOCK:
        pool = _POOLS.get(threads)
        if pool is None:
            pool = _POOLS[threads] = ThreadPoolExecutor(threads, thread_name_prefix="nmfcore-lane")
        return pool


def run_lanes(fn: Callable, items: Sequence, threads: int, fold: Callable):
    """``fold(... fold(fn(items[0]), fn(items[1])) ..., fn(items[-1]))``: the items' results
    combined in their order, the calls on ``threads`` threads when that is more than one.

    On one thread each result is folded in as soon as it is made (so at most two are held at
    once); on several, each call runs in a copy of the caller's context (NumPy's ``errstate``
    lives there), with BLAS limited to one thread while any of them runs. Either way the
    arithmetic is the same. The first (in order) exception raised by a call is raised here,
    once all calls have ended."""
    if threads <= 1 or len(items) <= 1:
        out = fn(items[0])
        for item in items[1:]:
            out = fold(out, fn(item))
        return out
    pool = _pool(threads)
    with _parallel.single_blas_thread():
        futures = [pool.submit(contextvars.copy_context().run, fn, item) for item in items]
        wait(futures)                   # every lane has finished before BLAS is restored
    out = futures[0].result()
    for f in futures[1:]:
        out = fold(out, f.result())
    return out
