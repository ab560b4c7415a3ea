"""Pure Plotly figure builders: arrays in, ``go.Figure`` out.

No Streamlit and no nmfcore here, so tests (and the lessons) call them directly. Every figure
gets axis titles, hover labels and a readable colour scale; heatmaps with many rows are sorted
by dominant component and aggregated into bands so they stay legible.
"""
from __future__ import annotations

import math
from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22")
SEQ = "Viridis"          # non-negative magnitudes
DIV = "RdBu"             # signed differences
MAX_ROWS = 200           # beyond this many rows a heatmap is aggregated into bands
AXIS_LABELS = {"iteration": "iteration", "seconds": "wall time (s)",
               "loss": "loss (objective value)", "rel_error": "relative error ‖X−WH‖/‖X‖"}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    legend = any(getattr(t, "showlegend", None) is not False for t in fig.data) and \
        len(fig.data) > 1
    top = (40 if title else 10) + (30 if legend else 0)
    fig.update_layout(title=dict(text=title, y=0.99, yanchor="top") if title else None,
                      height=height, margin=dict(l=60, r=20, t=top, b=50),
                      template="plotly_white", hovermode="closest",
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, x=0,
                                  traceorder="normal"))
    return fig


def _labels(labels: Sequence | None, n: int, prefix: str) -> list[str]:
    if labels is None or len(labels) != n:
        return [f"{prefix} {i}" for i in range(n)]
    return [str(x) for x in labels]


def component_names(r: int) -> list[str]:
    return [f"C{k + 1}" for k in range(r)]


# ------------------------------------------------------------------ convergence curves
def convergence(histories: Mapping[str, Mapping[str, Sequence[float]]], *, x: str = "iteration",
                y: str = "loss", log_x: bool = False, log_y: bool = True,
                title: str | None = None) -> go.Figure:
    """One line per run (``name -> history``); x/y are history keys ("iteration", "seconds",
    "loss", "rel_error"). Non-positive values are dropped on a log axis."""
    fig = go.Figure()
    for i, (name, h) in enumerate(histories.items()):
        xs = np.asarray(h.get(x, []), dtype=float)
        ys = np.asarray(h.get(y, []), dtype=float)
        n = min(len(xs), len(ys))
        xs, ys = xs[:n], ys[:n]
        keep = np.isfinite(xs) & np.isfinite(ys)
        if log_y:
            keep &= ys > 0
        if log_x:
            keep &= xs > 0
        fig.add_trace(go.Scatter(
            x=xs[keep], y=ys[keep], mode="lines", name=name, line=dict(color=color(i), width=2),
            hovertemplate=f"<b>{name}</b><br>{AXIS_LABELS.get(x, x)}: %{{x:.4g}}"
                          f"<br>{AXIS_LABELS.get(y, y)}: %{{y:.4g}}<extra></extra>"))
    fig.update_xaxes(title=AXIS_LABELS.get(x, x), type="log" if log_x else "linear")
    top = max((float(np.nanmax(t.y)) for t in fig.data if len(t.y)), default=1.0)
    low = min((float(np.nanmin(t.y)) for t in fig.data if len(t.y)), default=1.0)
    fig.update_yaxes(title=AXIS_LABELS.get(y, y) + (" (log)" if log_y else ""),
                     type="log" if log_y else "linear",
                     tickformat=".3~s" if top >= 1e3 else ".3~g")
    if log_y and low > 0 and top / low > 3:
        vals = log_ticks(low, top)
        fig.update_yaxes(tickvals=vals, ticktext=[_short_number(v) for v in vals])
    return _layout(fig, title)


def log_ticks(low: float, high: float) -> list[float]:
    """1-2-5 tick values covering ``[low, high]`` (only 1s when that spans many decades)."""
    first, last = int(np.floor(np.log10(low))), int(np.ceil(np.log10(high)))
    steps = (1,) if last - first > 4 else (1, 2, 5)
    vals = [m * 10.0 ** e for e in range(first, last + 1) for m in steps]
    inside = [v for v in vals if low / 1.5 <= v <= high * 1.5]
    return inside if len(inside) >= 2 else vals


