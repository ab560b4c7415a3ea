"""Figures of the Learn section (pure functions: arrays in, figures out), in the same palette
and colour scales as the Explore figures (``_style``): component k has one colour everywhere."""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ._style import DIV as DIVERGING, PALETTE, SEQ

__all__ = ["SEQ", "DIVERGING", "PALETTE", "mosaic", "matrix_panels", "lines",
           "stacked_memberships", "signed_heatmap", "bars", "scatter_xy", "strip", "grouped_bars",
           "fitted_by_count"]
_LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=40, b=10))


def _sym_range(A) -> float:
    A = np.asarray(A, dtype=float)
    finite = A[np.isfinite(A)]
    return float(np.max(np.abs(finite))) if finite.size else 1.0


def mosaic(images, image_shape, *, ncols: int = 8, titles=None, diverging: bool = False,
           title: str = "", height: int | None = None, common_scale: bool = False) -> go.Figure:
    """Tile a stack of images into one heatmap (one trace, fast to draw).

    Parameters
    ----------
    images : array_like of shape (k, h*w)
        One image per row.
    image_shape : tuple of int
        ``(h, w)``.
    ncols : int, default=8
    titles : list of str or None
        One short label per image, drawn above it.
    diverging : bool, default=False
        Red-blue scale centred on zero (for signed images such as PCA components); each
        image is scaled by its own largest magnitude. Otherwise each image is scaled to
        [0, 1] on a sequential scale.
    title : str
    height : int or None
    common_scale : bool, default=False
        Scale every image by the same number (the largest over all images) so that their
        brightness can be compared, e.g. weighted parts that add up to a sample.
    """
    imgs = np.asarray(images, dtype=float)
    h, w = image_shape
    k = imgs.shape[0]
    ncols = max(1, min(ncols, k))
    nrows = int(np.ceil(k / ncols))
    gap = max(1, int(np.ceil(0.3 * h))) if titles is not None else 1  # room for labels
    canvas = np.full((nrows * (h + gap) - gap, ncols * (w + 1) - 1), np.nan)
    annotations = []
    shared = _sym_range(imgs) if diverging else max(float(np.nanmax(imgs)), 1e-12)
    for i, img in enumerate(imgs):
        own = _sym_range(img) if diverging else max(float(np.nanmax(img)), 1e-12)
        scale = shared if common_scale else own
        r, c = divmod(i, ncols)
        canvas[r * (h + gap):r * (h + gap) + h, c * (w + 1):c * (w + 1) + w] = (
            img.reshape(h, w) / scale)
        if titles is not None:
            annotations.append(dict(x=c * (w + 1) + (w - 1) / 2, y=r * (h + gap) - 0.6,
                                    text=str(titles[i]), showarrow=False, yanchor="bottom",
                                    font=dict(size=11)))
    trace = go.Heatmap(z=canvas, colorscale=DIVERGING if diverging else "Greys",
                       zmid=0 if diverging else None,
                       zmin=-1 if diverging else 0, zmax=1, showscale=diverging,
                       hoverongaps=False, hovertemplate="%{z:.2f}<extra></extra>")
    fig = go.Figure(trace)
    extra = 18 if titles is not None else 0
    cell = 60 if max(h, w) <= 16 else 80
    fig.update_layout(**_LAYOUT, title=title, annotations=annotations, plot_bgcolor="#c8c8c8",
                      height=height or int(nrows * (cell + extra) + 60))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    return fig


