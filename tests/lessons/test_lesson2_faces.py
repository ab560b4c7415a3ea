"""AppTest of lesson 2 on faces: four image grids, Hoyer sparsity beside each basis, the
L1 and rank controls, and every number recomputed with nmfcore."""
from __future__ import annotations

import numpy as np

from lesson_kit import by_title, metric, open_lesson  # tests/lessons/lesson_kit.py
from nmfcore import datasets, teaching


def _grid(fig):
    return np.array(fig["data"][0]["z"], dtype=float)


def test_lesson2_opens_on_faces_with_four_grids_and_sparsities(app_test, figures):
    at = open_lesson(app_test, "l02_parts")
    assert at.radio(key="l02_data").value == "faces"
    assert at.slider(key="l02_rank_faces").value == datasets.FACES_RANK == 14
    assert at.select_slider(key="l02_l1_faces").value == 0.3
    figs = figures(at)
    assert len(figs) == 4
    nmf, pca, vq = by_title(figs, "NMF"), by_title(figs, "PCA"), by_title(figs, "k-means")
    rec = by_title(figs, "Reconstructions")
    for fig, n, style in ((nmf, 14, "ink"), (pca, 14, "signed"), (vq, 14, "photo"),
                          (rec, 4, "photo")):
        assert fig["layout"]["meta"] == {"n_images": n, "image_shape": [25, 25], "style": style}
        assert fig["data"][0]["type"] == "heatmap"
    assert np.nanmin(_grid(nmf)) >= 0 and np.nanmin(_grid(pca)) < 0 < np.nanmax(_grid(pca))
    assert pca["data"][0]["zmid"] == 0 and pca["data"][0]["showscale"]

    ref = teaching.compare_parts(datasets.load_demo("faces").X, 14, l1=0.3, max_iter=1000,
                                 tol=1e-6, random_state=0)
    shown = {k: float(metric(at, f"{label} sparsity"))
             for k, label in (("NMF", "NMF"), ("PCA", "PCA"), ("VQ", "k-means"))}
    for k, v in shown.items():
        assert v == round(ref.sparsity[k], 2), (k, v, ref.sparsity)
    assert shown["NMF"] > shown["PCA"] > shown["VQ"]
    errs = {a["text"].split(":")[0]: float(a["text"].split("err ")[1])
            for a in rec["layout"]["annotations"] if "err" in a["text"]}
    assert set(errs) == {"NMF", "PCA", "k-means"}
    for k, v in errs.items():
        assert abs(v - ref.rel_error["VQ" if k == "k-means" else k]) < 6e-4
    assert errs["PCA"] <= errs["NMF"] <= errs["k-means"]
    text = " ".join(" ".join(m.value for m in at.markdown).split())
    assert "Measured here" in text and "most localized basis is **NMF**" in text
    assert "L1 penalty shows the parts" in text


def test_lesson2_l1_and_rank_controls_change_the_nmf_basis(app_test, figures):
    at = open_lesson(app_test, "l02_parts")
    at.select_slider(key="l02_l1_faces").set_value(0.0).run()
    assert not at.exception
    plain = float(metric(at, "NMF sparsity"))
    assert plain < 0.45  # without the penalty: blurred faces, less localized than at 0.3
    at.slider(key="l02_rank_faces").set_value(9).run()
    assert not at.exception
    nmf = by_title(figures(at), "NMF")
    assert nmf["layout"]["meta"]["n_images"] == 9
    assert float(metric(at, "NMF sparsity")) < plain  # fewer parts, bigger parts
    at.slider(key="l02_sample").set_value(42).run()
    rec = by_title(figures(at), "Reconstructions")
    X = datasets.load_demo("faces").X
    original = _grid(rec)[:25, :25]  # the first tile, on the scale shared by the four
    assert np.corrcoef(original.ravel(), X[42])[0, 1] > 0.999
    assert 0 < np.nanmax(_grid(rec)) <= 1
