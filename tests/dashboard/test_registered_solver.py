"""A solver registered with nmfcore.register_solver before the app starts shows up, with its
options (widgets built from its declarations), on Fit & factors, Solver race, Rank and
Restarts, and runs from there: no dashboard file names it."""
from __future__ import annotations

import pytest

import nmfcore
from toy_solver import DampedMU

FIT, RACE, RANK, RESTARTS = ("app_pages/fit.py", "app_pages/race.py", "app_pages/rank.py",
                             "app_pages/restarts.py")
NAME = DampedMU.name


@pytest.fixture
def app(app_test, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "planted")
    nmfcore.register_solver(DampedMU)
    try:
        at = app_test.run()
        assert not at.exception
        yield at
    finally:
        nmfcore.unregister_solver(NAME)


def _option(at, key):
    widget = at.number_input(key=key)
    assert widget.help.startswith("Share of the multiplicative step")
    assert (widget.min, widget.max, widget.value) == (0.0, 1.0, 0.5)   # range and default
    return widget


def test_registered_solver_is_offered_and_fits_on_fit_and_factors(app):
    at = app.switch_page(FIT).run()
    assert not at.exception
    box = at.selectbox(key="fit_solver")
    assert NAME in box.options and box.value == "hals"                 # default by name
    assert "damped Lee-Seung updates" in box.help
    box.set_value(NAME)
    _option(at, f"fit_{NAME}_damping").set_value(0.8)
    at.number_input(key="fit_rank").set_value(4)
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception and not at.error
    msg = (at.success or at.warning)[0].value
    assert msg.startswith(f"{NAME} · frobenius · rank 4")
    last = at.session_state["nmfx_last_fit"]["outcome"]
    assert isinstance(last, nmfcore.NMFResult)
    assert last.solver == NAME and last.params["damping"] == 0.8 and last.rel_error < 0.5


def test_registered_solver_races_with_its_options(app):
    at = app.switch_page(RACE).run()
    pick = at.multiselect(key="race_solvers")
    assert "Toy damped MU" in pick.options
    assert "Toy damped MU" not in pick.value              # the default race is chosen by name
    pick.set_value(["Toy damped MU", "HALS"])
    _option(at, f"race_{NAME}_damping").set_value(0.3)
    at.number_input(key="race_iter").set_value(20)
    at.button(key="FormSubmitter:race_form-Start race").click().run()
    assert not at.exception and not at.error
    job = at.session_state["nmfx_jobs"]["race"]
    assert job.wait(60) and job.error is None
    toy = job.result["Toy damped MU"]
    assert toy.solver == NAME and toy.params["damping"] == 0.3 and toy.n_iter == 20


@pytest.mark.parametrize("path, key", [(RANK, "rank_solver"), (RESTARTS, "rst_solver")])
def test_registered_solver_is_offered_on_rank_and_restarts(app, path, key):
    at = app.switch_page(path).run()
    assert not at.exception
    box = at.selectbox(key=key)
    assert NAME in box.options and box.value == "hals"
    prefix = key.split("_")[0]
    _option(at, f"{prefix}_{NAME}_damping")


def test_registered_solver_runs_restarts_in_worker_processes(app):
    at = app.switch_page(RESTARTS).run()
    at.selectbox(key="rst_solver").set_value(NAME)
    at.number_input(key="rst_n").set_value(2)
    at.number_input(key="rst_rank").set_value(3)
    at.number_input(key="rst_iter").set_value(10)
    at.number_input(key="rst_jobs").set_value(2)
    at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
    assert not at.exception and not at.error
    job = at.session_state["nmfx_jobs"]["restarts"]
    assert job.wait(120) and job.error is None and len(job.result.losses) == 2
