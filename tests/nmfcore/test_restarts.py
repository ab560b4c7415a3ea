"""restarts(): seeding, alignment, consensus science, parallel equality, progress, cancellation."""
import concurrent.futures as cf
import multiprocessing as mp
import warnings

import numpy as np
import pytest

import nmfcore
from nmfcore._restarts import spawn_seeds

FAST = dict(solver="hals", max_iter=150)


def three_groups(seed, n_per=20, m=30, noise=0.05):
    """Samples in 3 groups, each group loading on its own block of 10 features."""
    rng = np.random.default_rng(seed)
    H = np.zeros((3, m))
    for k in range(3):
        H[k, 10 * k:10 * (k + 1)] = 1 + rng.random(10)
    labels = np.repeat(np.arange(3), n_per)
    W = 0.1 * rng.random((3 * n_per, 3))
    W[np.arange(3 * n_per), labels] += 1 + rng.random(3 * n_per)
    return W @ H + noise * rng.random((3 * n_per, m)), labels


@pytest.fixture(scope="module")
def groups():
    return three_groups(0)


@pytest.fixture(scope="module")
def fit3(groups):
    return nmfcore.restarts(groups[0], 3, n_restarts=8, random_state=11, **FAST)


def test_planted_groups_give_crisp_consensus_and_noise_does_not(groups, fit3):
    X, labels = groups
    assert fit3.cophenetic >= 0.95
    assert fit3.dispersion >= 0.95
    assert fit3.pac <= 0.05
    assert nmfcore.adjusted_rand_index(fit3.labels[fit3.best], labels) == pytest.approx(1.0)
    assert nmfcore.purity(fit3.labels[fit3.best], labels) == 1.0
    noise = np.random.default_rng(0).random(X.shape)
    res = nmfcore.restarts(noise, 3, n_restarts=8, random_state=11, **FAST)
    assert res.cophenetic < fit3.cophenetic - 0.05
    assert res.dispersion < 0.8
    assert res.pac > 0.2


def test_result_shapes_alignment_and_reference(groups, fit3):
    X, _ = groups
    n, m = X.shape
    assert fit3.n_fits == 8 and fit3.n_requested == 8 and not fit3.cancelled
    assert fit3.W.shape == (8, n, 3) and fit3.H.shape == (8, 3, m)
    assert fit3.consensus.shape == (n, n) and sorted(fit3.order) == list(range(n))
    assert fit3.reference == fit3.best == int(np.argmin(fit3.losses))
    np.testing.assert_allclose(np.linalg.norm(fit3.H, axis=2), 1.0)
    for i, f in enumerate(fit3.fits):            # aligned copies reproduce every fit exactly
        np.testing.assert_allclose(fit3.W[i] @ fit3.H[i], f.W @ f.H, rtol=1e-10, atol=1e-12)
        assert sorted(fit3.permutations[i]) == [0, 1, 2]
        assert f.random_state == fit3.seeds[i]
    np.testing.assert_allclose(fit3.similarity[fit3.reference], 1.0)
    # well separated blocks: every restart finds the same three parts
    assert fit3.similarity_min.min() > 0.99
    assert np.all(fit3.similarity_mean >= fit3.similarity_min)
    np.testing.assert_allclose(fit3.rel_errors, [f.rel_error for f in fit3.fits])
    assert fit3.loss_spread >= 0
    # aligned labels use the aligned numbering: same partition in every restart
    assert np.all(fit3.labels == fit3.labels[fit3.reference])


def test_explicit_reference_index_and_components(groups, fit3):
    X, _ = groups
    by_index = nmfcore.restarts(X, 3, n_restarts=8, random_state=11, reference=2, **FAST)
    assert by_index.reference == 2
    np.testing.assert_allclose(by_index.similarity[2], 1.0)
    H_ref = fit3.H[fit3.best][::-1] * 5.0          # reversed, rescaled reference components
    by_array = nmfcore.restarts(X, 3, n_restarts=8, random_state=11, reference=H_ref, **FAST)
    assert by_array.reference == -1
    np.testing.assert_allclose(by_array.H[by_array.best], fit3.H[fit3.best][::-1], atol=1e-12)


