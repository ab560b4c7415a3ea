"""Figures of audio data (pure builders: arrays in, ``go.Figure`` out): the spectrogram, the
spectral templates (rows of H), the activations over time (columns of W) and the curves of
the beta-divergence."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from ._style import SEQ, _layout, color, component_names

__all__ = ["to_db", "spectrogram", "templates", "activations", "beta_curves", "cosine_bars"]


def to_db(A, floor_db: float = -80.0) -> np.ndarray:
    """``20 log10(A / max A)`` in dB, clipped at ``floor_db`` (0 dB = the largest value)."""
    A = np.asarray(A, dtype=float)
    top = float(np.max(A)) if A.size and np.max(A) > 0 else 1.0
    with np.errstate(divide="ignore"):
        return np.maximum(20.0 * np.log10(np.maximum(A, 0.0) / top), floor_db)


def spectrogram(X, times, freqs, *, title: str = "Spectrogram |STFT| (dB)",
                floor_db: float = -80.0, height: int = 360) -> go.Figure:
    """Heatmap of a magnitude spectrogram (rows of ``X`` = frames): time across, frequency up."""
    X = np.asarray(X.toarray() if hasattr(X, "toarray") else X, dtype=float)
    fig = go.Figure(go.Heatmap(
        z=to_db(X, floor_db).T, x=np.asarray(times), y=np.asarray(freqs), colorscale=SEQ,
        colorbar=dict(title="dB"),
        hovertemplate="t %{x:.2f} s<br>%{y:.0f} Hz<br>%{z:.1f} dB<extra></extra>"))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title="frequency (Hz)")
    return _layout(fig, title, height)


def templates(H, freqs, *, names=None, truth=None, db: bool = True, floor_db: float = -60.0,
              title: str = "Spectral templates (rows of H)", height: int = 360,
              max_hz: float | None = None) -> go.Figure:
    """One line per component over frequency (each scaled to its own peak, in dB when ``db``);
    ``truth`` (same shape) adds the true templates as dotted grey lines."""
    H = np.asarray(H, dtype=float)
    names = names or component_names(H.shape[0])
    freqs = np.asarray(freqs, dtype=float)
    keep = freqs <= max_hz if max_hz else slice(None)
    fig = go.Figure()

    def scale(h):
        h = h / max(float(h.max()), 1e-300)
        return to_db(h, floor_db) if db else h

    for k, h in enumerate(H):
        fig.add_trace(go.Scatter(x=freqs[keep], y=scale(h)[keep], mode="lines", name=names[k],
                                 line=dict(color=color(k), width=1.5)))
    if truth is not None:
        for k, h in enumerate(np.asarray(truth, dtype=float)):
            fig.add_trace(go.Scatter(x=freqs[keep], y=scale(h)[keep], mode="lines",
                                     name="true notes" if k == 0 else None,
                                     showlegend=k == 0, legendgroup="truth",
                                     line=dict(color="#999999", width=1, dash="dot")))
    fig.update_xaxes(title="frequency (Hz)")
    fig.update_yaxes(title="level (dB of its peak)" if db else "weight (share of its peak)")
    return _layout(fig, title, height)


def activations(W, times, *, names=None, title: str = "Activations over time (columns of W)",
                height: int = 320) -> go.Figure:
    """One line per component: how strongly it sounds in each frame."""
    W = np.asarray(W, dtype=float)
    names = names or component_names(W.shape[1])
    fig = go.Figure()
    for k in range(W.shape[1]):
        fig.add_trace(go.Scatter(x=np.asarray(times), y=W[:, k], mode="lines", name=names[k],
                                 line=dict(color=color(k), width=1.5)))
    fig.update_xaxes(title="time (s)")
    fig.update_yaxes(title="activation")
    return _layout(fig, title, height)


def beta_curves(x, curves: dict, *, y: float = 1.0, title: str | None = None,
                height: int = 340) -> go.Figure:
    """``d_beta(x | y)`` against x, one line per beta (``curves``: label -> values)."""
    fig = go.Figure()
    for k, (label, values) in enumerate(curves.items()):
        fig.add_trace(go.Scatter(x=np.asarray(x), y=np.asarray(values), mode="lines",
                                 name=str(label), line=dict(color=color(k), width=2)))
    fig.add_vline(x=y, line=dict(color="#999999", dash="dot"))
    fig.update_xaxes(title="x")
    fig.update_yaxes(title=f"d_β(x | {y:g})")
    return _layout(fig, title or f"β-divergence d_β(x | {y:g}) for several β", height)


def cosine_bars(cosines: dict, notes, *, title: str = "Matched cosine to the true notes",
                height: int = 320) -> go.Figure:
    """Grouped bars: per true note, the matched cosine of each fit (``cosines``: label -> array)."""
    fig = go.Figure()
    for k, (label, values) in enumerate(cosines.items()):
        fig.add_trace(go.Bar(x=list(notes), y=np.asarray(values), name=str(label),
                             marker_color=color(k), texttemplate="%{y:.4f}",
                             textposition="outside"))
    lo = min(float(np.min(v)) for v in cosines.values())
    fig.update_yaxes(title="cosine similarity", range=[max(0.0, lo - 0.02), 1.002])
    fig.update_xaxes(title="true note")
    fig.update_layout(barmode="group")
    return _layout(fig, title, height)
