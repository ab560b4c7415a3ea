"""In Chromium: a reload brings the tab back (data, settings, results), and a saved session
opened in another browser context shows the same numbers.

Screenshots: ``artifacts/screenshots/persist-*.png``.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_kit import LONG, idle, no_exception  # tests/browser_kit.py

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("no_server_traceback")]

FIT_LINE = re.compile(r"rank \d+: relative error \d")


def open_app(page):
    page.goto("/")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=LONG)
    idle(page)


def choose_demo(page, name):
    page.get_by_test_id("stSelectbox").filter(has_text="Demo set").click()
    page.get_by_role("option", name=re.compile(rf"^{name} —")).click()
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(rf"Data: {name} "))) \
        .to_be_visible(timeout=LONG)
    idle(page)


def go(page, link, heading):
    page.get_by_test_id("stSidebar").get_by_role("link", name=link).click()
    expect(page.get_by_role("heading", name=heading)).to_be_visible(timeout=LONG)
    idle(page)


def fit_with_seed(page, seed: int) -> str:
    go(page, "Fit & factors", "Fit & factors")
    line = page.get_by_text(FIT_LINE)
    expect(line).to_be_visible(timeout=LONG)
    idle(page)
    first = line.inner_text()
    page.get_by_label("Seed").fill(str(seed))
    page.get_by_label("Initialisation").click()
    page.get_by_role("option", name="random", exact=True).click()
    page.get_by_role("button", name="Run fit").click()
    expect(line).not_to_have_text(first, timeout=LONG)     # the new fit, not the first one
    idle(page)
    return line.inner_text()


def race(page) -> str:
    go(page, "Solver race", "Solver race")
    page.get_by_role("button", name="Start race").click()
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=LONG)
    idle(page)
    return page.get_by_test_id("stDataFrame").inner_text()


def check_back(page, fit_line: str, race_text: str, seed: int, shot, name: str):
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_text(FIT_LINE)).to_have_text(fit_line, timeout=LONG)
    expect(page.get_by_label("Seed")).to_have_value(str(seed))
    no_exception(page)
    shot(page, f"persist-{name}-fit")
    go(page, "Solver race", "Solver race")
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=LONG)
    assert page.get_by_test_id("stDataFrame").inner_text() == race_text
    no_exception(page)


def test_reload_brings_back_data_settings_and_results(page, shot):
    open_app(page)
    choose_demo(page, "planted")
    line = fit_with_seed(page, 11)
    table = race(page)
    url = page.url
    assert re.search(r"[?&]s=[A-Za-z0-9_-]{43}", url), url
    page.reload()
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=LONG)
    idle(page)
    assert page.url == url
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"Data: planted "))) \
        .to_be_visible()
    shot(page, "persist-reload-race")
    check_back(page, line, table, 11, shot, "reload")


def test_saved_session_opens_in_another_browser_with_the_same_numbers(page, browser, shot,
                                                                      base_url, tmp_path):
    open_app(page)
    choose_demo(page, "planted")
    line = fit_with_seed(page, 5)
    table = race(page)
    go(page, "Data", "Data")
    page.get_by_text("Session: save or open").click()
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").filter(has_text="Save session") \
            .get_by_role("button").click()
    saved = tmp_path / dl.value.suggested_filename
    dl.value.save_as(saved)
    assert saved.suffix == ".nmfx" and saved.stat().st_size > 0

    other = browser.new_context(viewport={"width": 1400, "height": 1600}, base_url=base_url)
    try:
        p2 = other.new_page()
        open_app(p2)
        expect(p2.get_by_test_id("stSidebar").get_by_text(re.compile(r"Data: swimmer "))) \
            .to_be_visible()
        p2.get_by_text("Session: save or open").click()
        p2.get_by_test_id("stFileUploader").filter(has_text="Open session") \
            .locator('input[type="file"]').set_input_files(saved)
        expect(p2.get_by_text("Opened " + saved.name)).to_be_visible(timeout=LONG)
        idle(p2)
        expect(p2.get_by_test_id("stSidebar").get_by_text(re.compile(r"Data: planted "))) \
            .to_be_visible()
        shot(p2, "persist-opened")
        check_back(p2, line, table, 5, shot, "opened")

        # the first tab's URL in this other browser: the view of the link (its demo set),
        # but not that tab's results, and a token of its own
        p2.goto(page.url)
        expect(p2.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=LONG)
        idle(p2)
        expect(p2.get_by_test_id("stSidebar").get_by_text(re.compile(r"Data: planted "))) \
            .to_be_visible(timeout=LONG)
        go(p2, "Solver race", "Solver race")
        expect(p2.get_by_text("Choose solvers and press")).to_be_visible(timeout=LONG)
        assert re.search(r"[?&]s=([A-Za-z0-9_-]{43})", p2.url).group(1) != \
            re.search(r"[?&]s=([A-Za-z0-9_-]{43})", page.url).group(1)
    finally:
        other.close()


def test_a_link_opened_in_a_new_browser_reproduces_the_view(page, browser, base_url, shot):
    open_app(page)
    choose_demo(page, "planted")
    line = fit_with_seed(page, 9)
    expect(page).to_have_url(re.compile(r"fit_seed=9"))
    url = re.sub(r"([?&])s=[A-Za-z0-9_-]{43}&?", r"\1", page.url)   # what a user would share
    assert "data=planted" in url and "fit_init=random" in url, url

    other = browser.new_context(viewport={"width": 1400, "height": 1600}, base_url=base_url)
    try:
        p2 = other.new_page()
        p2.goto(url)
        expect(p2.get_by_role("heading", name="Fit & factors")).to_be_visible(timeout=LONG)
        expect(p2.get_by_text(FIT_LINE)).to_have_text(line, timeout=LONG)
        idle(p2)
        expect(p2.get_by_test_id("stSidebar").get_by_text(re.compile(r"Data: planted "))) \
            .to_be_visible()
        expect(p2.get_by_label("Seed")).to_have_value("9")
        no_exception(p2)
        shot(p2, "persist-link")

        p3 = other.new_page()
        p3.goto(url.replace("fit_seed=9", "fit_seed=-4") + "&bogus=1&fit_solver=nope")
        expect(p3.get_by_text("Parts of the link were ignored")).to_be_visible(timeout=LONG)
        expect(p3.get_by_text(FIT_LINE)).to_be_visible(timeout=LONG)
        idle(p3)
        notice = p3.get_by_text("Parts of the link were ignored").inner_text()
        assert "fit_seed=-4" in notice and "bogus=1" in notice and "fit_solver=nope" in notice
        no_exception(p3)
        shot(p3, "persist-link-ignored")
    finally:
        other.close()


def test_report_opened_from_disk_offline_draws_its_charts(page, browser, tmp_path, shot):
    open_app(page)
    choose_demo(page, "planted")
    fit_with_seed(page, 3)
    race(page)
    go(page, "Export", "Export")
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").filter(has_text="Download report") \
            .get_by_role("button").click()
    path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(path)
    assert path.name == "nmf-explorer-report-planted.html"

    offline = browser.new_context(viewport={"width": 1200, "height": 1400})
    requests = []
    try:
        def block(route):
            if not route.request.url.startswith("file://"):
                requests.append(route.request.url)
                return route.abort()
            return route.continue_()
        offline.route("**/*", block)
        p2 = offline.new_page()
        p2.goto(path.as_uri())
        expect(p2.get_by_role("heading", name="Solver race")).to_be_visible()
        charts = p2.locator(".plotly-graph-div")
        expect(charts.first.locator(".main-svg").first).to_be_visible(timeout=30_000)
        n = charts.count()
        assert n >= 6
        for i in range(n):
            expect(charts.nth(i).locator(".main-svg").first).to_be_attached(timeout=30_000)
            assert charts.nth(i).locator(".trace, image, .hm").count() > 0, f"chart {i} empty"
        assert p2.locator('[data-title="Download plot as SVG"]').count() == n
        charts.first.hover()
        with p2.expect_download() as svg:
            p2.locator('[data-title="Download plot as SVG"]').first.click()
        assert svg.value.suggested_filename == "fit-loss.svg"
        shot(p2, "persist-report")
        assert requests == []
    finally:
        offline.close()
