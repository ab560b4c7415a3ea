"""Browser test of lesson 2: switch to faces and see the four image grids drawn (NMF parts,
PCA eigenfaces, k-means prototypes, one face rebuilt by each), with the sparsities beside."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stMain"] [data-testid="stPlotlyChart"]'


def _choose(page, label: str, title_part: str):
    page.locator('[data-testid="stRadio"] label').filter(has_text=re.compile(f"^{label}$")) \
        .click()
    expect(page.get_by_text(title_part).first).to_be_visible(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=90_000)


def test_lesson2_faces_grids_render(page, shot):
    page.goto("/l02_parts")
    expect(page.get_by_role("heading", name=re.compile(r"^2\. Parts"))).to_be_visible(
        timeout=90_000)
    page.wait_for_selector(IDLE, timeout=90_000)
    _choose(page, "swimmer", "NMF: the r = 16 rows of H")
    _choose(page, "faces", "NMF: the r = 14 rows of H")
    assert page.locator('[data-testid="stException"]').count() == 0
    charts = page.locator(CHART)
    expect(charts).to_have_count(4, timeout=30_000)
    titles = ["NMF: the r = 14", "PCA: eigenimages", "k-means: the r prototypes",
              "Reconstructions of one sample"]
    for i, title in enumerate(titles):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=30_000)
        expect(chart.locator(".gtitle")).to_contain_text(title)
        # a drawn heatmap is an <image> inside the plot, with a real size on screen
        img = chart.locator("g.hm image").first
        expect(img).to_be_attached(timeout=30_000)
        box = img.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 50, (title, box)
    pca_bar = charts.nth(1).locator("g.colorbar")
    expect(pca_bar).to_have_count(1)  # the signed grid carries its red-blue scale
    for label in ("NMF sparsity", "PCA sparsity", "k-means sparsity"):
        expect(page.get_by_test_id("stMetric").filter(has_text=label)).to_be_visible()
    values = [float(page.get_by_test_id("stMetric").filter(has_text=label)
                    .get_by_test_id("stMetricValue").inner_text())
              for label in ("NMF sparsity", "PCA sparsity", "k-means sparsity")]
    assert values[0] > values[1] > values[2], values
    page.locator('[data-testid="stMain"]').evaluate("el => el.scrollTo(0, 0)")
    shot(page, "lessons/l02_faces")
