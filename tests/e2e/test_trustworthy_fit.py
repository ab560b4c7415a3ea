"""Headless Chromium: the first fit a newcomer sees (swimmer at rank 17 on Fit & factors) is
right and says so; a start that misses parts is called a local minimum, with a way on."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_kit import LONG, choose_demo, go, idle, no_exception  # tests/browser_kit.py
from tests.e2e.test_explore import charts_drawn

pytestmark = pytest.mark.e2e


def test_swimmer_fit_recovers_all_parts_and_a_random_start_is_called_a_local_minimum(page, shot):
    page.goto("/")                                   # the app starts on swimmer
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=LONG)
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Data: swimmer "))) \
        .to_be_visible(timeout=LONG)
    go(page, "Fit & factors", "Fit & factors")
    status = page.get_by_test_id("stAlertContentSuccess")
    expect(status).to_contain_text("Converged", timeout=LONG)
    expect(status).to_contain_text("rank 17")
    expect(page.get_by_text(re.compile(r"All 17 known parts recovered"))).to_be_visible()
    error = float(re.search(r"relative error ([0-9.e-]+)", status.inner_text()).group(1))
    assert error < 1e-3
    idle(page)
    no_exception(page)
    page.get_by_role("tab", name="Factors W and H").click()
    assert charts_drawn(page, 3) == 3
    shot(page, "fit-swimmer-parts")

    # a random start ends at a saddle with a part missing: the page says so and links on
    page.get_by_role("tab", name="Convergence").click()
    page.get_by_test_id("stSelectbox").filter(has_text="Initialisation").click()
    page.get_by_role("option", name="random", exact=True).click()
    page.get_by_role("button", name="Run fit").click()
    warning = page.get_by_test_id("stAlertContentWarning").filter(has_text="known parts")
    expect(warning).to_contain_text("local minimum", timeout=LONG)
    expect(warning).to_contain_text(re.compile(r"Only \d+ of the 17"))
    expect(page.get_by_role("link", name=re.compile("Compare many starts"))).to_be_visible()
    idle(page)
    no_exception(page)
    shot(page, "fit-swimmer-local-minimum")


def test_feature_programs_download_on_text(page, shot):
    choose_demo(page, "text")
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_test_id("stAlertContentSuccess")).to_be_visible(timeout=LONG)
    page.get_by_role("tab", name="Factors W and H").click()
    expect(page.get_by_role("heading", name="Feature programs")).to_be_visible(timeout=LONG)
    idle(page)
    shot(page, "fit-feature-programs")
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").filter(has_text="Feature programs") \
            .get_by_role("button").click()
    lines = open(dl.value.path()).read().splitlines()
    assert lines[0] == "component,rank,feature,weight,zscore"
    # components carry their names (by default the top terms): "C1 · term, term, term"
    assert len(lines) > 10 and lines[1].lstrip('"').startswith("C1") and ",1," in lines[1]
    no_exception(page)
