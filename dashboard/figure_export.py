"""Every Plotly chart's toolbar downloads the figure as an image with a sensible file name.

``install()`` (called once by the entry script) wraps ``st.plotly_chart`` so that every chart
of every page, the lessons and pages added later included, gets Plotly's ``config`` with
``toImageButtonOptions``: a 2x PNG named after the data set and the figure's title
(``planted-loss.png``), and no Plotly logo. A page that passes its own ``config`` keeps it
(its keys win).

Plotly's toolbar takes one image format per chart through JSON config (a second button needs
a JavaScript function, which Streamlit cannot pass), so the dashboard's toolbar offers PNG;
the HTML report's figures offer both PNG and SVG (``dashboard.report``).
"""
from __future__ import annotations

import functools
import re

_MARK = "_nmfx_image_names"


def file_stem(fig, prefix: str | None = None) -> str:
    """``prefix-title`` of a figure as a file name: lower case, letters, digits and dashes."""
    title = None
    try:
        layout = fig["layout"] if isinstance(fig, dict) else fig.layout
        t = layout["title"]["text"] if isinstance(layout, dict) else layout.title.text
        title = t
        if not title:
            ann = layout["annotations"] if isinstance(layout, dict) else layout.annotations
            title = ann[0]["text"] if ann else None
    except (KeyError, AttributeError, IndexError, TypeError):
        title = None
    words = " ".join(p for p in (prefix, title or "figure") if p)
    words = re.sub(r"<[^>]+>", " ", words)
    stem = re.sub(r"[^a-z0-9]+", "-", words.lower()).strip("-")
    return stem[:80].rstrip("-") or "figure"


def image_config(fig, prefix: str | None = None, fmt: str = "png") -> dict:
    return {"displaylogo": False,
            "toImageButtonOptions": {"format": fmt, "filename": file_stem(fig, prefix),
                                     "scale": 2}}


def install(prefix_of=lambda: None) -> None:
    """Wrap ``plotly_chart`` (once per process); ``prefix_of()`` names the current data set."""
    import streamlit as st
    from streamlit.elements.plotly_chart import PlotlyMixin

    original = PlotlyMixin.plotly_chart
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def plotly_chart(self, figure_or_data, *args, config=None, **kwargs):
        try:
            base = image_config(figure_or_data, prefix_of())
        except Exception:  # noqa: BLE001 - a file name is never worth an error
            base = {}
        return original(self, figure_or_data, *args, config={**base, **(config or {})},
                        **kwargs)

    setattr(plotly_chart, _MARK, True)
    PlotlyMixin.plotly_chart = plotly_chart
    main = getattr(st.plotly_chart, "__self__", None)
    if main is not None:
        st.plotly_chart = plotly_chart.__get__(main)
