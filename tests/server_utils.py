"""Helpers shared by the fixtures and tests that start a real Streamlit server."""
from __future__ import annotations

import time
import urllib.request

import pytest


def wait_healthy(proc, url: str, log_path, *, timeout: float = 60, interval: float = 0.2,
                 what: str = "streamlit") -> None:
    """Poll ``url``/_stcore/health until it answers 200; fail with the server log otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            pytest.fail(f"{what} not healthy after {timeout:g} s:\n{log_path.read_text()}")
        time.sleep(interval)
