"""The service layer without a page: caching, the Stop flag, error messages, exports."""
import time

import numpy as np

from dashboard import exports, services
from nmfcore.teaching import ambiguity_demo
from nmfcore.datasets import load_demo

RACE = {"solvers": ["MU-Frobenius", "HALS"], "rank": 4, "init": "nndsvda", "max_iter": 30,
        "max_time": None, "tol": 0.0, "l1": 0.0, "l2": 0.0, "random_state": 0}


def test_fit_is_cached_by_data_key_and_settings():
    ds = load_demo("planted")
    calls = []
    settings = {"rank": 4, "solver": "mu", "max_iter": 20, "tol": 0.0, "random_state": 0}
    a = services.fit(ds, "k1", settings, callback=lambda s: calls.append(s.iteration))
    assert calls == list(range(21))
    b = services.fit(ds, "k1", settings, callback=lambda s: calls.append(-1))
    assert -1 not in calls and np.array_equal(a.W, b.W)              # served from the cache
    services.fit(ds, "k2", settings, callback=lambda s: calls.append(-2))
    assert -2 in calls                                                # new data key: recomputed


def test_stop_really_stops_a_race_and_nothing_is_cached():
    ds = load_demo("digits")
    race = dict(RACE, solvers=["MU-Frobenius", "HALS"], max_iter=100000, rank=10)
    job = services.start_race(ds, "digits", race)
    deadline = time.monotonic() + 30
    while "MU-Frobenius" not in job.snapshot() and time.monotonic() < deadline:
        time.sleep(0.05)
    job.stop()
    assert job.wait(30), "the race did not stop"
    assert job.stopped and job.error is None
    mu = job.result["MU-Frobenius"]
    assert mu.status == "stopped" and 0 < mu.n_iter < 100000
    assert "HALS" not in job.result                                   # never started
    again = services.start_race(ds, "digits", dict(race, max_iter=5))   # stopped: not cached
    assert again.wait(30) and not again.stopped and again.error is None
    assert again.result["MU-Frobenius"].n_iter == 5


def test_job_turns_value_errors_into_messages():
    ds = load_demo("planted")
    job = services.start_fit(ds, "p", {"rank": 500, "solver": "mu", "random_state": 0})
    assert job.wait(30)
    assert job.result is None and "rank" in job.error.lower()
    assert "Traceback" not in job.error


def test_histories_csv_and_table_cover_every_solver():
    ds = load_demo("planted")
    res = services.run_race(ds, "p", RACE)
    csv = exports.histories_csv(res).splitlines()
    assert csv[0] == "run,iteration,seconds,loss,rel_error"
    assert sum(line.startswith("HALS,") for line in csv) == 31
    rows = exports.race_table(res)
    assert [r["solver"] for r in rows] == ["MU-Frobenius", "HALS"]
    assert all(r["iterations"] == 30 and r["ms / iteration"] > 0 for r in rows)


def test_ambiguity_demo_changes_factors_not_product():
    rng = np.random.default_rng(0)
    W, H = rng.random((20, 3)), rng.random((3, 8))
    demo = ambiguity_demo(W, H, seed=1)
    assert demo["max_abs_product_change"] < 1e-12
    assert demo["max_abs_W_change"] > 0.1 and demo["max_abs_H_change"] > 0.1
    assert sorted(r["is old component"] for r in demo["rows"]) == ["C1", "C2", "C3"]


def test_cancel_a_rank_sweep_and_restarts():
    ds = load_demo("digits")
    for start, settings in (
            (services.start_sweep, {"ranks": (2, 10), "n_restarts": 20, "solver": "mu",
                                    "max_iter": 300, "cv_folds": 1, "random_state": 0}),
            (services.start_restarts, {"rank": 10, "n_restarts": 200, "solver": "mu",
                                       "max_iter": 300, "random_state": 0})):
        job = start(ds, "digits", settings)
        deadline = time.monotonic() + 30
        while job.snapshot().get("done", 0) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        job.stop()
        assert job.wait(60), f"{job.kind} did not stop"
        assert job.stopped and job.error is None
        done = job.snapshot()["done"]
        assert 2 <= done < job.snapshot()["total"]


def test_missing_cells_are_masked_in_fit_and_race():
    from dataclasses import replace

    ds = load_demo("planted")
    X = ds.X.copy()
    X[::7, ::5] = np.nan
    ds = replace(ds, X=X, extras={**ds.extras, "missing": True})
    assert services.race_choices(ds) == ["MU-Frobenius", "MU-KL", "MU-β", "HALS"]  # no IS: zeros
    res = services.run_race(ds, "nan", dict(RACE, solvers=services.race_choices(ds)))
    assert all(np.isfinite(r.W).all() and r.rel_error < 0.2 for r in res.values())


def test_immediate_stop_keeps_the_finished_restarts():
    job = services.start_restarts(load_demo("digits"), "digits", {
        "rank": 10, "n_restarts": 50, "solver": "mu", "max_iter": 2000, "random_state": 1})
    job.stop()                           # at once: nmfcore checks after each finished fit
    assert job.wait(60)
    assert job.stopped and job.error is None
    assert 1 <= len(job.result.losses) < 50 and job.result.n_requested == 50


def test_race_start_fills_missing_cells_like_a_masked_fit():
    import dataclasses

    import nmfcore

    base = load_demo("planted")
    X = np.array(base.X, dtype=float)
    X[::7, ::5] = np.nan
    ds = dataclasses.replace(base, X=X, extras={**base.extras, "missing": True})
    race = dict(RACE, solvers=["HALS"], max_iter=3)
    res = services.run_race(ds, "planted-nan", race)["HALS"]
    direct = nmfcore.factorize(X, 4, solver="hals", missing="mask", init="nndsvda",
                               random_state=0, max_iter=3, tol=0.0)
    # the shared start is the masked fit's own start (missing cells = mean of the observed)
    assert res.history["rel_error"][0] == direct.history["rel_error"][0]
    np.testing.assert_allclose(res.W, direct.W)
