"""Headless Chromium on the Components page: a renamed component reaches the exported CSV
header, a mouse drag on the sample map selects samples and changes the table, and the λ
slider changes the topic's term bars.

Screenshots: ``artifacts/screenshots/components-*.png``.
"""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from browser_kit import CHART, LONG, choose_demo, go, idle, no_exception  # tests/browser_kit.py

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("no_server_traceback")]


def charts_drawn(page, minimum: int) -> None:
    """The first ``minimum`` visible Plotly charts have their SVG."""
    charts = page.locator(f"{CHART}:visible")
    expect(charts.nth(minimum - 1)).to_be_visible(timeout=LONG)
    for i in range(minimum):
        expect(charts.nth(i).locator(".main-svg").first).to_be_visible(timeout=30_000)


def fitted_components(page, demo: str):
    choose_demo(page, demo)
    go(page, "Fit & factors", "Fit & factors")
    expect(page.get_by_text(re.compile(r"relative error \d"))).to_be_visible(timeout=LONG)
    idle(page)
    go(page, "Components", "Components")
    idle(page)


def test_renamed_component_is_in_the_exported_csv_header(page, shot):
    fitted_components(page, "planted")
    page.get_by_label("C2", exact=True).fill("left arm")
    page.get_by_role("button", name="Save names").click()
    expect(page.get_by_text(re.compile("Names saved: .*left arm"))).to_be_visible(timeout=LONG)
    idle(page)
    charts_drawn(page, 1)
    no_exception(page)
    shot(page, "components-names")
    go(page, "Export", "Export")
    idle(page)
    button = page.get_by_test_id("stDownloadButton").filter(has_text="W.csv").get_by_role("button")
    with page.expect_download() as dl:
        button.click()
    header = open(dl.value.path()).readline().strip().split(",")
    assert header[0] == "sample" and header[2] == "left arm", header


def _selected_count(page) -> int:
    text = page.get_by_text(re.compile(r"^\d+ samples selected on the map$")).inner_text()
    return int(text.split()[0])


def _expect_table_rows(page, n: int) -> None:
    """The visible selection table (the data grid's accessible table) shows ``n`` rows, header
    included (waited for: the table re-renders just after the caption above it)."""
    grid = page.get_by_test_id("stDataFrame").filter(visible=True).first.locator(
        "table[aria-rowcount]")
    expect(grid).to_have_count(1, timeout=LONG)
    expect(grid).to_have_attribute("aria-rowcount", str(n), timeout=LONG)


def _drag(page, box, fx0, fy0, fx1, fy1):
    x0, y0 = box["x"] + fx0 * box["width"], box["y"] + fy0 * box["height"]
    x1, y1 = box["x"] + fx1 * box["width"], box["y"] + fy1 * box["height"]
    page.mouse.move(x0, y0)
    page.mouse.down()
    page.mouse.move((x0 + x1) / 2, (y0 + y1) / 2, steps=8)
    page.mouse.move(x1, y1, steps=8)
    page.mouse.up()


def test_drag_on_the_sample_map_selects_samples(page, shot):
    fitted_components(page, "planted")
    page.get_by_role("tab", name="Sample map").click()
    expect(page.get_by_text(re.compile("Drag a box or lasso"))).to_be_visible(timeout=LONG)
    chart = page.locator('[data-testid="stPlotlyChart"]:visible').first
    area = chart.locator(".nsewdrag").first
    expect(area).to_be_visible(timeout=LONG)
    page.wait_for_timeout(800)                        # the tab's chart finishes its layout
    box = area.bounding_box()
    _drag(page, box, 0.02, 0.02, 0.5, 0.98)           # the left half of the map
    expect(page.get_by_text(re.compile(r"^\d+ samples selected on the map$"))) \
        .to_be_visible(timeout=LONG)
    idle(page)
    first = _selected_count(page)
    assert 0 < first
    _expect_table_rows(page, first + 1)
    no_exception(page)
    shot(page, "components-map-selected")
    chart = page.locator('[data-testid="stPlotlyChart"]:visible').first
    box = chart.locator(".nsewdrag").first.bounding_box()
    # now all of it, starting outside the first box (a drag inside a box moves that box)
    _drag(page, box, 0.99, 0.99, 0.01, 0.01)
    expect(page.get_by_text(re.compile(r"^\d+ samples selected on the map$"))) \
        .not_to_have_text(f"{first} samples selected on the map", timeout=LONG)
    idle(page)
    second = _selected_count(page)
    assert second > first
    _expect_table_rows(page, second + 1)
    no_exception(page)


def _term_labels(page) -> list[str]:
    chart = page.locator('[data-testid="stPlotlyChart"]:visible').filter(
        has=page.locator("text", has_text=re.compile(r"^Top \d+ terms of")))
    return chart.locator(".ytick text").evaluate_all("els => els.map(e => e.textContent)")


def test_lambda_slider_changes_the_term_bars(page, shot):
    fitted_components(page, "text")
    page.get_by_role("tab", name="Topics").click()
    expect(page.get_by_text(re.compile(r"Top \d+ terms of .*λ = 0\.60"))).to_be_visible(timeout=LONG)
    idle(page)
    charts_drawn(page, 2)
    before = _term_labels(page)
    assert len(before) >= 10
    shot(page, "components-topics")
    thumb = page.get_by_role("slider", name=re.compile("Relevance"))
    thumb.focus()
    thumb.press("Home")                                 # λ = 0: lift ranks the terms
    expect(page.get_by_text(re.compile(r"Top \d+ terms of .*λ = 0\.00"))).to_be_visible(timeout=LONG)
    idle(page)
    after = _term_labels(page)
    assert after != before and len(after) == len(before)
    no_exception(page)
    shot(page, "components-topics-lambda0")

    # clicking a bubble of the intertopic map selects that topic
    tmap = page.locator(f"{CHART}:visible").filter(
        has=page.locator("text", has_text="Intertopic distance map"))
    tmap.locator(".scatterlayer .point").nth(2).click(force=True)
    expect(page.get_by_text(re.compile(r"Top \d+ terms of C3 · "))).to_be_visible(timeout=LONG)
    idle(page)
    assert _term_labels(page) != after
    no_exception(page)
    shot(page, "components-topics-clicked")
