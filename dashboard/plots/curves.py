"""Convergence curves (loss and relative error vs iteration or seconds)."""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import AXIS_LABELS, color, _layout


DASHES = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def convergence(histories: Mapping[str, Mapping[str, Sequence[float]]], *, x: str = "iteration",
                y: str = "loss", log_x: bool = False, log_y: bool = True,
                title: str | None = None) -> go.Figure:
    """One line per run (``name -> history``); x/y are history keys ("iteration", "seconds",
    "loss", "rel_error"). Non-positive values are dropped on a log axis. Runs get distinct dash
    patterns as well as colours, so curves that coincide (MU and SGD often do) stay visible."""
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
            x=xs[keep], y=ys[keep], mode="lines", name=name, line=dict(color=color(i), width=2, dash=DASHES[i % len(DASHES)]),
            hovertemplate=f"<b>{name}</b><br>{AXIS_LABELS.get(x, x)}: %{{x:.4g}}"
                          f"<br>{AXIS_LABELS.get(y, y)}: %{{y:.4g}}<extra></extra>"))
    fig.update_xaxes(title=AXIS_LABELS.get(x, x), type="log" if log_x else "linear")
    top = max((float(np.nanmax(t.y)) for t in fig.data if len(t.y)), default=1.0)
    low = min((float(np.nanmin(t.y)) for t in fig.data if len(t.y)), default=1.0)
    fig.update_yaxes(title=AXIS_LABELS.get(y, y) + (" (log)" if log_y else ""),
                     type="log" if log_y else "linear",
                     tickformat=".3~s" if top >= 1e3 else ".3~g")
    if log_y and low > 0 and top / low > 10:   # over a decade: 1-2-5 ticks, whole labels
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
