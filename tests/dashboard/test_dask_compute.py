"""The dashboard on a Dask cluster: Compute in the sidebar, restarts that really run on the
scheduler's workers with the local results, a clear message for an unreachable address."""
from __future__ import annotations

import logging

import pytest
import streamlit as st

from dashboard import cli, compute

RESTARTS = "app_pages/restarts.py"


@pytest.fixture(scope="module")
def cluster():
    import distributed

    cl = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None, host="127.0.0.1")
    try:
        yield cl
    finally:
        cl.close()


def _scheduler_transitions(cluster) -> int:
    import distributed

    with distributed.Client(cluster.scheduler_address) as c:
        return int(c.run_on_scheduler(lambda dask_scheduler: dask_scheduler.transition_counter))


def _run_restarts(at, n=4):
    at.switch_page(RESTARTS).run()
    at.number_input(key="rst_n").set_value(n)
    at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
    assert not at.exception
    return at


def test_restarts_run_on_the_cluster_with_the_local_results(app_test, monkeypatch, cluster):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "planted")
    at = app_test.run()
    at.sidebar.radio(key=compute.MODE).set_value(compute.DASK).run()
    at.sidebar.text_input(key=compute.ADDRESS).set_value(cluster.scheduler_address).run()
    assert any("connected: 2 workers, 2 threads" in c.value for c in at.sidebar.caption)
    before = _scheduler_transitions(cluster)
    _run_restarts(at)
    assert not at.error
    losses_cluster = [m for m in at.metric if m.label.startswith("Loss spread")][0].value
    assert _scheduler_transitions(cluster) > before + 4      # the fits went through the scheduler
    at.sidebar.radio(key=compute.MODE).set_value(compute.LOCAL).run()
    st.cache_data.clear()                                     # recompute, locally this time
    _run_restarts(at)
    losses_local = [m for m in at.metric if m.label.startswith("Loss spread")][0].value
    assert losses_local == losses_cluster                     # same seeds, same results


def test_unreachable_address_gives_a_sentence_and_the_page_stays_usable(app_test, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "planted")
    at = app_test.run()
    at.sidebar.radio(key=compute.MODE).set_value(compute.DASK).run()
    at.sidebar.text_input(key=compute.ADDRESS).set_value("tcp://127.0.0.1:1").run()
    assert any("Cannot reach a Dask scheduler at tcp://127.0.0.1:1" in w.value
               for w in at.sidebar.warning)
    _run_restarts(at)
    assert any("Cannot reach" in e.value for e in at.error)
    at.sidebar.text_input(key=compute.ADDRESS).set_value("not an address").run()
    assert any("is not a Dask scheduler address" in w.value for w in at.sidebar.warning)
    assert not at.exception


def test_cli_dask_flag_sets_the_default_and_refuses_a_bad_address(monkeypatch, capsys):
    seen = {}
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env: seen.update(env) or 0)
    assert cli.main(["--dask", "tcp://127.0.0.1:8786"]) == 0
    assert seen[compute.ENV] == "tcp://127.0.0.1:8786"
    assert cli.main(["--dask", "nonsense"]) == 2
    assert "not a Dask scheduler address" in capsys.readouterr().err


def test_stop_cancels_the_clusters_tasks(monkeypatch, cluster):
    import time

    import distributed
    from nmfcore.datasets import load_demo

    from dashboard import services

    monkeypatch.setattr(compute, "executor", lambda: cluster.scheduler_address)
    ds = load_demo("planted")
    settings = {"rank": 4, "n_restarts": 40, "solver": "mu", "init": "random",
                "max_iter": 4000, "tol": 0.0, "random_state": 0, "n_jobs": 1}
    job = services.start_restarts(ds, "planted-stop", settings)
    deadline = time.monotonic() + 60
    while job.snapshot().get("done", 0) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert job.snapshot().get("done", 0) >= 2, "restarts never progressed on the cluster"
    job.stop()
    assert job.wait(60) and job.stopped and job.error is None
    assert job.result is not None and 2 <= len(job.result.losses) < 40   # what finished is kept

    def busy(dask_scheduler):
        return sum(len(ws.processing) for ws in dask_scheduler.workers.values())

    with distributed.Client(cluster.scheduler_address) as c:
        for _ in range(50):                       # cancellation reaches the workers quickly
            if c.run_on_scheduler(busy) == 0:
                break
            time.sleep(0.1)
        assert c.run_on_scheduler(busy) == 0       # no task left running


