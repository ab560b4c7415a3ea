"""The real distribution: build the wheel, install it (not editable) into a fresh venv outside
the checkout, load every demo set from the installed package, start the installed
``nmf-explorer`` from a foreign directory and look at the page in chromium.

The fresh venv gets the same dependency versions as the test environment (a constraints file
from ``pip freeze``), so pip takes them from its cache instead of resolving anew.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # tests/server_utils.py
from server_utils import wait_healthy  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def _run(cmd, **kw):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, **kw)
    assert out.returncode == 0, f"{cmd} failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}"
    return out


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A fresh venv in a temporary folder with the built wheel installed; yields its paths."""
    tmp = tmp_path_factory.mktemp("wheel")
    t0 = time.perf_counter()
    # Build from a clean copy: setuptools reuses an existing build/ folder, where a file
    # deleted from the source would survive and ship.
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=shutil.ignore_patterns(
        ".venv", ".git", "build", "dist", "*.egg-info", "artifacts", "test-results",
        "__pycache__", ".pytest_cache", ".hypothesis"))
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
          "-w", str(tmp / "dist"), str(src)])
    wheels = list((tmp / "dist").glob("nmf_explorer-*.whl"))
    assert len(wheels) == 1, wheels
    frozen = _run([sys.executable, "-m", "pip", "freeze", "--exclude-editable"]).stdout
    pins = [ln for ln in frozen.splitlines() if ln and not ln.startswith(("-e", "#"))
            and "nmf-explorer" not in ln.lower().replace("_", "-") and " @ " not in ln]
    (tmp / "constraints.txt").write_text("\n".join(pins) + "\n")
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    py, exe = venv / "bin" / "python", venv / "bin" / "nmf-explorer"
    _run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check",
          "-c", str(tmp / "constraints.txt"), str(wheels[0])], cwd=tmp)
    yield {"tmp": tmp, "python": py, "exe": exe, "wheel": wheels[0],
           "install_seconds": time.perf_counter() - t0}


def test_wheel_ships_data_and_settings(installed):
    import zipfile

    names = set(zipfile.ZipFile(installed["wheel"]).namelist())
    for f in ("nmfcore/data/digits.npz", "nmfcore/data/text.npz", "nmfcore/data/faces.npz",
              "dashboard/.streamlit/config.toml", "dashboard/streamlit_app.py"):
        assert f in names, f"{f} is not in the wheel"
    assert not any(n.startswith(("tests/", "demo_data/", "bench/")) for n in names)


def test_installed_package_loads_every_demo(installed):
    probe = (
        "import json, nmfcore, dashboard; from nmfcore import datasets; "
        "out = {n: list(datasets.load_demo(n).shape) for n in datasets.list_demos()}; "
        "f = datasets.load_demo('faces'); "
        "print(json.dumps({'shapes': out, 'nmfcore': nmfcore.__file__, "
        "'dashboard': dashboard.__file__, 'faces': [f.kind, list(f.image_shape), "
        "f.extras['source'][:40]]}))")
    out = _run([str(installed["python"]), "-c", probe], cwd=installed["tmp"],
               env={k: v for k, v in os.environ.items() if k != "NMF_EXPLORER_DEMO_DATA"})
    info = json.loads(out.stdout)
    venv = str(installed["tmp"] / "venv")
    assert info["nmfcore"].startswith(venv) and info["dashboard"].startswith(venv), info
    from nmfcore import datasets

    assert set(info["shapes"]) == set(datasets.list_demos())
    assert info["shapes"]["faces"] == [100, 625] and info["shapes"]["digits"] == [1797, 64]
    assert info["shapes"]["text"] == list(datasets.load_demo("text").shape)
    assert info["faces"][:2] == ["image", [25, 25]]
    assert info["faces"][2].startswith("Labeled Faces in the Wild")


def test_installed_cli_version(installed):
    out = _run([str(installed["exe"]), "--version"], cwd=installed["tmp"])
    from dashboard.cli import version

    assert out.stdout.strip() == f"nmf-explorer {version()}" and version()[0].isdigit()


def test_installed_app_serves_a_page_with_its_settings(installed, browser):
    tmp = installed["tmp"]
    data = tmp / "mine.csv"
    data.write_text("sample,a,b,c,d\n" + "".join(
        f"s{i},{i % 3},{(i * 7) % 5},{i % 4 + 1},{(i * 3) % 7}\n" for i in range(30)))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp / "server.log"
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("STREAMLIT_", "NMF_EXPLORER_"))}
    with open(log_path, "w") as log:
        # started from a folder with no .streamlit/: every setting must come from the package
        proc = subprocess.Popen([str(installed["exe"]), "--data", str(data), "--port", str(port)],
                                cwd=tmp, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(proc, url, log_path, timeout=60, what="installed nmf-explorer")
            page = browser.new_page(viewport={"width": 1400, "height": 1200})
            try:
                page.goto(url + "/")
                expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=60_000)
                sidebar = page.locator('[data-testid="stSidebar"]')
                expect(sidebar.get_by_text("file: mine.csv")).to_be_visible(timeout=30_000)
                # the packaged upload cap (50 MB) reached the server from a foreign directory
                expect(page.get_by_test_id("stFileUploader").filter(has_text="Upload CSV")
                       .get_by_text("50MB per file")).to_be_visible(timeout=30_000)
                page.wait_for_selector(IDLE, timeout=60_000)
                assert page.locator('[data-testid="stException"]').count() == 0
                # toolbarMode = "minimal": no Deploy button
                assert page.get_by_role("button", name="Deploy").count() == 0
            finally:
                page.close()
        finally:
            # nmf-explorer waits on its streamlit child: end the process group we started
            # (start_new_session made proc.pid its id), so the child goes too
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
    log_text = log_path.read_text()
    assert "opened" in log_text and "mine.csv (30 samples x 4 features)" in log_text, log_text
    assert "Traceback" not in log_text, log_text
