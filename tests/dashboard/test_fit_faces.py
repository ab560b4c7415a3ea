"""Fit & factors on the faces set: components and reconstructions are drawn as 25x25 images."""
import numpy as np

FIT = "app_pages/fit.py"


def test_fit_page_shows_face_components_as_images(app_test, figures, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "faces")
    at = app_test.run()
    assert not at.exception
    at.switch_page(FIT).run()
    assert not at.exception and not at.error
    assert "rank 14" in (at.success or at.warning)[0].value
    figs = {(f["layout"].get("title") or {}).get("text"): f for f in figures(at)}
    comps = figs["Components (rows of H)"]
    heat = [d for d in comps["data"] if d["type"] == "heatmap"]
    assert len(heat) == 14 and all(np.shape(d["z"]) == (25, 25) for d in heat)
    z = np.array([d["z"] for d in heat], dtype=float)
    assert z.min() >= 0 and np.allclose(z.max(axis=(1, 2)), 1)  # each scaled to its maximum
    rec = next(f for t, f in figs.items() if t and t.endswith("original vs W H"))
    assert [np.shape(d["z"]) for d in rec["data"]] == [(25, 25)] * 3
