"""Browser test of lesson 13: the page holds playable <audio> elements (the browser loads and
decodes every WAV: its duration is the melody's) and draws its figures."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.e2e

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
CHART = '[data-testid="stPlotlyChart"]'


def test_lesson13_audio_players_and_figures(page, shot):
    page.goto("/l13_hear_the_parts")
    expect(page.get_by_role("heading", name="13. Hear the parts: β-divergences on a "
                                            "spectrogram")).to_be_visible(timeout=90_000)
    expect(page.locator('[data-testid="stMain"] [data-testid="stPageLink"]')).to_be_visible(
        timeout=120_000)
    page.wait_for_selector(IDLE, timeout=90_000)
    assert page.locator('[data-testid="stException"]').count() == 0

    players = page.locator("audio")
    expect(players).to_have_count(5, timeout=30_000)     # the mixture and four notes
    for i in range(5):
        el = players.nth(i)
        el.scroll_into_view_if_needed()
        assert el.get_attribute("controls") is not None
        src = el.get_attribute("src")
        assert src
        # the browser fetched and decoded the file: metadata loaded, about 4.2 s long
        page.wait_for_function("el => el.readyState >= 1 && isFinite(el.duration)", arg=el.element_handle(),
                               timeout=30_000)
        duration = el.evaluate("el => el.duration")
        assert 4.0 < duration < 4.5, duration
        response = page.request.get(src if src.startswith("http") else page.url.split("/l13")[0] + src)
        assert response.ok and response.headers["content-type"].startswith("audio/")
    # it plays: starting one advances its clock
    first = players.nth(1)
    first.evaluate("el => { el.muted = true; return el.play(); }")
    page.wait_for_function("el => el.currentTime > 0.05", arg=first.element_handle(),
                           timeout=15_000)
    first.evaluate("el => el.pause()")

    charts = page.locator(CHART)
    assert charts.count() == 5    # spectrogram, d_beta curves, cosines, templates, activations
    for i in range(charts.count()):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        expect(chart.locator(".main-svg").first).to_be_visible(timeout=30_000)
        assert chart.locator("g.cartesianlayer .trace, g.hm image, image").count() > 0
    page.locator('[data-testid="stMain"]').evaluate("el => el.scrollTo(0, 0)")
    shot(page, "lessons/l13_audio_top")
    players.nth(1).scroll_into_view_if_needed()
    shot(page, "lessons/l13_audio_players")
