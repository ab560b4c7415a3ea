"""AppTest of every Explore page: load a demo, run the page's main action, check the figures."""
import numpy as np
import pytest

FIT, RACE, RANK = "app_pages/fit.py", "app_pages/race.py", "app_pages/rank.py"
RESTARTS, EXPORT = "app_pages/restarts.py", "app_pages/export.py"


@pytest.fixture
def app(app_on):
    return app_on


def _by_title(figs):
    out = {}
    for f in figs:
        title = (f["layout"].get("title") or {}).get("text")
        if not title and f["layout"].get("annotations"):
            title = f["layout"]["annotations"][0]["text"]
        out[title] = f
    return out


def test_fit_page_runs_and_draws_factors_of_swimmer(app, figures):
    at = app("swimmer")
    at.switch_page(FIT).run()
    assert not at.exception and not at.error
    assert "rank 17" in (at.success or at.warning)[0].value
    figs = _by_title(figures(at))
    loss = figs["Loss"]
    assert loss["layout"]["yaxis"]["type"] == "log"
    y = np.array(loss["data"][0]["y"])
    assert len(y) > 5 and np.all(np.diff(y) <= 1e-9 * y[0])        # MU never increases
    comps = figs["Components (rows of H)"]
    assert len(comps["data"]) == 17 and np.shape(comps["data"][0]["z"]) == (32, 32)
    W = figs["W: samples × components (sorted by dominant component)"]["data"][0]
    assert np.shape(W["z"]) == (200, 17) and W["x"][0] == "C1"      # 256 rows -> 200 bands
    mem = figs["Soft memberships (rows of W normalised to 1)"]
    total = np.sum([d["y"] for d in mem["data"]], axis=0)
    assert np.allclose(total, 1)

    at.selectbox(key="fit_solver").set_value("hals")
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception and (at.success or at.warning)[0].value.startswith("hals")


def test_fit_page_scores_memberships_against_known_labels(app, figures):
    at = app("digits")
    at.switch_page(FIT).run()
    assert not at.exception and not at.error
    scores = {m.label: float(m.value) for m in at.metric}
    assert set(scores) == {"purity", "entropy", "adjusted Rand"}
    assert 0.3 < scores["purity"] <= 1 and 0 < scores["adjusted Rand"] < 1
    table = _by_title(figures(at))["Clusters × known labels (counts)"]["data"][0]
    assert np.sum(table["z"]) == 1797 and table["x"] == [str(d) for d in range(10)]
    purity = np.sum(np.max(table["z"], axis=1)) / 1797                 # the same numbers
    assert abs(purity - scores["purity"]) < 5e-4


def test_fit_page_shows_nmfcore_errors_as_messages(app):
    at = app("planted")
    at.switch_page(FIT).run()
    at.selectbox(key="fit_solver").set_value("hals")
    at.selectbox(key="fit_loss").set_value("kl")
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception
    assert at.error and "kl" in at.error[0].value.lower()


def test_race_draws_one_line_per_solver_with_decreasing_mu(app, figures):
    at = app("planted")
    at.switch_page(RACE).run()
    solvers = ["MU-Frobenius", "MU-KL", "projected SGD", "HALS", "ANLS"]
    at.multiselect(key="race_solvers").set_value(solvers)
    at.number_input(key="race_iter").set_value(60)
    at.button(key="FormSubmitter:race_form-Start race").click().run()
    assert not at.exception and not at.error
    figs = _by_title(figures(at))
    rel = figs["Relative error ‖X−WH‖/‖X‖"]
    assert [d["name"] for d in rel["data"]] == solvers
    loss = figs["Loss (each solver's own objective)"]["data"][0]["y"]
    assert len(loss) == 61 and np.all(np.diff(loss) <= 1e-9 * loss[0])
    starts = {d["name"]: d["y"][0] for d in rel["data"]}
    assert len({round(v, 10) for v in starts.values()}) == 1        # one shared start
    table = at.dataframe[0].value
    assert list(table["solver"]) == solvers and (table["iterations"] <= 60).all()
    assert at.download_button(key="race_csv").label == "Histories (CSV)"

    at.radio(key="race_x").set_value("seconds").run()
    rel = _by_title(figures(at))["Relative error ‖X−WH‖/‖X‖"]
    assert rel["layout"]["xaxis"]["title"]["text"] == "wall time (s)"


@pytest.mark.parametrize("demo, ranks", [("swimmer", (2, 20)), ("planted", (2, 10)),
                                         ("tiny", (2, 5))])
def test_rank_page_default_range_reaches_past_the_suggested_rank(app, demo, ranks):
    """Swimmer's 17 parts lie outside 2-10: the default range must reach them, and past them
    (the criteria need ranks beyond the true one); the tiny set (5 x 6) caps the range."""
    at = app(demo)
    at.switch_page(RANK).run()
    assert not at.exception
    assert tuple(at.slider(key="rank_range").value) == ranks
    prompt = at.info[0].value
    assert "Run sweep" in prompt
    assert f"default range, {ranks[0]}–{ranks[1]}, reaches past" in prompt


