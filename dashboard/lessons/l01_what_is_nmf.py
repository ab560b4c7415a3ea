"""Lesson 1: what NMF is: X ≈ W H, shapes, a sample as a sum of parts, compression."""
import numpy as np
import streamlit as st

import nmfcore

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore.teaching import storage_counts

kit.header(1, "What NMF is", """
Non-negative matrix factorization writes a table of non-negative numbers **X** as the product
of two smaller non-negative tables, **X ≈ W H**. Here X holds 256 stick-figure images of
32 × 32 pixels, one image per row. H holds *r* images, the **parts**; a row of W holds one
sample's weight on each part. Because nothing can be negative, a sample is rebuilt by
**adding** weighted parts, never by subtracting them.
""")

ds = kit.demo("swimmer")
m, n = ds.X.shape
rank = st.slider("Number of parts r", 1, 24, 17, key="l01_rank",
                 help="r is the inner dimension of W H: W is samples × r, H is r × features.")
res = kit.fit("swimmer", rank, max_iter=300)
W, H = res.W, res.H

counts = storage_counts(m, n, rank)
c1, c2, c3 = st.columns(3)
c1.metric("Numbers in X", f"{counts['X']:,}", help=f"{m} × {n}")
c2.metric("Numbers in W and H", f"{counts['factors']:,}",
          help=f"r·(m + n) = {rank} × ({m} + {n})")
c3.metric("Relative error ‖X − WH‖ / ‖X‖", f"{res.rel_error:.3f}")
if rank == ds.suggested_rank:
    _, sim = nmfcore.align_components(ds.extras["true_H"], H)
    found = int((sim >= 0.99).sum())
    parts = (f"here all {found} parts (a torso and 16 limb positions) are found and rebuild "
             f"every image" if found == rank else
             f"here {found} of the 17 parts (a torso and 16 limb positions) are found; this "
             f"start ended in a local minimum")
else:
    parts = (f"with r = {rank} they cannot: the swimmer is built from exactly 17 parts (a "
             f"torso and 16 limb positions)" if rank < ds.suggested_rank else
             f"the swimmer needs only 17 parts (a torso and 16 limb positions); the extra "
             f"{rank - ds.suggested_rank} split parts or stay empty")
st.markdown(f"X ({m} × {n}) ≈ W ({m} × {rank}) · H ({rank} × {n}): the factors take "
            f"**{counts['ratio']:.1%}** of the storage of X. To fit in so little room they "
            f"must capture what the images share: {parts}."
            + ("" if res.converged else f" (This fit did not finish: {res.message})"))

grid = sorted({1, 2, 4, 6, 8, 10, 12, 14, 16, 17, 20, 24, rank})
errors = [kit.fit("swimmer", r, max_iter=300).rel_error
          for r in grid]
st.plotly_chart(figures.lines(grid, {
    "numbers in W and H, as a share of X": [storage_counts(m, n, r)["ratio"] for r in grid],
    "relative error": errors}, title="As r grows, storage rises and the error falls",
    xlabel="r", markers=True, vline=rank, vline_label=f"r = {rank}", height=300),
    key="l01_tradeoff")

sample = st.slider("Sample (row of X)", 0, m - 1, 37, key="l01_sample")
w = W[sample]
order = np.argsort(-w)
used = [k for k in order if w[k] > 1e-3 * max(w.max(), 1e-12)][:7]
x = kit.dense("swimmer")[sample]
tiles = [x, w @ H] + [w[k] * H[k] for k in used]
titles = ["sample", "W·H"] + [f"{w[k]:.2f} × part {k + 1}" for k in used]
st.plotly_chart(figures.mosaic(tiles, ds.image_shape, ncols=len(tiles), titles=titles,
                               common_scale=True,
                               title="One sample = a sum of weighted parts (largest weights)"),
                key="l01_mix")
st.caption(f"This sample uses {int(np.sum(w > 1e-3 * max(w.max(), 1e-12)))} of the {rank} parts "
           f"noticeably. Try r = 4: too few parts, so each must be a blurry mixture of limbs.")

st.plotly_chart(figures.mosaic(H, ds.image_shape, ncols=9,
                               titles=[f"part {k + 1}" for k in range(rank)],
                               title=f"All {rank} rows of H, as images"), key="l01_parts")

kit.explore_link("fit", "Fit NMF on your own data and look at its parts")
