"""Lesson 8: non-uniqueness: two restarts, then alignment and rescaling."""
import numpy as np
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore.alignment import align_fit, normalize_factors

kit.header(8, "Non-uniqueness", r"""
NMF has no single answer. Two harmless ambiguities are always there: **order** (swap two
parts and their columns of W) and **scale** ($W H = (W D)(D^{-1} H)$ for any positive
diagonal D). On top, the problem is non-convex, so different starts can end in genuinely
different factorizations with nearly the same error. To compare two runs, first **rescale**
(every part to unit length) and **align** (match parts by cosine similarity with the
Hungarian method); what still differs after that is real.
""")

c1, c2, c3 = st.columns(3)
name = c1.radio("Data", ["swimmer", "digits"], horizontal=True, key="l08_data",
                help="swimmer is built from 17 exact parts; digits have no single true set")
seed_a = c2.number_input("Seed of run A", 0, 99, 1, key="l08_a")
seed_b = c3.number_input("Seed of run B", 0, 99, 2, key="l08_b")
ds = kit.demo(name)
rank = 17 if name == "swimmer" else 10
n_rows = None if name == "swimmer" else 600
fa = kit.fit(name, rank, n_rows=n_rows, init="random", seed=int(seed_a),
                    max_iter=400)
fb = kit.fit(name, rank, n_rows=n_rows, init="random", seed=int(seed_b),
                    max_iter=400)

m1, m2, m3 = st.columns(3)
m1.metric("Relative error, run A", f"{fa.rel_error:.4f}")
m2.metric("Relative error, run B", f"{fb.rel_error:.4f}")
Wa, Ha = normalize_factors(fa.W, fa.H)
Wb, Hb, perm, sim = align_fit(fb.W, fb.H, Ha)
m3.metric("Mean similarity after alignment", f"{sim.mean():.3f}",
          help="cosine similarity of matched parts, 1 = identical")

ncols = 9 if rank > 10 else rank
shape = ds.image_shape
st.plotly_chart(figures.mosaic(fa.H, shape, ncols=ncols, title="Run A: parts as found"),
                key="l08_a_fig")
st.plotly_chart(figures.mosaic(fb.H, shape, ncols=ncols,
                               title="Run B: parts as found (different order)"), key="l08_b_fig")
st.plotly_chart(figures.mosaic(Hb, shape, ncols=ncols,
                               titles=[f"{s:.2f}" for s in sim],
                               title="Run B rescaled and aligned to run A "
                                     "(number = similarity to A's part)"), key="l08_ab_fig")

same = np.abs(Wb @ Hb - fb.W @ fb.H).max() / max(np.abs(fb.W @ fb.H).max(), 1e-300)
st.markdown(f"Rescaling and reordering changed run B's product W H by at most {same:.1e} "
            f"(relative): it is the same model written differently. "
            f"{int(np.sum(sim > 0.95))} of {rank} parts match run A closely (> 0.95). "
            + ("Both runs fit almost exactly, yet not every part matches: the torso is in "
               "every image, so its pixels can be shared out among the limb parts without "
               "changing W H. The data cannot tell those answers apart." if name == "swimmer"
               else "Digits have no unique parts: runs with almost the same error disagree "
               "on several strokes."))

kit.explore_link("restarts", "Run many restarts on your data and see which parts are stable")
