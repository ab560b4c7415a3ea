"""Listening to a fit of audio data: the spectrogram, templates and activations, and players
for the mixture and for each component resynthesized with a soft mask and the original phase.
Shared by Fit & factors (for data of kind "audio") and the Learn section."""
from __future__ import annotations

import numpy as np
import streamlit as st

from nmfcore import audio

from dashboard import plots


def playable(ds) -> bool:
    """Whether ``ds`` carries what resynthesis needs (phase, sample rate, matching shape)."""
    e = ds.extras or {}
    return (ds.kind == "audio" and e.get("phase") is not None and e.get("sample_rate")
            and np.shape(e["phase"]) == tuple(ds.X.shape))


@st.cache_data(max_entries=16, show_spinner=False)
def components(key: str, _X, _phase, W: np.ndarray, H: np.ndarray, sample_rate: int,
               length: int) -> list[np.ndarray]:
    """Each component's signal (:func:`nmfcore.audio.components_audio`), cached per fit."""
    return audio.components_audio(_X, _phase, W, H, sample_rate, length=length)


def players(ds, key: str, W, H, *, names=None, order=None, ncols: int = 4) -> None:
    """One ``st.audio`` per component (in ``order`` if given), labelled with ``names``."""
    e = ds.extras
    sr = int(e["sample_rate"])
    sigs = components(key, ds.X, e["phase"], np.asarray(W), np.asarray(H), sr,
                      len(e["audio"]) if e.get("audio") is not None else None)
    idx = list(order) if order is not None else list(range(len(sigs)))
    names = names or plots.component_names(len(sigs))
    cols = st.columns(min(ncols, len(idx)))
    for j, k in enumerate(idx):
        with cols[j % len(cols)]:
            st.caption(names[j])
            st.audio(np.asarray(sigs[k], dtype=np.float32), sample_rate=sr)


def panel(ds, out, key: str) -> None:
    """Everything Fit & factors shows for an audio fit, under its own heading."""
    e = ds.extras
    st.subheader("Listen to the components")
    st.caption("Each component is resynthesized with a soft (Wiener) mask: its share "
               "W[:, k] H[k] / (W H) of every time-frequency cell of the mixture, with the "
               "mixture's own phase, then the inverse STFT. The components add up to the "
               "mixture.")
    st.markdown("**Mixture**")
    st.audio(np.asarray(e["audio"], dtype=np.float32), sample_rate=int(e["sample_rate"]))
    truth = e.get("true_H")
    order, names = None, None
    if truth is not None and np.shape(truth)[1] == out.H.shape[1] and len(truth) <= out.rank:
        order, cos = _match(truth, out.H)
        notes = e.get("notes") or [f"note {k + 1}" for k in range(len(truth))]
        names = [f"C{k + 1} ≈ {notes[j]} (cos {cos[j]:.3f})" for j, k in enumerate(order)]
        st.caption("Matched cosine similarity of each true note with its component: "
                   + ", ".join(f"{n} {c:.4f}" for n, c in zip(notes, cos)) + ".")
    players(ds, key, out.W, out.H, names=names, order=order)
    c = st.columns(2)
    c[0].plotly_chart(plots.audio.spectrogram(ds.X, e["times"], e["freqs"]),
                      key=f"{key}_spec")
    c[1].plotly_chart(plots.audio.templates(out.H, e["freqs"], truth=truth),
                      key=f"{key}_templates")
    st.plotly_chart(plots.audio.activations(out.W, e["times"]), key=f"{key}_acts")


def _match(truth, H):
    from nmfcore.alignment import align_components

    order, cos = align_components(np.asarray(truth, float), np.asarray(H, float))
    return [int(k) for k in order], np.asarray(cos)
