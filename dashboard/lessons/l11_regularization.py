"""Lesson 11: L1 and L2 penalties, and the Hoyer sparsity of W and H."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore.alignment import align_components
from nmfcore.metrics import hoyer_sparsity

L1S, L2S = [0.0, 0.3, 1.0, 2.0, 3.0, 5.0], [0.0, 1.0, 3.0, 10.0, 30.0]
kit.header(11, "Regularization", r"""
A penalty added to the error changes which factorization is "best". **L1**,
$\ell_1(\sum W + \sum H)$, charges for every unit of weight, so small entries are pushed to
exactly 0: sparser factors, fewer parts per sample. **L2**, $\frac{\ell_2}{2}(\|W\|^2 + \|H\|^2)$,
charges for large entries, so it shrinks everything and spreads weight out. Both cost
reconstruction error, and too much of either switches components off. Sparsity is measured by
**Hoyer's index**: 0 when all entries are equal, 1 when a single entry is non-zero. Data:
200 mixtures of 4 spectra, r = 4.
""")

c1, c2 = st.columns(2)
l1 = c1.select_slider("L1 penalty ℓ₁", L1S, value=1.0, key="l11_l1")
l2 = c2.select_slider("L2 penalty ℓ₂", L2S, value=0.0, key="l11_l2")


def run(a, b):
    return kit.fit("spectra", 4, l1=a, l2=b, max_iter=200, tol=1e-5)


cur, base = run(l1, l2), run(0.0, 0.0)
m1, m2, m3, m4 = st.columns(4)
m1.metric("Hoyer sparsity of W", f"{hoyer_sparsity(cur.W):.3f}",
          f"{hoyer_sparsity(cur.W) - hoyer_sparsity(base.W):+.3f} vs no penalty")
m2.metric("Hoyer sparsity of H", f"{hoyer_sparsity(cur.H):.3f}",
          f"{hoyer_sparsity(cur.H) - hoyer_sparsity(base.H):+.3f} vs no penalty")
m3.metric("Exact zeros in W, H", f"{np.mean(cur.W == 0):.0%}, {np.mean(cur.H == 0):.0%}")
m4.metric("Relative error", f"{cur.rel_error:.3f}",
          f"{cur.rel_error - base.rel_error:+.3f}", delta_color="inverse")

sweep1 = [run(a, l2) for a in L1S]
st.plotly_chart(figures.lines(L1S, {
    "Hoyer sparsity of W": [hoyer_sparsity(f.W) for f in sweep1],
    "Hoyer sparsity of H": [hoyer_sparsity(f.H) for f in sweep1],
    "relative error": [f.rel_error for f in sweep1]},
    title=f"Effect of L1 (at ℓ₂ = {l2:g})", xlabel="ℓ₁", markers=True, vline=l1,
    vline_label="now"), key="l11_l1_fig")
sweep2 = [run(l1, b) for b in L2S]
st.plotly_chart(figures.lines(L2S, {
    "‖W‖": [np.linalg.norm(f.W) for f in sweep2],
    "‖H‖": [np.linalg.norm(f.H) for f in sweep2]},
    title=f"Effect of L2 (at ℓ₁ = {l1:g}): sizes of the factors", xlabel="ℓ₂",
    ylabel="Frobenius norm", markers=True, vline=l2, vline_label="now"), key="l11_l2_fig")

wl = kit.demo("spectra").extras["wavelengths"]
def _scaled(H):
    return H / np.maximum(H.max(axis=1, keepdims=True), 1e-12)


H, H0 = _scaled(cur.H), _scaled(base.H)
perm, _ = align_components(H, H0)
series = {f"component {k + 1}": (wl, H[k]) for k in range(4)}
series.update({f"no penalty {k + 1}": (wl, H0[perm[k]]) for k in range(4)})
st.plotly_chart(figures.lines(
    None, series, xlabel="wavelength (nm)", height=380,
    title="Rows of H now (solid) and without penalty (dotted), each scaled to max 1",
    colors={f"{p}{k + 1}": figures.PALETTE[k] for k in range(4)
            for p in ("component ", "no penalty ")},
    dash={f"no penalty {k + 1}": "dot" for k in range(4)}), key="l11_H")

kit.explore_link("fit", "Add L1/L2 penalties to a fit of your own data")
