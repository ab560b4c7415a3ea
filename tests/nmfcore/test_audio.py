"""The audio demo: a synthesized melody whose spectrogram NMF splits into its notes, the
soft-mask resynthesis, and the measured comparison of beta = 2, 1, 0."""
import numpy as np
import pytest

from nmfcore import audio, datasets, losses

# Measured (seeds 0, 10, 20, 3 random starts, 400 MU iterations): mean matched cosine of the
# note templates 0.9982 (beta 2), 0.9990 (1.5), 0.9987 (1), 0.9970 (0.5), 0.992-0.993 (0);
# separated-signal SNR 19.9, 20.8, 21.6, 22.3, 22.3-22.6 dB. The thresholds leave a margin.
BEST_COSINE = 0.998
EVERY_COSINE = 0.985


@pytest.fixture(scope="module")
def ds():
    return datasets.load_demo("audio")


@pytest.fixture(scope="module")
def fits(ds):
    return {b: audio.separate(ds, b, max_iter=400, n_starts=2) for b in (2.0, 1.0, 0.0)}


def test_audio_set_is_a_spectrogram_with_its_truth(ds):
    e = ds.extras
    X = ds.X
    assert X.min() > 0                                   # the noise: Itakura-Saito can fit it
    assert X.shape == (len(e["times"]), len(e["freqs"])) == e["phase"].shape
    assert e["true_H"].shape == (4, X.shape[1]) and e["true_W"].shape == (X.shape[0], 4)
    assert e["sources"].shape == (4, e["audio"].size) and e["sample_rate"] == 8000
    assert 3.5 < e["audio"].size / e["sample_rate"] < 5
    # the true templates are distinct notes, and at most three sound at once
    C = e["true_H"] @ e["true_H"].T
    assert np.all(C[~np.eye(4, dtype=bool)] < 0.2)
    active = e["true_W"] > 0.05 * e["true_W"].max()
    assert active.sum(axis=1).max() == 3 and (active.sum(axis=1) >= 2).mean() > 0.3
    # the spectrogram resynthesizes the mixture
    x = audio.to_signal(X, e["phase"], e["sample_rate"], length=e["audio"].size)
    assert np.allclose(x, e["audio"], atol=1e-9)


def test_soft_masks_sum_to_one_and_components_add_up(ds, fits):
    res = fits[1.0].result
    M = audio.soft_masks(res.W, res.H)
    assert M.shape == (4, *ds.X.shape) and np.allclose(M.sum(axis=0), 1.0)
    e = ds.extras
    parts = audio.components_audio(ds.X, e["phase"], res.W, res.H, e["sample_rate"],
                                   length=e["audio"].size)
    assert len(parts) == 4
    assert np.allclose(np.sum(parts, axis=0), e["audio"], atol=1e-9)


def test_every_beta_finds_the_notes_and_the_best_matches_closely(ds, fits):
    means = {b: f.mean_cosine for b, f in fits.items()}
    assert max(means.values()) >= BEST_COSINE
    for f in fits.values():
        assert f.cosines.min() >= EVERY_COSINE
        assert sorted(f.order.tolist()) == [0, 1, 2, 3]
    # the matched cosine on linear magnitudes favours Frobenius/KL over Itakura-Saito ...
    assert means[1.0] > means[0.0] and means[2.0] > means[0.0]


def test_itakura_saito_separates_the_signals_best(ds, fits):
    """... but the separated signals are cleanest with Itakura-Saito, which fits the quiet
    upper partials and decays as closely as the loud fundamentals."""
    snr = {b: float(np.mean(audio.separation_snrs(ds, f))) for b, f in fits.items()}
    assert snr[0.0] > snr[1.0] > snr[2.0]
    assert snr[0.0] - snr[2.0] > 1.5 and snr[2.0] > 15


def test_beta_divergence_curve():
    x = np.linspace(0.01, 3, 50)
    np.testing.assert_allclose(audio.beta_divergence_curve(x, 2.0), 0.5 * (x - 1) ** 2)
    np.testing.assert_allclose(audio.beta_divergence_curve(x, 0.0), x - np.log(x) - 1)
    np.testing.assert_allclose(audio.beta_divergence_curve(x, 1.0), x * np.log(x) - x + 1)
    for b in (0.0, 0.5, 1.0, 1.5, 2.0):
        d = audio.beta_divergence_curve(x, b)
        assert d.min() >= -1e-12 and abs(audio.beta_divergence_curve(np.array([1.0]), b)[0]) < 1e-12
    assert np.all(np.isfinite(losses.beta_terms(x, np.ones_like(x), 3.0)))
