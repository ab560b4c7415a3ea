"""The HTML report and the other pages' CSV tables, built from real results (no Streamlit
session): sections for what was computed only, Plotly embedded, snippets that run."""
from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd
import pytest

import nmfcore
from nmfcore.datasets import load_demo

from dashboard import exports, report, services

RACE = {"solvers": ["HALS", "MU-KL"], "rank": 2, "init": "nndsvda", "max_iter": 40,
        "max_time": None, "tol": 1e-4, "gtol": 1e-3, "l1": 0.0, "l2": 0.0, "random_state": 0,
        "options": {}}
SWEEP = {"ranks": (1, 3), "n_restarts": 3, "random_state": 0}
RST = {"rank": 2, "n_restarts": 3, "random_state": 1, "init": "random"}


@pytest.fixture(scope="module")
def results():
    ds = load_demo("tiny")
    fit = nmfcore.factorize(ds.X, 2, random_state=0)
    return ds, {"fit": ({}, fit), "race": (RACE, services.run_race(ds, "k", RACE)),
                "sweep": (SWEEP, services._sweep("k", SWEEP, ds.X)),
                "restarts": (RST, services._restarts("k", RST, ds.X))}


def test_report_has_a_section_per_result_and_plotly_inside(results):
    ds, res = results
    html = report.build(ds, "demo", log=["log1p"], **res)
    titles = re.findall(r'<h2 id="s\d+">([^<]+)</h2>', html)
    assert titles == ["Data", "Fit &amp; factors", "Memberships", "Solver race", "Rank sweep",
                      "Restarts"]
    assert "log1p" in html and html.count("Plotly.newPlot") >= 9
    assert "<script src=" not in html and "<link" not in html   # nothing fetched
    only = report.build(ds, "demo", race=res["race"])
    assert re.findall(r'<h2 id="s\d+">([^<]+)</h2>', only) == ["Data", "Solver race"]


def test_report_snippets_reproduce_the_results(results):
    ds, res = results
    scope: dict = {}
    exec(report.race_snippet(ds, "demo", RACE), scope)
    for name, r in res["race"][1].items():
        assert np.array_equal(scope["results"][name].W, r.W)
    scope = {}
    exec(report.restarts_snippet(ds, "demo", RST), scope)
    assert np.array_equal(scope["res"].similarity, res["restarts"][1].similarity)
    scope = {}
    exec(report.sweep_snippet(ds, "demo", SWEEP), scope)
    assert np.array_equal(scope["res"].table["rel_error"], res["sweep"][1].table["rel_error"])


def test_every_pages_tables_as_csv(results):
    ds, res = results
    race = pd.read_csv(io.StringIO(exports.race_summary_csv(res["race"][1])))
    assert list(race["solver"]) == ["HALS", "MU-KL"]
    sweep = pd.read_csv(io.StringIO(exports.sweep_csv(res["sweep"][1])))
    assert list(sweep["rank"]) == [1, 2, 3] and "cophenetic" in sweep and "cv_error" in sweep
    sim = pd.read_csv(io.StringIO(exports.restarts_similarity_csv(res["restarts"][1])))
    assert len(sim) == 3 and {"C1", "C2", "seed", "reference"} <= set(sim)
    Z, labels = res["restarts"][1].consensus
    cons = pd.read_csv(io.StringIO(exports.consensus_csv((Z, labels))), index_col=0)
    assert cons.shape == Z.shape and np.allclose(cons.to_numpy(), Z)


def test_every_chart_names_its_image_download(app_test, monkeypatch, figures):
    import json

    from dashboard import figure_export

    monkeypatch.setenv("NMF_EXPLORER_DEMO", "planted")
    at = app_test.run()
    at.switch_page("app_pages/fit.py").run()
    assert not at.exception
    configs = [json.loads(el.proto.config) for el in at.get("plotly_chart")]
    names = [c["toImageButtonOptions"]["filename"] for c in configs]
    assert "planted-loss" in names and "planted-relative-error" in names
    assert all(c["toImageButtonOptions"]["format"] == "png" and not c["displaylogo"]
               for c in configs)
    assert figure_export.file_stem({"layout": {"title": {"text": "W: <b>a</b> × b"}}},
                                   "upload: x.csv") == "upload-x-csv-w-a-b"


def test_report_figures_offer_svg_too(results):
    ds, res = results
    html = report.build(ds, "demo", fit=res["fit"])
    assert "Download plot as SVG" in html and "format: 'svg'" in html
    assert 'data-name="fit-loss"' in html