def test_rank_page_small_multiples_with_baseline_and_marks(app, figures):
    at = app("planted")
    at.switch_page(RANK).run()
    at.slider(key="rank_range").set_value((2, 6))
    at.number_input(key="rank_restarts").set_value(4)
    at.button(key="FormSubmitter:rank_form-Run sweep").click().run()
    assert not at.exception and not at.error
    figs = _by_title(figures(at))
    rel = figs["Relative error"]["data"]
    y = np.array(rel[0]["y"])
    assert np.array_equal(rel[0]["x"], [2, 3, 4, 5, 6]) and y[2] < y[0] / 5   # elbow at 4
    assert rel[1]["name"] == "shuffled data (baseline)"
    assert np.all(np.array(rel[1]["y"]) > np.array(rel[0]["y"]))   # structure beats noise
    for title in ("Cophenetic correlation", "Held-out error", "Explained variance",
                  "Dispersion", "PAC (ambiguous pairs)"):
        assert title in figs
    marked = [d for f in figs.values() for d in f["data"] if d.get("name") == "suggested rank"]
    assert marked and all(2 <= d["x"][0] <= 6 for d in marked)
    held = figs["Held-out error"]["data"]
    assert any(d.get("name") == "suggested rank" and d["x"] == [4] for d in held)  # planted rank
    assert len(at.caption) >= 7
    cons = [f for t, f in figs.items() if t and t.startswith("Rank ")][0]
    z = np.array(cons["data"][0]["z"])
    assert z.shape == (100, 100) and np.allclose(np.diag(z), 1)
    at.select_slider(key="rank_show").set_value(3).run()
    at.button(key="rank_use").click().run()
    assert at.session_state["nmfx_rank"] == 3
    at.switch_page(FIT).run()
    assert not at.exception and "rank 3" in (at.success or at.warning)[0].value  # shared rank


def test_restarts_page_alignment_and_ambiguity(app, figures):
    at = app("planted")
    at.switch_page(RESTARTS).run()
    at.number_input(key="rst_n").set_value(6)
    at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
    assert not at.exception and not at.error
    figs = _by_title(figures(at))
    assert len(figs["Final loss of every run"]["data"][0]["x"]) == 6
    sim = figs["Per-component similarity across runs"]["data"]
    assert len(sim) == 4 and all(0 <= v <= 1 + 1e-9 for d in sim for v in d["y"])
    after = figs["After alignment: matched to the reference"]["data"]
    assert len(after) == 4 * 4                                      # 4 components × 4 runs
    metrics = {m.label: m.value for m in at.metric}
    assert float(metrics["largest change in W·H"]) < 1e-9
    assert float(metrics["largest change in W"]) > 1e-3
    assert len(at.dataframe[0].value) == 4


def test_export_snippet_reproduces_the_last_fit(app):
    at = app("planted")
    at.switch_page(EXPORT).run()
    assert at.info and "Nothing computed yet" in at.info[0].value
    at.switch_page(FIT).run()
    at.selectbox(key="fit_solver").set_value("hals")
    at.number_input(key="fit_seed").set_value(7)
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    at.switch_page(EXPORT).run()
    assert not at.exception
    code = at.code[1].value
    assert "random_state=7" in code and "solver='hals'" in code
    scope: dict = {}
    exec(compile(code, "reproduce.py", "exec"), scope)   # the snippet as a user would run it
    out = at.session_state["nmfx_last_fit"]["outcome"]
    assert np.array_equal(scope["W"], out.W) and np.array_equal(scope["H"], out.H)
    labels = {b.label for b in at.download_button}
    assert {"W.csv", "H.csv", "memberships.csv", "history.csv", "settings.json",
            "reproduce.py"} <= labels


def test_fit_page_lists_feature_programs_for_labelled_features(app_test):
    at = app_test.run()
    at.selectbox(key="data_demo").set_value("text").run()
    at.switch_page("app_pages/fit.py").run()
    assert not at.exception
    assert any(s.value == "Feature programs" for s in at.subheader)
    frame = at.dataframe[-1].value
    assert list(frame.columns) == ["component", "rank", "feature", "weight", "zscore"]
    assert frame.groupby("component")["weight"].apply(lambda w: w.is_monotonic_decreasing).all()
    assert frame["component"].nunique() == at.session_state["fit_rank"]
    assert frame.groupby("component").size().eq(10).all()
    assert any(b.label == "Feature programs (CSV)" for b in at.get("download_button"))


def test_export_offers_every_pages_tables_and_the_report(app):
    at = app("tiny")
    at.switch_page(RACE).run()
    at.button(key="FormSubmitter:race_form-Start race").click().run()
    at.switch_page(RESTARTS).run()
    at.number_input(key="rst_n").set_value(3)
    at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
    at.switch_page(EXPORT).run()
    assert not at.exception
    labels = {b.label for b in at.download_button}
    assert {"Download report", "race_summary.csv", "race_histories.csv",
            "restarts_similarity.csv", "restarts_consensus.csv"} <= labels
    assert "W.csv" not in labels and "Solver race, Restarts" in at.caption[0].value
