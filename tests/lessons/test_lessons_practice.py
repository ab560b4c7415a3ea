"""AppTest of lessons 7-12: each figure comes from a real computation that the test checks."""
from __future__ import annotations

import re

import numpy as np

from dashboard.lessons import LESSON_PAGES
from lesson_kit import by_title, metric, open_lesson  # tests/lesson_kit.py


def test_all_lessons_registered_with_explore_links():
    from dashboard.lessons import kit

    assert len(LESSON_PAGES) == 13 and kit.N_LESSONS == 13
    assert [t.split(" ")[0] for _, t in LESSON_PAGES] == [str(i) for i in range(1, 14)]


def test_lesson7_sign_patterns(app_test, figures):
    at = open_lesson(app_test, "l07_ica_pca")
    assert metric(at, "negative weights") == "0%"
    negs = [int(m.value.rstrip("%")) for m in at.metric if m.label == "negative weights"]
    assert negs[0] == 0 and negs[1] > 20 and negs[2] > 20
    figs = figures(at)
    assert np.min(np.array(by_title(figs, "NMF weights")["data"][0]["z"], float)) >= 0
    assert np.min(np.array(by_title(figs, "PCA scores")["data"][0]["z"], float)) < 0
    cap = next(c.value for c in at.caption if c.value.startswith("Cosine similarity"))
    sims = [float(s) for s in re.findall(r"\d\.\d\d", cap)]
    assert len(sims) == 4 and min(sims) > 0.9  # NMF recovers the true spectra


def test_lesson8_restarts_align(app_test, figures):
    at = open_lesson(app_test, "l08_non_uniqueness")
    assert float(metric(at, "Relative error, run A")) < 0.01
    assert float(metric(at, "Relative error, run B")) < 0.01
    aligned = by_title(figures(at), "Run B rescaled and aligned")
    sims = np.array([float(a["text"]) for a in aligned["layout"]["annotations"]])
    assert sims.size == 17 and np.median(sims) > 0.95
    assert abs(float(metric(at, "Mean similarity")) - sims.mean()) < 0.01
    at.radio(key="l08_data").set_value("digits").run()
    assert not at.exception
    sims_d = [float(a["text"]) for a in
              by_title(figures(at), "Run B rescaled")["layout"]["annotations"]]
    assert len(sims_d) == 10 and np.mean(sims_d) < np.median(sims)  # no unique parts


def test_lesson9_error_falls_but_heldout_and_baseline_point_to_true_rank(app_test, figures):
    at = open_lesson(app_test, "l09_choosing_rank")
    err = by_title(figures(at), "Relative error by rank")
    s = {t["name"]: np.asarray(t["y"], float) for t in err["data"]}
    assert np.all(np.diff(s["error on the data"]) < 1e-3)  # never really rises
    assert int(np.argmin(s["held-out error"])) + 1 in (4, 5)
    assert np.all(s["error on shuffled data"][3:] > 5 * s["error on the data"][3:])
    table = at.table[0].value
    assert (table["suggested r"] == 4).sum() >= 2
    # the zoom past r = 4 shows what the first chart cannot: the held-out error turns up
    zoom_fig = by_title(figures(at), "Zoom past r = 4")
    zoom = {t["name"]: np.asarray(t["y"], float) for t in zoom_fig["data"]}
    assert zoom["error on the data"][-1] < 0 < zoom["held-out error"][-1]
    # its two curves come in the first figure's order, so each keeps its colour
    assert [t["name"] for t in zoom_fig["data"]] == [t["name"] for t in err["data"]][:2]
    assert zoom_fig["layout"]["xaxis"]["dtick"] == 1 == err["layout"]["xaxis"]["dtick"]  # ranks
    low = zoom["held-out error"][-1]
    at.select_slider(key="l09_noise").set_value(0.2).run()
    assert not at.exception
    zoom = {t["name"]: np.asarray(t["y"], float)
            for t in by_title(figures(at), "Zoom past r = 4")["data"]}
    assert zoom["held-out error"][-1] > max(low, 1.0)      # more noise, a steeper upturn (%)
    assert "rises" in at.markdown[-1].value or "rises" in " ".join(m.value for m in at.markdown)


def test_lesson10_init_spread(app_test, figures):
    at = open_lesson(app_test, "l10_initialization")
    figs = figures(at)
    curves = by_title(figs, "Relative error")
    assert len(curves["data"]) == 5 + 1 + 1 + 5
    final = {t["name"]: np.asarray(t["y"], float) for t in by_title(figs, "Final")["data"]}
    assert final["random"].size == 5 and np.ptp(final["random"]) > 0
    assert final["nndsvd"].size == 1
    assert final["nndsvd"][0] > final["random"].min()  # MU: NNDSVD's zeros stay locked
    at.radio(key="l10_solver").set_value("hals").run()
    assert not at.exception and "HALS" in at.markdown[-1].value


def test_lesson11_l1_sparsifies_l2_shrinks(app_test, figures):
    at = open_lesson(app_test, "l11_regularization")
    figs = figures(at)
    l1 = {t["name"]: np.asarray(t["y"], float) for t in by_title(figs, "Effect of L1")["data"]}
    assert l1["Hoyer sparsity of W"][-1] > l1["Hoyer sparsity of W"][0]
    assert l1["Hoyer sparsity of H"][-1] > l1["Hoyer sparsity of H"][0]
    assert l1["relative error"][-1] > l1["relative error"][0]
    l2 = {t["name"]: np.asarray(t["y"], float) for t in by_title(figs, "Effect of L2")["data"]}
    assert l2["‖W‖"][-1] < l2["‖W‖"][0] and l2["‖H‖"][-1] < l2["‖H‖"][0]
    at.select_slider(key="l11_l1").set_value(5.0).run()
    assert float(metric(at, "Hoyer sparsity of H")) > 0.65


def test_lesson12_applications(app_test, figures):
    at = open_lesson(app_test, "l12_applications")
    figs = figures(at)
    assert len(figs) == 5
    rec = by_title(figs, "Predicting")
    pts = next(t for t in rec["data"] if t["mode"] == "markers")
    m = re.search(r"Predicting (\d+) hidden entries: RMSE ([\d.]+) vs ([\d.]+)",
                  rec["layout"]["title"]["text"])
    assert int(m.group(1)) == len(pts["x"]) == 1200
    assert float(m.group(2)) < 0.5 * float(m.group(3))  # beats the item-mean baseline
    genes = by_title(figs, "Program shares")
    assert "adjusted Rand index 1.00" in genes["layout"]["title"]["text"]
    cap = next(c.value for c in at.caption if c.value.startswith("Cosine similarity"))
    sims = [float(s) for s in re.findall(r"\d\.\d{3}", cap)]
    assert len(sims) == 4 and min(sims) > 0.95
