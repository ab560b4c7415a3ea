"""Headless Chromium with a Dask LocalCluster started here: the scheduler address typed into
the sidebar's Compute section connects (worker count shown), restarts run on the cluster (the
scheduler saw every fit) and show on the page; an unreachable address gives its one sentence
and the page keeps the results it has."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_kit import LONG, choose_demo, go, idle, no_exception  # tests/browser_kit.py
from dask_kit import local_cluster

pytestmark = pytest.mark.e2e


def _fits_seen(cluster) -> int:
    """Fits the scheduler saw finish (a task of nmfcore's Dask runner reaching memory)."""
    return sum(1 for key, start, finish, *_ in list(cluster.scheduler.transition_log)
               if "_call_on_dask" in str(key) and finish == "memory")


def _address(page, text: str):
    box = page.get_by_test_id("stSidebar").get_by_label("Scheduler address")
    box.fill(text)
    box.press("Enter")
    idle(page)


def test_restarts_on_a_dask_cluster_from_the_sidebar(page, shot):
    with local_cluster(n_workers=2) as cluster:
        choose_demo(page, "planted")
        sidebar = page.get_by_test_id("stSidebar")
        sidebar.get_by_text("Compute", exact=True).click()
        sidebar.get_by_text("Dask cluster", exact=True).click()
        idle(page)
        _address(page, cluster.scheduler_address)
        expect(sidebar.get_by_text("connected: 2 workers, 2 threads")).to_be_visible(
            timeout=LONG)

        go(page, "Restarts", "Restarts & non-uniqueness")
        page.get_by_label("Restarts", exact=True).fill("3")
        page.get_by_label("Iterations per run").fill("100")
        before = _fits_seen(cluster)
        page.get_by_role("button", name="Run restarts", exact=True).click()
        runs = page.get_by_test_id("stMetric").filter(has_text="Runs")
        expect(runs).to_contain_text("3 of 3", timeout=LONG)
        idle(page)
        no_exception(page)
        assert _fits_seen(cluster) - before >= 3        # every fit went through the scheduler
        shot(page, "restarts-on-dask")

        # an address nobody answers on: one sentence in the sidebar, the results stay
        _address(page, "tcp://127.0.0.1:1")
        expect(sidebar.get_by_text(re.compile(
            r"Cannot reach a Dask scheduler at tcp://127\.0\.0\.1:1 .*local processes\."))) \
            .to_be_visible(timeout=LONG)
        page.get_by_role("button", name="Run restarts", exact=True).click()
        expect(page.get_by_test_id("stAlertContentError")).to_contain_text(
            "Cannot reach a Dask scheduler", timeout=LONG)
        expect(runs).to_contain_text("3 of 3")
        idle(page)
        no_exception(page)
        shot(page, "restarts-dask-unreachable")
