"""Dask execution: a LocalCluster started here gives exactly the local results for a seed."""
import warnings

import numpy as np
import pytest
from distributed import Client, LocalCluster, get_task_stream

import nmfcore
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
    ran_on = {t["worker"] for t in stream.data if "_call_limited" in str(t["key"])}
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
