"""Entry script: page config, shared state, sidebar, navigation. It only routes."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import compute, figure_export, services, state
from dashboard.lessons import LESSON_PAGES

HERE = Path(__file__).resolve().parent
PAGES = HERE / "app_pages"
LESSONS = HERE / "lessons"

st.set_page_config(page_title="nmf-explorer", page_icon=":material/grid_view:", layout="wide")
services.limit_blas_threads()
figure_export.install(lambda: getattr(state.get_dataset(), "name", None))
state.begin_run()      # a reloaded tab comes back from its token in the URL
state.init_defaults()

explore = [
    st.Page(PAGES / "data.py", title="Data", icon=":material/table_view:", default=True),
    st.Page(PAGES / "fit.py", title="Fit & factors", icon=":material/insights:"),
    st.Page(PAGES / "components.py", title="Components", icon=":material/category:"),
    st.Page(PAGES / "race.py", title="Solver race", icon=":material/speed:"),
    st.Page(PAGES / "rank.py", title="Rank", icon=":material/stacked_line_chart:"),
    st.Page(PAGES / "restarts.py", title="Restarts", icon=":material/shuffle:"),
    st.Page(PAGES / "export.py", title="Export", icon=":material/download:"),
]
learn = [st.Page(LESSONS / fname, title=title, icon=":material/school:")
         for fname, title in LESSON_PAGES]


def _data_caption() -> None:
    ds = state.get_dataset()
    if ds is not None:
        data_slot.caption(f"Data: **{ds.name}** · {ds.X.shape[0]} × {ds.X.shape[1]}")
    else:
        data_slot.caption("No data set loaded: pick one on the Data page.")


nav = {"Explore": explore}
if learn:
    nav["Learn"] = learn
page = st.navigation(nav)
state.rerun_if_restored()
state.show_link_notice()
data_slot = st.sidebar.empty()
_data_caption()
compute.sidebar()
figure_export.svg_button()   # a second toolbar button on every chart: SVG
if state.start_error():  # `nmf-explorer --data PATH` could not open the file
    st.sidebar.error(f"--data: {state.start_error()}", icon=":material/error:")
try:
    page.run()
finally:  # the page may have changed the data set (or stopped early with st.stop)
    _data_caption()
    state.end_run()    # keep this tab's settings and results for a reload
