"""Projected SGD that diverges in the Solver race is reported as a warning on the page.

With a learning rate of 10 SGD diverges on the tiny demo: the result table's "status" cell
says ``diverged``, and ``dashboard/app_pages/race.py`` shows a ``st.warning`` naming the solver
and the remedy (lower the learning rate; 1 is the safe default).
"""
from __future__ import annotations

import re

from rel_helpers import count


def test_race_reports_sgd_divergence_as_a_message(app_test, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "tiny")
    at = app_test.run()
    at.switch_page("app_pages/race.py").run()
    for seed in range(3):
        at.multiselect(key="race_solvers").set_value(["projected SGD", "HALS"])
        at.selectbox(key="race_init").set_value("nndsvd")
        at.number_input(key="race_sgd_learning_rate").set_value(10.0)
        at.number_input(key="race_iter").set_value(30)
        at.number_input(key="race_seed").set_value(seed)
        at.button(key="FormSubmitter:race_form-Start race").click().run()
        count("AppTest bad input")
        assert not at.exception
        msgs = [m.value for m in at.warning] + [m.value for m in at.error]
        assert not any(re.search("LinAlgError|Eigenvalues did not converge", m) for m in msgs), msgs
        assert any(re.search("diverg", m, re.I) and re.search("learning rate", m, re.I)
                   for m in msgs), f"seed {seed}: no message about the divergence: {msgs}"
