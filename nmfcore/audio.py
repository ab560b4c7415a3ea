"""NMF you can hear: spectrograms, soft-mask resynthesis and the note-matching score.

The matrix of an audio demo is a magnitude spectrogram ``X = |STFT|`` with rows = time frames
and columns = frequency bins, so ``X ~= W H`` has ``W`` (frames x rank) = when each component
sounds and ``H`` (rank x bins) = its spectral template. A component is turned back into sound
with a soft (Wiener) mask: its share ``W[:, k] H[k] / (W H)`` of every time-frequency cell,
applied to the mixture's complex STFT (so it keeps the original phase) and inverted with
:func:`scipy.signal.istft`. The masks sum to 1, so the components add up to the mixture.

numpy/scipy only, like the rest of nmfcore.

References
----------
C. Fevotte, N. Bertin and J.-L. Durrieu, "Nonnegative matrix factorization with the
Itakura-Saito divergence: with application to music analysis", Neural Computation 21(3), 2009.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from .alignment import align_components

#: STFT settings of the audio demos (samples per frame, overlap, window).
STFT = {"nperseg": 512, "noverlap": 384, "window": "hann"}


def spectrogram(x: np.ndarray, sample_rate: int, *, nperseg: int = STFT["nperseg"],
                noverlap: int = STFT["noverlap"], window: str = STFT["window"]):
    """Magnitude spectrogram of a mono signal, rows = frames.

    Returns
    -------
    X : ndarray of shape (n_frames, n_bins)
        ``|STFT|`` (non-negative).
    phase : ndarray of shape (n_frames, n_bins)
        ``angle(STFT)``, for resynthesis.
    freqs : ndarray of shape (n_bins,)
        Hz.
    times : ndarray of shape (n_frames,)
        Seconds (centre of each frame).
    """
    freqs, times, Z = signal.stft(np.asarray(x, dtype=float), fs=sample_rate, window=window,
                                  nperseg=nperseg, noverlap=noverlap)
    return np.abs(Z).T, np.angle(Z).T, freqs, times


def to_signal(magnitude: np.ndarray, phase: np.ndarray, sample_rate: int, *, length=None,
              nperseg: int = STFT["nperseg"], noverlap: int = STFT["noverlap"],
              window: str = STFT["window"]) -> np.ndarray:
    """Inverse STFT of ``magnitude * exp(i phase)`` (both frames x bins), trimmed to ``length``."""
    Z = (np.asarray(magnitude) * np.exp(1j * np.asarray(phase))).T
    _, x = signal.istft(Z, fs=sample_rate, window=window, nperseg=nperseg, noverlap=noverlap)
    return x[:length] if length is not None else x


def soft_masks(W: np.ndarray, H: np.ndarray, power: float = 1.0) -> np.ndarray:
    """Wiener-style masks, shape (rank, n_frames, n_bins): ``(w_k h_k)**p / sum_j (w_j h_j)**p``
    (``power=2`` is the classic Wiener filter on power spectra). Cells where every component is
    0 are shared equally, so the masks always sum to 1."""
    parts = np.einsum("tk,kf->ktf", W, H) ** power
    total = parts.sum(axis=0)
    rank = parts.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        masks = np.where(total > 0, parts / total, 1.0 / rank)
    return masks


def components_audio(X, phase, W, H, sample_rate: int, *, length=None, power: float = 1.0,
                     **stft) -> list[np.ndarray]:
    """Each component as a signal: its soft mask times the mixture's STFT, inverted.

    Parameters
    ----------
    X, phase : ndarray of shape (n_frames, n_bins)
        The mixture's magnitude spectrogram and phase (``Dataset.X`` and ``extras["phase"]``).
    W : ndarray of shape (n_frames, rank)
    H : ndarray of shape (rank, n_bins)
    sample_rate : int
    length : int, optional
        Trim every signal to this many samples (the mixture's length).
    power : float
        Exponent of the masks (see :func:`soft_masks`).

    Returns
    -------
    list of ndarray
        One signal per component; they add up to the resynthesized mixture.
    """
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
    return [to_signal(m * X, phase, sample_rate, length=length, **stft)
            for m in soft_masks(W, H, power)]


def matched_cosines(true_H: np.ndarray, H: np.ndarray) -> np.ndarray:
    """Cosine similarity of each true template with its Hungarian-matched component of ``H``,
    shape (n_true,): 1 means that note was found exactly."""
    return align_components(np.asarray(true_H, float), np.asarray(H, float))[1]


@dataclass(frozen=True)
class Separation:
    """One fit of an audio set and how well it found the notes."""

    beta: float
    result: object               # the NMFResult
    cosines: np.ndarray          # matched cosine per true note
    order: np.ndarray            # component matched to each true note

    @property
    def mean_cosine(self) -> float:
        return float(np.mean(self.cosines))


def separate(ds, beta: float, *, rank=None, max_iter: int = 400, n_starts: int = 3,
             random_state: int = 0, **fit_kw) -> Separation:
    """Fit ``ds`` (an audio demo) with the beta-divergence ``beta`` by MU, keep the start (of
    ``n_starts`` random ones, seeds ``random_state + i``) with the lowest loss, and match its
    templates to ``ds.extras["true_H"]``."""
    from ._factorize import factorize

    rank = rank or ds.suggested_rank
    best = None
    for i in range(n_starts):
        res = factorize(ds.X, rank, solver="mu", loss="beta", beta=float(beta), init="random",
                        max_iter=max_iter, tol=0, random_state=random_state + i, **fit_kw)
        if best is None or res.history["loss"][-1] < best.history["loss"][-1]:
            best = res
    order, cos = align_components(ds.extras["true_H"], best.H)
    return Separation(float(beta), best, cos, order)


def source_snr(reference: np.ndarray, estimate: np.ndarray) -> float:
    """Signal-to-distortion ratio in dB of ``estimate`` against a true source: the estimate's
    part along the source over what is left (scale-invariant, as SI-SDR)."""
    ref, est = np.asarray(reference, float), np.asarray(estimate, float)
    n = min(ref.size, est.size)
    ref, est = ref[:n], est[:n]
    target = (est @ ref) / max(ref @ ref, 1e-300) * ref
    rest = est - target
    return float(10.0 * np.log10(max(target @ target, 1e-300) / max(rest @ rest, 1e-300)))


def separation_snrs(ds, sep: Separation, power: float = 1.0) -> np.ndarray:
    """SNR (dB, :func:`source_snr`) of each true note's signal (``ds.extras["sources"]``)
    against its matched component, resynthesized with a soft mask."""
    e = ds.extras
    comps = components_audio(ds.X, e["phase"], sep.result.W, sep.result.H, e["sample_rate"],
                             length=len(e["audio"]), power=power)
    return np.array([source_snr(e["sources"][k], comps[sep.order[k]])
                     for k in range(len(sep.order))])


def beta_divergence_curve(x: np.ndarray, beta: float, y: float = 1.0) -> np.ndarray:
    """``d_beta(x | y)`` for each x (the curves of scikit-learn's beta-divergence example)."""
    from .losses import beta_terms

    x = np.asarray(x, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return beta_terms(x, np.full_like(x, float(y)), float(beta))