# ------------------------------------------------------------------ cluster lost mid-run
def _close_after(cluster, n_finished: int, timeout: float = 60):
    """A thread that closes ``cluster`` once its scheduler has finished ``n_finished`` fits."""
    import threading
    import time

    def finished() -> int:
        log = list(cluster.scheduler.transition_log)
        return sum(1 for e in log if "_call_on_dask" in str(e[0]) and e[2] == "memory")

    def watch():
        deadline = time.monotonic() + timeout
        while finished() < n_finished and time.monotonic() < deadline:
            time.sleep(0.02)
        cluster.close()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    return t


def _connect(at, address):
    at.sidebar.radio(key=compute.MODE).set_value(compute.DASK).run()
    at.sidebar.text_input(key=compute.ADDRESS).set_value(address).run()
    assert any("connected" in c.value for c in at.sidebar.caption)


class _Records(logging.Handler):
    """Collects the records of the Dask client's loggers (``distributed`` does not propagate
    to the root logger, so pytest's own capture never sees them)."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        if record.name.split(".")[1:2] in (["client"], ["batched"], ["comm"], ["core"]):
            self.records.append(record)


def test_a_cluster_lost_mid_sweep_keeps_the_finished_ranks(app_test, monkeypatch, request):
    from dask_kit import local_cluster

    records = _Records()
    logging.getLogger("distributed").addHandler(records)
    request.addfinalizer(lambda: logging.getLogger("distributed").removeHandler(records))

    monkeypatch.setenv("NMF_EXPLORER_DEMO", "planted")
    at = app_test.run()
    with local_cluster(n_workers=1, processes=False) as cl:
        _connect(at, cl.scheduler_address)
        at.switch_page("app_pages/rank.py").run()
        at.slider(key="rank_range").set_value((2, 5))
        at.number_input(key="rank_restarts").set_value(2)
        at.number_input(key="rank_iter").set_value(400)
        watcher = _close_after(cl, 6)
        at.button(key="FormSubmitter:rank_form-Run sweep").click().run()
        watcher.join(30)
    assert not at.exception and not at.error
    notice = [w.value for w in at.warning if "Dask cluster failed" in w.value]
    assert len(notice) == 1, [w.value for w in at.warning]
    assert "of 20 fits" in notice[0] and "run again for the rest" in notice[0]
    assert "not finished:" in notice[0] or "no rank had all its fits" in notice[0]
    charts = len(at.get("plotly_chart"))
    # the page stays usable and keeps what finished: the sidebar now says the cluster is
    # gone, and Run says so instead of throwing the partial table away
    at.button(key="FormSubmitter:rank_form-Run sweep").click().run()
    assert not at.exception
    assert any("Cannot reach a Dask scheduler" in w.value for w in at.sidebar.warning)
    errors = [e.value for e in at.error if "Cannot reach a Dask scheduler" in e.value]
    assert len(errors) == 1 and errors[0].endswith("local processes (Compute, in the sidebar).")
    assert errors[0].count(". ") == 0             # one sentence (addresses hold dots, not ". ")
    assert any("Dask cluster failed" in w.value for w in at.warning)
    assert len(at.get("plotly_chart")) == charts
    # the app's console gets no client tracebacks for it (the page said it in one sentence)
    loud = [f"{r.name} {r.levelname}: {r.getMessage()[:200]}" for r in records.records
            if r.levelno >= logging.ERROR]
    assert not loud, loud


def test_a_cluster_lost_mid_restarts_keeps_the_finished_runs(app_test, monkeypatch):
    from dask_kit import local_cluster

    monkeypatch.setenv("NMF_EXPLORER_DEMO", "planted")
    at = app_test.run()
    with local_cluster(n_workers=1, processes=False) as cl:
        _connect(at, cl.scheduler_address)
        at.switch_page(RESTARTS).run()
        at.number_input(key="rst_n").set_value(12)
        at.number_input(key="rst_iter").set_value(1500)
        watcher = _close_after(cl, 3)
        at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
        watcher.join(30)
    assert not at.exception and not at.error
    notice = [w.value for w in at.warning if "Dask cluster failed" in w.value]
    assert len(notice) == 1 and "of 12 runs" in notice[0], [w.value for w in at.warning]
    runs = [m for m in at.metric if m.label == "Runs"][0].value
    done = int(runs.split()[0])
    assert 3 <= done < 12 and runs.endswith("of 12")
    assert f"the page shows the {done} that finished" in notice[0]
