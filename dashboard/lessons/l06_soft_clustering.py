"""Lesson 6: soft clustering: rows of W as memberships, next to hard k-means labels."""
import numpy as np
import streamlit as st

from dashboard.lessons import figures, kit
from nmfcore import memberships
from nmfcore.alignment import normalize_factors
from nmfcore.metrics import adjusted_rand_index
from nmfcore.teaching import most_mixed_samples

N_ROWS = 300
kit.header(6, "Soft clustering", """
Scale every part (row of H) to sum to 1; then a row of W, divided by its total, says what
**share** of the sample each part explains. These are **memberships**: a sample can be 70 %
one component and 30 % another. k-means gives only a **hard label**, one cluster per sample,
even for a sample that sits between two clusters. Below: 300 hand-written digits.
""")

rank = st.slider("Components r (= k-means clusters)", 3, 12, 10, key="l06_rank")
ds = kit.demo("digits")
X = kit.dense("digits", N_ROWS)
res = kit.fit("digits", rank, n_rows=N_ROWS, max_iter=300)
Wn, Hn = normalize_factors(res["W"], res["H"], norm="l1")
mem = memberships(Wn)
km = kit.vq("digits", rank, N_ROWS)
truth = ds.classes[:N_ROWS]

order = np.lexsort((-mem.P.max(axis=1), mem.hard))
mixed = most_mixed_samples(mem.P, 5)
choices = [int(i) for i in mixed]
sample = st.selectbox("Sample to look at (the five most mixed are listed first)",
                      choices + [i for i in range(N_ROWS) if i not in choices],
                      format_func=lambda i: f"sample {i} (a {truth[i]})", key="l06_sample")

st.plotly_chart(figures.stacked_memberships(mem.P, order=order, labels=km["labels"],
                                            highlight=sample,
                                            title="Memberships of each sample (bars) and its "
                                                  "k-means cluster (squares underneath)"),
                key="l06_bars")

p = mem.P[sample]
top = np.argsort(-p)[:2]
c1, c2 = st.columns([3, 2])
c1.plotly_chart(figures.mosaic([X[sample], Hn[top[0]], Hn[top[1]]], ds.image_shape, ncols=3,
                               titles=[f"sample {sample}", f"component {top[0] + 1}: {p[top[0]]:.0%}",
                                       f"component {top[1] + 1}: {p[top[1]]:.0%}"],
                               title="The sample and its two strongest parts"), key="l06_parts")
c2.plotly_chart(figures.bars([f"c{k + 1}" for k in range(rank)], p,
                             title=f"Memberships of sample {sample}", ylabel="share",
                             text_fmt=".0%"), key="l06_one")
st.markdown(f"k-means puts sample {sample} wholly in cluster {km['labels'][sample]}; NMF "
            f"splits it {p[top[0]]:.0%} / {p[top[1]]:.0%}. Agreement with the true digit "
            f"labels (adjusted Rand index, 1 = perfect): strongest NMF component "
            f"{adjusted_rand_index(mem.hard, truth):.2f}, k-means "
            f"{adjusted_rand_index(km['labels'], truth):.2f}.")

kit.explore_link("fit", "See the memberships of your own samples")
