"""Browser test of the Learn section: every lesson opens, every figure draws, no exception.

Screenshots go to ``artifacts/screenshots/lessons/`` (the top of each lesson, then further
down so every figure appears in at least one shot).
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dashboard.lessons import LESSON_PAGES

pytestmark = pytest.mark.e2e

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'


def _wait_idle(page):
    page.wait_for_selector(IDLE, timeout=90_000)


def _open(page, stem: str, number: str):
    """Go to a lesson and wait until its script has run to the end (the Explore link)."""
    page.goto(f"/{stem}")
    expect(page.get_by_role("heading", name=re.compile(rf"^{number}\. "))).to_be_visible(
        timeout=90_000)
    expect(page.locator('[data-testid="stMain"] [data-testid="stPageLink"]')).to_be_visible(
        timeout=90_000)
    _wait_idle(page)


def _charts_drawn(page, where=None):
    """Every Plotly chart in ``where`` (default: the page) has drawn its SVG; returns count."""
    scope = where if where is not None else page
    charts = scope.locator(CHART)
    expect(charts.first).to_be_visible(timeout=30_000)
    n = charts.count()
    for i in range(n):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=30_000)
        # a drawn trace: heatmap image, bar/line path or a point
        drawn = chart.locator("g.cartesianlayer .trace, g.hm image, image").count()
        assert drawn > 0, f"chart {i} has no drawn trace"
    return n


def _shots(page, shot, stem):
    """Screenshot the top of the lesson, then each chart not yet in view."""
    page.locator('[data-testid="stMain"]').evaluate("el => el.scrollTo(0, 0)")
    shot(page, f"lessons/{stem}_1")
    charts = page.locator(CHART)
    if charts.count() > 1:
        charts.nth(charts.count() - 1).scroll_into_view_if_needed()
        shot(page, f"lessons/{stem}_2")


@pytest.mark.parametrize("fname,title", LESSON_PAGES, ids=[f for f, _ in LESSON_PAGES])
def test_lesson_renders(page, shot, fname, title):
    stem = fname.removesuffix(".py")
    _open(page, stem, title.split(" ")[0])
    assert page.locator('[data-testid="stException"]').count() == 0
    tabs = page.get_by_role("tab")
    if tabs.count():
        total = 0
        for i in range(tabs.count()):
            tabs.nth(i).click()
            panel = page.locator('[role="tabpanel"]:visible')
            expect(panel.locator(CHART).first).to_be_visible(timeout=30_000)
            total += _charts_drawn(page, panel)
            shot(page, f"lessons/{stem}_tab{i + 1}")
        assert total >= tabs.count()
    else:
        assert _charts_drawn(page) >= 1
        _shots(page, shot, stem)


def test_lesson3_step_button_in_browser(page, shot):
    """Clicking Step in the browser advances the iteration and redraws the loss."""
    _open(page, "l03_multiplicative_updates", "3")
    page.get_by_role("button", name="10 steps").click()
    expect(page.get_by_text("After 10 step(s)")).to_be_visible(timeout=30_000)
    _wait_idle(page)
    assert _charts_drawn(page) == 3
    page.locator('[data-testid="stMain"]').evaluate("el => el.scrollTo(0, 600)")
    shot(page, "lessons/l03_after_10_steps")
