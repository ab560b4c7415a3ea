"""The standalone HTML report: one file, Plotly's JavaScript embedded (it opens offline and
makes no network request), with a section for each result the user computed and the Python
that reproduces it. Sections with nothing computed are left out.

No Streamlit calls: the Export page gathers the results (:func:`gather` takes plain values)
and this module turns them into HTML with the same figure builders the pages use.
"""
from __future__ import annotations

import datetime as _dt
import html
import json

import numpy as np

import nmfcore
from nmfcore import RANK_CRITERIA
from nmfcore.datasets import Dataset

from dashboard import exports, figure_export, plots, texts
from dashboard.services import criterion_panels, factor_view, truth_check

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:0}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
td,th{border:1px solid #ddd;padding:.25em .6em;text-align:right}th{background:#f4f4f4}
td:first-child,th:first-child{text-align:left}
pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.88em}
.muted{color:#666;font-size:.92em}.figure{margin:1em 0}
"""


# A second toolbar button on every figure: download it as SVG (the camera gives PNG).
_SVG_BUTTON = (f"var icon = {json.dumps(figure_export.SVG_ICON)}, "
               f"svgTitle = {json.dumps(figure_export.SVG_TITLE)};") + """
document.querySelectorAll('.figure').forEach(function (box) {
  var gd = box.querySelector('.plotly-graph-div'); if (!gd) return;
  var name = box.getAttribute('data-name') || 'figure';
  Plotly.react(gd, gd.data, gd.layout, {displaylogo: false, responsive: true,
    toImageButtonOptions: {filename: name, scale: 2},
    modeBarButtonsToAdd: [{name: svgTitle, icon: icon,
      click: function (g) { Plotly.downloadImage(g, {format: 'svg', filename: name}); }}]});
});
"""


def _esc(v) -> str:
    return html.escape(str(v))


def _num(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return "—" if not np.isfinite(v) else f"{float(v):.4g}"
    return _esc(v)


def _table(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols = list(rows[0])
    head = "".join(f"<th>{_esc(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_num(r[c])}</td>" for c in cols) + "</tr>"
                   for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _code(text: str) -> str:
    return f"<pre><code>{_esc(text)}</code></pre>"


class _Figures:
    """Figures as ``<div>`` s sharing one embedded copy of plotly.js."""

    def __init__(self):
        self.n = 0

    def __call__(self, fig, name: str) -> str:
        self.n += 1
        div = fig.to_html(full_html=False, include_plotlyjs=False, div_id=f"fig{self.n}",
                          config={"displaylogo": False,
                                  "toImageButtonOptions": {"filename": name, "scale": 2}})
        return f'<div class="figure" data-name="{_esc(name)}">{div}</div>'


def _load_line(ds: Dataset, source: str | None) -> str:
    if exports.is_demo(ds, source):
        return f"from nmfcore.datasets import load_demo\n\nX = load_demo({ds.name!r}).X\n"
    return ("import pandas as pd\n\n# data.csv: the 'data.csv' download of the Export page\n"
            "X = pd.read_csv('data.csv', index_col=0).to_numpy(dtype=float)\n")


def _kw(d: dict, drop=()) -> str:
    return ", ".join(f"{k}={exports._plain(v)!r}" for k, v in d.items()
                     if k not in drop and v is not None)


def race_snippet(ds: Dataset, source: str | None, race: dict) -> str:
    from dashboard.services import race_entries

    lines = ["import nmfcore", _load_line(ds, source),
             f"W0, H0 = nmfcore.initialize(X, {race['rank']}, init={race['init']!r}, "
             f"random_state={race['random_state']})", "results = {}"]
    for name, kw in race_entries(race):
        kw = dict(kw)
        rank = kw.pop("rank")
        lines.append(f"results[{name!r}] = nmfcore.factorize(X, {rank}, W0=W0, H0=H0, "
                     f"{_kw(kw, drop=('init',))})")
    return "\n".join(lines) + "\n"


def sweep_snippet(ds: Dataset, source: str | None, settings: dict) -> str:
    kw = dict(settings)
    lo, hi = kw.pop("ranks")
    return (f"import nmfcore\n{_load_line(ds, source)}\nres = nmfcore.rank_sweep(X, "
            f"list(range({lo}, {hi + 1})), {_kw(kw)})\nprint(res.suggestions)\n")


def restarts_snippet(ds: Dataset, source: str | None, settings: dict) -> str:
    kw = dict(settings)
    rank, n = kw.pop("rank"), kw.pop("n_restarts")
    return (f"import nmfcore\n{_load_line(ds, source)}\nres = nmfcore.restarts(X, {rank}, "
            f"n_restarts={n}, {_kw(kw)})\nprint(res.cophenetic, res.similarity.min())\n")


def sections(ds: Dataset, source: str | None, *, log=(), fit=None, race=None, sweep=None,
             restarts=None) -> list[tuple[str, str]]:
    """``(title, html)`` per computed result. ``fit``: ``(settings, NMFResult)``; ``race``:
    ``(race settings, {name: NMFResult})``; ``sweep``/``restarts``: ``(settings, outcome)``."""
    fig = _Figures()
    out = []
    n, m = ds.X.shape
    rows = [{"": "data set", "value": ds.name}, {"": "source", "value": source or "demo"},
            {"": "shape", "value": f"{n} samples × {m} features"},
            {"": "storage", "value": "sparse" if hasattr(ds.X, "toarray") else "dense"},
            {"": "kind", "value": ds.kind}]
    body = _table(rows) + (f"<p>{_esc(ds.description)}</p>" if ds.description else "")
    body += ("<p><b>Changes applied (validation log):</b> " + " → ".join(map(_esc, log))
             + "</p>") if log else "<p class='muted'>No remedies or transforms applied.</p>"
    out.append(("Data", body))

    if fit is not None:
        settings, res = fit
        name = {f"{res.solver}-{res.loss}": res.history}
        body = (f"<p>{_esc(res.solver)} · {_esc(res.loss)} · rank {res.rank}: relative error "
                f"{res.rel_error:.4g} after {res.n_iter} iterations ({res.seconds:.3g} s), "
                f"status <b>{_esc(res.status)}</b> — {_esc(res.message)}</p>")
        truth = truth_check(ds, res)
        if truth is not None:
            body += (f"<p>{truth['recovered']} of {truth['total']} known parts recovered "
                     f"(cosine ≥ {truth['threshold']}; lowest {truth['lowest']:.3f}).</p>")
        body += fig(plots.convergence(name, y="loss", title="Loss"), "fit-loss")
        body += fig(plots.convergence(name, y="rel_error", title="Relative error"),
                    "fit-rel-error")
        body += fig(plots.component_grid(res.H, kind=ds.kind, image_shape=ds.image_shape,
                                         feature_names=ds.col_labels,
                                         title="Components (rows of H)"), "fit-components")
        body += fig(plots.heatmap(res.W, row_labels=ds.row_labels,
                                  col_labels=plots.component_names(res.rank),
                                  x_title="component", y_title="sample", value_title="weight",
                                  sort_rows=True, robust=True,
                                  title="W: samples × components"), "fit-W")
        body += "<h3>Parameters and seed</h3>" + _code(json.dumps(
            {k: exports._plain(v) for k, v in res.params.items()}, indent=2))
        body += "<h3>Reproduce</h3>" + _code(exports.snippet(ds, res, source))
        out.append(("Fit & factors", body))

        view = factor_view(ds, res)
        body = fig(plots.memberships(view["M"], row_labels=ds.row_labels, classes=ds.classes,
                                     title="Soft memberships (rows of W normalised to 1)"),
                   "memberships")
        sizes = ", ".join(f"{c}: {int(v)}" for c, v in zip(plots.component_names(res.rank),
                                                           view["sizes"]))
        body += f"<p><b>Hard clusters</b> (dominant component per sample): {_esc(sizes)}</p>"
        if view["scores"]:
            body += _table([{"agreement with the known labels": k, "value": v}
                            for k, v in view["scores"].items()])
        out.append(("Memberships", body))

    if race is not None:
        settings, results = race
        results = {k: v for k, v in results.items() if v is not None}
        body = fig(plots.convergence({k: r.history for k, r in results.items()},
                                     y="rel_error", title="Relative error per iteration"),
                   "race-rel-error")
        body += _table(exports.race_table(results))
        body += "<h3>Reproduce</h3>" + _code(race_snippet(ds, source, settings))
        out.append(("Solver race", body))

    if sweep is not None:
        settings, res = sweep
        ranks = res.table.get("rank", [])
        if len(ranks):
            panels = criterion_panels(res)
            body = fig(plots.small_multiples(ranks, {
                RANK_CRITERIA[c].title: {**p, "y_title": texts.Y_TITLES.get(c)}
                for c, p in panels.items()}, ncols=3), "rank-criteria")
            body += "<ul>" + "".join(
                f"<li><b>{_esc(s['rule'])}</b> → rank <b>{s['rank'] or '—'}</b>: "
                f"{_esc(s['why'])}</li>" for s in res.suggestions) + "</ul>"
            body += _table(exports.sweep_rows(res))
            body += "<h3>Reproduce</h3>" + _code(sweep_snippet(ds, source, settings))
            out.append(("Rank sweep", body))

    if restarts is not None:
        settings, res = restarts
        body = _table([{"runs": f"{len(res.losses)} of {res.n_requested}",
                        "loss spread": f"{res.losses.max() / res.losses.min() - 1:.2%}",
                        "cophenetic": res.cophenetic, "dispersion": res.dispersion,
                        "worst component similarity": float(res.similarity.min())}])
        image = ds.image_shape if ds.kind == "image" else None
        body += fig(plots.restart_components(res.H[[res.reference]], image_shape=image,
                                             feature_names=ds.col_labels,
                                             run_names=["reference run"],
                                             title="Aligned components (reference run)"),
                    "restarts-components")
        body += fig(plots.similarity(res.similarity,
                                     title="Per-component similarity across runs"),
                    "restarts-similarity")
        if res.consensus is not None:
            Z, labels = res.consensus
            body += fig(plots.consensus(Z, labels=labels, title="Consensus matrix"),
                        "restarts-consensus")
        body += "<h3>Reproduce</h3>" + _code(restarts_snippet(ds, source, settings))
        out.append(("Restarts", body))
    return out


def build(ds: Dataset, source: str | None, **results) -> str:
    """The whole report as one HTML document (see :func:`sections` for ``results``)."""
    from plotly.offline import get_plotlyjs

    parts = sections(ds, source, **results)
    when = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    toc = "".join(f'<li><a href="#s{i}">{_esc(t)}</a></li>' for i, (t, _) in enumerate(parts))
    body = "".join(f'<h2 id="s{i}">{_esc(t)}</h2>{h}' for i, (t, h) in enumerate(parts))
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>nmf-explorer report: {_esc(ds.name)}</title><style>{_CSS}</style>"
            f"<script type='text/javascript'>{get_plotlyjs()}</script></head><body>"
            f"<h1>nmf-explorer report</h1><p class='muted'>{_esc(ds.name)} · {when} · "
            f"nmfcore {_esc(getattr(nmfcore, '__version__', ''))}</p><ul>{toc}</ul>{body}"
            f"<script>{_SVG_BUTTON}</script></body></html>")
