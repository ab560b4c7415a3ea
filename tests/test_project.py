"""The project as a newcomer meets it: README commands, CI script, config, library boundaries."""
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()


def _bash_blocks(text):
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def test_readme_has_exactly_two_setup_commands():
    setup = README.split("## Set up", 1)[1].split("\n## ", 1)[0]
    blocks = [b.strip() for b in _bash_blocks(setup)]
    assert len(blocks) == 2
    assert all("\n" not in b for b in blocks), "each set-up command is one line"
    assert "--demo" in blocks[0] and "nmf-explorer" in blocks[0]
    assert "pytest" in blocks[1] and "chromium" in blocks[1]
    assert "playwright install" not in README


def test_ci_runs_the_readme_test_command_verbatim():
    test_cmd = _bash_blocks(README.split("## Set up", 1)[1])[1].strip()
    ci_lines = [ln.strip() for ln in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert test_cmd in ci_lines


def test_dashboard_binds_to_loopback_by_default():
    from dashboard import cli
    import argparse
    cmd_src = (ROOT / "dashboard" / "cli.py").read_text()
    assert 'default="127.0.0.1"' in cmd_src
    assert 'address = "127.0.0.1"' in (ROOT / ".streamlit" / "config.toml").read_text()
    assert callable(cli.main) and argparse


def test_streamlit_configs_agree():
    top = (ROOT / ".streamlit" / "config.toml").read_text()
    assert top == (ROOT / "dashboard" / ".streamlit" / "config.toml").read_text()
    for setting in ("headless = true", "gatherUsageStats = false", "maxUploadSize",
                    'fileWatcherType = "none"'):
        assert setting in top


def test_readme_library_example_runs():
    src = README.split("## Use the library", 1)[1]
    code = re.findall(r"```python\n(.*?)```", src, flags=re.S)[0]
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert "(100, 5) (5, 40) relative error 0." in out.stdout


def test_nmfcore_imports_only_numpy_and_scipy():
    probe = ("import sys, nmfcore, nmfcore.datasets; "
             "bad = [m for m in ('streamlit', 'plotly', 'pandas', 'sklearn') if m in sys.modules]; "
             "print(bad)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
    for path in (ROOT / "nmfcore").rglob("*.py"):
        text = path.read_text()
        assert not re.search(r"^\s*(import|from)\s+(streamlit|plotly|pandas)\b", text, re.M), path


def test_nmfcore_docstring_examples_run():
    """Every ``>>>`` example in nmfcore's docstrings gives the output it shows."""
    import doctest
    import importlib
    import pkgutil

    import nmfcore

    failed, tried = 0, 0
    for info in pkgutil.walk_packages(nmfcore.__path__, "nmfcore."):
        result = doctest.testmod(importlib.import_module(info.name), verbose=False,
                                 optionflags=doctest.NORMALIZE_WHITESPACE)
        failed, tried = failed + result.failed, tried + result.attempted
    assert tried >= 5 and failed == 0


def _imports(path: Path):
    """(module, names) of every import statement of a file."""
    import ast

    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module, [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, []


def test_no_module_imports_a_private_name_from_another_package():
    bad = []
    for pkg in ("nmfcore", "dashboard"):
        for path in (ROOT / pkg).rglob("*.py"):
            for module, names in _imports(path):
                top = module.split(".")[0]
                if top not in ("nmfcore", "dashboard") or top == pkg:
                    continue
                private = [p for p in module.split(".")[1:] if p.startswith("_")]
                private += [n for n in names if n.startswith("_")]
                if private:
                    bad.append(f"{path.relative_to(ROOT)}: {module} {private}")
    assert not bad, bad


def test_services_compute_and_cache_only():
    """services never draws (no plots) and keeps no registries of its own: menus come from
    nmfcore through dashboard.choices."""
    mods = {m for m, _ in _imports(ROOT / "dashboard" / "services.py")}
    assert not any(m.startswith("dashboard.plots") or m == "plotly" for m in mods), mods
    names = [n for m, ns in _imports(ROOT / "dashboard" / "services.py") if m == "dashboard"
             for n in ns]
    assert "plots" not in names
    text = (ROOT / "dashboard" / "app_pages").glob("*.py")
    for page in text:
        assert not re.search(r"index=\d", page.read_text()), f"{page.name}: default by index"
