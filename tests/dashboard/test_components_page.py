"""AppTest of the Components page: names (and where they go), the sample map and its
selection table, the topic explorer, and new samples projected onto the fit."""
import io

import numpy as np
import pandas as pd
import pytest

import nmfcore
from dashboard import exports
from nmfcore import datasets

FIT, CMP, EXPORT = "app_pages/fit.py", "app_pages/components.py", "app_pages/export.py"
LAST_FIT = "nmfx_last_fit"


@pytest.fixture
def fitted(app_on):
    """The dashboard on a demo set, after its first fit, on the Components page."""
    def start(demo: str):
        at = app_on(demo)
        at.switch_page(FIT).run()
        assert not at.exception and not at.error
        at.switch_page(CMP).run()
        assert not at.exception and not at.error
        return at
    return start


def _fig(figures, at, title_start):
    for f in figures(at):
        text = (f["layout"].get("title") or {}).get("text") or ""
        if text.startswith(title_start):
            return f
    raise AssertionError(f"no figure titled {title_start!r}: "
                         f"{[(f['layout'].get('title') or {}).get('text') for f in figures(at)]}")


def _text_input(at, label):
    return next(t for t in at.text_input if t.label == label)


def test_without_a_fit_the_page_points_to_fit(app_test):
    at = app_test.run()
    at.switch_page(CMP).run()
    assert not at.exception
    assert "No fit of this data set yet" in at.info[0].value


def test_rename_reaches_figures_exports_and_survives_a_refit(fitted, figures):
    at = fitted("planted")
    out = at.session_state[LAST_FIT]["outcome"]
    assert _text_input(at, "C1").value.startswith("C1 · feature ")    # dominant feature default
    _text_input(at, "C2").input("left arm")
    at.button(key="FormSubmitter:cmp_names_form-Save names").click().run()
    assert not at.exception
    assert "left arm" in at.success[0].value

    at.switch_page(FIT).run()
    W = next(f for f in figures(at) if (f["layout"].get("title") or {}).get("text", "")
             .startswith("W: samples"))
    assert W["data"][0]["x"][1] == "left arm"
    legend = [d["name"] for d in next(f for f in figures(at) if (f["layout"].get("title") or {})
                                      .get("text", "").startswith("Soft memberships"))["data"]]
    assert legend[1] == "left arm"

    ds = datasets.load_demo("planted")
    names = [d for d in legend]
    header = exports.export_tables(ds, out, names)["W.csv"].splitlines()[0].split(",")
    assert header[2] == "left arm"
    at.switch_page(EXPORT).run()
    assert not at.exception
    assert '"left arm"' in at.code[0].value                # the settings JSON names them too

    # a refit from another seed finds the same planted parts: the name follows its component
    at.switch_page(FIT).run()
    at.number_input(key="fit_seed").set_value(3)
    at.selectbox(key="fit_init").set_value("random")
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    new = at.session_state[LAST_FIT]["outcome"]
    assert new is not out
    at.switch_page(CMP).run()
    labels = [t.value for t in at.text_input if t.label.startswith("C")][:new.rank]
    sim = nmfcore.component_similarity(out.H[[1]], new.H)[0]
    assert labels[int(np.argmax(sim))] == "left arm" and sim.max() > 0.9


