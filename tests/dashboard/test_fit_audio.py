"""Fit & factors on the audio demo: the listening panel (players, spectrogram, templates)."""
import numpy as np
import pytest

from dashboard.plots import audio as audio_plots

FIT = "app_pages/fit.py"


@pytest.fixture
def at(app_test, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "audio")
    at = app_test.run()
    assert not at.exception
    return at


def _titles(figures, at):
    return {(f["layout"].get("title") or {}).get("text"): f for f in figures(at)}


def test_fit_page_plays_each_component_of_an_audio_fit(at, figures):
    at.switch_page(FIT).run()
    assert not at.exception and not at.error
    assert len(at.get("audio")) == 1 + 4
    figs = _titles(figures, at)
    assert np.shape(figs["Spectrogram |STFT| (dB)"]["data"][0]["z"]) == (257, 264)
    assert len(figs["Activations over time (columns of W)"]["data"]) == 4
    assert any("Matched cosine similarity of each true note" in c.value for c in at.caption)
    # Itakura-Saito from the loss menu: the audio data have no zeros
    at.selectbox(key="fit_solver").set_value("mu")
    at.selectbox(key="fit_loss").set_value("itakura-saito")
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception and not at.error
    assert at.session_state["nmfx_last_fit"]["outcome"].loss == "itakura-saito"
    assert len(at.get("audio")) == 5


def test_audio_figures_are_pure_builders():
    X = np.abs(np.random.default_rng(0).normal(size=(6, 5)))
    fig = audio_plots.spectrogram(X, np.arange(6), np.arange(5))
    assert fig.data[0].z.shape == (5, 6) and fig.data[0].z.max() == 0.0
    H = np.abs(np.random.default_rng(1).normal(size=(2, 5)))
    t = audio_plots.templates(H, np.arange(5), truth=H)
    assert len(t.data) == 4 and t.data[2].line.dash == "dot"
    c = audio_plots.beta_curves(np.linspace(0.1, 2, 5), {"β = 1": np.ones(5)})
    assert c.layout.yaxis.title.text == "d_β(x | 1)"
    b = audio_plots.cosine_bars({"a": np.array([0.99, 0.98])}, ["C4", "E4"])
    assert list(b.data[0].x) == ["C4", "E4"]
