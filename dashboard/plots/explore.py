"""Figures for working with a fit: the sample map, the intertopic map, relevance bars."""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

from ._style import PALETTE, _labels, _layout, color

# Above this many points the map is drawn with WebGL (selection works the same).
WEBGL_POINTS = 3000
_GREY = "#b0b7c3"


def sample_map(xy: np.ndarray, groups: Sequence, group_names: Sequence[str], *,
               row_labels: Sequence | None = None, color_title: str = "dominant component",
               axis_titles: tuple[str, str] = ("axis 1", "axis 2"),
               title: str | None = None) -> go.Figure:
    """Samples as points, one trace (colour, legend entry) per group; ``customdata`` holds each
    point's row index, so a box or lasso selection maps back to rows. A drag selects (the
    figure opens in box-select mode)."""
    xy = np.asarray(xy, dtype=float)
    groups = np.asarray(groups)
    labels = _labels(row_labels, len(xy), "sample")
    Trace = go.Scattergl if len(xy) > WEBGL_POINTS else go.Scatter
    fig = go.Figure()
    for g, name in enumerate(group_names):
        idx = np.flatnonzero(groups == g)
        if not len(idx):
            continue
        fig.add_trace(Trace(
            x=xy[idx, 0], y=xy[idx, 1], mode="markers", name=str(name),
            marker=dict(color=color(g), size=8 if len(xy) <= 500 else 5, opacity=0.8,
                        line=dict(width=0)),
            customdata=idx, text=[labels[i] for i in idx],
            hovertemplate=f"%{{text}}<br>{name}<extra></extra>"))
    fig.update_xaxes(title=axis_titles[0], zeroline=False)
    fig.update_yaxes(title=axis_titles[1], zeroline=False, scaleanchor="x", scaleratio=1)
    _layout(fig, title, 520)
    fig.update_layout(dragmode="select", legend_title_text=color_title,
                      legend=dict(orientation="v", yref="paper", yanchor="top", y=1, x=1.02,
                                  xanchor="left"),
                      margin=dict(r=180))
    return fig


def topic_map(coords: np.ndarray, shares: np.ndarray, names: Sequence[str], *,
              selected: int | None = None, title: str | None = None) -> go.Figure:
    """Intertopic distance map: one bubble per topic at its MDS position, area proportional to
    its share of the total weight, numbered like the components; the selected one in red.
    ``customdata`` is the topic index (clicking a bubble selects it)."""
    coords = np.asarray(coords, dtype=float)
    shares = np.asarray(shares, dtype=float)
    r = len(shares)
    area = np.maximum(shares, 0) / max(float(shares.max()), 1e-300)
    size = 14 + 40 * np.sqrt(area)        # diameter: area grows with the share
    colours = [PALETTE[1] if k == selected else "rgba(31,119,180,0.45)" for k in range(r)]
    fig = go.Figure(go.Scatter(
        x=coords[:, 0], y=coords[:, 1], mode="markers+text", text=[str(k + 1) for k in range(r)],
        textfont=dict(color="white", size=12), customdata=np.arange(r),
        marker=dict(size=size, color=colours, line=dict(color="white", width=1)),
        hovertext=[f"{names[k]}<br>share of weight {shares[k]:.1%}" for k in range(r)],
        hovertemplate="%{hovertext}<extra></extra>", showlegend=False))
    span = float(np.ptp(coords, axis=0).max()) if r > 1 else 1.0
    pad = 0.18 * (span or 1.0)
    fig.update_xaxes(title="MDS axis 1", zeroline=True, showticklabels=False,
                     range=[coords[:, 0].min() - pad, coords[:, 0].max() + pad])
    fig.update_yaxes(title="MDS axis 2", zeroline=True, showticklabels=False, scaleanchor="x",
                     range=[coords[:, 1].min() - pad, coords[:, 1].max() + pad])
    return _layout(fig, title, 480)


def term_bars(terms: Sequence[str], in_topic: np.ndarray, overall: np.ndarray, *,
              topic_name: str = "topic", title: str | None = None) -> go.Figure:
    """LDAvis-style bars, most relevant term on top: the term's overall total (grey) with the
    part the topic accounts for drawn over it (red)."""
    terms = [str(t) for t in terms][::-1]
    in_topic = np.asarray(in_topic, dtype=float)[::-1]
    overall = np.asarray(overall, dtype=float)[::-1]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=terms, x=overall, orientation="h", name="overall total",
                         marker_color=_GREY,
                         hovertemplate="%{y}<br>overall: %{x:.4g}<extra></extra>"))
    fig.add_trace(go.Bar(y=terms, x=in_topic, orientation="h", name=f"in {topic_name}",
                         marker_color=PALETTE[1],
                         hovertemplate="%{y}<br>in topic: %{x:.4g}<extra></extra>"))
    fig.update_layout(barmode="overlay", bargap=0.15)
    fig.update_xaxes(title="weight (sum over samples)")
    fig.update_yaxes(type="category", tickfont=dict(size=11), automargin=True)
    return _layout(fig, title, int(max(320, 20 * len(terms) + 110)))
