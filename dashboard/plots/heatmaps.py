"""Heatmaps of W, H and consensus matrices, sorted and aggregated to stay legible."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from nmfcore.limits import MAX_CONSENSUS

from dashboard.pooling import block_mean

from ._style import SEQ, MAX_ROWS, _layout, _labels


def dominant_order(W: np.ndarray) -> np.ndarray:
    """Row order grouping rows by their largest component, strongest first inside each group."""
    W = np.asarray(W, dtype=float)
    if W.size == 0:
        return np.arange(W.shape[0])
    dom = W.argmax(axis=1)
    share = W.max(axis=1) / np.maximum(W.sum(axis=1), 1e-300)
    return np.lexsort((-share, dom))


def aggregate_rows(M: np.ndarray, labels: Sequence[str], max_rows: int = MAX_ROWS):
    """Average consecutive rows into at most ``max_rows`` bands; labels say which rows."""
    M = np.asarray(M, dtype=float)
    n = M.shape[0]
    if n <= max_rows:
        return M, list(labels)
    edges = np.linspace(0, n, max_rows + 1).astype(int)
    rows = [M[a:b].mean(axis=0) for a, b in zip(edges[:-1], edges[1:])]
    names = [f"{labels[a]} … {labels[b - 1]} (mean of {b - a})" for a, b in
             zip(edges[:-1], edges[1:])]
    return np.vstack(rows), names


def heatmap(M: np.ndarray, *, row_labels: Sequence | None = None,
            col_labels: Sequence | None = None, x_title: str = "column", y_title: str = "row",
            value_title: str = "value", title: str | None = None, sort_rows: bool = False,
            max_rows: int = MAX_ROWS, colorscale: str = SEQ, zmid: float | None = None,
            height: int | None = None, robust: bool = False,
            show_values: bool = False) -> go.Figure:
    """A labelled heatmap; ``sort_rows`` groups rows by dominant column; more than ``max_rows``
    rows are averaged into bands (the hover says which). ``robust`` caps the colour scale at
    the 99th percentile so a few large entries do not turn everything else dark (the hover
    still shows the true values)."""
    M = np.asarray(M, dtype=float)
    rl = _labels(row_labels, M.shape[0], y_title)
    cl = _labels(col_labels, M.shape[1], x_title)
    if sort_rows and M.shape[0] > 1:
        order = dominant_order(M)
        M, rl = M[order], [rl[i] for i in order]
    M, rl = aggregate_rows(M, rl, max_rows)
    zmax, label = None, value_title
    if robust and M.size and np.isfinite(M).any():
        cap = float(np.nanquantile(M, 0.99))
        if 0 < cap < float(np.nanmax(M)):
            zmax, label = cap, f"{value_title}<br>(colour<br>capped at<br>99th pct)"
    fig = go.Figure(go.Heatmap(
        z=M, x=cl, y=rl, colorscale=colorscale, zmid=zmid, zmax=zmax,
        zmin=float(np.nanmin(M)) if zmax is not None else None,
        texttemplate="%{z:.3~g}" if show_values else None,
        colorbar=dict(title=dict(text=label, side="top")),
        hovertemplate=f"{y_title}: %{{y}}<br>{x_title}: %{{x}}<br>{value_title}: %{{z:.4g}}"
                      "<extra></extra>"))
    fig.update_yaxes(title=y_title, autorange="reversed", showticklabels=len(rl) <= 60,
                     type="category")
    fig.update_xaxes(title=x_title, showticklabels=len(cl) <= 80, type="category")
    return _layout(fig, title, height or int(min(700, max(300, 14 * len(rl) + 120))))


def consensus(C: np.ndarray, order: Sequence[int] | None = None,
              labels: Sequence | None = None, title: str | None = None,
              max_size: int = MAX_CONSENSUS) -> go.Figure:
    """Consensus matrix (share of runs putting two samples in the same cluster), reordered;
    above ``max_size`` samples, consecutive samples are averaged into blocks."""
    C = np.asarray(C, dtype=float)
    idx = np.arange(len(C)) if order is None else np.asarray(order, dtype=int)
    lab = _labels(labels, len(C), "sample")
    lab = [lab[i] for i in idx]
    if len(set(lab)) != len(lab):
        lab = [f"{s} #{i}" for s, i in zip(lab, idx)]
    Z, lab = block_mean(C[np.ix_(idx, idx)], lab, max_size)
    fig = go.Figure(go.Heatmap(
        z=Z, x=lab, y=lab, colorscale="Blues", zmin=0, zmax=1,
        colorbar=dict(title=dict(text="same cluster<br>(share of runs)", side="right")),
        hovertemplate="%{y}<br>& %{x}<br>together in %{z:.0%} of runs<extra></extra>"))
    show = len(lab) <= 50
    fig.update_xaxes(title="sample (reordered)", showticklabels=show, type="category",
                     showgrid=False, constrain="domain")
    fig.update_yaxes(title="sample (reordered)", showticklabels=show, autorange="reversed",
                     type="category", scaleanchor="x", showgrid=False, constrain="domain")
    return _layout(fig, title, 520)
