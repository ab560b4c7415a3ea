"""Shared look of every figure: palette, colour scales, layout, labels."""
from __future__ import annotations

from typing import Sequence

import plotly.graph_objects as go

from nmfcore.limits import MAX_HEATMAP_ROWS


PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
           "#e377c2", "#7f7f7f", "#bcbd22")
SEQ = "Viridis"          # non-negative magnitudes
DIV = "RdBu"             # signed differences
MAX_ROWS = MAX_HEATMAP_ROWS   # beyond this many rows a heatmap is aggregated into bands
AXIS_LABELS = {"iteration": "iteration", "seconds": "wall time (s)",
               "loss": "loss (objective value)", "rel_error": "relative error ‖X−WH‖/‖X‖"}


def color(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _layout(fig: go.Figure, title: str | None = None, height: int = 380) -> go.Figure:
    legend = any(getattr(t, "showlegend", None) is not False for t in fig.data) and \
        len(fig.data) > 1
    head = 40 if title else 10
    # subplot titles sit just above each panel: a legend on top of the plot would cover them,
    # so it goes in its own row under the title (placed in figure pixels, not plot units)
    above_titles = legend and any(a.yref == "paper" and a.y is not None and a.y >= 1
                                  for a in fig.layout.annotations)
    top = head + (30 if legend else 0) + (22 if above_titles else 0)
    where = (dict(yref="container", yanchor="top", y=1 - head / height) if above_titles
             else dict(yanchor="bottom", y=1.0))
    fig.update_layout(title=dict(text=title, y=0.99, yanchor="top") if title else None,
                      height=height, margin=dict(l=60, r=20, t=top, b=50),
                      template="plotly_white", hovermode="closest",
                      legend=dict(orientation="h", x=0, traceorder="normal", **where))
    return fig


def _labels(labels: Sequence | None, n: int, prefix: str) -> list[str]:
    if labels is None or len(labels) != n:
        return [f"{prefix} {i}" for i in range(n)]
    return [str(x) for x in labels]


def component_names(r: int) -> list[str]:
    return [f"C{k + 1}" for k in range(r)]
