"""Safe defaults: loopback only, upload cap, XSRF on, no unpickling/eval of user data, no network.

The browser test (tests/e2e/test_concurrency.py) also checks that the server started by the README's
command listens on 127.0.0.1 only.
"""
from __future__ import annotations

import io
import ipaddress
import pickle
import re
import socket
import tomllib
import warnings

import numpy as np
import pytest

from rel_helpers import ROOT

CONFIGS = [ROOT / ".streamlit" / "config.toml", ROOT / "dashboard" / ".streamlit" / "config.toml"]
CODE = sorted(p for d in ("nmfcore", "dashboard") for p in (ROOT / d).rglob("*.py"))


def _readme_start_command() -> str:
    text = (ROOT / "README.md").read_text()
    blocks = re.findall(r"```bash\n(.*?)```", text, re.S)
    starts = [b for b in blocks if "nmf-explorer" in b and "pytest" not in b]
    assert starts, "README has no start command block"
    return starts[0]


# ------------------------------------------------------------------ loopback only
def test_readme_start_command_binds_loopback(monkeypatch):
    cmd_line = _readme_start_command()
    assert "--address" not in cmd_line or "--address 127.0.0.1" in cmd_line, cmd_line
    assert "0.0.0.0" not in cmd_line and "server.address" not in cmd_line
    args = re.search(r"nmf-explorer(.*)$", cmd_line.strip().splitlines()[-1]).group(1).split()
    from dashboard import cli

    seen = {}
    monkeypatch.setattr(cli.subprocess, "call", lambda cmd, env=None: seen.update(cmd=cmd) or 0)
    assert cli.main(args) == 0
    assert "--server.address=127.0.0.1" in seen["cmd"], seen["cmd"]
    for path in CONFIGS:
        conf = tomllib.loads(path.read_text())
        assert conf["server"]["address"] == "127.0.0.1", path


# ------------------------------------------------------------------ upload cap, XSRF, telemetry
@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_server_config_caps_uploads_and_keeps_xsrf(path):
    from dashboard import uploads

    server = tomllib.loads(path.read_text())["server"]
    cap = server.get("maxUploadSize")
    assert isinstance(cap, int) and 0 < cap <= 200, f"maxUploadSize not capped: {cap!r}"
    assert uploads.MAX_BYTES == cap * 2**20, "uploads.MAX_BYTES and maxUploadSize disagree"
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    assert tomllib.loads(path.read_text())["browser"]["gatherUsageStats"] is False


def test_nothing_turns_xsrf_or_cors_off_in_code():
    for p in CODE:
        text = p.read_text()
        assert not re.search(r"enableXsrfProtection\W*(=|:)\W*false", text, re.I), p
        assert not re.search(r"enableCORS\W*(=|:)\W*false", text, re.I), p


# ------------------------------------------------------------------ no pickle / eval on user data
# Every use of pickle / eval / exec in the code (names in code, not in strings or comments), with
# why it is safe. A new one fails this test until it is reviewed and listed here.
ALLOWED = {
    ("nmfcore/_parallel.py", "import pickle"): "pickles nmfcore's own arrays to its own workers",
    ("nmfcore/_parallel.py", "initargs=(pickle.dumps(shared), _registered_solvers()))"):
        "this process pickles nmfcore's own task data once for its pool workers",
    ("nmfcore/_parallel.py", "_WORKER_SHARED = pickle.loads(blob)"):
        "the worker unpickles what this process pickled, never bytes from a user",
    ("nmfcore/_parallel.py", "out.append(pickle.dumps(cls))"):
        "references to solver classes registered in this process, for its own workers",
    ("nmfcore/_parallel.py", "cls = pickle.loads(data)"):
        "the worker unpickles the class references this process pickled",
    ("nmfcore/_parallel.py", "except (pickle.PicklingError, AttributeError, TypeError):"):
        "the exception type only",
}
RISKY_NAMES = {"pickle", "cPickle", "dill", "cloudpickle", "eval", "exec", "marshal", "shelve",
               "read_pickle", "to_pickle", "loadmat", "query"}


def _risky_lines(path):
    import tokenize

    lines = path.read_text().splitlines()
    toks = list(tokenize.generate_tokens(io.StringIO(path.read_text()).readline))
    for i, tok in enumerate(toks):
        if tok.type != tokenize.NAME:
            continue
        nxt = [t.string for t in toks[i + 1:i + 3]]
        if tok.string in RISKY_NAMES or (tok.string == "allow_pickle" and nxt == ["=", "True"]) \
                or (tok.string == "load" and i > 1 and toks[i - 2].string == "yaml"):
            yield lines[tok.start[0] - 1].strip()