def _short_number(v: float) -> str:
    """``20000 -> '20k'``, ``0.05 -> '0.05'``: every tick label says its whole value."""
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if v >= scale:
            return f"{v / scale:g}{suffix}"
    return f"{v:g}"


# ------------------------------------------------------------------ heatmaps
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


def block_mean(C: np.ndarray, labels: Sequence[str], max_size: int = 300):
    """Average a (reordered) square matrix over consecutive blocks so at most ``max_size``
    rows remain; block labels say which samples they hold."""
    C = np.asarray(C, dtype=float)
    n = len(C)
    if n <= max_size:
        return C, list(labels)
    e = np.linspace(0, n, max_size + 1).astype(int)
    S = np.add.reduceat(np.add.reduceat(C, e[:-1], axis=0), e[:-1], axis=1)
    sizes = np.diff(e)
    names = [f"{labels[a]} … {labels[b - 1]} ({b - a})" for a, b in zip(e[:-1], e[1:])]
    return S / np.outer(sizes, sizes), names


def consensus(C: np.ndarray, order: Sequence[int] | None = None,
              labels: Sequence | None = None, title: str | None = None,
              max_size: int = 300) -> go.Figure:
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


# ------------------------------------------------------------------ components in the data's form
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
                title: str | None = None) -> go.Figure:
    """Stacked bars: each sample's share on every component (rows of W normalised), samples
    sorted by dominant component; beyond ``max_rows`` samples an evenly spaced subset is shown."""
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
    for k, name in enumerate(component_names(M.shape[1])):
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


# ------------------------------------------------------------------ rank and restarts
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
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.22 if rows == 1 else -0.08,
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


def components(H: np.ndarray, *, kind: str = "generic", image_shape: Sequence[int] | None = None,
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
                       n_top: int = 15, title: str | None = None) -> go.Figure:
    """Components of several runs. Images: one row per run, one column per component.
    Otherwise one panel per component with one line per run over the reference run's
    (first run's) ``n_top`` heaviest features: aligned runs overlap, unaligned ones do not."""
    Hs = np.asarray(Hs, dtype=float)
    n_runs, r, m = Hs.shape
    runs = list(run_names) if run_names is not None else [f"run {i + 1}" for i in range(n_runs)]
    if image_shape is not None:
        h, w = int(image_shape[0]), int(image_shape[1])
        fig = make_subplots(rows=n_runs, cols=r, horizontal_spacing=0.005,
                            vertical_spacing=0.02, row_titles=runs,
                            column_titles=component_names(r))
        for i in range(n_runs):
            for k in range(r):
                img = Hs[i, k].reshape(h, w)
                fig.add_trace(go.Heatmap(z=img / (img.max() or 1.0), colorscale="Greys",
                                         reversescale=True, zmin=0, zmax=1, showscale=False,
                                         hovertemplate=f"{runs[i]} · C{k + 1}<br>row %{{y}}, "
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
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=component_names(r),
                        vertical_spacing=0.12 if rows > 1 else 0.05)
    for k in range(r):
        idx = np.argsort(Hs[0, k])[::-1][:n_top] if m > n_top else np.arange(m)
        for i in range(n_runs):
            fig.add_trace(go.Scatter(x=[names[j] for j in idx], y=Hs[i, k, idx],
                                     mode="lines+markers", name=runs[i], legendgroup=runs[i],
                                     showlegend=k == 0, line=dict(color=color(i)),
                                     hovertemplate=f"{runs[i]} · C{k + 1}<br>%{{x}}: %{{y:.3g}}"
                                                   "<extra></extra>"),
                          row=k // cols + 1, col=k % cols + 1)
    fig.update_yaxes(title=None)
    fig.update_xaxes(tickfont=dict(size=9))
    for rr in range(1, rows + 1):
        fig.update_yaxes(title="weight (unit-norm component)", row=rr, col=1)
    return _layout(fig, title, int(260 * rows + 80))
