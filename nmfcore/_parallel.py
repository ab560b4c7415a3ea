"""Run many independent fits serially, in a local process pool, or on a Dask cluster.

One entry point, :func:`run_tasks`, used by :func:`nmfcore.restarts` and
:func:`nmfcore.rank_sweep`. Every task carries its own seed, so results do not depend on how
(or in which order) the tasks are executed. Results come back in task order; progress is
reported once per finished task, in completion order.

Executors
---------
* ``n_jobs == 1`` and no executor: a plain loop in this process.
* ``n_jobs > 1``: a :class:`concurrent.futures.ProcessPoolExecutor` (``forkserver`` start
  method where available, else ``spawn``: safe in threaded hosts such as Streamlit or Dask).
  Each worker's initializer (:func:`_init_worker`, an ordinary function) limits BLAS/OpenMP to
  one thread with ``threadpoolctl`` (and sets the thread environment variables for libraries
  loaded later), so ``n_jobs`` workers use ``n_jobs`` cores. The shared data is pickled once
  and sent once per worker.
* a ``dask.distributed.Client`` or a scheduler address string: tasks are submitted to the
  cluster (``dask`` is imported only then).
* any :class:`concurrent.futures.Executor`: used as is and not shut down.

Every task runs with one BLAS thread on every path (serial loop and threads in this process
through a reference-counted ``threadpoolctl`` limit, pool workers from their initializer, Dask
nanny workers by Dask's own default), so results are bitwise identical whatever ``n_jobs`` or
executor: a multi-threaded BLAS may sum in another order and change the last bits. Without
``threadpoolctl`` the serial path keeps this process's BLAS threads and results may then
differ from pooled ones at the level of rounding (about 1e-15 relative).

Cancellation: when the progress callback returns a truthy value, pending tasks are cancelled;
a local pool is shut down and its worker processes terminated (running fits stop at once);
Dask futures are cancelled (Dask cannot interrupt a task already running on a worker: such a
fit finishes there and its result is dropped).

Cluster failures (Dask only): a task whose worker dies is rescheduled on another worker by the
scheduler itself (up to ``distributed.scheduler.allowed-failures`` times, default 3), a task
that raises is tried :data:`DASK_RETRIES` more times (``retries=`` on submit), and a task the
cluster drops because the shared data died with its workers (scattered data cannot be
recomputed) is sent again with the data scattered anew (:data:`DASK_RESUBMITS`). When that
is not enough (the task killed its workers every time, the connection to the scheduler is
lost, or the cluster has had no worker for :data:`NO_WORKERS_GRACE` seconds) the run does not
raise: it returns the finished results with the lost tasks' indices in ``TaskRun.lost`` and a
clause saying why in ``TaskRun.reason``. Only when nothing at all finished is
:class:`ClusterError` raised. An exception raised by the task's own code (e.g. a ``ValueError``
for a bad option) still propagates as on the local paths.

Solvers added with ``register_solver`` travel with every Dask task (pickled by reference, a
few bytes) and are registered on the worker the first time it sees them, as local pool workers
register them in their initializer.
"""
from __future__ import annotations

import asyncio
import concurrent.futures as cf
import multiprocessing as mp
import os
import pickle
import threading
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

__all__ = ["run_tasks", "TaskRun", "resolve_n_jobs", "ClusterError"]

#: A task that raises on a Dask worker is tried this many more times before the error counts.
DASK_RETRIES = 1
#: A Dask task the cluster dropped (e.g. every worker holding the shared data died) is sent
#: again, with the shared data scattered anew, at most this many times.
DASK_RESUBMITS = 2
#: A Dask run gives up (keeping what finished) after the cluster had no worker this long (s).
NO_WORKERS_GRACE = 30.0
#: Seconds to wait for a scheduler address to answer before reporting it unreachable.
CONNECT_TIMEOUT = 10.0
_POLL = 0.05


