"""AppTest of lessons 1-6: each figure comes from a real computation that the test redoes."""
from __future__ import annotations

import numpy as np
import pytest

import nmfcore
from nmfcore import datasets
from lesson_kit import by_title, metric, open_lesson  # tests/lesson_kit.py


def test_lesson1_storage_counter_and_additive_parts(app_test, figures):
    at = open_lesson(app_test, "l01_what_is_nmf")
    assert metric(at, "Numbers in X") == "262,144"
    assert metric(at, "Numbers in W and H") == f"{17 * (256 + 1024):,}"
    assert float(metric(at, "Relative error")) < 0.05  # 17 parts rebuild the swimmers
    at.slider(key="l01_rank").set_value(4).run()
    assert metric(at, "Numbers in W and H") == f"{4 * (256 + 1024):,}"
    assert float(metric(at, "Relative error")) > 0.2  # too few parts
    trade = by_title(figures(at), "As r grows")
    store, err = (np.asarray(t["y"], float) for t in trade["data"])
    np.testing.assert_allclose(store, np.asarray(trade["data"][0]["x"]) * 1280 / 262144)
    assert err[0] > 0.5 and err[-1] < 0.05 and np.all(np.diff(err) < 0.01)
    figs = figures(at)
    parts = by_title(figs, "All 4 rows of H")
    assert len(parts["layout"]["annotations"]) == 4
    z = np.array(parts["data"][0]["z"], dtype=float)
    assert np.nanmin(z) >= 0


def test_lesson2_pca_signed_nmf_not(app_test, figures):
    at = open_lesson(app_test, "l02_parts")
    figs = figures(at)
    nmf_z = np.array(by_title(figs, "NMF")["data"][0]["z"], dtype=float)
    pca_z = np.array(by_title(figs, "PCA")["data"][0]["z"], dtype=float)
    assert np.nanmin(nmf_z) >= 0 and np.nanmin(pca_z) < 0
    assert by_title(figs, "PCA")["data"][0]["colorscale"][0][1] != "rgb(255,255,255)"
    rec = by_title(figs, "Reconstructions")
    errs = {a["text"].split(":")[0]: float(a["text"].split("err ")[1])
            for a in rec["layout"]["annotations"] if "err" in a["text"]}
    assert errs["PCA"] <= errs["NMF"] <= errs["k-means"]
    at.radio(key="l02_data").set_value("digits").run()
    assert not at.exception
    assert len(figures(at)) == 4


def _history(kind, steps, delta=1e-16):
    from dashboard.lessons import kit

    X = np.asarray(datasets.load_demo("tiny").X, dtype=float)
    W0, H0 = kit.tiny_start(kind)
    return nmfcore.factorize(X, 2, solver="mu", W0=W0, H0=H0, max_iter=steps, tol=0.0,
                             delta=delta).history["loss"]


def test_lesson3_steps_match_nmfcore_history(app_test, figures):
    at = open_lesson(app_test, "l03_multiplicative_updates")
    at.button(key="l03_step10").click().run()
    at.button(key="l03_step").click().run()
    assert metric(at, "Iteration") == "11"
    loss = by_title(figures(at), "Loss after each step")
    mine = next(t for t in loss["data"] if t["name"] == "these steps")
    ref = _history("random", 11)
    np.testing.assert_allclose(np.asarray(mine["y"], float), ref, rtol=1e-9)
    assert np.all(np.diff(ref) <= 1e-12)  # MU never increases the loss
    assert float(metric(at, "Loss")) == pytest.approx(ref[-1], rel=1e-3)


def test_lesson3_zero_locking_and_delta(app_test, figures):
    from dashboard.lessons import kit

    at = open_lesson(app_test, "l03_multiplicative_updates")
    at.radio(key="l03_start").set_value(kit.TINY_STARTS[1]).run()
    at.button(key="l03_step10").click().run()
    mats = by_title(figures(at), "After 10 step(s)")
    H = np.array(mats["data"][2]["z"], dtype=float)
    assert H[kit.locked_cell()] == 0.0
    assert "Zero locking" in at.info[0].value
    at.radio(key="l03_start").set_value(kit.TINY_STARTS[2]).run()
    at.select_slider(key="l03_delta").set_value("0").run()
    at.button(key="l03_step").click().run()
    assert at.error and "0 / 0" in at.error[0].value
    assert metric(at, "Loss") == "nan"


