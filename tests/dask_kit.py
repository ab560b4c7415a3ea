"""Helpers for the Dask tests: a small LocalCluster and task functions that workers can
import (this folder is on ``sys.path``, and spawned worker processes inherit it)."""
from __future__ import annotations

import os
import warnings
from contextlib import contextmanager


@contextmanager
def local_cluster(n_workers=2, processes=True, **config):
    """A LocalCluster on 127.0.0.1 (one thread per worker, no dashboard); ``config`` sets
    ``distributed.scheduler.*`` keys while it starts, e.g. ``allowed_failures=0``."""
    import dask
    import distributed

    settings = {f"distributed.scheduler.{k.replace('_', '-')}": v for k, v in config.items()}
    with dask.config.set(settings), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cluster = distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                           processes=processes, dashboard_address=None,
                                           host="127.0.0.1", protocol="tcp")
    try:
        yield cluster
    finally:
        try:
            cluster.close()
        except Exception:  # noqa: BLE001 - a test may have closed it already
            pass


def double_or_die(shared, task):
    """``2 * task``, except that task ``-1`` kills the worker process that runs it."""
    if task == -1:
        os._exit(1)
    return 2 * task


def kill_one_worker(client) -> str:
    """End one worker process at once (its nanny starts a new one); returns its address."""
    address = sorted(client.scheduler_info(n_workers=-1)["workers"])[0]
    try:
        client.run(os._exit, 1, workers=[address])
    except Exception:  # noqa: BLE001 - the worker dies before it can answer
        pass
    return address


def slow_identity(shared, task):
    """``task`` after 20 ms (so a run lasts long enough to change the cluster under it)."""
    import time

    time.sleep(0.02)
    return task
