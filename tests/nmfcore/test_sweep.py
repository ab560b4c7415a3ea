"""rank_sweep(): held-out error and shuffled baseline on planted ranks, table, rules, cancel."""
import warnings

import numpy as np
import pytest

import nmfcore
from nmfcore.datasets import make_planted
from nmfcore.sweep import COLUMNS

FAST = dict(solver="hals", max_iter=300, tol=1e-6)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def planted():
    return make_planted(100, 60, 4, noise=0.3, random_state=0)


@pytest.fixture(scope="module")
def sweep(planted):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
        return nmfcore.rank_sweep(planted.X, [1, 2, 3, 4, 5, 6], n_restarts=3, random_state=0,
                                  cv_folds=3, cv_fraction=0.1, **FAST)


def test_heldout_error_is_lowest_at_the_planted_rank(sweep):
    t = sweep.table
    assert t["rank"][np.argmin(t["cv_error"])] == 4
    rules = {s.rule: s for s in sweep.suggestions}
    assert rules["lowest held-out error"].rank == 4
    assert rules["Frigyesi: error decrease below shuffled data"].rank == 4
    assert all(isinstance(s.explanation, str) and s.explanation for s in sweep.suggestions)
    # in-sample error keeps falling past the true rank, held-out error does not
    assert t["rel_error"][-1] < t["rel_error"][3]
    assert t["cv_error"][-1] > t["cv_error"][3]


def test_shuffled_baseline_is_worse_and_barely_improves(sweep):
    t = sweep.table
    assert np.all(t["shuffled_rel_error"] > t["rel_error"])
    assert np.all(t["shuffled_cv_error"] > t["cv_error"])
    gain_real = t["rel_error"][0] - t["rel_error"][3]
    gain_shuffled = t["shuffled_rel_error"][0] - t["shuffled_rel_error"][3]
    assert gain_real > 2 * gain_shuffled


def test_table_layout_and_per_rank_consensus(sweep, planted):
    t = sweep.table
    assert set(t) == set(COLUMNS)
    assert {len(v) for v in t.values()} == {6}
    assert sweep.ranks == [1, 2, 3, 4, 5, 6]
    assert np.isnan(t["cophenetic"][0]) and np.isnan(t["silhouette"][0])
    ok = slice(1, None)
    assert np.all((t["cophenetic"][ok] >= -1) & (t["cophenetic"][ok] <= 1))
    assert np.all((t["dispersion"][ok] >= 0) & (t["dispersion"][ok] <= 1))
    assert np.all((t["pac"][ok] >= 0) & (t["pac"][ok] <= 1))
    assert np.all(np.isfinite(t["explained_variance"]))
    np.testing.assert_allclose(t["explained_variance"], 1 - t["rel_error"] ** 2, atol=1e-9)
    n = planted.X.shape[0]
    for r in sweep.ranks:
        assert sweep.consensus[r].shape == (n, n)
        assert sorted(sweep.orders[r]) == list(range(n))
        assert sweep.cv_errors[r].shape == (3,)
        assert sweep.restarts[r].n_fits == 3
    rows = sweep.rows()
    assert rows[3]["rank"] == 4 and rows[3]["cv_error"] == pytest.approx(t["cv_error"][3])
    assert sweep.n_fits == 6 * (3 + 3 + 2) and not sweep.cancelled
    with pytest.raises(ValueError):
        t["rank"][0] = 9                                       # read-only columns


def test_rank_seed_replays_the_restarts(sweep, planted):
    r, row = 3, 2
    again = nmfcore.restarts(planted.X, r, n_restarts=3, random_state=int(sweep.table["seed"][row]),
                             **FAST)
    np.testing.assert_array_equal(again.H, sweep.restarts[r].H)


def test_sweep_n_jobs_independent_and_seeds_independent_of_rank_list(planted):
    kw = dict(n_restarts=2, random_state=4, cv_folds=1, **FAST)
    a = nmfcore.rank_sweep(planted.X, [2, 3], **kw)
    b = nmfcore.rank_sweep(planted.X, [3, 2], n_jobs=2, **kw)
    for c in COLUMNS:
        np.testing.assert_array_equal(a.table[c], b.table[c])
    c = nmfcore.rank_sweep(planted.X, [3], **kw)
    np.testing.assert_array_equal(c.restarts[3].H, a.restarts[3].H)
    assert c.table["cv_error"][0] == a.table["cv_error"][1]


def test_cancel_returns_completed_ranks_only(planted):
    per_rank = 2 + 1 + 2
    res = nmfcore.rank_sweep(planted.X, [2, 3, 4], n_restarts=2, cv_folds=1, random_state=0,
                             callback=lambda d, n, r: d >= per_rank + 1, **FAST)
    assert res.cancelled and res.ranks == [2] and res.n_fits == 3 * per_rank
    assert len(res.suggestions) == 4
    none = nmfcore.rank_sweep(planted.X, [2, 3], n_restarts=2, cv_folds=1, random_state=0,
                              callback=lambda d, n, r: True, **FAST)
    assert none.cancelled and none.ranks == [] and none.suggestions == ()


