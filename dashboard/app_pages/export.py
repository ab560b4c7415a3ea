"""Export: the last fit's factors, memberships and history as CSV, its settings as JSON and a
Python snippet that reproduces it with nmfcore."""
import streamlit as st

from dashboard import exports, state

st.title("Export")
ds = state.get_dataset()
last = state.get_last_fit()
if ds is None or last is None or last["dataset_key"] != state.dataset_key():
    st.info("Nothing to export yet: run a fit on **Fit & factors** first (the last fit of the "
            "current data set is exported here).")
    st.page_link("app_pages/fit.py", label="Go to Fit & factors", icon=":material/insights:")
    st.stop()

out, source = last["outcome"], state.dataset_source()
st.caption(f"Last fit: **{ds.name}** · {out.solver} · {out.loss} · rank {out.rank} · "
           f"{out.n_iter} iterations · relative error {out.rel_error:.4g}")

st.subheader("Tables (CSV)")
names = state.component_labels(ds, state.dataset_key(), out.H)   # as renamed on Components
tables = exports.export_tables(ds, out, names)
cols = st.columns(len(tables) + 1)
for col, (fname, text) in zip(cols, tables.items()):
    col.download_button(fname, text, fname, "text/csv", key=f"export_{fname}",
                        on_click="ignore", icon=":material/download:")
if not exports.is_demo(ds, source):
    cols[-1].download_button("data.csv", exports.data_csv(ds), "data.csv", "text/csv",
                             key="export_data", on_click="ignore", icon=":material/download:",
                             help="The matrix that was factorized (the snippet reads it).")

st.subheader("Settings (JSON)")
settings = exports.settings_json(ds, out, source, names)
st.code(settings, language="json")
st.download_button("settings.json", settings, "settings.json", "application/json",
                   key="export_json", on_click="ignore", icon=":material/download:")

st.subheader("Reproduce with nmfcore")
code = exports.snippet(ds, out, source)
st.code(code, language="python")
st.download_button("reproduce.py", code, "reproduce.py", "text/x-python", key="export_py",
                   on_click="ignore", icon=":material/download:")
st.caption("The snippet calls `nmfcore.factorize` with exactly the parameters of this fit, "
           "including the seed, so it returns the same W and H.")
