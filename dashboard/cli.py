"""Console entry point: ``nmf-explorer [--demo NAME] [--port N]`` starts the dashboard."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

APP = Path(__file__).resolve().parent / "streamlit_app.py"
BLAS_THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="nmf-explorer", description=__doc__)
    parser.add_argument("--demo", default="swimmer", help="demo data set loaded at start")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument("--address", default="127.0.0.1",
                        help="interface to bind (default: loopback only)")
    args = parser.parse_args(argv)
    env = dict(os.environ, NMF_EXPLORER_DEMO=args.demo)
    # One BLAS thread per process: the dashboard runs fits beside the web server (and several
    # at once in races, restarts and sweeps); with two or more BLAS threads on a busy machine,
    # the small products of NMF run many times slower (threads spin waiting for each other).
    for var in BLAS_THREAD_VARS:
        env.setdefault(var, "1")
    cmd = [sys.executable, "-m", "streamlit", "run", str(APP),
           f"--server.address={args.address}", f"--server.port={args.port}",
           "--server.headless=true", "--browser.gatherUsageStats=false"]
    print(f"nmf-explorer: open http://{args.address}:{args.port}", flush=True)
    return subprocess.call(cmd, env=env)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
