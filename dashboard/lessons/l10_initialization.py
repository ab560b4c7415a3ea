"""Lesson 10: initialization: random starts vs the NNDSVD family, over several seeds."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures

N_ROWS, RANK, SEEDS = 600, 10, (0, 1, 2, 3, 4)
kit.header(10, "Initialization", """
Every solver improves a starting guess, and because the problem is non-convex the start
decides where it ends. A **random** start is cheap but lands somewhere different for each
seed. **NNDSVD** builds the start from the leading singular vectors, keeping their
non-negative parts: same start every time, already close to a good fit. Plain NNDSVD leaves
many exact zeros, which multiplicative updates can never leave (lesson 3); **NNDSVDa** fills
them with the mean of X and **NNDSVDar** with small random values. 600 digits, r = 10.
""")

solver = st.radio("Solver", ["mu", "hals"], horizontal=True, key="l10_solver",
                  format_func={"mu": "multiplicative updates", "hals": "HALS"}.get)
runs = {}
for init in ("random", "nndsvd", "nndsvda", "nndsvdar"):
    seeds = SEEDS if init in ("random", "nndsvdar") else (0,)
    runs[init] = [kit.fit("digits", RANK, n_rows=N_ROWS, solver=solver, init=init, seed=s,
                          max_iter=100, tol=0.0) for s in seeds]

series, colors, dash = {}, {}, {}
for i, (init, fits) in enumerate(runs.items()):
    for j, f in enumerate(fits):
        label = init if len(fits) == 1 else f"{init} (seed {SEEDS[j]})"
        series[label] = (f.history["iteration"], f.history["rel_error"])
        colors[label] = figures.PALETTE[i]
        dash[label] = "solid" if j == 0 else "dot"
st.plotly_chart(figures.lines(None, series, title="Relative error ‖X − WH‖/‖X‖ per iteration",
                              xlabel="iteration", ylabel="relative error", log_y=True,
                              colors=colors, dash=dash, height=420), key="l10_curves")

finals = {init: [f.rel_error for f in fits] for init, fits in runs.items()}
st.plotly_chart(figures.strip(finals, title="Final relative error after 100 iterations "
                                            "(one point per seed)", ylabel="relative error"),
                key="l10_final")
start = {init: fits[0].history["rel_error"][0] for init, fits in runs.items()}
end = {init: float(np.mean(v)) for init, v in finals.items()}
st.markdown(
    f"Random starts begin at relative error {start['random']:.2f} and end spread over "
    f"{np.ptp(finals['random']):.4f}. NNDSVD starts at {start['nndsvd']:.2f}, the same every "
    f"time; NNDSVDa starts at {start['nndsvda']:.2f}"
    + (" (its filled-in zeros add up over r parts), but one step removes most of that. "
       if start["nndsvda"] > start["nndsvd"] else ". ")
    + ((f"With MU plain NNDSVD ends worst ({end['nndsvd']:.3f} vs {min(end.values()):.3f}): "
        f"its zero entries stay locked (lesson 3)." if end["nndsvd"] >= max(end.values()) else
        f"With MU plain NNDSVD ends at {end['nndsvd']:.3f} (best {min(end.values()):.3f}): its "
        f"zero entries stay locked (lesson 3), though nmfcore re-seeds a component that is "
        f"zero as a whole.") if solver == "mu" else
       f"HALS can move zeros, so plain NNDSVD is not trapped ({end['nndsvd']:.3f}, best "
       f"{min(end.values()):.3f}). Try multiplicative updates."))

kit.explore_link("race", "Race initializations and solvers on your own data")
