"""Console entry point: ``nmf-explorer [--demo NAME] [--data PATH] [--port N] [--address A]``.

Starts the dashboard with ``streamlit run``. The app's Streamlit settings (upload cap, loopback
address, XSRF protection, minimal toolbar, theme, no usage statistics) live in
``dashboard/.streamlit/config.toml``, which ships inside the package; they are passed to
Streamlit as command-line flags, so they hold whatever the current directory is and however
the package was installed.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

APP = Path(__file__).resolve().parent / "streamlit_app.py"
CONFIG = Path(__file__).resolve().parent / ".streamlit" / "config.toml"
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
DATA_ENV = "NMF_EXPLORER_DATA"    # read by dashboard.state at the start of each session
DEMO_ENV = "NMF_EXPLORER_DEMO"


def version() -> str:
    """The installed distribution's version (``pyproject.toml`` of a checkout otherwise)."""
    from importlib import metadata

    try:
        return metadata.version("nmf-explorer")
    except metadata.PackageNotFoundError:  # run from a source tree that is not installed
        pyproject = APP.parents[1] / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text())["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "unknown"


def _flag_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def config_flags(path: Path = CONFIG, **overrides) -> list[str]:
    """The settings of a Streamlit ``config.toml`` as ``--section.option=value`` flags.

    ``overrides`` replace options by their dotted name with ``.`` written as ``__``
    (``server__port=8502``); options not in the file are added.
    """
    conf = tomllib.loads(path.read_text())
    flat = {f"{section}.{key}": value for section, options in conf.items()
            for key, value in options.items()}
    flat.update({name.replace("__", "."): value for name, value in overrides.items()})
    return [f"--{name}={_flag_value(value)}" for name, value in flat.items()]


def check_data(path: str) -> tuple[bool, str]:
    """Read ``--data PATH`` as an upload; ``(ok, one-line message)`` for the console."""
    from dashboard import uploads  # pandas and the parsers: only when --data is given

    try:
        parsed = uploads.read_path(path)
    except uploads.UploadError as err:
        return False, f"nmf-explorer: --data not loaded: {err}"
    n, m = parsed.dataset.X.shape
    problems = [p for p in parsed.report.problems if p.severity == "error"]
    if problems:
        return True, (f"nmf-explorer: {path}: {n} x {m}, {len(problems)} problem(s) to fix on "
                      f"the Data page first: {' '.join(problems[0].message.split())}")
    return True, f"nmf-explorer: opened {path} ({n} samples x {m} features)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nmf-explorer", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", default="swimmer", help="demo data set loaded at start")
    parser.add_argument("--data", metavar="PATH",
                        help="open this file at start (CSV/TSV/Excel/.npy/.npz/.mtx, read as an "
                             "upload; the upload size cap does not apply)")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1",
                        help="interface to bind (default: loopback only)")
    parser.add_argument("--dask", metavar="ADDRESS",
                        help="run restarts and rank sweeps on the Dask scheduler at ADDRESS "
                             "(e.g. tcp://127.0.0.1:8786); also $NMF_EXPLORER_DASK")
    parser.add_argument("--version", action="version", version=f"nmf-explorer {version()}")
    args = parser.parse_args(argv)
    env = dict(os.environ, NMF_EXPLORER_DEMO=args.demo)
    env.pop(DATA_ENV, None)
    if args.data is not None:
        # The app reads the file again at session start (same parser) and shows the same
        # message there; this check makes a bad path visible on the console at once.
        _, message = check_data(args.data)
        print(message, file=sys.stderr, flush=True)
        env[DATA_ENV] = str(Path(os.path.expanduser(args.data)).resolve())
    if args.dask is not None:
        from dashboard.compute import ENV as DASK_ENV, check_address
        bad = check_address(args.dask.strip())
        if bad:
            print(f"nmf-explorer: --dask: {bad}", file=sys.stderr, flush=True)
            return 2
        env[DASK_ENV] = args.dask.strip()
    # One BLAS thread per process: the dashboard runs fits beside the web server (and several
    # at once in races, restarts and sweeps); with two or more BLAS threads on a busy machine,
    # the small products of NMF run many times slower (threads spin waiting for each other).
    for var in BLAS_THREAD_VARS:
        env.setdefault(var, "1")
    # Every packaged setting as a flag; address and port from the command line. Headless and
    # no usage statistics are forced even if the packaged file were edited.
    flags = config_flags(server__address=args.address, server__port=args.port,
                         server__headless=True, browser__gatherUsageStats=False)
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP), *flags]
    print(f"nmf-explorer: open http://{args.address}:{args.port}", flush=True)
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
