"""Lesson 2: parts, not wholes: NMF vs PCA vs vector quantization on images."""
import streamlit as st

from dashboard.lessons import figures, kit

kit.header(2, "Parts, not wholes", """
Three ways to summarise images with *r* basis images. **PCA** takes the directions of largest
variance: its images have positive *and* negative pixels (blue and red), and a sample is the
mean plus and minus them. **Vector quantization** (k-means) replaces each sample by the
nearest of *r* prototype images. **NMF** only adds non-negative parts, so its images tend to
be localized pieces: limbs, strokes. Lee and Seung showed this on faces in 1999.
""")

c1, c2 = st.columns(2)
name = c1.radio("Images", ["swimmer", "digits"], horizontal=True, key="l02_data")
ds = kit.demo(name)
n_rows = None if name == "swimmer" else 600
rank = c2.slider("Basis images r", 2, 20, 16 if name == "swimmer" else 10, key="l02_rank")
shape = ds.image_shape

nmf = kit.fit(name, rank, n_rows=n_rows, max_iter=300, tol=1e-6,
              init="random" if name == "swimmer" else "nndsvda")
pca = kit.pca(name, rank, n_rows)
vq = kit.vq(name, rank, n_rows)
ncols = 8 if rank > 10 else rank

st.plotly_chart(figures.mosaic(nmf["H"], shape, ncols=ncols,
                               title="NMF: rows of H (all pixels ≥ 0)"), key="l02_nmf")
useful = pca["explained"] > 1e-10
st.plotly_chart(figures.mosaic(pca["components"][useful], shape, ncols=ncols, diverging=True,
                               title="PCA: principal components (red < 0 < blue)"),
                key="l02_pca")
if not useful.all():
    st.caption(f"Only {int(useful.sum())} principal components carry variance here: the "
               f"centred swimmer images span just {int(useful.sum())} dimensions, so PCA "
               f"rebuilds them exactly with fewer images than NMF needs parts.")
st.plotly_chart(figures.mosaic(vq["components"], shape, ncols=ncols,
                               title="Vector quantization: k-means centroids"), key="l02_vq")

X = kit.dense(name, n_rows)
sample = st.slider("Sample to rebuild", 0, X.shape[0] - 1, 5, key="l02_sample")
recs = {"NMF": nmf["W"] @ nmf["H"], "PCA": pca["reconstruction"], "VQ": vq["reconstruction"]}
tiles = [X[sample]] + [r[sample] for r in recs.values()]
titles = ["original"] + [f"{k}: err {kit.rel_error(X, r):.2f}" for k, r in recs.items()]
st.plotly_chart(figures.mosaic(tiles, shape, ncols=4, titles=titles,
                               title="Reconstructions (err = relative error over all samples)"),
                key="l02_rec")
st.markdown("""
PCA is the best fit with *r* components when signs are free, so NMF can at most match it
(swimmers) or trail it (digits); VQ, one prototype per sample, is least accurate. Only NMF's
basis images read as pieces of the samples.
""")

kit.explore_link("fit", "Compare the parts NMF finds in your own data")