def matrix_panels(mats: dict, *, diverging=(), text: bool = True, height: int = 300,
                  title: str = "", fmt: str = ".2f", colorscales: dict | None = None,
                  zmid: dict | None = None) -> go.Figure:
    """Small matrices side by side, each as an annotated heatmap.

    Parameters
    ----------
    mats : dict of str -> 2-D array
        Panel title -> matrix.
    diverging : collection of str
        Panel titles drawn on the red-blue scale centred on ``zmid`` (default 0).
    text : bool, default=True
        Print each value in its cell.
    colorscales, zmid : dict, optional
        Per-panel overrides.
    """
    names = list(mats)
    widths = [max(np.asarray(mats[n]).shape[1], 1) + 1 for n in names]
    fig = make_subplots(rows=1, cols=len(names), subplot_titles=names,
                        column_widths=[w / sum(widths) for w in widths],
                        horizontal_spacing=0.04)
    for j, name in enumerate(names, start=1):
        A = np.asarray(mats[name], dtype=float)
        div = name in diverging
        mid = (zmid or {}).get(name, 0.0)
        scale = (colorscales or {}).get(name, DIVERGING if div else "Blues")
        kw = {}
        if div:
            half = max(_sym_range(A - mid), 1e-12)
            kw = dict(zmin=mid - half, zmax=mid + half)
        shown = np.where(np.isfinite(A), A, np.nan)
        labels = [["nan" if not np.isfinite(v) else format(v, fmt) for v in row] for row in A]
        fig.add_trace(go.Heatmap(z=shown, colorscale=scale, showscale=False,
                                 text=labels if text else None,
                                 texttemplate="%{text}" if text else None,
                                 textfont=dict(size=11),
                                 hovertemplate=name + "[%{y},%{x}] = %{z:.4g}<extra></extra>",
                                 **kw), row=1, col=j)
        fig.update_yaxes(autorange="reversed", showticklabels=False, row=1, col=j)
        fig.update_xaxes(showticklabels=False, row=1, col=j)
    fig.update_layout(**_LAYOUT, height=height, title=title)
    fig.update_layout(margin=dict(l=10, r=10, t=70, b=10))
    return fig


def lines(x, series: dict, *, title: str = "", xlabel: str = "", ylabel: str = "",
          log_y: bool = False, markers: bool = False, dash: dict | None = None,
          height: int = 320, vline: float | None = None, hline: float | None = None,
          vline_label: str = "", colors: dict | None = None) -> go.Figure:
    """Line chart of several named series sharing ``x`` (or each given as ``(x, y)``).

    ``dash`` and ``colors`` map a series name to a Plotly dash style / colour.
    """
    fig = go.Figure()
    for i, (name, ys) in enumerate(series.items()):
        xs, y = (ys if isinstance(ys, tuple) else (x, ys))
        fig.add_trace(go.Scatter(x=np.asarray(xs), y=np.asarray(y, dtype=float), name=name,
                                 mode="lines+markers" if markers else "lines",
                                 line=dict(color=(colors or {}).get(
                                     name, PALETTE[i % len(PALETTE)]),
                                           dash=(dash or {}).get(name, "solid"))))
    if vline is not None:
        fig.add_vline(x=vline, line=dict(color="grey", dash="dot"),
                      annotation_text=vline_label)
    if hline is not None:
        fig.add_hline(y=hline, line=dict(color="black", width=1))
    fig.update_layout(**_LAYOUT, title=title, height=height, xaxis_title=xlabel,
                      yaxis_title=ylabel, legend=dict(orientation="h", y=-0.25))
    if log_y:
        fig.update_yaxes(type="log")
    grid = np.asarray(x) if x is not None else np.empty(0)
    if grid.size and np.issubdtype(grid.dtype, np.integer) and np.ptp(grid) <= 20:
        fig.update_xaxes(dtick=1)    # ranks, steps: no ticks between whole numbers
    return fig


