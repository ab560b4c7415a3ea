"""The solver registry: self-describing classes, their own option checks, register_solver."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from nmfcore import NMFInputError
from nmfcore.solvers import Option, Solver, masked_counterpart
from toy_solver import DampedMU

X = np.random.default_rng(0).random((12, 3)) @ np.random.default_rng(1).random((3, 10))


@pytest.fixture
def toy():
    nmfcore.register_solver(DampedMU)
    yield DampedMU
    nmfcore.unregister_solver(DampedMU.name)


@pytest.mark.parametrize("name", ["mu", "sgd", "hals", "anls"])
def test_builtin_solvers_describe_themselves(name):
    cls = nmfcore.SOLVERS[name]
    assert cls.name == name and cls.label and cls.description
    assert set(cls.losses) <= set(nmfcore.LOSSES)
    assert isinstance(cls.may_diverge, bool) and isinstance(cls.supports_sparse, bool)
    assert cls.options == {o.name: o.default for o in cls.option_specs}
    for o in cls.option_specs:
        assert o.help and o.type in (float, int, bool)
        assert cls.check_options({o.name: o.default}) == {o.name: o.default}
        assert bool(o.auto) == (o.default is None)   # "None means ..." is always explained


def test_only_sgd_may_diverge_and_the_loop_reads_the_declaration():
    assert [n for n, c in nmfcore.SOLVERS.items() if c.may_diverge] == ["sgd"]
    res = nmfcore.factorize(X, 3, solver="sgd", learning_rate=1e6, max_iter=50, random_state=0)
    assert res.status == "diverged" and np.isfinite(res.W).all()


@pytest.mark.parametrize("solver, options, match", [
    ("sgd", {"learning_rate": 0.0}, r"learning_rate must be a finite number > 0; got 0.0"),
    ("sgd", {"batch_size": 0}, r"batch_size must be an integer >= 1 or None; got 0"),
    ("sgd", {"batch_size": 2.5}, r"batch_size must be an integer"),
    ("sgd", {"project": "yes"}, r"project must be True or False"),
    ("hals", {"inner_tol": -1.0}, r"inner_tol must be a finite number >= 0"),
    ("hals", {"learning_rate": 1.0}, r"unknown option\(s\) \['learning_rate'\] for solver 'hals'; "
                                     r"its options: inner_alpha, inner_tol, n_inner"),
    ("anls", {"delta": 1.0}, r"its options: none"),
])
def test_each_solver_checks_its_own_options(solver, options, match):
    with pytest.raises(NMFInputError, match=match):
        nmfcore.factorize(X, 2, solver=solver, max_iter=2, **options)


def test_options_reach_the_solver_and_the_params():
    res = nmfcore.factorize(X, 2, solver="sgd", batch_size=3, decay=0.5, max_iter=3,
                            random_state=0, tol=0)
    assert res.params["batch_size"] == 3 and res.params["decay"] == 0.5
    again = nmfcore.factorize(X, **res.params)
    np.testing.assert_array_equal(again.W, res.W)


def test_register_solver_adds_a_working_solver(toy):
    assert list(nmfcore.SOLVERS)[-1] == "toy-damped"
    res = nmfcore.factorize(X, 3, solver="toy-damped", damping=0.9, max_iter=300, tol=0,
                            random_state=0)
    assert res.solver == "toy-damped" and res.params["damping"] == 0.9
    assert res.rel_error < 0.05 and (res.W >= 0).all()
    with pytest.raises(NMFInputError, match=r"damping must be a finite number > 0 and <= 1"):
        nmfcore.factorize(X, 3, solver="toy-damped", damping=1.5)
    with pytest.raises(NMFInputError, match="needs dense X"):     # supports_sparse = False
        nmfcore.factorize(sp.csr_matrix(X), 3, solver="toy-damped")
    with pytest.raises(NMFInputError, match="cannot leave out missing entries"):
        nmfcore.factorize(X, 3, solver="toy-damped", mask=X > 0.1)
    with pytest.raises(NMFInputError, match="not available with solver='toy-damped'"):
        nmfcore.factorize(X, 3, solver="toy-damped", loss="kl")
    assert masked_counterpart("toy-damped") == "mu"    # first registered solver that can mask


def test_register_solver_refuses_duplicates_and_non_solvers(toy):
    with pytest.raises(NMFInputError, match="'toy-damped' is registered already"):
        nmfcore.register_solver(DampedMU)
    with pytest.raises(NMFInputError, match="needs a subclass of nmfcore.solvers.Solver"):
        nmfcore.register_solver(dict)
    with pytest.raises(NMFInputError, match="needs a subclass"):
        nmfcore.register_solver(Solver)

    class NoName(Solver):
        losses = ("frobenius",)
    with pytest.raises(NMFInputError, match="must set a class attribute name"):
        nmfcore.register_solver(NoName)

    class BadLoss(DampedMU):
        name = "bad-loss"
        losses = ("hinge",)
    with pytest.raises(NMFInputError, match="losses must list losses from"):
        nmfcore.register_solver(BadLoss)

    class BadDefault(DampedMU):
        name = "bad-default"
        option_specs = (Option("damping", 2.0, float, high=1.0, help="x"),)
    with pytest.raises(NMFInputError, match="damping must be"):
        nmfcore.register_solver(BadDefault)
    with pytest.raises(NMFInputError, match="built-in"):
        nmfcore.unregister_solver("mu")
    assert "bad-loss" not in nmfcore.SOLVERS and "bad-default" not in nmfcore.SOLVERS


def test_rank_sweep_switches_unmaskable_solvers_by_their_declaration():
    assert masked_counterpart("anls") == masked_counterpart("sgd") == "hals"
    assert masked_counterpart("hals") == "hals" and masked_counterpart("mu", "kl") == "mu"
    # the held-out fits run HALS without SGD's own options (HALS would refuse learning_rate)
    res = nmfcore.rank_sweep(X, [1, 2], n_restarts=2, cv_folds=1, random_state=0, solver="sgd",
                             learning_rate=0.5, max_iter=5, tol=0)
    assert np.isfinite(res.table["cv_error"]).all()
    assert all(f.solver == "sgd" and f.params["learning_rate"] == 0.5
               for f in res.restarts[2].fits)


def test_one_masked_start_fill_mean_of_observed_entries():
    A = np.array([[1.0, np.nan], [3.0, 5.0]])
    mask = ~np.isnan(A)
    np.testing.assert_array_equal(nmfcore.fill_missing(A, mask), [[1.0, 3.0], [3.0, 5.0]])
    W, H = nmfcore.initialize(A, 1, "nndsvd", mask=mask)
    W2, H2 = nmfcore.initialize(np.array([[1.0, 3.0], [3.0, 5.0]]), 1, "nndsvd")
    np.testing.assert_allclose(W @ H, W2 @ H2)


def test_one_hard_assignment():
    W = np.array([[0.2, 0.7, 0.1], [0.0, 0.0, 0.0], [5.0, 1.0, 1.0]])
    np.testing.assert_array_equal(nmfcore.hard_assignments(W), [1, -1, 0])
    np.testing.assert_array_equal(nmfcore.hard_assignments(W), nmfcore.memberships(W).hard)


def test_a_registered_solver_runs_in_pool_workers(toy):
    serial = nmfcore.restarts(X, 2, n_restarts=3, random_state=0, solver="toy-damped",
                              max_iter=20, tol=0, n_jobs=1)
    pooled = nmfcore.restarts(X, 2, n_restarts=3, random_state=0, solver="toy-damped",
                              max_iter=20, tol=0, n_jobs=2)
    assert [f.solver for f in pooled.fits] == ["toy-damped"] * 3
    np.testing.assert_array_equal(pooled.losses, serial.losses)


def test_a_plain_options_dict_still_declares_options():
    class Plain(DampedMU):
        name = "plain-options"
        options = {"damping": 0.5}

    assert [o.name for o in Plain.option_specs] == ["damping"] and Plain.options == {"damping": 0.5}
    assert Plain.check_options({"damping": 0.25}) == {"damping": 0.25}
    with pytest.raises(NMFInputError, match="unknown option"):
        Plain.check_options({"rate": 1.0})
