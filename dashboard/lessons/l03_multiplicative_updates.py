"""Lesson 3: multiplicative updates one step at a time on the 5 × 6 matrix."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore.teaching import mu_trace

MAX_STEPS = 300
K = "l03_k"

kit.header(3, "Multiplicative updates, step by step", r"""
Lee and Seung's rule for the squared error multiplies every entry by a ratio:
{formula}
A ratio above 1 grows the entry, below 1 shrinks it; at a fixed point every ratio is 1.
Positive times positive stays positive, so no projection is needed and the loss
½‖X − WH‖² never goes up. Press **Step** and watch W, H and WH approach X, a 5 × 6 matrix
that is exactly rank 2.
""", formula=r"H \leftarrow H \circ \frac{W^\top X}{W^\top W H + \delta}, \qquad "
             r"W \leftarrow W \circ \frac{X H^\top}{W H H^\top + \delta}")


def _reset():
    st.session_state[K] = 0


st.session_state.setdefault(K, 0)
c1, c2 = st.columns([2, 1])
start = c1.radio("Starting point", kit.TINY_STARTS, horizontal=True, key="l03_start",
                 on_change=_reset)
DELTAS = {"0": 0.0, "1e-16": 1e-16, "1e-9": 1e-9}
delta = DELTAS[c2.select_slider("δ added to each denominator", list(DELTAS), value="1e-16",
                                key="l03_delta", on_change=_reset)]

b1, b2, b3, _ = st.columns([1, 1, 1, 3])
if b1.button("Step", key="l03_step", type="primary"):
    st.session_state[K] = min(st.session_state[K] + 1, MAX_STEPS)
if b2.button("10 steps", key="l03_step10"):
    st.session_state[K] = min(st.session_state[K] + 10, MAX_STEPS)
b3.button("Reset", key="l03_reset", on_click=_reset)
k = st.session_state[K]

X = kit.dense("tiny")
W0, H0 = kit.tiny_start(start)
trace = mu_trace(X, W0, H0, k, delta=delta)
W, H = (trace[-1].W, trace[-1].H) if trace else (W0, H0)
loss0 = 0.5 * float(np.sum((X - W0 @ H0) ** 2))
losses = np.array([loss0] + [s.loss for s in trace])

m1, m2, m3 = st.columns(3)
m1.metric("Iteration", k)
m2.metric("Loss ½‖X − WH‖²", f"{losses[-1]:.4g}" if np.isfinite(losses[-1]) else "nan")
m3.metric("Entries of W, H that are exactly 0", int(np.sum(W == 0) + np.sum(H == 0)))

st.plotly_chart(figures.matrix_panels({"X (data)": X, "W": W, "H": H, "W H": W @ H},
                                      height=260, title=f"After {k} step(s)"), key="l03_mats")
if trace:
    st.plotly_chart(figures.matrix_panels(
        {"ratio for H (last step)": trace[-1].ratio_H, "ratio for W (last step)": trace[-1].ratio_W},
        diverging={"ratio for H (last step)", "ratio for W (last step)"},
        zmid={"ratio for H (last step)": 1.0, "ratio for W (last step)": 1.0}, height=240,
        title="Update ratios: blue > 1 (entry grows), red < 1 (entry shrinks), white = 1",
        fmt=".3f"), key="l03_ratios")

series = {"these steps": (np.arange(k + 1), losses)}
if delta > 0 and k > 0:
    ref = kit.mu_reference(start, delta, k)
    series["nmfcore.factorize(solver='mu') history"] = (ref["iteration"], ref["loss"])
loss_fig = figures.lines(None, series, title="Loss after each step", xlabel="iteration",
                         ylabel="½‖X − WH‖² (log scale)", log_y=True, markers=k <= 30,
                         dash={"nmfcore.factorize(solver='mu') history": "dot"})
loss_fig.update_xaxes(range=[-0.5, max(k, 10) + 0.5])
st.plotly_chart(loss_fig, key="l03_loss")

if start == kit.TINY_STARTS[1]:
    cell = kit.locked_cell()
    st.info(f"**Zero locking.** H[{cell[0]},{cell[1]}] started at 0 and is still "
            f"{H[cell]:g}: 0 times any ratio is 0. The best fit from this start needs it to "
            "be the largest entry of H, so the loss stalls far above zero. "
            "This is why MU should never start from exact zeros (NNDSVD fills them in).")
elif start == kit.TINY_STARTS[2] and delta == 0:
    st.error("**0 / 0.** With a column of W at zero, W^T W H has a zero row, and without δ the "
             "ratio for H is 0/0 = nan. One nan spreads to every entry in the next step."
             if k else "Press Step: with δ = 0 the first update divides 0 by 0.")
elif start == kit.TINY_STARTS[2]:
    st.info("With δ > 0 the zero column of W gives ratio 0/δ = 0 instead of nan, so nothing "
            "breaks, but that component stays dead for ever (zero locking again): the fit is "
            "stuck at rank 1. Set δ = 0 to see why δ exists.")
elif k:
    st.caption("The dotted line is nmfcore's own MU solver run from the same start: it lands "
               "on the same losses. Try the other starting points.")
else:
    st.caption("Press Step: the ratios of the first update appear, and the loss curve starts.")

kit.explore_link("race", "Race MU against the other solvers on your data")