class ClusterError(ConnectionError):
    """The Dask cluster could not be used: unreachable, or lost before any task finished.

    The message is one sentence saying what happened and what to do."""

_THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")

_WORKER_SHARED: Any = None
_WORKER_LIMITS: Any = None
_POOL_WORKER = False                # True in a process-pool worker (set by its initializer)
_LIMIT_LOCK = threading.Lock()
_LIMIT_STATE: dict = {"depth": 0, "limiter": None}
_CONCURRENT = threading.local()     # .depth > 0: this thread runs a task beside others


@contextmanager
def single_blas_thread():
    """Limit BLAS/OpenMP to one thread while any caller in this process is inside.

    Reference counted, so overlapping use from several threads restores the original thread
    counts exactly once, when the last one leaves. A no-op without ``threadpoolctl``. The
    outermost entry looks the libraries up afresh (a few milliseconds: one loaded since is
    limited too); a nested one only counts.
    """
    with _LIMIT_LOCK:
        if _LIMIT_STATE["depth"] == 0:
            try:
                from threadpoolctl import threadpool_limits
                _LIMIT_STATE["limiter"] = threadpool_limits(limits=1)
            except ImportError:
                _LIMIT_STATE["limiter"] = None
        _LIMIT_STATE["depth"] += 1
    try:
        yield
    finally:
        with _LIMIT_LOCK:
            _LIMIT_STATE["depth"] -= 1
            if _LIMIT_STATE["depth"] == 0 and _LIMIT_STATE["limiter"] is not None:
                _LIMIT_STATE["limiter"].restore_original_limits()
                _LIMIT_STATE["limiter"] = None


def in_concurrent_task() -> bool:
    """Whether the caller runs as one of several tasks sharing the cores: in a pool worker
    process, or in an executor's thread or on a Dask worker through :func:`run_tasks` (a fit
    there should not start threads of its own)."""
    return _POOL_WORKER or getattr(_CONCURRENT, "depth", 0) > 0


def _call_limited(fn: Callable, shared: Any, task: Any) -> Any:
    """Run one task under :func:`single_blas_thread`, marked as running beside others (for
    executors in this process and Dask workers)."""
    _CONCURRENT.depth = getattr(_CONCURRENT, "depth", 0) + 1
    try:
        with single_blas_thread():
            return fn(shared, task)
    finally:
        _CONCURRENT.depth -= 1


@dataclass(frozen=True)
class TaskRun:
    """Outcome of :func:`run_tasks`.

    Attributes
    ----------
    results : list
        One entry per task, in task order; ``None`` for tasks that did not finish.
    n_done : int
        Number of finished tasks.
    cancelled : bool
        True if the callback asked to stop before all tasks finished.
    lost : tuple of int
        Indices of the tasks that did not finish because the Dask cluster failed (see the
        module notes); empty on the local paths and after a plain Stop.
    reason : str or None
        Why they were lost, as a clause (e.g. ``"the connection to the Dask scheduler was
        lost"``); None when nothing was lost.
    """

    results: list
    n_done: int
    cancelled: bool
    lost: tuple = ()
    reason: str | None = None


def resolve_n_jobs(n_jobs: int | None) -> int:
    """Number of local workers: ``None`` -> 1, ``-1`` -> all CPUs, ``-k`` -> CPUs + 1 - k.

    Parameters
    ----------
    n_jobs : int or None

    Returns
    -------
    int >= 1
    """
    if n_jobs is None:
        return 1
    if not isinstance(n_jobs, (int,)) or isinstance(n_jobs, bool) or n_jobs == 0:
        raise ValueError(f"n_jobs must be a non-zero int (or -1 for all CPUs); got {n_jobs!r}")
    if n_jobs < 0:
        return max(1, (os.cpu_count() or 1) + 1 + n_jobs)
    return n_jobs