def test_sample_map_and_top_samples_fill_the_table(fitted, figures):
    at = fitted("planted")
    out = at.session_state[LAST_FIT]["outcome"]
    fig = _fig(figures, at, "Samples by their memberships")
    assert fig["layout"]["dragmode"] == "select"
    idx = sorted(i for d in fig["data"] for i in d["customdata"])
    assert idx == list(range(100))                                  # every row once
    xy = nmfcore.sample_map(out.W)
    d0 = fig["data"][0]
    assert np.allclose([d0["x"][0], d0["y"][0]], xy[d0["customdata"][0]])
    assert any("Drag a box or lasso" in i.value for i in at.info)

    at.selectbox(key="cmp_top").set_value(2).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "dominant" in d.value.columns)
    assert len(table) == 12
    top = nmfcore.top_samples(out.W, 2, 12)
    assert list(table["sample"]) == [f"sample {i}" for i in top]
    assert set(table["dominant"]) <= {t.value for t in at.text_input}
    assert _fig(figures, at, "W of the selected samples")["data"][0]["z"]

    at.radio(key="cmp_map_method").set_value("radial").run()
    at.radio(key="cmp_map_colour").set_value("known label").run()
    assert not at.exception
    fig = _fig(figures, at, "Samples by their memberships")
    assert fig["layout"]["legend"]["title"]["text"] == "known label"
    assert len(fig["data"]) == len(np.unique(datasets.load_demo("planted").classes))


def test_selection_of_images_shows_their_reconstructions(fitted, figures):
    at = fitted("swimmer")
    at.selectbox(key="cmp_top").set_value(0).run()
    assert not at.exception
    grid = _fig(figures, at, "First 12 selected")
    assert grid["layout"]["meta"]["n_images"] == 24


def test_topic_explorer_relevance_slider_and_topic_map(fitted, figures):
    at = fitted("text")
    out = at.session_state[LAST_FIT]["outcome"]
    ds = datasets.load_demo("text")
    tmap = _fig(figures, at, "Intertopic distance map")
    assert len(tmap["data"][0]["x"]) == out.rank
    size = np.array(tmap["data"][0]["marker"]["size"])
    shares = nmfcore.topic_shares(out.W, out.H)
    assert np.argmax(size) == np.argmax(shares)
    bars = _fig(figures, at, "Top 20 terms")
    at_06 = bars["data"][1]["y"][::-1]                      # most relevant first
    pw = nmfcore.term_probabilities(W=out.W, H=out.H)
    assert at_06 == [ds.col_labels[j] for j in nmfcore.top_terms(out.H, 0, lam=0.6, n=20,
                                                                 term_prob=pw)]
    # red never longer than grey: a topic's part of a term's total
    assert all(r <= g + 1e-9 for r, g in zip(bars["data"][1]["x"], bars["data"][0]["x"]))

    at.slider(key="cmp_lambda").set_value(1.0).run()
    by_weight = _fig(figures, at, "Top 20 terms")["data"][1]["y"][::-1]
    assert by_weight == [ds.col_labels[j] for j in np.argsort(-out.H[0])[:20]]
    assert by_weight != at_06
    at.selectbox(key="cmp_topic").set_value(3).run()
    assert not at.exception
    tmap = _fig(figures, at, "Intertopic distance map")
    colours = tmap["data"][0]["marker"]["color"]
    assert colours[3] != colours[0]                          # the selected bubble stands out
    docs = next(d.value for d in at.dataframe if "top features" in d.value.columns
                and "dominant" not in d.value.columns)
    assert list(docs["sample"])[0] == ds.row_labels[nmfcore.top_samples(out.W, 3, 1)[0]]


