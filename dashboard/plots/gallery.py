"""Image galleries: many small images tiled into one heatmap (pure Plotly, arrays in).

One trace per gallery (not one subplot per image), so a grid of 25 face images draws as fast
as a single heatmap. Used by the parts-vs-wholes lesson for NMF basis images, PCA eigenimages,
k-means prototypes and a sample rebuilt by each method.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import plotly.graph_objects as go

# Photographs in their own grey levels (black = 0, white = the largest value).
PHOTO = [[0.0, "rgb(0,0,0)"], [1.0, "rgb(255,255,255)"]]
# Non-negative basis images as ink on paper: white = 0, black = the largest value, the way
# Lee & Seung (1999) drew NMF parts, so a localized part is a dark patch on white.
INK = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(0,0,0)"]]
# Signed images (PCA eigenimages): red < 0 < blue, white at zero.
DIVERGING = "RdBu"
_GAP_COLOR = "#d0d0d0"


def _scale(img: np.ndarray, signed: bool) -> float:
    finite = np.abs(img[np.isfinite(img)]) if signed else img[np.isfinite(img)]
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def image_grid(images, image_shape: Sequence[int], *, style: str = "ink", ncols: int = 7,
               titles: Sequence[str] | None = None, title: str = "", common_scale: bool = False,
               cell_px: int = 78, height: int | None = None) -> go.Figure:
    """Tile images (one per row of ``images``) into a grid drawn as one heatmap.

    Parameters
    ----------
    images : array_like of shape (k, h*w)
    image_shape : (h, w)
    style : {"ink", "photo", "signed"}
        ``"ink"``: non-negative basis images, 0 white and the maximum black.
        ``"photo"``: photographs in natural grey (0 black, maximum white).
        ``"signed"``: red for negative, blue for positive, white at 0 (with a colour bar).
    ncols : int
    titles : sequence of str or None
        A short label above each image.
    title : str
    common_scale : bool, default=False
        Scale every image by the same number (the largest over all of them) instead of each by
        its own maximum, so brightness compares across images (e.g. a sample and its rebuilds).
    cell_px : int
        Height in pixels given to one grid row.

    Returns
    -------
    plotly.graph_objects.Figure
        One ``heatmap`` trace whose ``z`` holds the tiles scaled to [0, 1] ([-1, 1] when
        signed) with NaN in the gaps; ``layout.meta`` records ``n_images``, ``image_shape`` and
        ``style`` for tests and callers.
    """
    if style not in ("ink", "photo", "signed"):
        raise ValueError(f"style must be 'ink', 'photo' or 'signed', got {style!r}")
    imgs = np.asarray(images, dtype=float)
    h, w = int(image_shape[0]), int(image_shape[1])
    if imgs.ndim != 2 or imgs.shape[1] != h * w:
        raise ValueError(f"images must have shape (k, {h * w}) for image_shape {(h, w)}, "
                         f"got {imgs.shape}")
    signed = style == "signed"
    k = imgs.shape[0]
    ncols = max(1, min(int(ncols), k))
    nrows = int(np.ceil(k / ncols)) if k else 1
    gap_y = max(2, int(np.ceil(0.28 * h))) if titles is not None else 1
    canvas = np.full((nrows * (h + gap_y) - gap_y, ncols * (w + 1) - 1), np.nan)
    shared = _scale(imgs, signed) if k else 1.0
    notes = []
    for i, img in enumerate(imgs):
        r, c = divmod(i, ncols)
        top = shared if common_scale else _scale(img, signed)
        y0, x0 = r * (h + gap_y), c * (w + 1)
        canvas[y0:y0 + h, x0:x0 + w] = img.reshape(h, w) / top
        if titles is not None:
            notes.append(dict(x=x0 + (w - 1) / 2, y=y0 - 0.7, text=str(titles[i]),
                              showarrow=False, yanchor="bottom", font=dict(size=12)))
    colorscale = {"ink": INK, "photo": PHOTO, "signed": DIVERGING}[style]
    fig = go.Figure(go.Heatmap(
        z=canvas, colorscale=colorscale, zmin=-1 if signed else 0, zmax=1,
        zmid=0 if signed else None, showscale=signed, hoverongaps=False,
        colorbar=dict(title=dict(text="÷ max |value|", side="right"), thickness=12,
                      tickvals=[-1, 0, 1]) if signed else None,
        hovertemplate="%{z:.2f}<extra></extra>"))
    extra = 20 if titles is not None else 0
    fig.update_layout(
        template="plotly_white", title=dict(text=title, x=0, xanchor="left") if title else None,
        annotations=notes, plot_bgcolor=_GAP_COLOR,
        margin=dict(l=4, r=4, t=42 if title else 8, b=4),
        height=height or int(nrows * (cell_px + extra) + (50 if title else 16)),
        meta=dict(n_images=int(k), image_shape=[h, w], style=style))
    fig.update_xaxes(visible=False, constrain="domain")
    fig.update_yaxes(visible=False, autorange="reversed", scaleanchor="x", constrain="domain")
    return fig


def rebuilt_sample(original, rebuilds: dict, image_shape: Sequence[int], *,
                   errors: dict | None = None, title: str = "",
                   style: str = "photo") -> go.Figure:
    """One sample beside its reconstruction by each method, on one shared grey scale.

    ``rebuilds`` maps a method name to that method's reconstruction of the sample;
    ``errors`` (optional) maps the same names to a number printed under the name (e.g. the
    relative error over all samples). Values below 0 (PCA can produce them) are clipped for
    display only.
    """
    names = ["original"] + list(rebuilds)
    tiles = np.vstack([np.ravel(original)] + [np.ravel(v) for v in rebuilds.values()])
    titles = ["original"] + [f"{n}: err {errors[n]:.3f}" if errors and n in errors else n
                             for n in rebuilds]
    tiles = np.clip(tiles, 0.0, None)
    fig = image_grid(tiles, image_shape, style=style, ncols=len(names), titles=titles,
                     title=title, common_scale=True, cell_px=110)
    return fig