def test_lesson4_projection_and_divergence(app_test, figures):
    at = open_lesson(app_test, "l04_gradient_descent")
    assert metric(at, "Negative entries now") == "0"
    assert float(metric(at, "Smallest entry")) >= 0
    at.toggle(key="l04_project").set_value(False).run()
    assert int(metric(at, "Negative entries now")) > 0
    panels = by_title(figures(at), "Final factors")
    z = np.concatenate([np.ravel(np.array(t["z"], float)) for t in panels["data"]])
    assert z.min() < 0
    at.select_slider(key="l04_lr").set_value(0.2).run()
    assert metric(at, "Final loss") == "diverged"
    assert "blew up" in at.error[0].value


def test_lesson5_each_fit_wins_its_own_objective(app_test, figures):
    at = open_lesson(app_test, "l05_losses")
    figs = figures(at)
    ll = dict(zip(*[by_title(figs, "Poisson")["data"][0][k] for k in ("x", "y")]))
    sq = dict(zip(*[by_title(figs, "Squared error")["data"][0][k] for k in ("x", "y")]))
    assert ll["KL fit"] > ll["Frobenius fit"]
    assert sq["Frobenius fit"] < sq["KL fit"]
    effort = by_title(figs, "Where each objective")
    shares = {t["name"]: np.asarray(t["y"], float) for t in effort["data"]}
    for v in shares.values():
        assert v.sum() == pytest.approx(1.0, abs=1e-6)
    big_sq = shares["share of the squared error (Frobenius fit)"][-1]
    big_kl = shares["share of the KL divergence (KL fit)"][-1]
    assert big_sq > big_kl  # large counts dominate the squared error, not KL
    by_count = by_title(figs, "Mean fitted value by observed count")
    assert by_count["layout"]["xaxis"]["type"] == by_count["layout"]["yaxis"]["type"] == "log"
    lines = {t["name"]: np.asarray(t["y"], float) for t in by_count["data"]}
    x = np.asarray(by_count["data"][0]["x"], float)
    assert x[0] == 1.0 and np.all(np.diff(x) > 0)
    miss = {name: np.abs(np.log(lines[name] / x)) for name in ("Frobenius fit", "KL fit")}
    assert miss["KL fit"][0] < miss["Frobenius fit"][0]     # small counts: KL is closer
    assert miss["Frobenius fit"][-1] < miss["KL fit"][-1]   # the largest: Frobenius is
    # both axes labelled 1, 2, 5, 10, 20 ... in plain numbers, covering every point drawn
    for ax, vals in (("xaxis", x), ("yaxis", np.concatenate([*lines.values(), x]))):
        ticks = np.asarray(by_count["layout"][ax]["tickvals"], float)
        assert by_count["layout"][ax]["ticktext"] == [f"{t:g}" for t in ticks]
        assert np.all(np.diff(ticks) > 0) and {1.0, 2.0, 5.0, 10.0} <= set(ticks)
        assert ticks[0] <= vals.min() and ticks[-1] >= vals.max()


def test_lesson6_memberships_sum_to_one_and_track_truth(app_test, figures):
    at = open_lesson(app_test, "l06_soft_clustering")
    bars = by_title(figures(at), "Memberships of each sample")
    comps = [t for t in bars["data"] if t["type"] == "bar"]
    assert len(comps) == 4
    total = np.sum([np.asarray(t["y"], float) for t in comps], axis=0)
    np.testing.assert_allclose(total, 1.0, atol=1e-9)
    strongest = np.argmax([np.asarray(t["y"], float) for t in comps], axis=0)
    kmeans = np.asarray(next(t for t in bars["data"] if t["type"] == "scatter")["customdata"])
    assert np.mean(strongest == kmeans) > 0.7  # clusters numbered like the components
    one = by_title(figures(at), "Sample")
    nmf, truth = (np.asarray(t["y"], float) for t in one["data"])
    assert np.abs(nmf - truth).max() < 0.15
    assert np.sort(nmf)[-2] > 0.2  # the first sample offered is a genuine mixture
    assert "k-means puts sample" in at.markdown[-1].value