def stacked_memberships(M, *, order=None, highlight: int | None = None, labels=None,
                        title: str = "", height: int = 330) -> go.Figure:
    """Stacked bars: one bar per sample, one colour per component (rows of M sum to 1).

    ``labels`` (hard cluster labels) are drawn as a coloured strip of markers under the bars.
    """
    M = np.asarray(M, dtype=float)
    order = np.arange(M.shape[0]) if order is None else np.asarray(order)
    xs = np.arange(order.size)
    fig = go.Figure()
    for k in range(M.shape[1]):
        fig.add_trace(go.Bar(x=xs, y=M[order, k], name=f"component {k + 1}",
                             marker_color=PALETTE[k % len(PALETTE)],
                             customdata=order, marker_line_width=0,
                             hovertemplate="sample %{customdata}: %{y:.2f}<extra></extra>"))
    if labels is not None:
        lab = np.asarray(labels)[order]
        fig.add_trace(go.Scatter(x=xs, y=np.full(xs.size, -0.08), mode="markers",
                                 marker=dict(symbol="square", size=6,
                                             color=[PALETTE[int(v) % len(PALETTE)] for v in lab]),
                                 name="k-means label", customdata=lab,
                                 hovertemplate="k-means cluster %{customdata}<extra></extra>"))
    if highlight is not None and highlight in set(order.tolist()):
        pos = int(np.flatnonzero(order == highlight)[0])
        fig.add_annotation(x=pos, y=1.02, text=f"sample {highlight}", showarrow=True,
                           arrowhead=2, ay=-30)
    fig.update_layout(**_LAYOUT, barmode="stack", bargap=0, title=title, height=height,
                      xaxis_title="samples (sorted by strongest component)",
                      yaxis=dict(title="membership", range=[-0.14, 1.12]),
                      legend=dict(orientation="h", y=-0.3))
    return fig


def signed_heatmap(A, *, title: str = "", xlabel: str = "", ylabel: str = "",
                   height: int = 320, xticks=None, signed: bool = True) -> go.Figure:
    """One matrix on the red-blue scale centred on zero (negative entries stand out in red).

    ``signed=False`` draws non-negative data (shares, weights) on a plain blue scale from 0.
    """
    A = np.asarray(A, dtype=float)
    half = max(_sym_range(A), 1e-12)
    scale = dict(colorscale=DIVERGING, zmid=0, zmin=-half, zmax=half) if signed else dict(
        colorscale="Blues", zmin=0, zmax=half)
    fig = go.Figure(go.Heatmap(z=A, x=xticks, hovertemplate="%{z:.3f}<extra></extra>",
                               **scale))
    fig.update_layout(**_LAYOUT, title=title, height=height, xaxis_title=xlabel,
                      yaxis_title=ylabel)
    fig.update_yaxes(autorange="reversed")
    return fig


def bars(names, values, *, title: str = "", ylabel: str = "", height: int = 300,
         colors=None, text_fmt: str = ".3g") -> go.Figure:
    """A simple labelled bar chart."""
    values = np.asarray(values, dtype=float)
    fig = go.Figure(go.Bar(x=list(names), y=values,
                           marker_color=colors or list(PALETTE[:len(values)]),
                           text=[format(v, text_fmt) for v in values], textposition="auto"))
    fig.update_layout(**_LAYOUT, title=title, height=height, yaxis_title=ylabel)
    return fig


