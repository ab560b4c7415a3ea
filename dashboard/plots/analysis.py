"""Rank-sweep small multiples and restart figures."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import PALETTE, color, _layout, _labels, component_names
from .components import _grid, component_images, component_lines, top_features


def small_multiples(x: Sequence[float], panels: Mapping[str, Mapping], *, ncols: int = 3,
                    x_title: str = "rank", title: str | None = None) -> go.Figure:
    """One panel per criterion. ``panels[name]`` holds ``"y"``, optional ``"baseline"`` (the
    shuffled-data values, drawn dashed on the same axes), ``"mark"`` (suggested x) and ``"band"``
    (per-x (low, high) spread)."""
    names = list(panels)
    rows, cols = _grid(len(names), ncols)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, horizontal_spacing=0.08,
                        vertical_spacing=0.16 if rows > 1 else 0.05)
    xs = np.asarray(x, dtype=float)
    shown = set()
    for k, name in enumerate(names):
        p, r, c = panels[name], k // cols + 1, k % cols + 1
        y = np.asarray(p["y"], dtype=float)
        fig.add_trace(go.Scatter(x=xs, y=y, mode="lines+markers", name="data",
                                 legendgroup="data", showlegend="data" not in shown,
                                 line=dict(color=PALETTE[0]),
                                 hovertemplate=f"{name}<br>{x_title} %{{x}}: %{{y:.4g}}"
                                               "<extra>data</extra>"), row=r, col=c)
        shown.add("data")
        base = p.get("baseline")
        if base is not None and np.isfinite(np.asarray(base, dtype=float)).any():
            fig.add_trace(go.Scatter(x=xs, y=np.asarray(base, dtype=float), mode="lines+markers",
                                     name="shuffled data (baseline)", legendgroup="base",
                                     showlegend="base" not in shown,
                                     line=dict(color="#7f7f7f", dash="dash"),
                                     hovertemplate=f"{name} (shuffled)<br>{x_title} %{{x}}: "
                                                   "%{y:.4g}<extra>baseline</extra>"),
                          row=r, col=c)
            shown.add("base")
        mark = p.get("mark")
        if mark is not None and np.isfinite(mark):
            hit = np.flatnonzero(xs == mark)
            yv = y[hit[0]] if len(hit) else np.nan
            fig.add_trace(go.Scatter(x=[mark], y=[yv], mode="markers", name="suggested rank",
                                     legendgroup="mark", showlegend="mark" not in shown,
                                     marker=dict(symbol="star", size=16, color=PALETTE[1]),
                                     hovertemplate=f"{name}: suggests {x_title} %{{x}}"
                                                   "<extra></extra>"), row=r, col=c)
            shown.add("mark")
        fig.update_xaxes(title=x_title if r == rows else None, dtick=1, row=r, col=c)
        fig.update_yaxes(title=p.get("y_title"), row=r, col=c)
    _layout(fig, title, int(260 * rows + 110))
    fig.update_layout(showlegend=len(shown) > 1)
    fig.update_layout(legend=dict(orientation="h", yref="paper", yanchor="top",
                                  y=-0.22 if rows == 1 else -0.08,
                                  x=0, font=dict(size=11)),
                      margin=dict(t=60 if title else 40, b=90))
    return fig


def distribution(values: Sequence[float], *, x_title: str = "final loss",
                 title: str | None = None, names: Sequence | None = None) -> go.Figure:
    """Strip + box of one number per run (e.g. final loss of every restart)."""
    v = np.asarray(values, dtype=float)
    names = _labels(names, len(v), "run")
    fig = go.Figure(go.Box(x=v, boxpoints="all", jitter=0.4, pointpos=0, name="runs",
                           text=names, marker=dict(color=PALETTE[0], size=9),
                           line=dict(color=PALETTE[0]), fillcolor="rgba(31,119,180,0.15)",
                           hovertemplate="%{text}<br>" + x_title + ": %{x:.6g}<extra></extra>"))
    fig.update_xaxes(title=x_title, tickformat=".4~s" if np.nanmax(np.abs(v)) >= 1e4 else ".4~g")
    fig.update_yaxes(title=None, showticklabels=False)
    return _layout(fig, title, 260)


def similarity(S: np.ndarray, *, title: str | None = None,
               y_title: str = "cosine similarity to reference") -> go.Figure:
    """Per-component similarity across restarts: ``S`` is (n_restarts, r); one box per
    component (1 = the same component found every time)."""
    S = np.atleast_2d(np.asarray(S, dtype=float))
    fig = go.Figure()
    for k, name in enumerate(component_names(S.shape[1])):
        fig.add_trace(go.Box(y=S[:, k], name=name, boxpoints="all", jitter=0.3, pointpos=0,
                             marker=dict(color=color(k)), line=dict(color=color(k)),
                             showlegend=False,
                             hovertemplate=f"{name}<br>similarity %{{y:.3f}}<extra></extra>"))
    fig.update_xaxes(title="component (after alignment)")
    lo = float(np.nanmin(S)) if S.size else 0.0
    fig.update_yaxes(title=y_title, range=[min(0.0, lo) if lo < 0.5 else max(0.0, lo - 0.05),
                                           1.02])
    return _layout(fig, title, 320)


def component_grid(H: np.ndarray, *, kind: str = "generic",
                   image_shape: Sequence[int] | None = None,
                   feature_names: Sequence | None = None, titles: Sequence | None = None,
                   title: str | None = None, n_top: int = 10) -> go.Figure:
    """Components in the data's own form: images (image data), top-feature bars (text/count
    data), lines (spectra and anything else with many features)."""
    H = np.asarray(H, dtype=float)
    if kind == "image" and image_shape is not None:
        return component_images(H, image_shape, titles=titles, title=title)
    if kind == "text" or (kind == "generic" and H.shape[1] > 30 and feature_names is not None):
        return top_features(H, feature_names, n_top=n_top, titles=titles, title=title)
    x_title = "channel" if kind == "spectra" else "feature"
    return component_lines(H, feature_names, names=titles, x_title=x_title, title=title)


def restart_components(Hs: np.ndarray, *, image_shape: Sequence[int] | None = None,
                       feature_names: Sequence | None = None, run_names: Sequence | None = None,
                       n_top: int = 15, title: str | None = None,
                       component_titles: Sequence | None = None) -> go.Figure:
    """Components of several runs. Images: one row per run, one column per component.
    Otherwise one panel per component with one line per run over the reference run's
    (first run's) ``n_top`` heaviest features: aligned runs overlap, unaligned ones do not.
    ``component_titles``: a title per component (default C1, C2, ...)."""
    Hs = np.asarray(Hs, dtype=float)
    n_runs, r, m = Hs.shape
    runs = list(run_names) if run_names is not None else [f"run {i + 1}" for i in range(n_runs)]
    ctitles = [str(t) for t in component_titles] if component_titles is not None \
        else component_names(r)
    if image_shape is not None:
        h, w = int(image_shape[0]), int(image_shape[1])
        fig = make_subplots(rows=n_runs, cols=r, horizontal_spacing=0.005,
                            vertical_spacing=0.02, row_titles=runs,
                            column_titles=ctitles)
        for i in range(n_runs):
            for k in range(r):
                img = Hs[i, k].reshape(h, w)
                fig.add_trace(go.Heatmap(z=img / (img.max() or 1.0), colorscale="Greys",
                                         reversescale=True, zmin=0, zmax=1, showscale=False,
                                         hovertemplate=f"{runs[i]} · {ctitles[k]}<br>row %{{y}}, "
                                                       "col %{x}<extra></extra>"),
                              row=i + 1, col=k + 1)
        fig.update_xaxes(showticklabels=False, constrain="domain")
        fig.update_yaxes(showticklabels=False, autorange="reversed", constrain="domain")
        for k in range(n_runs * r):
            ax = "" if k == 0 else str(k + 1)
            fig.layout[f"yaxis{ax}"].update(scaleanchor=f"x{ax}", scaleratio=1)
        cell = max(40, min(110, 1000 // max(r, 1)))
        return _layout(fig, title, int(cell * h / w * n_runs + 100))
    names = _labels(feature_names, m, "feature")
    rows, cols = _grid(r, 4)
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=ctitles,
                        vertical_spacing=0.12 if rows > 1 else 0.05)
    for k in range(r):
        idx = np.argsort(Hs[0, k])[::-1][:n_top] if m > n_top else np.arange(m)
        for i in range(n_runs):
            fig.add_trace(go.Scatter(x=[names[j] for j in idx], y=Hs[i, k, idx],
                                     mode="lines+markers", name=runs[i], legendgroup=runs[i],
                                     showlegend=k == 0, line=dict(color=color(i)),
                                     hovertemplate=f"{runs[i]} · {ctitles[k]}<br>%{{x}}: %{{y:.3g}}"
                                                   "<extra></extra>"),
                          row=k // cols + 1, col=k % cols + 1)
    fig.update_yaxes(title=None)
    fig.update_xaxes(tickfont=dict(size=9))
    for rr in range(1, rows + 1):
        fig.update_yaxes(title="weight (unit-norm component)", row=rr, col=1)
    return _layout(fig, title, int(260 * rows + 80))