def test_new_data_is_projected_and_matches_the_training_weights(fitted, figures):
    at = fitted("planted")
    out = at.session_state[LAST_FIT]["outcome"]
    ds = datasets.load_demo("planted")
    # the training rows themselves, columns shuffled: reordered by name, same weights
    frame = pd.read_csv(io.StringIO(exports.data_csv(ds)), index_col=0)
    frame = frame[frame.columns[::-1]].iloc[:20]
    at.file_uploader(key="cmp_new_upload").set_value(
        ("new.csv", frame.to_csv().encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert any("reordered by name" in c.value for c in at.caption)
    metrics = {m.label: float(m.value) for m in at.metric}
    assert metrics["new samples"] == 20
    table = next(d.value for d in at.dataframe if "rel. error" in d.value.columns)
    W_new = nmfcore.project(ds.X[:20], out.H)
    M = nmfcore.memberships(W_new).P
    names = [c for c in table.columns if c.startswith("C") and c != "dominant"]
    assert np.allclose(table[names].to_numpy(), M, atol=1e-6)
    # projection of the training rows reproduces the fit's memberships (HALS converged)
    assert np.abs(M - nmfcore.memberships(out.W[:20]).P).max() < 0.05
    assert _fig(figures, at, "Memberships of the new samples")


def test_new_data_with_other_columns_is_refused_clearly(fitted):
    at = fitted("planted")
    bad = pd.DataFrame(np.ones((3, 5)), columns=[f"x{j}" for j in range(5)])
    at.file_uploader(key="cmp_new_upload").set_value(
        ("other.csv", bad.to_csv().encode(), "text/csv")).run()
    assert not at.exception
    msg = at.error[0].value
    assert "do not match" in msg and "missing 60" in msg and "'x0'" in msg
    plain = "\n".join(",".join(["1"] * 7) for _ in range(3)).encode()
    at.file_uploader(key="cmp_new_upload").set_value(("plain.csv", plain, "text/csv")).run()
    msg = at.error[0].value
    assert "7 feature columns but the fit has 60" in msg


def test_new_data_problems_get_remedies_then_projection(fitted):
    at = fitted("planted")
    X = np.abs(np.random.default_rng(0).random((4, 60)))
    X[0, 0] = -1.0
    csv = "\n".join(",".join(f"{v:.4f}" for v in row) for row in X).encode()
    at.file_uploader(key="cmp_new_upload").set_value(("neg.csv", csv, "text/csv")).run()
    assert not at.exception and at.error
    fix = next(b for b in at.button if b.key and b.key.startswith("cmp_fix_") and
               "clip" in b.key)
    fix.click().run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["new samples"] == "4"


def test_new_images_show_reconstructions(fitted, figures):
    at = fitted("swimmer")
    ds = datasets.load_demo("swimmer")
    buf = io.BytesIO()
    np.save(buf, np.asarray(ds.X[:5]).reshape(5, 32, 32))
    at.file_uploader(key="cmp_new_upload").set_value(("five.npy", buf.getvalue(),
                                                      "application/octet-stream")).run()
    assert not at.exception and not at.error
    grid = _fig(figures, at, "New samples (top)")
    assert grid["layout"]["meta"]["n_images"] == 10


def test_merge_and_refit_continues_the_curve_and_keeps_names(fitted, figures):
    at = fitted("planted")
    out = at.session_state[LAST_FIT]["outcome"]
    token = next(t.key for t in at.text_input if t.label == "C1").split("_")[2]
    _text_input(at, "C1").input("first")
    _text_input(at, "C4").input("fourth")
    at.button(key="FormSubmitter:cmp_names_form-Save names").click().run()
    at.selectbox(key=f"cmp_merge_a_{token}").set_value(1)
    at.selectbox(key=f"cmp_merge_b_{token}").set_value(2)
    at.button(key=f"FormSubmitter:cmp_merge_form_{token}-Merge and refit").click().run()
    assert not at.exception and not at.error
    new = at.session_state[LAST_FIT]["outcome"]
    assert new.rank == out.rank - 1 and new.params["init"] == "custom"
    labels = [t.value for t in at.text_input if t.label.startswith("C")][:new.rank]
    assert labels[0] == "first" and labels[2] == "fourth"
    assert " + " in labels[1]                                # the merged one has both names
    assert any("Refitted at rank 3" in s.value for s in at.success)
    loss = _fig(figures, at, "Loss: the refit continues")
    before, after = loss["data"][0], loss["data"][1]
    assert after["x"][0] == before["x"][-1]                 # continues where it stopped
    assert abs(after["y"][-1] - new.final_loss) <= 1e-9 * max(new.final_loss, 1)
    # the rank moved with the fit, and the Export snippet says where the start came from
    at.switch_page(EXPORT).run()
    assert not at.exception
    assert "warm-started from edited factors" in at.code[1].value


def test_drop_and_refit_then_compare_the_two_fits(fitted, figures):
    at = fitted("planted")
    out = at.session_state[LAST_FIT]["outcome"]
    token = next(t.key for t in at.text_input if t.label == "C1").split("_")[2]
    assert any("Only one fit" in i.value for i in at.info)
    at.multiselect(key=f"cmp_drop_{token}").set_value([3])
    at.button(key=f"FormSubmitter:cmp_drop_form_{token}-Drop and refit").click().run()
    assert not at.exception and not at.error
    new = at.session_state[LAST_FIT]["outcome"]
    assert new.rank == out.rank - 1
    sim = _fig(figures, at, "Cosine similarity of the components")
    z = np.array(sim["data"][0]["z"])
    assert z.shape == (out.rank, new.rank)                  # A = the first fit, B = the refit
    assert np.allclose(z, nmfcore.component_similarity(out.H, new.H))
    pairs = next(d.value for d in at.dataframe if "cosine" in d.value.columns)
    assert len(pairs) == new.rank and (pairs["cosine"] > 0.9).sum() >= 2   # kept parts stay
    side = _fig(figures, at, "Matched pairs side by side")
    assert len(side["data"]) == 2 * new.rank


def test_compare_fits_of_different_rank_from_the_fit_page(fitted, figures):
    at = fitted("planted")
    at.switch_page(FIT).run()
    at.number_input(key="fit_rank").set_value(6)
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    at.switch_page(CMP).run()
    assert not at.exception
    z = np.array(_fig(figures, at, "Cosine similarity")["data"][0]["z"])
    assert z.shape == (4, 6)
    assert any("2 component(s) of the larger fit have no partner" in c.value
               for c in at.caption)


@pytest.mark.reliability
def test_components_page_on_a_masked_fit_of_data_with_missing_cells(app_test, figures):
    rng = np.random.default_rng(0)
    X = rng.random((30, 3)) @ rng.random((3, 8))
    X[2, 3] = X[7, 1] = np.nan
    frame = pd.DataFrame(X, columns=[f"g{j}" for j in range(8)])
    at = app_test.run()
    at.radio(key="data_mode").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(
        ("gaps.csv", frame.to_csv(index=False, na_rep="").encode(), "text/csv")).run()
    fix = next(b for b in at.button if b.key and b.key.endswith("nan_as_missing"))
    fix.click().run()
    assert not at.exception
    at.switch_page(FIT).run()
    assert not at.exception and not at.error
    at.switch_page(CMP).run()
    assert not at.exception and not at.error
    at.selectbox(key="cmp_top").set_value(0).run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "dominant" in d.value.columns)
    assert len(table) > 0
    new = frame.iloc[:5].fillna(0.0)
    at.file_uploader(key="cmp_new_upload").set_value(
        ("new.csv", new.to_csv(index=False).encode(), "text/csv")).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["new samples"] == "5"


def test_new_data_uses_the_fits_own_loss(fitted):
    at = fitted("planted")
    at.switch_page(FIT).run()
    at.selectbox(key="fit_solver").set_value("mu")
    at.selectbox(key="fit_loss").set_value("kl")
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception and not at.error
    out = at.session_state[LAST_FIT]["outcome"]
    assert out.loss == "kl"
    at.switch_page(CMP).run()
    ds = datasets.load_demo("planted")
    at.file_uploader(key="cmp_new_upload").set_value(
        ("new.csv", exports.data_csv(ds).encode(), "text/csv")).run()
    assert not at.exception and not at.error
    table = next(d.value for d in at.dataframe if "rel. error" in d.value.columns)
    W_kl = nmfcore.project(ds.X, out.H, loss="kl")
    names = [c for c in table.columns if c.startswith("C") and c != "dominant"]
    assert np.allclose(table[names].to_numpy(), nmfcore.memberships(W_kl).P, atol=1e-6)
