"""``nmf-explorer --data PATH``: a good file opens as the current data set, a bad or missing
one gives one line on the console and in the app (never a traceback), a file with problems
waits on the Data page with its remedies; and the CLI applies the packaged settings."""
from __future__ import annotations

import numpy as np
import pytest

from dashboard import cli, uploads

DATASET = "nmfx_dataset"
GOOD = "sample,a,b,c\ns1,1,2,3\ns2,4,5,6\ns3,7,8,10\ns4,0,1,1\n"


@pytest.fixture
def run_cli(monkeypatch, capsys):
    """``run_cli(*args)``: cli.main with the streamlit launch replaced; returns
    (exit code, launched command, its environment, console stderr lines)."""
    def run(*args):
        seen = {}
        monkeypatch.setattr(cli.subprocess, "call",
                            lambda cmd, env=None: seen.update(cmd=cmd, env=env) or 0)
        rc = cli.main(list(args))
        err = capsys.readouterr().err
        return rc, seen["cmd"], seen["env"], [ln for ln in err.splitlines() if ln]
    return run


@pytest.fixture
def files(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text(GOOD)
    bad = tmp_path / "bad.npy"
    bad.write_bytes(np.random.default_rng(0).bytes(4000))
    negative = tmp_path / "negative.tsv"
    negative.write_text("a\tb\tc\n1\t-2\t3\n4\t5\t6\n7\t8\t9\n")
    return {"good": good, "bad": bad, "negative": negative, "missing": tmp_path / "nope.csv"}


def test_cli_good_file_one_line_and_env(run_cli, files):
    rc, cmd, env, lines = run_cli("--data", str(files["good"]), "--port", "8765")
    assert rc == 0
    assert lines == [f"nmf-explorer: opened {files['good']} (4 samples x 3 features)"]
    assert env["NMF_EXPLORER_DATA"] == str(files["good"].resolve())
    assert "--server.address=127.0.0.1" in cmd and "--server.port=8765" in cmd


@pytest.mark.parametrize("which,fragment", [
    ("bad", "is not a NumPy .npy file"), ("missing", "does not exist")])
def test_cli_bad_or_missing_file_one_line_no_traceback(run_cli, files, which, fragment):
    rc, _, env, lines = run_cli("--data", str(files[which]))
    assert rc == 0  # the app still starts (on the demo) and says the same
    assert len(lines) == 1 and lines[0].startswith("nmf-explorer: --data not loaded: ")
    assert fragment in lines[0] and "Traceback" not in lines[0]
    assert env["NMF_EXPLORER_DATA"] == str(files[which].resolve())


def test_cli_unreadable_file(run_cli, files, monkeypatch):
    def refuse(self):
        raise PermissionError(13, "Permission denied")
    monkeypatch.setattr(type(files["good"]), "read_bytes", refuse)
    _, _, _, lines = run_cli("--data", str(files["good"]))
    assert lines == [f"nmf-explorer: --data not loaded: {files['good']} could not be read "
                     f"(Permission denied). Check its permissions."]


def test_cli_applies_packaged_settings_and_address(run_cli):
    _, cmd, env, _ = run_cli("--address", "0.0.0.0")
    import tomllib

    conf = tomllib.loads(cli.CONFIG.read_text())
    for section, opts in conf.items():
        for key, value in opts.items():
            if (section, key) != ("server", "address"):
                assert f"--{section}.{key}={cli._flag_value(value)}" in cmd, (section, key)
    assert "--server.address=0.0.0.0" in cmd and "--server.address=127.0.0.1" not in cmd
    assert "--server.maxUploadSize=50" in cmd and "--client.toolbarMode=minimal" in cmd
    assert "--server.enableXsrfProtection=true" in cmd and "--theme.base=light" in cmd
    assert "--browser.gatherUsageStats=false" in cmd and "NMF_EXPLORER_DATA" not in env


def test_cli_version(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"nmf-explorer {cli.version()}"


def test_read_path_ignores_the_upload_cap(tmp_path):
    big = tmp_path / "big.npy"
    X = np.random.default_rng(0).random((800, 8200))
    np.save(big, X)
    assert big.stat().st_size > uploads.MAX_BYTES
    parsed = uploads.read_path(big)
    assert parsed.dataset.X.shape == (800, 8200) and parsed.report.ok
    assert parsed.dataset.name == "file: big.npy"
    with pytest.raises(uploads.UploadError, match="over the upload cap"):
        uploads.parse_upload("big.npy", big.read_bytes())  # an upload of it is refused


# ------------------------------------------------------------------ the app (AppTest)
def _start(app_test, monkeypatch, path):
    monkeypatch.setenv("NMF_EXPLORER_DATA", str(path))
    monkeypatch.setenv("NMF_EXPLORER_DEMO", "tiny")
    at = app_test.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_app_opens_good_file_as_current_data_set(app_test, monkeypatch, files):
    at = _start(app_test, monkeypatch, files["good"])
    ds = at.session_state[DATASET]
    assert ds.name == "file: good.csv" and ds.X.shape == (4, 3)
    assert ds.row_labels == ("s1", "s2", "s3", "s4") and ds.col_labels == ("a", "b", "c")
    assert not at.error
    assert any("In use on every page: **file: good.csv**" in s.value for s in at.success)
    assert any("opened with --data" in i.value for i in at.info)
    assert any("label column" in c.value.lower() for c in at.caption), \
        [c.value for c in at.caption]  # the upload's detection notes are shown
    at.switch_page("app_pages/fit.py").run()  # and the other pages use it
    assert not at.exception and "rank" in (at.success or at.warning)[0].value


@pytest.mark.parametrize("which,fragment", [
    ("bad", "is not a NumPy .npy file"), ("missing", "does not exist")])
def test_app_bad_or_missing_file_one_line_message(app_test, monkeypatch, files, which,
                                                  fragment):
    at = _start(app_test, monkeypatch, files[which])
    assert at.session_state[DATASET].name == "tiny"  # falls back to the demo
    side = [e.value for e in at.sidebar.error]
    assert len(side) == 1 and fragment in side[0] and "\n" not in side[0]
    assert any(fragment in e.value for e in at.main.error)
    at.switch_page("lessons/l01_what_is_nmf.py").run()  # the message stays in the sidebar
    assert [e.value for e in at.sidebar.error] == side


def test_app_file_with_problems_waits_for_a_remedy(app_test, monkeypatch, files):
    at = _start(app_test, monkeypatch, files["negative"])
    assert at.session_state[DATASET].name == "tiny"  # not usable yet
    assert any("negative cell" in e.value for e in at.error)
    at.button(key="fix_negative_clip").click().run()
    assert not at.exception
    ds = at.session_state[DATASET]
    assert ds.name == "file: negative.tsv" and ds.X.min() == 0 and ds.X.shape == (3, 3)
