"""Headless Chromium on the Explore pages: pick data on the Data page, go to the page through the
sidebar, run it, check that every Plotly chart drew and that no exception box appeared.

Screenshots: ``artifacts/screenshots/<page>.png``.
"""
from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from browser_kit import CHART, LONG, choose_demo, go, idle, no_exception  # tests/browser_kit.py

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("no_server_traceback")]


def charts_drawn(page, minimum: int) -> int:
    """Every visible Plotly chart has its SVG and at least one drawn trace."""
    charts = page.locator(f'{CHART}:visible')
    expect(charts.nth(minimum - 1)).to_be_visible(timeout=LONG)
    n = charts.count()
    for i in range(n):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=30_000)
        drawn = chart.locator("g.cartesianlayer .trace, g.hm image, .heatmaplayer image, "
                              "g.boxlayer path, g.barlayer path").count()
        assert drawn > 0, f"chart {i} has no drawn trace"
    page.locator('[data-testid="stMain"]').evaluate("el => el.scrollTo(0, 0)")
    return n


def test_fit_page_on_digits(page, shot):
    choose_demo(page, "digits")
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_text(re.compile(r"relative error \d"))).to_be_visible(timeout=LONG)
    idle(page)
    assert charts_drawn(page, 2) == 2
    no_exception(page)
    shot(page, "fit")
    for tab, name, n in (("Factors W and H", "fit-factors", 3), ("Memberships", "fit-memberships", 2),
                         ("Reconstruction", "fit-reconstruction", 1)):
        page.get_by_role("tab", name=tab).click()
        assert charts_drawn(page, n) == n
        shot(page, name)
        if tab == "Memberships":
            expect(page.get_by_test_id("stMetric").filter(has_text="purity")).to_be_visible()
    no_exception(page)


def test_every_chart_toolbar_downloads_png_and_svg(page, tmp_path, shot):
    """The camera gives a 2x PNG and the arrow beside it an SVG, both named after the data set
    and the chart's title; a chart drawn later (another tab) gets the arrow too."""
    choose_demo(page, "digits")
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_text(re.compile(r"relative error \d"))).to_be_visible(timeout=LONG)
    idle(page)
    n = charts_drawn(page, 2)
    charts = page.locator(f"{CHART}:visible")
    svg_buttons = page.locator(f'{CHART}:visible [data-title="Download plot as SVG"]')
    expect(svg_buttons).to_have_count(n, timeout=LONG)
    first = charts.first
    first.hover()
    shot(page, "toolbar-svg")
    with page.expect_download() as svg:
        first.locator('[data-title="Download plot as SVG"]').click()
    assert svg.value.suggested_filename == "digits-loss.svg"
    svg.value.save_as(tmp_path / "a.svg")
    text = (tmp_path / "a.svg").read_text()
    assert text.lstrip().startswith("<svg") and "<path" in text, text[:200]
    with page.expect_download() as png:
        first.locator('[data-title="Download plot as a PNG"]').click()
    assert png.value.suggested_filename == "digits-loss.png"
    png.value.save_as(tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page.get_by_role("tab", name="Factors W and H").click()
    m = charts_drawn(page, 3)
    expect(page.locator(f'{CHART}:visible [data-title="Download plot as SVG"]')) \
        .to_have_count(m, timeout=LONG)
    assert page.locator('[data-nmfx-svg]').count() == page.locator(
        f'{CHART} .modebar').count()   # one arrow per toolbar, never two
    no_exception(page)


def test_fit_page_on_uploaded_csv(page, tmp_path, shot):
    rng = np.random.default_rng(0)
    X = rng.random((40, 3)) @ rng.random((3, 12))
    path = tmp_path / "mine.csv"
    header = ",".join(f"g{j}" for j in range(12))
    np.savetxt(path, X, delimiter=",", header=header, comments="", fmt="%.5f")
    page.goto("/")
    expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(timeout=LONG)
    page.get_by_text("Upload a file").click()
    page.get_by_test_id("stFileUploader").filter(has_text="Upload CSV") \
        .locator('input[type="file"]').set_input_files(path)
    expect(page.get_by_test_id("stSidebar").get_by_text(re.compile(r"40 × 12"))) \
        .to_be_visible(timeout=LONG)
    idle(page)
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_text(re.compile(r"relative error \d"))).to_be_visible(timeout=LONG)
    idle(page)
    charts_drawn(page, 2)
    page.get_by_role("tab", name="Factors W and H").click()
    charts_drawn(page, 3)
    no_exception(page)
    shot(page, "fit-upload")


def _start_race(page):
    page.get_by_role("button", name="Start race").click()


