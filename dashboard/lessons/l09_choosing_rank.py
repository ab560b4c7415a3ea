"""Lesson 9: choosing r: training error, held-out error, stability and a shuffled baseline."""
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures

kit.header(9, "Choosing r", """
More parts always fit at least as well, so the error on the data cannot choose r: it falls
(or stays flat) all the way to r = min(m, n). Three kinds of evidence can. **Held-out error**:
hide a few entries, fit the rest, predict the hidden ones; past the right r, extra parts fit
noise and predictions stop improving. **Stability**: restarts agree at the right r
(cophenetic correlation of their consensus, and similarity of matched parts). **A shuffled
baseline**: shuffle each column to destroy the structure; real structure makes the error drop
much faster than on the shuffled copy. Both data sets below have a known r = 4.
""")

name = st.radio("Data", ["planted", "spectra"], horizontal=True, key="l09_data",
                format_func={"planted": "planted (random rank-4 data with noise)",
                             "spectra": "spectra (4 sources)"}.get)
noise = None
if name == "planted":
    noise = st.select_slider("Noise (standard deviation, share of the mean of W H)",
                             [0.02, 0.05, 0.1, 0.2, 0.4], value=0.05, key="l09_noise",
                             format_func=lambda v: f"{v:.0%}",
                             help="More noise leaves more for extra parts to fit: the held-out "
                                  "error then turns up more steeply past r = 4.")
res = kit.sweep(name, noise=noise)
t = res["table"]
true_r = kit.demo(name).suggested_rank
if res["n_unconverged"]:
    st.warning(f"{res['n_unconverged']} of the sweep's fits stopped before converging, so "
               "the curves below rest partly on unfinished fits.", icon=":material/warning:")

st.plotly_chart(figures.lines(t["rank"], {
    "error on the data": t["rel_error"],
    "held-out error": t["cv_error"],
    "error on shuffled data": t["shuffled_rel_error"],
    "held-out error, shuffled data": t["shuffled_cv_error"]},
    title="Relative error by rank (4 restarts per rank, 2 held-out folds of 5 % of entries)",
    xlabel="rank r", ylabel="relative error", markers=True, vline=true_r,
    vline_label=f"true r = {true_r}",
    dash={"error on shuffled data": "dot", "held-out error, shuffled data": "dot"}),
    key="l09_err")

# Past the elbow both curves are nearly flat on the scale of the first ranks: the zoom shows
# each relative to its own value at the true rank, where the held-out error's upturn is seen.
past = t["rank"] >= true_r
at = int(np.flatnonzero(t["rank"] == true_r)[0])
cv_change = t["cv_error"][past] / t["cv_error"][at] - 1.0
fit_change = t["rel_error"][past] / t["rel_error"][at] - 1.0
best = int(t["rank"][int(np.nanargmin(t["cv_error"]))])
st.plotly_chart(figures.lines(t["rank"][past], {   # in the first figure's order: its colours
    "error on the data": fit_change * 100, "held-out error": cv_change * 100},
    title=f"Zoom past r = {true_r}: change from the value at r = {true_r}, in %",
    xlabel="rank r", ylabel=f"% change from r = {true_r}", markers=True, hline=0.0),
    key="l09_zoom")
st.markdown(
    f"Past r = {true_r} the error on the data keeps falling "
    f"({fit_change[-1]:+.1%} at r = {int(t['rank'][-1])}) while the held-out error "
    f"{'rises' if cv_change[-1] > 0 else 'no longer falls'} "
    f"({cv_change[-1]:+.1%}): the extra parts fit noise, which does not predict hidden "
    f"entries. The held-out error is lowest at r = {best}.")
st.plotly_chart(figures.lines(t["rank"], {
    "cophenetic correlation": t["cophenetic"],
    "similarity of matched parts across restarts": t["similarity"]},
    title="Stability across restarts (1 = every restart agrees)", xlabel="rank r",
    markers=True, vline=true_r, vline_label=f"true r = {true_r}"), key="l09_stab")

st.markdown("What each rule suggests here:")
st.table(pd.DataFrame(res["suggestions"], columns=["rule", "suggested r", "because"])
         .set_index("rule"))
st.caption("On real data the rules often disagree; treat them as evidence, and prefer the r "
           "whose parts you can interpret and that several rules support.")

kit.explore_link("rank", "Run the same rank sweep on your own data")
