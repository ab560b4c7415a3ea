"""Components in the data's own form (images, top terms, lines), memberships, samples."""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import DIV, color, _layout, _labels, component_names
from .heatmaps import dominant_order


def _grid(n: int, ncols: int) -> tuple[int, int]:
    ncols = max(1, min(ncols, n))
    return int(math.ceil(n / ncols)), ncols


def component_images(H: np.ndarray, image_shape: Sequence[int], *, titles: Sequence | None = None,
                     ncols: int = 6, title: str | None = None, value_title: str = "weight",
                     colorscale: str = "Greys") -> go.Figure:
    """Each row of ``H`` reshaped to ``image_shape`` and drawn in a grid (one scale per image)."""
    H = np.asarray(H, dtype=float)
    h, w = int(image_shape[0]), int(image_shape[1])
    titles = _labels(titles, len(H), "C") if titles is not None else component_names(len(H))
    rows, cols = _grid(len(H), ncols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles,
                        horizontal_spacing=0.02, vertical_spacing=0.08 if rows > 1 else 0.02)
    for k, comp in enumerate(H):
        img = comp.reshape(h, w)
        top = float(img.max()) or 1.0
        fig.add_trace(go.Heatmap(
            z=img / top, colorscale=colorscale, reversescale=colorscale == "Greys",
            zmin=0, zmax=1, showscale=k == 0, customdata=img,
            colorbar=dict(title=dict(text=f"{value_title}<br>(÷ max)", side="right")),
            hovertemplate=f"{titles[k]}<br>row %{{y}}, col %{{x}}<br>{value_title}: "
                          "%{customdata:.3g}<extra></extra>"), row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(showticklabels=False, title=None, constrain="domain")
    fig.update_yaxes(showticklabels=False, autorange="reversed", title=None, scaleanchor=None)
    for k in range(len(H)):
        ax = "" if k == 0 else str(k + 1)
        fig.layout[f"yaxis{ax}"].update(scaleanchor=f"x{ax}", scaleratio=1)
    return _layout(fig, title, int(max(220, 190 * rows + 60)))


def top_features(H: np.ndarray, feature_names: Sequence | None = None, *, n_top: int = 10,
                 ncols: int = 4, titles: Sequence | None = None, title: str | None = None,
                 value_title: str = "weight in component") -> go.Figure:
    """Small multiples of horizontal bars: each component's ``n_top`` heaviest features."""
    H = np.asarray(H, dtype=float)
    names = _labels(feature_names, H.shape[1], "feature")
    titles = list(titles) if titles is not None else component_names(len(H))
    rows, cols = _grid(len(H), ncols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=titles, horizontal_spacing=0.12,
                        vertical_spacing=0.1 if rows > 1 else 0.05)
    for k, comp in enumerate(H):
        idx = np.argsort(comp)[::-1][:n_top][::-1]
        fig.add_trace(go.Bar(
            x=comp[idx], y=[names[i] for i in idx], orientation="h", marker_color=color(k),
            showlegend=False, name=titles[k],
            hovertemplate=f"{titles[k]}<br>%{{y}}: %{{x:.4g}}<extra></extra>"),
            row=k // cols + 1, col=k % cols + 1)
    fig.update_xaxes(title=None, tickfont=dict(size=9))
    fig.update_yaxes(tickfont=dict(size=10), automargin=True)
    for c in range(1, cols + 1):
        fig.update_xaxes(title=value_title, row=rows, col=c)
    return _layout(fig, title, int(max(260, rows * (22 * n_top + 60) + 60)))


def component_lines(H: np.ndarray, x: Sequence | None = None, *, names: Sequence | None = None,
                    x_title: str = "feature", value_title: str = "weight",
                    title: str | None = None) -> go.Figure:
    """Each component as a line over the features (spectra, time series, generic data)."""
    H = np.asarray(H, dtype=float)
    xs = list(x) if x is not None and len(x) == H.shape[1] else list(range(H.shape[1]))
    names = list(names) if names is not None else component_names(len(H))
    fig = go.Figure()
    for k, comp in enumerate(H):
        fig.add_trace(go.Scatter(x=xs, y=comp, mode="lines", name=names[k],
                                 line=dict(color=color(k), width=2),
                                 hovertemplate=f"{names[k]}<br>{x_title}: %{{x}}<br>"
                                               f"{value_title}: %{{y:.4g}}<extra></extra>"))
    fig.update_xaxes(title=x_title)
    fig.update_yaxes(title=value_title)
    return _layout(fig, title)


# ------------------------------------------------------------------ memberships and samples
def memberships(M: np.ndarray, *, row_labels: Sequence | None = None,
                classes: Sequence | None = None, max_rows: int = 300,
                names: Sequence | None = None, title: str | None = None) -> go.Figure:
    """Stacked bars: each sample's share on every component (rows of W normalised), samples
    sorted by dominant component; beyond ``max_rows`` samples an evenly spaced subset is shown.
    ``names``: the components' names (default C1, C2, ...)."""
    M = np.asarray(M, dtype=float)
    lab = _labels(row_labels, len(M), "sample")
    if classes is not None and len(classes) == len(M):
        lab = [f"{s} [{c}]" for s, c in zip(lab, classes)]
    order = dominant_order(M)
    if len(order) > max_rows:
        order = order[np.linspace(0, len(order) - 1, max_rows).astype(int)]
    lab = [lab[i] for i in order]
    if len(set(lab)) != len(lab):
        lab = [f"{s} #{i}" for s, i in zip(lab, order)]
    fig = go.Figure()
    comps = list(names) if names is not None else component_names(M.shape[1])
    for k, name in enumerate(comps):
        fig.add_trace(go.Bar(x=lab, y=M[order, k], name=name, marker_color=color(k),
                             marker_line_width=0,
                             hovertemplate=f"%{{x}}<br>{name}: %{{y:.1%}}<extra></extra>"))
    fig.update_layout(barmode="stack", bargap=0.0 if len(lab) > 60 else 0.15)
    fig.update_xaxes(title=f"sample (sorted by dominant component; {len(lab)} of {len(M)})",
                     showticklabels=len(lab) <= 60, type="category")
    fig.update_yaxes(title="membership (share of row of W)", range=[0, 1], tickformat=".0%")
    return _layout(fig, title, 380)


def reconstruction(x: np.ndarray, x_hat: np.ndarray, *, image_shape: Sequence[int] | None = None,
                   feature_names: Sequence | None = None, title: str | None = None) -> go.Figure:
    """Original sample vs its reconstruction: side-by-side images (plus the difference) for
    image data, else two lines over the features."""
    x, x_hat = np.asarray(x, dtype=float).ravel(), np.asarray(x_hat, dtype=float).ravel()
    if image_shape is not None:
        h, w = int(image_shape[0]), int(image_shape[1])
        top = max(float(x.max()), float(x_hat.max())) or 1.0
        diff = x_hat - x
        lim = float(np.abs(diff).max()) or 1.0
        fig = make_subplots(rows=1, cols=3, horizontal_spacing=0.08,
                            subplot_titles=("original", "reconstruction WH", "difference WH − X"))
        for c, (img, cs, lo, hi) in enumerate([(x, "Greys", 0, top), (x_hat, "Greys", 0, top),
                                              (diff, DIV, -lim, lim)]):
            fig.add_trace(go.Heatmap(
                z=img.reshape(h, w), colorscale=cs, reversescale=cs == "Greys", zmin=lo, zmax=hi,
                showscale=c == 2, colorbar=dict(title=dict(text="difference", side="right")),
                hovertemplate="row %{y}, col %{x}<br>value: %{z:.3g}<extra></extra>"),
                row=1, col=c + 1)
        fig.update_xaxes(showticklabels=False)
        fig.update_yaxes(showticklabels=False, autorange="reversed")
        for ax in ("", "2", "3"):
            fig.layout[f"yaxis{ax}"].update(scaleanchor=f"x{ax}", scaleratio=1)
        return _layout(fig, title, 330)
    names = _labels(feature_names, len(x), "feature")
    fig = go.Figure()
    for k, (vals, name, dash) in enumerate([(x, "original X", "solid"),
                                            (x_hat, "reconstruction WH", "dash")]):
        fig.add_trace(go.Scatter(x=names, y=vals, mode="lines+markers" if len(x) <= 60 else "lines",
                                 name=name, line=dict(color=color(k), dash=dash),
                                 hovertemplate=f"{name}<br>%{{x}}: %{{y:.4g}}<extra></extra>"))
    fig.update_xaxes(title="feature", showticklabels=len(x) <= 60)
    fig.update_yaxes(title="value")
    return _layout(fig, title)