def test_race_page_live_then_results(page, shot):
    choose_demo(page, "digits")
    go(page, "Solver race", "Solver race")
    _start_race(page)
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=LONG)
    idle(page)
    assert charts_drawn(page, 2) == 2
    rows = page.get_by_test_id("stDataFrame")
    expect(rows).to_be_visible()
    no_exception(page)
    shot(page, "race")
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    lines = open(dl.value.path()).read().splitlines()
    assert lines[0] == "run,iteration,seconds,loss,rel_error"
    assert {ln.split(",")[0] for ln in lines[1:]} == {"MU-Frobenius", "MU-KL", "projected SGD",
                                                      "HALS"}


def test_race_stop_button_really_stops(page, shot):
    choose_demo(page, "digits")
    go(page, "Solver race", "Solver race")
    page.get_by_label("Iterations (max)").fill("100000")
    page.get_by_role("spinbutton", name="tol (quiet loss decrease)").fill("0")   # runs on
    _start_race(page)
    stop = page.get_by_test_id("stButton").get_by_role("button", name="Stop")
    expect(stop).to_be_visible(timeout=LONG)
    expect(page.locator(f"{CHART} .main-svg").first).to_be_visible(timeout=LONG)  # live chart
    expect(page.get_by_text(re.compile(r"running MU-Frobenius"))).to_be_visible()
    page.wait_for_timeout(1500)
    shot(page, "race-live")
    stop.click()
    expect(page.get_by_text("Stopped on request")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("heading", name="Results")).to_be_visible(timeout=30_000)
    idle(page)
    no_exception(page)
    shot(page, "race-stopped")
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").get_by_role("button").click()
    rows = [ln.split(",") for ln in open(dl.value.path()).read().splitlines()[1:]]
    assert {r[0] for r in rows} == {"MU-Frobenius"}          # the others never started
    assert 0 < max(int(r[1]) for r in rows) < 100000         # stopped part-way


def test_two_sessions_race_at_the_same_time(browser, browser_context_args, shot):
    pages = [browser.new_context(**browser_context_args).new_page() for _ in range(2)]
    try:
        for p in pages:
            choose_demo(p, "planted")
            go(p, "Solver race", "Solver race")
        pages[0].get_by_label("Iterations (max)").fill("3000")
        pages[1].get_by_label("Iterations (max)").fill("2500")
        for p in pages:  # both start before either is awaited
            _start_race(p)
        for p in pages:  # ... and both are running at the same moment
            expect(p.get_by_test_id("stButton").get_by_role("button", name="Stop")) \
                .to_be_visible(timeout=LONG)
        for p in pages:
            expect(p.get_by_role("heading", name="Results")).to_be_visible(timeout=LONG)
            idle(p)
            charts_drawn(p, 2)
            no_exception(p)
        with pages[1].expect_download() as dl:
            pages[1].get_by_test_id("stDownloadButton").get_by_role("button").click()
        lines = open(dl.value.path()).read().splitlines()
        assert max(int(ln.split(",")[1]) for ln in lines[1:]) == 2500   # its own settings
        shot(pages[0], "race-session-a")
    finally:
        for p in pages:
            p.context.close()


def test_rank_page(page, shot):
    choose_demo(page, "planted")
    go(page, "Rank", "Choose the rank")
    page.get_by_role("button", name="Run sweep").click()
    expect(page.get_by_role("heading", name="What the rules suggest")).to_be_visible(timeout=LONG)
    idle(page)
    assert charts_drawn(page, 8) == 8
    no_exception(page)
    shot(page, "rank")
    page.get_by_role("heading", name="Consensus matrix").scroll_into_view_if_needed()
    shot(page, "rank-consensus")


def test_restarts_page(page, shot):
    choose_demo(page, "digits")
    go(page, "Restarts", "Restarts & non-uniqueness")
    page.get_by_role("button", name="Run restarts").click()
    expect(page.get_by_role("heading", name="Scaling and permutation ambiguity")) \
        .to_be_visible(timeout=LONG)
    idle(page)
    assert charts_drawn(page, 5) == 5
    no_exception(page)
    shot(page, "restarts")
    page.get_by_role("heading", name="Scaling and permutation ambiguity") \
        .scroll_into_view_if_needed()
    shot(page, "restarts-ambiguity")


def test_export_page(page, shot):
    choose_demo(page, "digits")
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_text(re.compile(r"relative error \d"))).to_be_visible(timeout=LONG)
    idle(page)
    go(page, "Export", "Export")
    expect(page.get_by_text("load_demo('digits')")).to_be_visible(timeout=LONG)
    no_exception(page)
    shot(page, "export")
    with page.expect_download() as dl:
        page.get_by_test_id("stDownloadButton").filter(has_text="W.csv").get_by_role(
            "button").click()
    head = open(dl.value.path()).readline().strip()
    assert head == "sample," + ",".join(f"C{k}" for k in range(1, 11))