def _registered_solvers() -> list[bytes]:
    """The solver classes added with ``register_solver`` in this process, each pickled (by
    reference: a worker imports the class's module), so pool workers can register them too."""
    from .solvers import SOLVERS, _BUILTIN

    out = []
    for name, cls in SOLVERS.items():
        if name not in _BUILTIN:
            try:
                out.append(pickle.dumps(cls))
            except (pickle.PicklingError, AttributeError, TypeError):
                pass   # defined where no worker can import it: its tasks fail with a clear error
    return out


_SEEN_SOLVERS: set = set()
_SOLVER_LOCK = threading.Lock()


def _register_solvers(solvers: Sequence[bytes]) -> None:
    """Register the pickled solver classes this process does not know yet (each blob once)."""
    new = [b for b in solvers if b not in _SEEN_SOLVERS]
    if not new:
        return
    from .solvers import SOLVERS, register_solver
    with _SOLVER_LOCK:
        for data in new:
            if data in _SEEN_SOLVERS:
                continue
            _SEEN_SOLVERS.add(data)
            try:
                cls = pickle.loads(data)
            except Exception:   # noqa: BLE001 - not importable here: its tasks say "unknown solver"
                continue
            if cls.name not in SOLVERS:
                register_solver(cls)


def _call_on_dask(fn: Callable, shared: Any, task: Any, solvers: Sequence[bytes] = ()) -> Any:
    """A task on a Dask worker: register the client's added solvers (first time only), then
    run it under :func:`single_blas_thread`."""
    _register_solvers(solvers)
    return _call_limited(fn, shared, task)


def _init_worker(blob: bytes, solvers: Sequence[bytes] = ()) -> None:
    """Pool initializer: cap BLAS threads, register the parent's added solvers, then unpickle
    and store the shared data.

    ``blob`` is the shared data pickled once by the parent (not once per worker)."""
    global _WORKER_SHARED, _WORKER_LIMITS, _POOL_WORKER
    _POOL_WORKER = True
    for key in _THREAD_ENV:      # for thread pools that libraries start later
        os.environ[key] = "1"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:          # pragma: no cover - threadpoolctl is a dependency of the app
        pass
    else:
        _WORKER_LIMITS = threadpool_limits(limits=1)
    import warnings
    from .result import ConvergenceWarning
    # a worker's stderr is nobody's console; each result's ``status`` says it hit max_iter
    warnings.simplefilter("ignore", ConvergenceWarning)
    _register_solvers(solvers)
    _WORKER_SHARED = pickle.loads(blob)


def _call_with_worker_shared(fn: Callable, task: Any) -> Any:
    return fn(_WORKER_SHARED, task)


def _is_dask_client(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] == "distributed" and hasattr(obj, "submit") \
        and hasattr(obj, "scatter")


def _import_distributed():
    try:
        import distributed
    except ImportError as exc:
        raise ImportError("running on a Dask cluster needs dask.distributed; install it with "
                          "`pip install 'nmf-explorer[dask]'` (or `pip install "
                          "'dask[distributed]'`), or use n_jobs for a local process pool"
                          ) from exc
    return distributed


