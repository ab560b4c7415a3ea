"""The β-divergence losses on the Explore pages: every loss menu offers them, β is a number."""
import numpy as np
import pytest

import nmfcore
from dashboard import choices, services
from nmfcore.datasets import load_demo

FIT, RACE, RANK = "app_pages/fit.py", "app_pages/race.py", "app_pages/rank.py"
RESTARTS = "app_pages/restarts.py"


@pytest.fixture
def app(app_on):
    return app_on


def _loss_figure(figures, at):
    for f in figures(at):
        if (f["layout"].get("title") or {}).get("text") == "Loss":
            return np.array(f["data"][0]["y"])
    raise AssertionError("no Loss figure")


def test_menus_offer_every_loss_and_race_entries():
    assert choices.losses() == list(nmfcore.LOSSES)
    assert {"itakura-saito", "beta"} <= set(choices.losses())
    entries = choices.race_entries()
    assert entries["MU-IS"] == {"solver": "mu", "loss": "itakura-saito"}
    assert entries["MU-β"] == {"solver": "mu", "loss": "beta"}
    # Itakura-Saito cannot fit zeros: offered in the race only for data without any
    assert "MU-IS" not in services.race_choices(load_demo("planted"))
    assert "MU-IS" in services.race_choices(load_demo("genes"))
    kw = dict(services.race_entries({"solvers": ["MU-β", "MU-KL"], "rank": 3, "beta": 0.5}))
    assert kw["MU-β"]["beta"] == 0.5 and "beta" not in kw["MU-KL"]


def test_fit_page_fits_beta_with_the_given_beta(app, figures):
    at = app("planted")
    at.switch_page(FIT).run()
    at.selectbox(key="fit_solver").set_value("mu")
    at.selectbox(key="fit_loss").set_value("beta")
    at.number_input(key="fit_beta").set_value(1.25)
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception and not at.error
    out = at.session_state["nmfx_last_fit"]["outcome"]
    assert out.loss == "beta" and out.params["beta"] == 1.25
    y = _loss_figure(figures, at)
    assert len(y) > 5 and np.all(np.diff(y) <= 1e-9 * y[0])


def test_fit_page_explains_why_is_cannot_fit_zeros(app):
    at = app("planted")
    at.switch_page(FIT).run()
    at.selectbox(key="fit_solver").set_value("mu")
    at.selectbox(key="fit_loss").set_value("itakura-saito")
    at.button(key="FormSubmitter:fit_form-Run fit").click().run()
    assert not at.exception
    assert at.error and "Add a small epsilon" in at.error[0].value


def test_race_compares_frobenius_kl_and_is_from_one_start(app, figures):
    at = app("genes")                       # no zeros: Itakura-Saito can run
    at.switch_page(RACE).run()
    entries = ["MU-Frobenius", "MU-KL", "MU-IS", "MU-β"]
    at.multiselect(key="race_solvers").set_value(entries)
    at.number_input(key="race_rank").set_value(3)
    at.number_input(key="race_iter").set_value(30)
    at.number_input(key="race_beta").set_value(0.5)
    at.button(key="FormSubmitter:race_form-Start race").click().run()
    assert not at.exception and not at.error
    figs = {(f["layout"].get("title") or {}).get("text"): f for f in figures(at)}
    rel = figs["Relative error ‖X−WH‖/‖X‖"]["data"]
    assert [d["name"] for d in rel] == entries
    assert len({round(d["y"][0], 10) for d in rel}) == 1           # one shared start
    for d in figs["Loss (each solver's own objective)"]["data"]:     # each on its own objective
        y = np.array(d["y"])
        assert np.all(np.diff(y) <= 1e-9 * y[0]), d["name"]


def test_rank_and_restarts_take_the_loss(app, figures):
    at = app("planted")
    at.switch_page(RESTARTS).run()
    at.selectbox(key="rst_solver").set_value("mu")
    at.selectbox(key="rst_loss").set_value("beta")
    at.number_input(key="rst_beta").set_value(1.5)
    at.number_input(key="rst_n").set_value(3)
    at.number_input(key="rst_iter").set_value(50)
    at.button(key="FormSubmitter:rst_form-Run restarts").click().run()
    assert not at.exception and not at.error
    assert at.session_state["nmfx_rank"] >= 1
    at.switch_page(RANK).run()
    at.slider(key="rank_range").set_value((2, 3))
    at.number_input(key="rank_restarts").set_value(2)
    at.number_input(key="rank_iter").set_value(40)
    at.selectbox(key="rank_solver").set_value("mu")
    at.selectbox(key="rank_loss").set_value("kl")
    at.button(key="FormSubmitter:rank_form-Run sweep").click().run()
    assert not at.exception and not at.error
