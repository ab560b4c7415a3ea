"""Lesson 7: NMF vs ICA and PCA: what the signs of the weights do to interpretation."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore.alignment import align_components, normalize_factors

N_SHOW = 40
kit.header(7, "NMF vs ICA and PCA", """
All three write the data as weights times components. **PCA** wants uncorrelated directions
of largest variance. **ICA** wants components that are statistically **independent**, and
finds them by making the weights as non-Gaussian as possible (e.g. by kurtosis). Both work on
centred data, so weights and components come out with both signs. **NMF** assumes no
independence at all, only that everything is ≥ 0. On mixtures of spectra, a sample's NMF
weights read directly as "how much of each substance"; a negative amount of a substance has
no meaning.
""")

ds = kit.demo("spectra")
rank = ds.suggested_rank
wl = ds.extras["wavelengths"]
nmf = kit.fit("spectra", rank, max_iter=400)
Wn, Hn = normalize_factors(nmf.W, nmf.H, norm="l2")
perm, sim = align_components(ds.extras["sources"], Hn)
Wn, Hn = Wn[:, perm], Hn[perm]
pca = kit.pca("spectra", rank)
ica = kit.ica("spectra", rank)

weights = {"NMF weights (W)": Wn, "PCA scores": pca["weights"],
           "ICA weights (independent signals)": ica["sources"]}
cols = st.columns(3)
for col, (name, A) in zip(cols, weights.items()):
    col.plotly_chart(figures.signed_heatmap(A[:N_SHOW], title=name, xlabel="component",
                                            ylabel=f"sample (first {N_SHOW})", height=420,
                                            xticks=[f"c{k + 1}" for k in range(rank)]),
                     key=f"l07_w_{name}")
    col.metric("negative weights", f"{np.mean(A < 0):.0%}")

comps = {"NMF (rows of H)": Hn, "PCA components": pca["components"],
         "ICA mixing rows": ica["mixing"]}
choice = st.radio("Components to compare with the true spectra", list(comps), horizontal=True,
                  key="l07_comp")
C = comps[choice]
C = C / np.maximum(np.abs(C).max(axis=1, keepdims=True), 1e-12)
series = {f"c{k + 1}": (wl, C[k]) for k in range(rank)}
S = ds.extras["sources"]
series.update({f"true source {k + 1}": (wl, S[k] / S[k].max()) for k in range(rank)})
st.plotly_chart(figures.lines(None, series, title=f"{choice} (solid) and the true source "
                                                  "spectra (dotted), each scaled to max 1",
                              xlabel="wavelength (nm)", ylabel="scaled intensity", hline=0.0,
                              dash={f"true source {k + 1}": "dot" for k in range(rank)},
                              height=380,
                              colors={f"{p}{k + 1}": figures.PALETTE[k] for k in range(rank)
                                      for p in ("c", "true source ")}), key="l07_comps")
st.caption(f"Cosine similarity of each NMF component to its matched true source: "
           f"{', '.join(f'{s:.2f}' for s in sim)}. PCA and ICA components dip below zero.")

kit.explore_link("fit", "Look at the signs of your own factors (always ≥ 0 for NMF)")
