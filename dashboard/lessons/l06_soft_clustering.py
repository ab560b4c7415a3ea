"""Lesson 6: soft clustering: rows of W as memberships, next to hard k-means labels."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore import memberships
from nmfcore.alignment import align_components, normalize_factors
from nmfcore.metrics import adjusted_rand_index
from nmfcore.teaching import most_mixed_samples

kit.header(6, "Soft clustering", """
Scale every part (row of H) to sum to 1; then a row of W, divided by its total, says what
**share** of the sample each part explains. These are **memberships**: a sample can be 70 %
one component and 30 % another. k-means gives only a **hard label**, one cluster per sample,
even for a sample that sits between two clusters. The data: 200 measured spectra, each a
mixture of 4 pure substances in known proportions, so we can check the memberships.
""")

ds = kit.demo("spectra")
X, wl, S = kit.dense("spectra"), ds.extras["wavelengths"], ds.extras["sources"]
res = kit.fit("spectra", 4, max_iter=400)
Wn, Hn = normalize_factors(res.W, res.H, norm="l1")
perm, _ = align_components(S, Hn)  # number the components like the true substances
Wn, Hn = Wn[:, perm], Hn[perm]
mem = memberships(Wn)
true_share = ds.extras["abundances"] * S.sum(axis=1)
true_share /= true_share.sum(axis=1, keepdims=True)
km = kit.vq("spectra", 4)
# number the k-means clusters like the components they resemble, so colours match
match, _ = align_components(Hn, km["components"])
km_labels = np.argsort(match)[km["labels"]]

mixed = [int(i) for i in most_mixed_samples(mem.P, 5)]
sample = st.selectbox("Sample to look at (the five most mixed are listed first)",
                      mixed + [i for i in range(X.shape[0]) if i not in mixed],
                      format_func=lambda i: f"sample {i}", key="l06_sample")
order = np.lexsort((-mem.P.max(axis=1), mem.hard))
st.plotly_chart(figures.stacked_memberships(mem.P, order=order, labels=km_labels,
                                            highlight=sample,
                                            title="Memberships of each sample (bars) and its "
                                                  "k-means cluster (squares underneath)"),
                key="l06_bars")

p = mem.P[sample]
top = np.argsort(-p)[:2]
w = Wn[sample]
series = {f"sample {sample}": (wl, X[sample])}
colors = {f"sample {sample}": "#333333", "sum of the parts (W H)": "#333333"}
for k in np.flatnonzero(p > 0.02):
    series[f"component {k + 1} ({p[k]:.0%})"] = (wl, w[k] * Hn[k])
    colors[f"component {k + 1} ({p[k]:.0%})"] = figures.PALETTE[k]
series["sum of the parts (W H)"] = (wl, w @ Hn)
c1, c2 = st.columns([3, 2])
c1.plotly_chart(figures.lines(None, series, title="The sample as a sum of weighted parts",
                              xlabel="wavelength (nm)", height=360, colors=colors,
                              dash={"sum of the parts (W H)": "dot"}), key="l06_parts")
c2.plotly_chart(figures.grouped_bars([f"c{k + 1}" for k in range(4)],
                                     {"NMF membership": p, "true share": true_share[sample]},
                                     title=f"Sample {sample}: memberships vs truth"),
                key="l06_one")
err = float(np.abs(mem.P - true_share).mean())
st.markdown(f"k-means puts sample {sample} wholly in cluster {km_labels[sample] + 1}; NMF "
            f"splits it {p[top[0]]:.0%} / {p[top[1]]:.0%}, close to the true "
            f"{true_share[sample, top[0]]:.0%} / {true_share[sample, top[1]]:.0%}. Over all "
            f"samples the memberships are off by {err:.3f} on average. Used only as hard labels, "
            f"both mostly find the main substance (adjusted Rand index, 1 = perfect: NMF "
            f"{adjusted_rand_index(mem.hard, ds.classes):.2f}, k-means "
            f"{adjusted_rand_index(km_labels, ds.classes):.2f}); only NMF also says *how "
            f"much* of each.")

kit.explore_link("fit", "See the memberships of your own samples")
