"""Lesson 9: choosing r: training error, held-out error, stability and a shuffled baseline."""
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
                format_func={"planted": "planted (random rank-4 data, 5 % noise)",
                             "spectra": "spectra (4 sources)"}.get)
res = kit.sweep(name)
t = res["table"]
true_r = kit.demo(name).suggested_rank

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
