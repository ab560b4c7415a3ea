"""Lesson 12: where NMF is used: one small live example per field."""
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore import memberships
from nmfcore.alignment import align_components, normalize_factors
from nmfcore.metrics import adjusted_rand_index

kit.header(12, "Where NMF is used", """
Wherever data are amounts that add up: counts, intensities, expression levels, ratings. Each
tab runs a small NMF on a demo set. Other uses follow the same pattern: audio spectrograms
(separating instruments), tissue volumes in brain images, hyperspectral images.
Remember the caveats: the answer depends on r and on the start, and NMF cannot express
structure made of negative correlations.
""")

tabs = st.tabs(["Text topics", "Image parts", "Spectra unmixing", "Gene programs",
                "Recommendation"])

with tabs[0]:
    f = kit.fit("text", 8, solver="mu", loss="kl", init="random", max_iter=100, tol=1e-5)
    words = kit.demo("text").col_labels
    docs = np.asarray(kit.demo("text").row_labels)
    Wn, _ = normalize_factors(f.W, f.H, norm="l1")
    st.markdown("Documents × word counts ≈ documents × topics · topics × words (KL loss). "
                "A topic is a list of words that occur together; a document mixes topics.")
    st.dataframe(pd.DataFrame({"top words": kit.top_words(f.H, words, 8),
                               "most typical modules": [", ".join(docs[np.argsort(-w)[:4]])
                                                        for w in Wn.T]},
                              index=[f"topic {k + 1}" for k in range(8)]), width="stretch")
    st.plotly_chart(figures.signed_heatmap(memberships(Wn).P[:40], title="Topic shares of the "
                    "first 40 modules", xlabel="topic", ylabel="module", height=360,
                    xticks=[f"t{k + 1}" for k in range(8)], signed=False),
                    key="l12_text")

with tabs[1]:
    f = kit.fit("swimmer", 17, max_iter=300)
    st.markdown("Images × pixels ≈ images × parts · parts × pixels: the stick figures "
                "come apart into their 16 limb positions; the torso, in every image, is "
                "shared out among them (lessons 1, 2 and 8).")
    st.plotly_chart(figures.mosaic(f.H, (32, 32), ncols=9, title="17 parts of the swimmer "
                                   "images"), key="l12_images")

with tabs[2]:
    ds = kit.demo("spectra")
    f = kit.fit("spectra", 4, max_iter=400)
    _, Hn = normalize_factors(f.W, f.H)
    perm, sim = align_components(ds.extras["sources"], Hn)
    wl, S = ds.extras["wavelengths"], ds.extras["sources"]
    series, colors, dash = {}, {}, {}
    for k in range(4):
        est = Hn[perm[k]] / Hn[perm[k]].max()
        series[f"recovered {k + 1}"], series[f"true {k + 1}"] = (wl, est), (wl, S[k] / S[k].max())
        colors[f"recovered {k + 1}"] = colors[f"true {k + 1}"] = figures.PALETTE[k]
        dash[f"true {k + 1}"] = "dot"
    st.markdown("Measured spectra × wavelengths ≈ mixtures × abundances · pure spectra: "
                "unmixing recovers the pure substances without being told what they are.")
    st.plotly_chart(figures.lines(None, series, colors=colors, dash=dash, height=380,
                                  title="Recovered (solid) vs true (dotted) source spectra",
                                  xlabel="wavelength (nm)"), key="l12_spectra")
    st.caption("Cosine similarity to the truth: " + ", ".join(f"{s:.3f}" for s in sim))

with tabs[3]:
    ds = kit.demo("genes")
    f = kit.fit("genes", 3, max_iter=300)
    Wn, Hn = normalize_factors(f.W, f.H, norm="l1")
    mem = memberships(Wn)
    ari = adjusted_rand_index(mem.hard, ds.classes)
    st.markdown("Samples × genes ≈ samples × programs · programs × genes: each program is a "
                "set of genes switched on together; samples are grouped by their programs.")
    st.plotly_chart(figures.signed_heatmap(mem.P, title=f"Program shares of the 38 samples "
                    f"(ordered by known group; adjusted Rand index {ari:.2f})",
                    xlabel="program", ylabel="sample", height=420,
                    xticks=[f"p{k + 1}" for k in range(3)], signed=False),
                    key="l12_genes")

with tabs[4]:
    m = kit.masked_fit("planted", 4, 0.2)
    X = kit.dense("planted")
    hid = m["hidden"]
    truth, pred = X[hid], m["prediction"][hid]
    col_mean = np.nanmean(np.where(hid, np.nan, X), axis=0)
    base = np.broadcast_to(col_mean, X.shape)[hid]
    rmse = float(np.sqrt(np.mean((pred - truth) ** 2)))
    rmse0 = float(np.sqrt(np.mean((base - truth) ** 2)))
    st.markdown("Users × items ≈ users × tastes · tastes × items. Here 20 % of a 100 × 60 "
                "table (planted rank-4 data standing in for ratings) is hidden, NMF is fitted "
                "to the rest with a mask, and W H fills in the gaps.")
    st.plotly_chart(figures.scatter_xy(truth, pred, diagonal=True, xlabel="hidden true value",
                                       ylabel="NMF prediction",
                                       title=f"Predicting {hid.sum()} hidden entries: "
                                             f"RMSE {rmse:.3f} vs {rmse0:.3f} for item means"),
                    key="l12_recs")

kit.explore_link("data", "Load your own data and try it")