def test_same_seed_same_results_and_generator_seeds():
    X = three_groups(1)[0]
    a = nmfcore.restarts(X, 3, n_restarts=3, random_state=5, **FAST)
    b = nmfcore.restarts(X, 3, n_restarts=3, random_state=5, **FAST)
    c = nmfcore.restarts(X, 3, n_restarts=3, random_state=6, **FAST)
    np.testing.assert_array_equal(a.W, b.W)
    assert list(a.seeds) == list(b.seeds) and list(a.seeds) != list(c.seeds)
    assert len(set(a.seeds)) == 3
    g1 = nmfcore.restarts(X, 3, n_restarts=2, random_state=np.random.default_rng(3), **FAST)
    g2 = nmfcore.restarts(X, 3, n_restarts=2, random_state=np.random.default_rng(3), **FAST)
    np.testing.assert_array_equal(g1.H, g2.H)
    replay = nmfcore.restarts(X, 3, n_restarts=2, random_state=g1.random_state, **FAST)
    np.testing.assert_array_equal(replay.H, g1.H)
    root, seeds = spawn_seeds(None, 4)
    assert spawn_seeds(root, 4) == (root, seeds)


def test_n_jobs_1_and_2_identical_with_progress(groups):
    X, _ = groups
    seen = []
    serial = nmfcore.restarts(X, 3, n_restarts=6, random_state=3, **FAST)
    pool = nmfcore.restarts(X, 3, n_restarts=6, random_state=3, n_jobs=2,
                            callback=lambda d, n, r: seen.append((d, n, r.rank)), **FAST)
    np.testing.assert_array_equal(serial.W, pool.W)
    np.testing.assert_array_equal(serial.H, pool.H)
    np.testing.assert_array_equal(serial.consensus, pool.consensus)
    np.testing.assert_array_equal(serial.losses, pool.losses)
    assert [s[0] for s in seen] == list(range(1, 7)) and {s[1:] for s in seen} == {(6, 3)}
    for fs, fp in zip(serial.fits, pool.fits):
        np.testing.assert_array_equal(fs.history["loss"], fp.history["loss"])
        assert not fp.history["loss"].flags.writeable


def test_any_executor_gives_the_same_fits(groups):
    X, _ = groups
    serial = nmfcore.restarts(X, 3, n_restarts=4, random_state=8, **FAST)
    with cf.ThreadPoolExecutor(2) as ex:
        threaded = nmfcore.restarts(X, 3, n_restarts=4, random_state=8, executor=ex, **FAST)
    np.testing.assert_array_equal(serial.H, threaded.H)
    with pytest.raises(TypeError, match="executor must be"):
        nmfcore.restarts(X, 3, n_restarts=2, executor=object(), **FAST)


def test_cancel_serial_returns_flagged_partial_result(groups):
    X, _ = groups
    res = nmfcore.restarts(X, 3, n_restarts=6, random_state=1, callback=lambda d, n, r: d >= 2,
                           **FAST)
    assert res.cancelled and res.n_fits == 2 and res.n_requested == 6
    assert res.W.shape[0] == 2 and res.consensus.shape == (X.shape[0],) * 2


def test_cancel_pool_stops_workers():
    X = np.random.default_rng(0).random((300, 80))
    calls = []

    def stop(done, total, result):
        calls.append(done)
        return True

    res = nmfcore.restarts(X, 5, n_restarts=30, random_state=0, n_jobs=2, callback=stop,
                           solver="mu", max_iter=400, tol=0)
    assert res.cancelled and 1 <= res.n_fits < 30
    assert calls == [1]
    assert not [p for p in mp.active_children() if p.is_alive()]


def _sleep_task(shared, seconds):
    import time
    time.sleep(seconds)
    return seconds


def test_cancel_terminates_a_running_worker():
    from nmfcore._parallel import run_tasks
    # worker 1 finishes the short task, the callback cancels, worker 2 is in a 60 s task
    run = run_tasks(_sleep_task, [0.01, 60, 60, 60], n_jobs=2, callback=lambda d, n, r: True)
    assert run.cancelled and run.n_done == 1 and run.results[0] == 0.01
    assert not [p for p in mp.active_children() if p.is_alive()]


