"""Lesson 4: gradient descent, and why it needs a projection and a modest step."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures

kit.header(4, "Gradient descent and why projection is needed", r"""
A popular hand-written NMF minimises $\sum (X - WH)^2 + \lambda(\|W\|^2 + \|H\|^2)$ by
gradient steps with $R = X - WH$:
$W \leftarrow W + \eta\,(R H^\top - \lambda W)$, $H \leftarrow H + \eta\,(W^\top R - \lambda H)$.
Nothing in these lines keeps W and H non-negative: it is plain matrix factorization unless
each step is followed by a **projection** (setting negative entries to 0). The step size
η matters too: too small crawls, too large overshoots and blows up. A **batch** uses a few
rows of X per step (stochastic gradient): cheaper steps, noisier path. Same 5 × 6 matrix as
lesson 3, rank 2.
""")

LRS = [0.001, 0.003, 0.01, 0.02, 0.03, 0.05, 0.08, 0.1, 0.15, 0.2]
c1, c2, c3, c4 = st.columns(4)
lr = c1.select_slider("Learning rate η", LRS, value=0.02, key="l04_lr")
bs = c2.select_slider("Batch size (rows per step)", [1, 2, 3, 4, 5], value=5, key="l04_bs")
l2 = c3.select_slider("λ (L2 penalty)", [0.0, 0.01, 0.1, 1.0], value=0.01, key="l04_l2")
project = c4.toggle("Project onto W, H ≥ 0", value=True, key="l04_project")

run = kit.gradient_run(lr, bs, l2, project)
epochs = np.arange(run["loss"].size)
neg = int(np.sum(run["W"] < 0) + np.sum(run["H"] < 0))

m1, m2, m3 = st.columns(3)
m1.metric("Final loss", "diverged" if run["diverged"] else f"{run['loss'][-1]:.3g}")
m2.metric("Smallest entry of W, H", f"{np.nanmin(run['min_entry']):.3g}")
m3.metric("Negative entries now", neg)

st.plotly_chart(figures.lines(None, {"loss": (epochs, np.where(np.isfinite(run["loss"]),
                                                              run["loss"], np.nan))},
                              title="Loss per epoch (log scale)", xlabel="epoch",
                              ylabel="‖X − WH‖²", log_y=True), key="l04_loss")
mins = np.clip(run["min_entry"], -10.0, None)
st.plotly_chart(figures.lines(None, {"smallest entry of W and H": (epochs, mins)},
                              title="Smallest entry of W and H (below the black line = "
                                    "not an NMF any more; clipped at −10)",
                              xlabel="epoch", hline=0.0), key="l04_min")
if not run["diverged"]:
    st.plotly_chart(figures.matrix_panels({"W (final)": run["W"], "H (final)": run["H"]},
                                          diverging={"W (final)", "H (final)"}, height=240,
                                          title="Final factors: red cells are negative"),
                    key="l04_factors")

if run["diverged"]:
    st.error(f"The loss blew up after {epochs[-1]} epochs: with η = {lr} each step overshoots "
             "the minimum by more than it gained. Lower η"
             + (" (or raise the batch size: steps on fewer rows are noisier)." if bs < 5 else "."))
elif not project and neg:
    st.warning(f"Without projection {neg} entries of W and H are negative: the fit may be "
               "good, but it is no longer a sum of non-negative parts. Turn projection on.")
elif project and run["loss"][-1] >= 0.99 * run["loss"][0]:
    st.warning("The steps were so large that the projection set almost everything to 0, and "
               "a factor of zeros has zero gradient: the fit is dead. Lower η.")
else:
    st.success("Projected steps of a sensible size: the loss falls and every entry stays "
               "≥ 0. Now turn projection off, or push η to 0.1 and above.")

kit.explore_link("race", "Race the projected mini-batch solver (sgd) against MU and HALS")