def scatter_xy(x, y, *, groups=None, title: str = "", xlabel: str = "", ylabel: str = "",
               diagonal: bool = False, height: int = 340, hover=None) -> go.Figure:
    """Scatter of y against x, optionally coloured by group and with the y = x line."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    fig = go.Figure()
    if groups is None:
        groups = np.full(x.size, "all", dtype=object)
        names = ["all"]
    else:
        groups = np.asarray(groups, dtype=object)
        names = list(dict.fromkeys(groups.tolist()))
    for i, g in enumerate(names):
        sel = groups == g
        fig.add_trace(go.Scatter(x=x[sel], y=y[sel], mode="markers", name=str(g),
                                 showlegend=len(names) > 1,
                                 text=None if hover is None else np.asarray(hover)[sel],
                                 marker=dict(size=6, opacity=0.7,
                                             color=PALETTE[i % len(PALETTE)])))
    if diagonal and x.size:
        lo, hi = float(min(x.min(), y.min())), float(max(x.max(), y.max()))
        fig.add_trace(go.Scatter(x=[lo, hi], y=[lo, hi], mode="lines", name="y = x",
                                 line=dict(color="grey", dash="dot")))
    fig.update_layout(**_LAYOUT, title=title, height=height, xaxis_title=xlabel,
                      yaxis_title=ylabel, legend=dict(orientation="h", y=-0.25))
    return fig


def strip(groups: dict, *, title: str = "", ylabel: str = "", height: int = 320,
          log_y: bool = False) -> go.Figure:
    """One column of points per group (with a box when a group has several values)."""
    fig = go.Figure()
    for i, (name, vals) in enumerate(groups.items()):
        vals = np.asarray(vals, dtype=float)
        fig.add_trace(go.Box(y=vals, name=name, boxpoints="all", jitter=0.3, pointpos=0,
                             marker=dict(color=PALETTE[i % len(PALETTE)], size=8),
                             line=dict(width=1 if vals.size > 1 else 0),
                             fillcolor="rgba(0,0,0,0)"))
    fig.update_layout(**_LAYOUT, title=title, height=height, yaxis_title=ylabel,
                      showlegend=False)
    if log_y:
        fig.update_yaxes(type="log")
    return fig


def grouped_bars(categories, series: dict, *, title: str = "", xlabel: str = "",
                 ylabel: str = "", height: int = 340, text_fmt: str = ".0%") -> go.Figure:
    """Bars grouped by category, one colour per named series."""
    fig = go.Figure()
    for i, (name, vals) in enumerate(series.items()):
        vals = np.asarray(vals, dtype=float)
        fig.add_trace(go.Bar(x=list(categories), y=vals, name=name,
                             marker_color=PALETTE[i % len(PALETTE)],
                             text=[format(v, text_fmt) for v in vals], textposition="outside"))
    fig.update_layout(**_LAYOUT, barmode="group", title=title, height=height,
                      xaxis_title=xlabel, yaxis_title=ylabel,
                      legend=dict(orientation="h", y=-0.3))
    return fig


def fitted_by_count(observed, series: dict, *, title: str = "", height: int = 380,
                    xlabel: str = "observed count X_ij", ylabel: str = "mean fitted (WH)_ij"
                    ) -> go.Figure:
    """Mean fitted value against the observed value, both on log axes, one line per fit
    (``series``: name -> mean fitted value at each of ``observed``), with the diagonal
    "fitted = observed": where a line leaves the diagonal, that fit misses those counts."""
    x = np.asarray(observed, dtype=float)
    fig = go.Figure(go.Scatter(x=x, y=x, mode="lines", name="fitted = observed",
                               line=dict(color="#999999", dash="dot")))
    for i, (name, vals) in enumerate(series.items()):
        fig.add_trace(go.Scatter(x=x, y=np.asarray(vals, dtype=float), mode="lines+markers",
                                 name=name, line=dict(color=PALETTE[i % len(PALETTE)])))
    fig.update_layout(**_LAYOUT, title=title, height=height, xaxis_title=xlabel,
                      yaxis_title=ylabel, legend=dict(orientation="h", y=-0.25))
    values = np.concatenate([x] + [np.asarray(v, dtype=float) for v in series.values()])
    values = values[np.isfinite(values) & (values > 0)]
    # 1-2-5 ticks, labelled in plain numbers: Plotly's own log ticks label 2 and 5 of every
    # decade without the decade ("2, 5, 10, 2, 5, 100"), which reads as a jumble
    for axis, vals in ((fig.update_xaxes, x[x > 0]), (fig.update_yaxes, values)):
        ticks = _log_ticks(vals.min(), vals.max()) if vals.size else []
        axis(type="log", tickvals=ticks, ticktext=[f"{t:g}" for t in ticks])
    return fig


def _log_ticks(lo: float, hi: float) -> list[float]:
    """The values 1, 2 and 5 times a power of ten from the last at or below ``lo`` to the
    first at or above ``hi`` (both exist: the decades run from below ``lo`` to above ``hi``)."""
    first, last = int(np.floor(np.log10(lo))), int(np.floor(np.log10(hi))) + 1
    ticks = [float(f"{m * 10.0 ** k:.3g}") for k in range(first, last + 1) for m in (1, 2, 5)]
    low = max(t for t in ticks if t <= lo)
    high = min(t for t in ticks if t >= hi)
    return [t for t in ticks if low <= t <= high]