def test_consensus_rules_on_three_groups():
    from tests.nmfcore.test_restarts import three_groups
    X, _ = three_groups(3)
    sw = nmfcore.rank_sweep(X, [2, 3, 4, 5], n_restarts=6, random_state=1, cv_folds=0,
                            shuffle_baseline=False, solver="hals", max_iter=150)
    t = sw.table
    assert t["cophenetic"][1] >= 0.95
    assert t["silhouette"][1] == pytest.approx(1.0)
    rules = {s.rule: s for s in sw.suggestions}
    # converged rank-2 fits agree too (they always merge the same two groups), so PAC ties at 0
    # on ranks 2 and 3 and the rule says it took the smaller; the error shows rank 3 is right
    assert t["pac"][1] == pytest.approx(0.0) and t["pac"][0] == pytest.approx(0.0)
    pac_rule = rules["Senbabaoglu: lowest PAC"]
    assert pac_rule.rank == 2 and "ties go to the smaller rank" in pac_rule.explanation
    assert t["rel_error"][1] < 0.05 < t["rel_error"][0]
    # on cleanly separated groups the cophenetic stays ~1 above the true rank (the extra
    # component takes only a few samples), so Brunet's rule finds no drop: it says so
    brunet = rules["Brunet: first drop of cophenetic"]
    assert brunet.rank == 5 and "never drops" in brunet.explanation
    assert rules["lowest held-out error"].rank is None
    assert rules["Frigyesi: error decrease below shuffled data"].rank is None
    assert np.all(np.isnan(t["cv_error"])) and np.all(np.isnan(t["shuffled_rel_error"]))


def test_rules_on_a_hand_made_table():
    from nmfcore.sweep import _suggest
    t = {c: np.full(5, np.nan) for c in COLUMNS}
    t["rank"] = np.arange(1, 6)
    t["cophenetic"] = np.array([np.nan, 0.99, 0.995, 0.90, 0.97])
    t["pac"] = np.array([np.nan, 0.2, 0.05, 0.05, 0.3])
    t["cv_error"] = np.array([0.5, 0.4, 0.3, 0.31, 0.35])
    t["rel_error"] = np.array([0.5, 0.35, 0.25, 0.24, 0.23])
    t["shuffled_rel_error"] = np.array([0.8, 0.78, 0.76, 0.74, 0.72])
    got = {s.rule: s.rank for s in _suggest(t)}
    assert got == {"lowest held-out error": 3, "Brunet: first drop of cophenetic": 3,
                   "Senbabaoglu: lowest PAC": 3,
                   "Frigyesi: error decrease below shuffled data": 3}
    t["cophenetic"] = np.array([np.nan, 0.99, 0.985, 0.90, 0.97])   # 0.005 drop is ignored
    assert _suggest(t)[1].rank == 3
    t["cophenetic"] = np.array([np.nan, 0.99, 0.97, 0.90, 0.97])
    assert _suggest(t)[1].rank == 2


def test_sweep_with_missing_values_and_sgd_switches_cv_solver(planted):
    X = planted.X.copy()
    X[np.random.default_rng(1).random(X.shape) < 0.05] = np.nan
    sw = nmfcore.rank_sweep(X, [3, 4], n_restarts=2, random_state=0, cv_folds=1, missing="mask",
                            **FAST)
    assert np.all(np.isfinite(sw.table["cv_error"]))
    assert np.all(np.isfinite(sw.table["shuffled_cv_error"]))
    assert np.all(np.isfinite(sw.table["explained_variance"]))
    sg = nmfcore.rank_sweep(planted.X, [3], n_restarts=2, random_state=0, cv_folds=1,
                            solver="sgd", max_iter=20, learning_rate=0.01)
    assert np.isfinite(sg.table["cv_error"][0])


def test_masked_fit_predicts_hidden_entries():
    d = make_planted(120, 80, 5, noise=0.02, random_state=3)
    X = d.X
    hidden = np.random.default_rng(0).random(X.shape) < 0.2
    for solver in ("mu", "hals"):
        res = nmfcore.factorize(X, 5, solver=solver, mask=~hidden, max_iter=600, tol=1e-8,
                                random_state=0)
        pred = (res.W @ res.H)[hidden]
        err = np.linalg.norm(pred - X[hidden]) / np.linalg.norm(X[hidden])
        assert err < 0.1, (solver, err)
        # and clearly better than predicting the mean of the observed entries
        base = np.linalg.norm(X[~hidden].mean() - X[hidden]) / np.linalg.norm(X[hidden])
        assert err < 0.25 * base
    mu = nmfcore.factorize(X, 5, solver="mu", mask=~hidden, max_iter=100, tol=0, random_state=1)
    assert np.all(np.diff(mu.history["loss"]) <= 1e-12 * mu.history["loss"][0])


def test_bad_arguments():
    X = np.random.default_rng(0).random((10, 8))
    with pytest.raises(ValueError, match="rank"):
        nmfcore.rank_sweep(X, [0, 2])
    with pytest.raises(ValueError, match=r"\[1, 8\]"):
        nmfcore.rank_sweep(X, [2, 9])
    with pytest.raises(ValueError, match="ints"):
        nmfcore.rank_sweep(X, [2.5])
    with pytest.raises(ValueError, match="cv_fraction"):
        nmfcore.rank_sweep(X, [2], cv_fraction=0.9)
    with pytest.raises(ValueError, match="cv_folds"):
        nmfcore.rank_sweep(X, [2], cv_folds=-1)


def test_every_suggestion_names_its_criterion_in_the_registry(sweep):
    res = sweep
    assert [s.criterion for s in res.suggestions] == ["cv_error", "cophenetic", "pac", "rel_error"]
    for s in res.suggestions:
        crit = nmfcore.RANK_CRITERIA[s.criterion]
        assert s.rule == crit.rule and crit.column in res.table
    for crit in nmfcore.RANK_CRITERIA.values():
        assert crit.column in COLUMNS and crit.title and crit.explanation
        assert crit.baseline is None or crit.baseline in COLUMNS
    np.testing.assert_allclose(res.table["shuffled_explained_variance"],
                               1 - res.table["shuffled_rel_error"] ** 2)