def run_tasks(fn: Callable[[Any, Any], Any], tasks: Sequence, *, shared: Any = None,
              n_jobs: int | None = 1, executor: Any = None,
              callback: Callable[[int, int, Any], Any] | None = None,
              receive: Callable[[Any], Any] | None = None) -> TaskRun:
    """Run ``fn(shared, task)`` for every task and collect the results in task order.

    Parameters
    ----------
    fn : callable
        Module-level (picklable) function ``fn(shared, task) -> result``.
    tasks : sequence
        Picklable task descriptions.
    shared : object, default=None
        Read-only data every task needs (e.g. the matrix ``X``); sent once per worker.
    n_jobs : int or None, default=1
        Local worker processes when ``executor`` is None (``-1``: all CPUs).
    executor : None, str, dask.distributed.Client or concurrent.futures.Executor, default=None
        Where to run: a scheduler address string or a Client runs on Dask; an Executor is used
        as is. Overrides ``n_jobs``.
    callback : callable or None, default=None
        ``callback(n_done, n_total, result)`` after each finished task; a truthy return value
        cancels the remaining tasks.
    receive : callable or None, default=None
        Applied in this process to every result as it arrives (before ``callback``), on every
        execution path, e.g. to rebuild objects that travel in a picklable form.

    Returns
    -------
    TaskRun
        Results in task order (``None`` where not finished), the cancelled flag, and on Dask
        the tasks lost to a cluster failure with the reason (finished results are kept).

    Raises
    ------
    ClusterError
        Dask only: the scheduler cannot be reached, or the cluster failed before any task
        finished.
    Exception
        The first exception raised by a task, after the other tasks were cancelled.
    """
    tasks = list(tasks)
    if executor is None:
        workers = min(resolve_n_jobs(n_jobs), max(len(tasks), 1))
        if workers <= 1:
            return _run_serial(fn, tasks, shared, callback, receive)
        return _run_pool(fn, tasks, shared, workers, callback, receive)
    if isinstance(executor, str) or _is_dask_client(executor):
        return _run_dask(fn, tasks, shared, executor, callback, receive)
    if isinstance(executor, cf.Executor):
        futures = {executor.submit(_call_limited, fn, shared, t): i
                   for i, t in enumerate(tasks)}
        return _collect(futures, len(tasks), callback, receive, on_cancel=lambda: None)
    raise TypeError("executor must be None, a dask.distributed.Client, a scheduler address "
                    f"string or a concurrent.futures.Executor; got {type(executor).__name__}")


def _identity(x):
    return x


def _run_serial(fn, tasks, shared, callback, receive) -> TaskRun:
    receive = receive or _identity
    results: list = [None] * len(tasks)
    for i, task in enumerate(tasks):
        with single_blas_thread():
            out = fn(shared, task)
        results[i] = receive(out)
        if callback is not None and callback(i + 1, len(tasks), results[i]):
            return TaskRun(results, i + 1, i + 1 < len(tasks))
    return TaskRun(results, len(tasks), False)


def _collect(futures: dict, total: int, callback, receive, on_cancel) -> TaskRun:
    """Gather concurrent.futures results as they finish; cancel on request or error."""
    receive = receive or _identity
    results: list = [None] * total
    done = 0
    try:
        for fut in cf.as_completed(futures):
            results[futures[fut]] = receive(fut.result())
            done += 1
            if callback is not None and callback(done, total, results[futures[fut]]) \
                    and done < total:
                for f in futures:
                    f.cancel()
                on_cancel()
                return TaskRun(results, done, True)
    except BaseException:
        for f in futures:
            f.cancel()
        on_cancel()
        raise
    return TaskRun(results, done, False)


def _has_threadpoolctl() -> bool:
    try:
        import threadpoolctl  # noqa: F401
    except ImportError:
        return False
    return True


def _mp_context():
    """``forkserver`` (POSIX) or ``spawn``: never plain ``fork`` of a possibly threaded host.

    With threadpoolctl available, the fork server preloads nmfcore (numpy, scipy) once, so
    every pool's workers start by a cheap fork instead of re-importing; the thread cap is then
    applied by threadpoolctl in each worker's initializer.
    """
    if "forkserver" not in mp.get_all_start_methods():
        return mp.get_context("spawn")
    ctx = mp.get_context("forkserver")
    if _has_threadpoolctl():
        from multiprocessing import forkserver
        preload = list(getattr(forkserver._forkserver, "_preload_modules", ["__main__"]))
        if "nmfcore" not in preload:        # only takes effect before the server first starts
            ctx.set_forkserver_preload(preload + ["nmfcore", "threadpoolctl"])
    return ctx


def _terminate_pool(pool: cf.ProcessPoolExecutor) -> None:
    """Stop a pool now: cancel queued work and terminate the worker processes."""
    procs = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for p in procs:
        if p.is_alive():
            p.terminate()
    for p in procs:
        p.join(timeout=5)


