"""What the browser tests (tests/e2e) share: waiting for the app, the demo picker, the
sidebar links, and the check that no exception box is drawn."""
from __future__ import annotations

import re

from playwright.sync_api import expect

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'
LONG = 90_000


def idle(page):
    page.wait_for_selector(IDLE, timeout=LONG)


def no_exception(page):
    assert page.locator('[data-testid="stException"]').count() == 0, \
        page.locator('[data-testid="stException"]').first.inner_text()


def choose_demo(page, name: str):
    page.goto("/")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=LONG)
    idle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Demo set").click()
    page.get_by_role("option", name=re.compile(rf"^{name} —")).click()
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(rf"Data: {name} "))) \
        .to_be_visible(timeout=LONG)
    idle(page)


def go(page, link: str, heading: str):
    page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=LONG)
