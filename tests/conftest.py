"""Shared fixtures: AppTest on the dashboard, cache clearing, and (for ``-m e2e``) one real
Streamlit server plus Debian chromium driven by pytest-playwright.

The server starts only when a test asks for ``page``/``base_url``; ``pytest -m "not e2e"`` starts
no server and no browser. A missing chromium FAILS (never skips). Screenshots go to
``artifacts/screenshots/`` (git-ignored); use the ``shot`` fixture.

The tree mirrors the packages: ``nmfcore/``, ``dashboard/``, ``lessons/`` (the Learn pages) and
``e2e/`` (browser). Helpers shared across them sit here at the top (``server_utils``,
``rel_helpers``, ``lesson_kit``), importable because this file puts ``tests/`` on the path.
Reliability cases (bad input, limits, cancellation, safe defaults) carry the ``reliability``
marker, so ``pytest -m reliability`` runs them alone; their figures (generated cases, sessions,
memory, stop times) are written to ``artifacts/reliability/figures.json`` (git-ignored) at the
end of the session and printed in the terminal summary.
"""
from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))   # the helpers beside this file
from rel_helpers import CASES, FIGURES, OUT  # noqa: E402
from server_utils import wait_healthy  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
# Tab state of every AppTest and test server goes to a scratch folder, never the user's cache
# (removed when pytest exits).
if "NMF_EXPLORER_STATE_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["NMF_EXPLORER_STATE_DIR"] = tempfile.mkdtemp(prefix="nmfx-state-")
    atexit.register(shutil.rmtree, os.environ["NMF_EXPLORER_STATE_DIR"], True)
APP = ROOT / "dashboard" / "streamlit_app.py"
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SERVER_LOG: list[Path] = []
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


def _sigterm(signum, frame):
    raise KeyboardInterrupt  # a CI timeout sends SIGTERM: still run the fixtures' teardown


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "reliability: bad input, limits, cancellation and safe defaults "
                   "(`pytest -m reliability` runs them alone)")
    if sys.platform != "win32":
        signal.signal(signal.SIGTERM, _sigterm)


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


# ------------------------------------------------------------------ AppTest
@pytest.fixture
def app_test():
    """An AppTest of the whole dashboard (entry script); call ``.run()`` yourself."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(APP), default_timeout=60)


@pytest.fixture
def app_on(app_test, monkeypatch):
    """``app_on(demo)``: the dashboard started on a demo set (via NMF_EXPLORER_DEMO), run once
    without an exception."""
    def start(demo: str):
        monkeypatch.setenv("NMF_EXPLORER_DEMO", demo)
        at = app_test.run()
        assert not at.exception
        return at
    return start


@pytest.fixture(autouse=True)
def _clear_caches():
    """``st.cache_data`` is global to the process: every test starts cold."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield


def _decode(obj):
    """Plotly JSON stores numeric arrays as ``{"dtype", "bdata"[, "shape"]}``: make them lists."""
    if isinstance(obj, dict):
        if "bdata" in obj and "dtype" in obj:
            import numpy as np

            arr = np.frombuffer(base64.b64decode(obj["bdata"]), dtype=obj["dtype"])
            if "shape" in obj:
                arr = arr.reshape([int(k) for k in str(obj["shape"]).split(",")])
            return arr.tolist()
        return {k: _decode(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_decode(v) for v in obj]
    return obj


@pytest.fixture
def figures():
    """``figures(at)``: every Plotly chart of an AppTest run as figure JSON (data + layout),
    numeric arrays decoded to lists, in page order."""
    def read(at) -> list[dict]:
        return [_decode(json.loads(el.proto.spec)) for el in at.get("plotly_chart")]
    return read


# ------------------------------------------------------------------ real server + browser
@pytest.fixture(scope="session")
def streamlit_server(tmp_path_factory):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("server") / "streamlit.log"
    SERVER_LOG.append(log_path)
    log = open(log_path, "w")
    env = dict(os.environ, NMF_EXPLORER_DEMO=os.environ.get("NMF_EXPLORER_DEMO", "swimmer"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(APP), "--server.headless=true",
         "--server.address=127.0.0.1", f"--server.port={port}",
         "--browser.gatherUsageStats=false", "--server.fileWatcherType=none"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        start_new_session=True, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_healthy(proc, url, log_path)
        yield url
    finally:
        proc.terminate()  # our own child only
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def streamlit_log(streamlit_server) -> Path:
    """Path of the shared server's log (e.g. to assert that no traceback was logged)."""
    return SERVER_LOG[-1]


@pytest.fixture
def no_server_traceback(streamlit_log):
    """Errors in background jobs never reach the page as a traceback, nor the server log
    (``pytestmark = pytest.mark.usefixtures("no_server_traceback")`` in a browser test file)."""
    before = streamlit_log.read_text().count("Traceback")
    yield
    log = streamlit_log.read_text()
    assert log.count("Traceback") == before, log[-3000:]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, browser_name):
    if browser_name != "chromium":
        pytest.fail(f"only chromium is installed here, not {browser_name}", pytrace=False)
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright "
                    "install`)", pytrace=False)
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(streamlit_server):
    return streamlit_server


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1600}}


@pytest.fixture
def shot():
    """``shot(page, "name")`` saves ``artifacts/screenshots/name.png`` and returns its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        path.parent.mkdir(parents=True, exist_ok=True)  # names may hold a sub-folder
        page.screenshot(path=str(path), animations="disabled")
        return path

    return take
