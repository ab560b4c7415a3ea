"""Every Plotly chart's toolbar downloads the figure as an image with a sensible file name.

``install()`` (called once by the entry script) wraps ``st.plotly_chart`` so that every chart
of every page, the lessons and pages added later included, gets Plotly's ``config`` with
``toImageButtonOptions``: a 2x PNG named after the data set and the figure's title
(``planted-loss.png``), and no Plotly logo. A page that passes its own ``config`` keeps it
(its keys win).

Plotly's JSON config takes one image format per chart (a second toolbar button needs a
JavaScript function, which ``config`` cannot carry), so ``svg_button()`` (also called once per
run by the entry script) adds a small script through ``st.html``: it puts a second button,
"Download plot as SVG", next to the camera on every chart's toolbar. The button asks the
camera for one SVG download of the same chart under the same name (``planted-loss.svg``): it
sets the chart's ``toImageButtonOptions.format`` to ``"svg"`` for the length of one click,
so the SVG is Plotly's own export, drawn from the chart as the user sees it (zoom included).
The HTML report's figures get the same two buttons from ``dashboard.report``.
"""
from __future__ import annotations

import functools
import json
import re

_MARK = "_nmfx_image_names"

SVG_TITLE = "Download plot as SVG"

# A download arrow over a tray (Plotly's icon format: a path in a 1000 x 1000 box, y down).
SVG_ICON = {"width": 1000, "height": 1000,
            "path": "M440 60h120v420h180L500 760 260 480h180zM120 840h760v100H120z"}

# Runs in the app's page: watches the document for Plotly toolbars and gives each one an SVG
# button beside the camera. Idempotent: a second copy of the script does nothing.
_SVG_SCRIPT = """
(function () {
  if (window.__nmfxSvgButtons) return;
  window.__nmfxSvgButtons = true;
  var TITLE = %(title)s, ICON = %(icon)s, NS = 'http://www.w3.org/2000/svg';
  function button(gd, camera) {
    var b = document.createElement(camera.tagName);
    if (camera.tagName === 'BUTTON') b.type = 'button';
    b.className = 'modebar-btn'; b.setAttribute('rel', 'tooltip');
    b.setAttribute('data-title', TITLE); b.setAttribute('aria-label', TITLE);
    b.setAttribute('data-gravity', camera.getAttribute('data-gravity') || 'n');
    b.setAttribute('data-nmfx-svg', '1');
    var svg = document.createElementNS(NS, 'svg');
    svg.setAttribute('viewBox', '0 0 ' + ICON.width + ' ' + ICON.height);
    svg.setAttribute('height', '1em'); svg.setAttribute('width', '1em');
    svg.setAttribute('class', 'icon');
    var path = document.createElementNS(NS, 'path');
    path.setAttribute('d', ICON.path);
    var cam = camera.querySelector('path'), idle = cam ? cam.style.fill : '';
    path.style.fill = idle;
    svg.appendChild(path); b.appendChild(svg);
    b.addEventListener('mouseenter', function () { path.style.fill = 'rgba(68, 68, 68, 0.7)'; });
    b.addEventListener('mouseleave', function () { path.style.fill = idle; });
    b.addEventListener('click', function (ev) {
      ev.preventDefault(); ev.stopPropagation();
      var o = gd._context && gd._context.toImageButtonOptions;
      if (!o) return;
      var format = o.format, scale = o.scale;
      o.format = 'svg'; o.scale = 1;
      try { camera.dispatchEvent(new MouseEvent('click', {bubbles: true})); }
      finally { o.format = format; o.scale = scale; }
    });
    camera.parentNode.insertBefore(b, camera.nextSibling);
  }
  function scan() {
    document.querySelectorAll('.js-plotly-plot').forEach(function (gd) {
      var camera = gd.querySelector('.modebar .modebar-btn[data-title^="Download plot"]' +
                                    ':not([data-nmfx-svg])');
      if (camera && !gd.querySelector('.modebar [data-nmfx-svg]')) button(gd, camera);
    });
  }
  var queued = false;
  new MutationObserver(function () {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; scan(); });
  }).observe(document.body, {childList: true, subtree: true});
  scan();
})();
"""


def svg_script() -> str:
    """The page script that adds the SVG button to every Plotly toolbar (see the module)."""
    return _SVG_SCRIPT % {"title": json.dumps(SVG_TITLE), "icon": json.dumps(SVG_ICON)}


def svg_button(container=None) -> None:
    """Put the SVG-button script on the page (once per run; the script itself runs once)."""
    import streamlit as st
    (container or st.sidebar).html(f"<script>{svg_script()}</script>",
                                   unsafe_allow_javascript=True)


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