def _run_pool(fn, tasks, shared, workers, callback, receive) -> TaskRun:
    pool = cf.ProcessPoolExecutor(
        max_workers=workers, mp_context=_mp_context(), initializer=_init_worker,
        initargs=(pickle.dumps(shared), _registered_solvers()))
    stopped = False

    def stop():
        nonlocal stopped
        stopped = True
        _terminate_pool(pool)

    try:
        futures = {pool.submit(_call_with_worker_shared, fn, t): i for i, t in enumerate(tasks)}
        return _collect(futures, len(tasks), callback, receive, on_cancel=stop)
    finally:
        if not stopped:
            pool.shutdown(wait=True)


_KILLED = "a worker died while running them, on every worker the scheduler tried"
_SCHEDULER_LOST = "the connection to the Dask scheduler was lost"
_DROPPED = "the cluster dropped them when their workers and the data they needed went away"


def _dask_loss(distributed, exc: BaseException) -> str | None:
    """The reason clause when ``exc`` (from ``future.result()``) means the cluster lost the
    task, or None when it is the task's own error."""
    killed = getattr(distributed, "KilledWorker", ())
    if killed and isinstance(exc, killed):
        return _KILLED
    cancelled = tuple(t for t in (getattr(distributed.client, "FutureCancelledError", None),
                                  getattr(distributed.utils, "CancelledError", None),
                                  cf.CancelledError) if t is not None)
    if isinstance(exc, cancelled):
        if "scheduler" in str(getattr(exc, "reason", "")):
            return _SCHEDULER_LOST
        return _DROPPED
    if isinstance(exc, (OSError, TimeoutError)):   # CommClosedError is an OSError
        return _SCHEDULER_LOST
    return None


def _failure(fut, out) -> BaseException | None:
    """The exception an ``as_completed(..., with_results=True, raise_errors=False)`` entry
    stands for, or None when ``out`` is the task's result."""
    if isinstance(out, (cf.CancelledError, asyncio.CancelledError)):
        return out
    if fut.status == "error" and isinstance(out, tuple) and len(out) == 3 \
            and isinstance(out[1], BaseException):
        return out[1].with_traceback(out[2])
    return None


def _worker_count(client) -> int | None:
    """Workers the scheduler knows now, or None when it cannot be asked."""
    try:
        try:
            info = client.scheduler_info(n_workers=-1)
        except TypeError:          # distributed before n_workers= (all workers anyway)
            info = client.scheduler_info()
        return len(info.get("workers", {}))
    except Exception:  # noqa: BLE001 - a scheduler that does not answer
        return None


def _connect(distributed, address: str):
    try:
        return distributed.Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(
            f"Cannot reach a Dask scheduler at {address} ({type(exc).__name__}): check the "
            "address and that the scheduler runs, or run on local processes.") from exc


