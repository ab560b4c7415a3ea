"""Dask execution: a LocalCluster started here gives exactly the local results for a seed;
a lost scheduler or a killed worker keeps what finished (bit-identical) and reports the rest;
solvers registered at run time reach the workers."""
import warnings

import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream

import nmfcore
from dask_kit import double_or_die, kill_one_worker, local_cluster, slow_identity
from nmfcore import _parallel
from nmfcore._parallel import run_tasks
from nmfcore.sweep import COLUMNS
from tests.nmfcore.test_restarts import three_groups

FAST = dict(solver="hals", max_iter=100)


@pytest.fixture(scope="module")
def cluster():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        lc = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None)
    yield lc
    lc.close()


@pytest.fixture(scope="module")
def client(cluster):
    c = Client(cluster)
    yield c
    c.close()


@pytest.fixture(scope="module")
def X():
    return three_groups(2)[0]


def test_restarts_on_dask_equal_local_run(client, X):
    local = nmfcore.restarts(X, 3, n_restarts=6, random_state=21, **FAST)
    seen = []
    with get_task_stream(client) as stream:
        remote = nmfcore.restarts(X, 3, n_restarts=6, random_state=21, executor=client,
                                  callback=lambda d, n, r: seen.append(d), **FAST)
    np.testing.assert_array_equal(local.W, remote.W)
    np.testing.assert_array_equal(local.H, remote.H)
    np.testing.assert_array_equal(local.consensus, remote.consensus)
    assert local.cophenetic == remote.cophenetic
    assert seen == list(range(1, 7))
    # the fits really ran on the cluster's workers
    ran_on = {t["worker"] for t in stream.data if "_call_on_dask" in str(t["key"])}
    assert ran_on and ran_on <= set(client.scheduler_info()["workers"])


def test_scheduler_address_string(cluster, X):
    local = nmfcore.restarts(X, 3, n_restarts=3, random_state=4, **FAST)
    remote = nmfcore.restarts(X, 3, n_restarts=3, random_state=4,
                              executor=cluster.scheduler_address, **FAST)
    np.testing.assert_array_equal(local.H, remote.H)


def test_rank_sweep_on_dask_equals_local(client, X):
    kw = dict(n_restarts=2, random_state=3, cv_folds=1, **FAST)
    local = nmfcore.rank_sweep(X, [2, 3], **kw)
    remote = nmfcore.rank_sweep(X, [2, 3], executor=client, **kw)
    for c in COLUMNS:
        np.testing.assert_array_equal(local.table[c], remote.table[c])


def test_dask_cancel_and_errors(client, X):
    res = nmfcore.restarts(X, 3, n_restarts=8, random_state=0, executor=client,
                           callback=lambda d, n, r: True, **FAST)
    assert res.cancelled and 1 <= res.n_fits < 8
    with pytest.raises(ValueError, match="solver"):
        nmfcore.restarts(X, 3, n_restarts=2, executor=client, solver="nope")


# ------------------------------------------------------------------ cluster failures
# Fits of ~0.1-0.3 s, so that closing the cluster after the first few leaves some unfinished
# (results are fetched as tasks finish: what finished before the close is kept).
SLOW = dict(solver="mu", max_iter=1000, tol=0.0)


@pytest.fixture(scope="module")
def Xslow():
    return np.random.default_rng(0).random((400, 300))


def _same_as_local(partial, X, rank):
    """Every fit of ``partial`` equals, bit for bit, a local fit with its seed."""
    for f in partial.fits:
        with _parallel.single_blas_thread():       # as every path of run_tasks runs a fit
            loc = nmfcore.factorize(X, rank, random_state=f.random_state, init="random",
                                    **SLOW)
        np.testing.assert_array_equal(f.W, loc.W)
        np.testing.assert_array_equal(f.H, loc.H)


def test_a_lost_scheduler_keeps_the_finished_restarts(Xslow):
    # one worker thread: one fit at a time, so most are still to do at the close; the worker
    # runs in this process, so the limit is held across the run, as for the ranks below
    with _parallel.single_blas_thread(), local_cluster(n_workers=1, processes=False) as lc:
        def close_after_2(done, total, res):
            if done == 2:
                lc.close()
        res = nmfcore.restarts(Xslow, 8, n_restarts=10, random_state=5,
                               executor=lc.scheduler_address, callback=close_after_2, **SLOW)
    assert 2 <= res.n_fits < 10 and res.partial and not res.cancelled
    # the cluster closes its workers, then its scheduler: either can be seen first
    assert res.lost == 10 - res.n_fits and ("scheduler was lost" in res.reason
                                            or "dropped" in res.reason)
    _same_as_local(res, Xslow, 8)