def test_errors_are_clear(groups):
    X, _ = groups
    with pytest.raises(ValueError, match="n_restarts"):
        nmfcore.restarts(X, 3, n_restarts=0)
    with pytest.raises(ValueError, match="random_state"):
        nmfcore.restarts(X, 3, n_restarts=2, random_state=-1)
    with pytest.raises(ValueError, match="solver"):
        nmfcore.restarts(X, 3, n_restarts=2, solver="nope")
    with pytest.raises(ValueError, match="solver"):          # raised from a worker process
        nmfcore.restarts(X, 3, n_restarts=2, solver="nope", n_jobs=2)
    with pytest.raises(ValueError, match="reference index"):
        nmfcore.restarts(X, 3, n_restarts=2, reference=5, **FAST)
    with pytest.warns(UserWarning, match="deterministic"):
        res = nmfcore.restarts(X, 3, n_restarts=2, init="nndsvd", **FAST)
    np.testing.assert_array_equal(res.W[0], res.W[1])      # the warning is true


def test_masked_restarts_with_missing_values(groups):
    X, _ = groups
    Xn = X.copy()
    Xn[np.random.default_rng(2).random(X.shape) < 0.1] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nmfcore.restarts(Xn, 3, n_restarts=3, random_state=0, missing="mask", **FAST)
    assert res.n_fits == 3 and np.all(np.isfinite(res.W))
    assert res.cophenetic >= 0.95


def test_bitwise_identical_on_data_large_enough_for_threaded_blas():
    # big enough that a multi-threaded BLAS splits the products; every path uses one thread
    # (checked: with the process's 2 BLAS threads the serial W differs by ~4e-15 here)
    X = np.random.default_rng(3).random((1800, 64))
    kw = dict(n_restarts=2, random_state=2, solver="mu", max_iter=20, tol=0)
    serial = nmfcore.restarts(X, 10, **kw)
    pool = nmfcore.restarts(X, 10, n_jobs=2, **kw)
    np.testing.assert_array_equal(serial.W, pool.W)


def test_single_blas_thread_is_reference_counted():
    import threadpoolctl
    from nmfcore._parallel import single_blas_thread

    def counts():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info()]

    before = counts()
    with single_blas_thread():
        with single_blas_thread():
            assert set(counts()) <= {1}
        assert set(counts()) <= {1}
    assert counts() == before


def test_restarts_is_the_function_not_a_module(groups):
    import importlib
    import sys
    import types
    # The implementation lives in the private module nmfcore._restarts: importing it (as
    # pytest's --doctest-modules does) cannot rebind nmfcore.restarts to a module object.
    mod = importlib.import_module("nmfcore._restarts")
    assert "nmfcore.restarts" not in sys.modules
    assert nmfcore.restarts is mod.restarts and not isinstance(nmfcore.restarts, types.ModuleType)
    assert nmfcore.RestartsResult is mod.RestartsResult
    res = nmfcore.restarts(groups[0], 3, n_restarts=1, random_state=0, **FAST)
    assert isinstance(res, nmfcore.RestartsResult) and res.n_fits == 1


def test_missing_dask_gives_a_clear_error(monkeypatch, groups):
    import sys
    monkeypatch.setitem(sys.modules, "distributed", None)     # makes `import distributed` fail
    with pytest.raises(ImportError, match=r"nmf-explorer\[dask\]"):
        nmfcore.restarts(groups[0], 3, n_restarts=2, executor="tcp://127.0.0.1:1", **FAST)


def test_n_jobs_values():
    from nmfcore._parallel import resolve_n_jobs
    assert resolve_n_jobs(None) == 1 and resolve_n_jobs(3) == 3
    assert resolve_n_jobs(-1) == (__import__("os").cpu_count() or 1)
    for bad in (0, 1.5, True, "2"):
        with pytest.raises(ValueError, match="n_jobs"):
            resolve_n_jobs(bad)


def test_consensus_is_lazy_and_can_be_disabled(groups):
    X, _ = groups
    res = nmfcore.restarts(X, 3, n_restarts=2, random_state=0, **FAST)
    assert "not computed" in repr(res)
    assert res.consensus.shape == (X.shape[0],) * 2 and res.consensus is res.consensus
    assert "cophenetic=1.000" in repr(res) or "cophenetic=0." in repr(res)
    off = nmfcore.restarts(X, 3, n_restarts=2, random_state=0, consensus=False, **FAST)
    assert off.consensus is None and off.order is None and np.isnan(off.cophenetic)
    assert np.isnan(off.dispersion) and np.isnan(off.pac)