def _run_dask(fn, tasks, shared, executor, callback, receive) -> TaskRun:
    distributed = _import_distributed()
    import distributed.client  # noqa: F401 - FutureCancelledError
    import distributed.utils  # noqa: F401
    receive = receive or _identity
    own = isinstance(executor, str)
    client = _connect(distributed, executor) if own else executor
    total = len(tasks)
    results: list = [None] * total
    lost: dict[int, str] = {}
    done = 0
    futures = []

    def outcome(cancelled=False) -> TaskRun:
        reason = None
        if lost:
            gone = client.status not in ("running", "newly-created")
            reasons = {_SCHEDULER_LOST if gone and r == _DROPPED else r for r in lost.values()}
            reason = "; ".join(sorted(reasons))
        return TaskRun(results, done, cancelled, tuple(sorted(lost)), reason)

    shared_f, gen = None, 0

    def scatter(**timeout):
        nonlocal shared_f, gen
        # one future for the whole object (a scattered dict would become one key per entry,
        # shared by name across calls); hash=False gives every call its own key
        shared_f = (client.scatter([shared], broadcast=True, hash=False, **timeout)[0]
                    if shared is not None else None)
        gen += 1

    try:
        try:
            scatter()
            solvers = _registered_solvers()
            futures = [client.submit(_call_on_dask, fn, shared_f, t, solvers, pure=False,
                                     retries=DASK_RETRIES) for t in tasks]
        except (OSError, TimeoutError) as exc:
            raise ClusterError("The connection to the Dask scheduler was lost before the tasks "
                               f"were sent ({type(exc).__name__}): check the cluster and run "
                               "again.") from exc
        index = {f.key: i for i, f in enumerate(futures)}
        sent_with = [gen] * total          # which scatter each task's future depends on
        resent = [0] * total
        waited = [0]                       # the scatter generation last waited for
        pending = set(range(total))
        # results are fetched as each task finishes (a later fetch could wait for ever on
        # data that died with its worker); errors and cancellations come back as values
        ac = distributed.as_completed(futures, with_results=True, raise_errors=False)
        idle_since, last_look = None, time.monotonic()

        def resend(i) -> bool:
            """Submit task ``i`` again (scattering the data anew once per wave of drops)."""
            if resent[i] >= DASK_RESUBMITS:
                return False
            if sent_with[i] == gen and waited[0] != gen:
                waited[0] = gen    # once per wave: a scheduler going away says so meanwhile
                time.sleep(0.5)
            if client.status != "running":
                return False
            try:
                if sent_with[i] == gen:
                    scatter(timeout=NO_WORKERS_GRACE)   # waits for workers to come back
                fut = client.submit(_call_on_dask, fn, shared_f, tasks[i], solvers,
                                    pure=False, retries=DASK_RETRIES)
            except (Exception, asyncio.CancelledError):  # noqa: BLE001 - cluster going away
                return False
            resent[i] += 1
            sent_with[i], futures[i] = gen, fut
            index[fut.key] = i
            pending.add(i)
            ac.add(fut)
            return True

        while not ac.is_empty():
            batch = ac.next_batch(block=False)
            if not batch:
                now = time.monotonic()
                if client.status not in ("running", "newly-created"):   # scheduler gone
                    lost.update({i: _SCHEDULER_LOST for i in pending})
                    break
                if now - last_look >= 1.0:         # a cluster without workers never finishes
                    last_look = now
                    n_workers = _worker_count(client)
                    if n_workers is None or n_workers > 0:     # None: could not ask
                        idle_since = None
                    elif idle_since is None:
                        idle_since = now
                    elif now - idle_since >= NO_WORKERS_GRACE:
                        client.cancel([futures[i] for i in pending])
                        why = f"the cluster had no workers for {NO_WORKERS_GRACE:g} s"
                        lost.update({i: why for i in pending})
                        break
                time.sleep(_POLL)
                continue
            for fut, out in batch:
                i = index.pop(fut.key)
                pending.discard(i)
                exc = _failure(fut, out)
                if exc is not None:
                    why = _dask_loss(distributed, exc)
                    if why is None:           # the task's own error: as on the local paths
                        raise exc
                    if why == _DROPPED and resend(i):
                        continue
                    lost[i] = why
                    continue
                fut.release()        # the scheduler forgets it: a dying worker cannot lose it
                results[i] = receive(out)
                done += 1
                if callback is not None and callback(done, total, results[i]) \
                        and done < total:
                    client.cancel(futures)
                    return outcome(cancelled=True)
        if lost and done == 0:
            raise ClusterError(f"No task finished on the Dask cluster because "
                               f"{outcome().reason}: check the cluster (or switch to local "
                               "processes) and run again.")
        return outcome()
    except BaseException:
        if futures:
            try:
                client.cancel(futures)
            except Exception:  # noqa: BLE001 - the scheduler may be gone already
                pass
        raise
    finally:
        if own:
            client.close()
