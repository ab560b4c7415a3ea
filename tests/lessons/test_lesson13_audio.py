"""AppTest of lesson 13: the audio demo split into notes, heard and measured for β = 2, 1, 0."""
from __future__ import annotations

import re

import numpy as np

from lesson_kit import by_title, open_lesson  # tests/lesson_kit.py


def _audio(at):
    return at.get("audio")


def test_lesson13_plays_the_mixture_and_every_component(app_test, figures):
    at = open_lesson(app_test, "l13_hear_the_parts")
    assert not at.error
    players = _audio(at)
    assert len(players) == 1 + 4                      # the mixture and four notes
    figs = figures(at)
    spec = by_title(figs, "X: the mixture's spectrogram")["data"][0]
    assert spec["type"] == "heatmap" and np.shape(spec["z"]) == (257, 264)
    curves = by_title(figs, "β-divergence d_β(x | 1)")["data"]
    assert [c["name"] for c in curves] == ["β = 2", "β = 1.5", "β = 1", "β = 0.5", "β = 0"]
    for c in curves:                                   # every curve is 0 at x = 1, else > 0
        x, y = np.asarray(c["x"], float), np.asarray(c["y"], float)
        assert y.min() >= -1e-12 and y[np.argmin(abs(x - 1))] < 1e-3
    cos = by_title(figs, "Matched cosine to the true notes")["data"]
    assert len(cos) == 3 and all(min(b["y"]) > 0.985 for b in cos)
    templates = by_title(figs, "H: spectral templates")["data"]
    assert len([t for t in templates if t.get("line", {}).get("dash") != "dot"]) == 4
    acts = by_title(figs, "W: activations over time")["data"]
    assert len(acts) == 4 and len(acts[0]["x"]) == 264
    # the text names the measured winner, and the table holds the numbers it quotes
    text = " ".join(m.value for m in at.markdown)
    assert "β = 0 (Itakura–Saito) separates the notes best here" in text
    table = at.dataframe[0].value
    snr = table["mean SNR of the separated notes (dB)"]
    assert snr.idxmax() == "β = 0 (Itakura–Saito)" and snr.max() - snr.min() > 1.5
    quoted = float(re.search(r"cleanest with \*\*β = 0 \(Itakura–Saito\)\*\* \(([\d.]+) dB",
                             text).group(1))
    assert abs(quoted - snr.max()) < 0.05


def test_lesson13_switching_the_loss_changes_the_players(app_test, figures):
    at = open_lesson(app_test, "l13_hear_the_parts")
    before = [a.proto.url if hasattr(a.proto, "url") else str(a.proto) for a in _audio(at)]
    at.radio(key="l13_beta").set_value("β = 2 (Frobenius)").run()
    assert not at.exception
    after = [a.proto.url if hasattr(a.proto, "url") else str(a.proto) for a in _audio(at)]
    assert len(after) == 5 and after[0] == before[0] and after[1:] != before[1:]
    assert by_title(figures(at), "H: spectral templates (β = 2").get("data")
