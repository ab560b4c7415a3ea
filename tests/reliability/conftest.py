"""Reliability suite: makes ``rel_helpers`` importable and writes the figures at the end.

Figures (generated cases, sessions, memory, stop times) are collected by the tests in
``rel_helpers.CASES`` / ``rel_helpers.FIGURES`` and written to
``artifacts/reliability/figures.json`` (git-ignored) at the end of the session; the terminal
summary prints them too. docs/reliability.md quotes a run of them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from rel_helpers import CASES, FIGURES, OUT  # noqa: E402


def pytest_sessionfinish(session, exitstatus):
    if not CASES and not FIGURES:
        return
    OUT.parent.mkdir(parents=True, exist_ok=True)
    doc = {}
    if OUT.exists():
        try:
            doc = json.loads(OUT.read_text())
        except ValueError:
            doc = {}
    if CASES:
        doc["cases"] = dict(CASES)
        doc["cases_total"] = sum(CASES.values())
    doc.update(FIGURES)
    OUT.write_text(json.dumps(doc, indent=2, default=str))


def pytest_terminal_summary(terminalreporter):
    if not CASES and not FIGURES:
        return
    terminalreporter.section("reliability figures")
    if CASES:
        terminalreporter.write_line(f"generated cases: {sum(CASES.values())} "
                                    f"({', '.join(f'{k} {v}' for k, v in sorted(CASES.items()))})")
    for k, v in FIGURES.items():
        terminalreporter.write_line(f"{k}: {v}")