def test_a_lost_scheduler_keeps_the_finished_ranks(Xslow):
    kw = dict(n_restarts=2, cv_folds=0, shuffle_baseline=False, random_state=1, **SLOW)
    # the table's summaries are computed in this process: with the same BLAS threads here
    # (the in-process worker thread holds the one-thread limit while it runs), the same bits
    with _parallel.single_blas_thread(), local_cluster(n_workers=1, processes=False) as lc:
        def close_after_2(done, total, res):
            if done == 2:
                lc.close()
        sw = nmfcore.rank_sweep(Xslow, [2, 3, 4, 5], executor=lc.scheduler_address,
                                callback=close_after_2, **kw)
        assert sw.partial and sw.lost == sw.n_fits - sw.n_done and sw.n_done >= 2
        assert sw.unfinished and set(sw.ranks) | set(sw.unfinished) == {2, 3, 4, 5}
        assert sw.ranks        # one worker runs rank 2's two fits first
        local = nmfcore.rank_sweep(Xslow, sw.ranks, **kw)   # seeds depend on root and rank
        for c in COLUMNS:                    # the finished rows are the local run's rows
            np.testing.assert_array_equal(sw.table[c], local.table[c])


def test_a_killed_worker_is_replaced_and_nothing_is_lost(X):
    # one worker: its death also loses the scattered X, so the fits waiting for it are sent
    # again with X scattered anew once the nanny's new worker is up
    kw = dict(solver="mu", max_iter=300, tol=0.0)
    local = nmfcore.restarts(X, 3, n_restarts=6, random_state=2, **kw)
    killed = []
    with local_cluster(n_workers=1) as lc, Client(lc) as c:
        def kill_after_2(done, total, res):
            if done == 2:
                killed.append(kill_one_worker(c))
        res = nmfcore.restarts(X, 3, n_restarts=6, random_state=2, executor=c,
                               callback=kill_after_2, **kw)
    assert killed and res.n_fits == 6 and res.lost == 0 and not res.partial
    np.testing.assert_array_equal(res.H, local.H)


def test_a_task_that_keeps_killing_workers_is_reported_not_raised():
    tasks = [0, 1, 2, -1, 4, 5]
    with local_cluster(allowed_failures=0) as lc, Client(lc) as c:
        run = run_tasks(double_or_die, tasks, executor=c)
        # nothing finished at all: one sentence, not a result without results
        with pytest.raises(nmfcore.ClusterError, match="No task finished on the Dask cluster "
                           "because a worker died .*: check the cluster"):
            run_tasks(double_or_die, [-1], executor=c)
    # a task that happened to be queued on the dying worker may share its fate (Dask counts
    # it as suspicious too)
    assert 3 in run.lost and "worker died" in run.reason
    assert run.n_done == 6 - len(run.lost) >= 1
    assert all(run.results[i] == 2 * t for i, t in enumerate(tasks) if i not in run.lost)


def test_a_cluster_without_workers_gives_up_and_keeps_what_finished(monkeypatch):
    monkeypatch.setattr(_parallel, "NO_WORKERS_GRACE", 0.5)
    with local_cluster(n_workers=1, processes=False) as lc, Client(lc) as c:
        def retire(done, total, res):
            if done == 1:
                lc.scale(0)
        run = run_tasks(slow_identity, range(200), executor=c, callback=retire)
    assert 1 <= run.n_done < 200 and len(run.lost) == 200 - run.n_done
    assert "no workers" in run.reason


def test_an_unreachable_scheduler_is_one_clear_error(X, monkeypatch):
    monkeypatch.setattr(_parallel, "CONNECT_TIMEOUT", 1.0)
    with pytest.raises(nmfcore.ClusterError, match="Cannot reach a Dask scheduler at tcp://"):
        nmfcore.restarts(X, 2, n_restarts=2, executor="tcp://127.0.0.1:1", **FAST)


def test_a_registered_solver_reaches_dask_workers(client, X):
    from toy_solver import DampedMU

    nmfcore.register_solver(DampedMU)
    try:
        serial = nmfcore.restarts(X, 2, n_restarts=3, random_state=0, solver="toy-damped",
                                  max_iter=20, tol=0)
        remote = nmfcore.restarts(X, 2, n_restarts=3, random_state=0, solver="toy-damped",
                                  max_iter=20, tol=0, executor=client)
        # the worker processes (not this one) know the solver now
        known = client.run(lambda: "toy-damped" in nmfcore.SOLVERS)
    finally:
        nmfcore.unregister_solver(DampedMU.name)
    assert [f.solver for f in remote.fits] == ["toy-damped"] * 3
    np.testing.assert_array_equal(remote.losses, serial.losses)
    assert known and all(known.values())
