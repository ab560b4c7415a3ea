"""Export: a standalone HTML report of everything computed, every page's tables as CSV, and the
last fit's settings as JSON plus a Python snippet that reproduces it with nmfcore."""
import streamlit as st

from dashboard import exports, report, state

st.title("Export")
ds = state.get_dataset()
if ds is None:
    st.info("No data set yet: pick one on the Data page.")
    st.stop()
source = state.dataset_source()
last = state.get_last_fit()
fit = (last["settings"], last["outcome"]) \
    if last is not None and last["dataset_key"] == state.dataset_key() else None
race, sweep, rst = state.latest("race"), state.latest("rank"), state.latest("restarts")
log = state.change_log()


def _dl(label, data, fname, mime="text/csv", key=None, help=None):
    st.download_button(label, data, fname, mime, key=key or f"export_{fname}",
                       on_click="ignore", icon=":material/download:", help=help)


# --------------------------------------------------------------------------- report
st.subheader("Report (HTML)")
done = [name for name, r in (("Fit & factors, memberships", fit), ("Solver race", race),
                             ("Rank sweep", sweep), ("Restarts", rst)) if r is not None]
st.caption("One file that opens in any browser, offline (Plotly's JavaScript is inside): the "
           "data summary and its change log" + (", " + ", ".join(done) if done else "")
           + ", with every parameter, seed and the Python that reproduces each result. "
           "Pages not run yet are left out.")
stem = "".join(c if c.isalnum() else "-" for c in ds.name).strip("-") or "data"
_dl("Download report", lambda: report.build(ds, source, log=log, fit=fit, race=race,
                                            sweep=sweep, restarts=rst),
    f"nmf-explorer-report-{stem}.html", "text/html", key="export_report")

# --------------------------------------------------------------------------- tables
st.subheader("Tables (CSV)")
if fit is None and race is None and sweep is None and rst is None:
    st.info("Nothing computed yet on this data set: run a page (Fit & factors, Solver race, "
            "Rank, Restarts) and its tables appear here.")
if fit is not None:
    out = fit[1]
    st.caption(f"Last fit: **{ds.name}** · {out.solver} · {out.loss} · rank {out.rank} · "
               f"{out.n_iter} iterations · relative error {out.rel_error:.4g}")
    names = state.component_labels(ds, state.dataset_key(), out.H)   # as renamed on Components
    tables = exports.export_tables(ds, out, names)
    cols = st.columns(len(tables) + 1)
    for col, (fname, text) in zip(cols, tables.items()):
        with col:
            _dl(fname, text, fname)
    if not exports.is_demo(ds, source):
        with cols[-1]:
            _dl("data.csv", exports.data_csv(ds), "data.csv", key="export_data",
                help="The matrix that was factorized (the snippet reads it).")
others = []
if race is not None:
    others += [("race_summary.csv", exports.race_summary_csv(race[1])),
               ("race_histories.csv", exports.histories_csv(
                   {k: v for k, v in race[1].items() if v is not None}))]
if sweep is not None and len(sweep[1].table.get("rank", [])):
    others.append(("rank_sweep.csv", exports.sweep_csv(sweep[1])))
if rst is not None:
    others.append(("restarts_similarity.csv", exports.restarts_similarity_csv(rst[1])))
    if rst[1].consensus is not None:
        others.append(("restarts_consensus.csv", exports.consensus_csv(rst[1].consensus)))
if others:
    cols = st.columns(len(others))
    for col, (fname, text) in zip(cols, others):
        with col:
            _dl(fname, text, fname)

if fit is None:
    st.page_link("app_pages/fit.py", label="Run a fit on Fit & factors for its factors, "
                 "settings and snippet", icon=":material/insights:")
    st.stop()

st.subheader("Settings (JSON)")
settings = exports.settings_json(ds, out, source, names)
st.code(settings, language="json")
_dl("settings.json", settings, "settings.json", "application/json", key="export_json")

st.subheader("Reproduce with nmfcore")
code = exports.snippet(ds, out, source)
st.code(code, language="python")
_dl("reproduce.py", code, "reproduce.py", "text/x-python", key="export_py")
st.caption("The snippet calls `nmfcore.factorize` with exactly the parameters of this fit, "
           "including the seed, so it returns the same W and H.")