def test_no_pickle_eval_or_exec_on_user_data():
    found = []
    for p in CODE:
        rel = str(p.relative_to(ROOT))
        for code in _risky_lines(p):
            if (rel, code) not in ALLOWED:
                found.append(f"{rel}: {code}")
    assert not found, "pickle/eval/exec not reviewed:\n" + "\n".join(found)
    for p in CODE:
        for line in p.read_text().splitlines():
            if "np.load(" in line.split("#")[0]:
                assert "allow_pickle=False" in line, f"{p}: {line.strip()}"


class _Boom:
    def __reduce__(self):
        import os
        return (os.system, ("touch /tmp/nmfx-reliability-pwned",))


def test_uploaded_pickles_are_never_loaded(tmp_path):
    from dashboard import uploads

    marker = __import__("pathlib").Path("/tmp/nmfx-reliability-pwned")
    marker.unlink(missing_ok=True)
    buf = io.BytesIO()
    np.save(buf, np.array([_Boom(), 1], dtype=object), allow_pickle=True)
    npz = io.BytesIO()
    np.savez(npz, X=np.array([[_Boom(), 1]], dtype=object))
    raw = pickle.dumps(_Boom())
    for name, data in (("x.npy", buf.getvalue()), ("x.npz", npz.getvalue()), ("x.npy", raw),
                       ("x.csv", raw), ("x.pkl", raw)):
        with pytest.raises(uploads.UploadError):
            uploads.parse_upload(name, data)
    assert not marker.exists(), "an uploaded pickle was executed"


# ------------------------------------------------------------------ no network at run time
def _is_local(address, family) -> bool:
    if family == getattr(socket, "AF_UNIX", None):
        return True
    host = address[0] if isinstance(address, tuple) else address
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@pytest.fixture
def no_network(monkeypatch):
    """Refuse (and record) every connect/DNS lookup that is not loopback or a Unix socket."""
    attempts = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def connect(self, address):
        if not _is_local(address, self.family):
            attempts.append(("connect", address))
            raise ConnectionRefusedError(f"network blocked by the test: {address}")
        return real_connect(self, address)

    def connect_ex(self, address):
        if not _is_local(address, self.family):
            attempts.append(("connect_ex", address))
            return 111
        return real_connect_ex(self, address)

    def getaddrinfo(host, *a, **k):
        if host not in (None, "localhost", "127.0.0.1", "::1"):
            attempts.append(("getaddrinfo", host))
            raise socket.gaierror(f"DNS blocked by the test: {host}")
        return real_getaddrinfo(host, *a, **k)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return attempts


def test_app_and_library_never_touch_the_network(no_network, app_test, monkeypatch):
    import nmfcore

    monkeypatch.setenv("NMF_EXPLORER_DEMO", "tiny")
    at = app_test.run()
    assert not at.exception
    for page, submit in [("app_pages/fit.py", None),
                         ("app_pages/race.py", "FormSubmitter:race_form-Start race"),
                         ("app_pages/rank.py", "FormSubmitter:rank_form-Run sweep"),
                         ("app_pages/restarts.py", "FormSubmitter:rst_form-Run restarts"),
                         ("app_pages/export.py", None), ("app_pages/data.py", None)]:
        at.switch_page(page).run()
        if submit:
            at.button(key=submit).click().run()
        assert not at.exception, (page, at.exception)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        X = np.random.default_rng(0).random((30, 12))
        nmfcore.factorize(X, 3, max_iter=5)
        nmfcore.restarts(X, 3, n_restarts=2, max_iter=5, n_jobs=2)
        nmfcore.rank_sweep(X, [2, 3], n_restarts=2, max_iter=5, cv_folds=1)
    assert not no_network, f"tried to reach the network: {no_network}"


def test_the_network_guard_itself_catches_outbound_calls(no_network):
    with pytest.raises(OSError):
        socket.create_connection(("192.0.2.1", 80), timeout=1)      # TEST-NET-1
    with pytest.raises(OSError):
        socket.create_connection(("example.org", 80), timeout=1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)            # Streamlit's own IP probe
    with pytest.raises(OSError):
        s.connect(("8.8.8.8", 80))
    s.close()
    assert len(no_network) == 3, no_network          # each one recorded and refused
