"""One large single-cell-like matrix end to end: write it as .h5ad, open it the way
``nmf-explorer --data`` does, run a rank sweep locally and on a 2-worker Dask LocalCluster,
then drive the app in headless Chromium while the sweep runs on the cluster.

Run by hand (not in CI), from the repository root::

    .venv/bin/python bench/bench_large.py                      # 100,000 x 20,000, 10 M non-zeros
    .venv/bin/python bench/bench_large.py --rows 20000 --cols 4000 --nnz 2000000   # a quick look

What it prints (and ``--out FILE`` writes as Markdown):

- the file: its size and the time to write and to read it (``dashboard.uploads.read_path``, the
  reader behind ``--data``);
- library: ``nmfcore.rank_sweep`` over ranks 5-15 with 3 restarts (1 held-out fold, the
  shuffled baseline; bi-cross-validation because X is too large to densify), wall time with
  local worker processes (``n_jobs=2``) and on the Dask cluster (2 workers x 1 thread), whether
  the two tables are identical, and the peak RSS of this process during each sweep (sampled
  every 50 ms from /proc);
- app: ``nmf-explorer --data FILE --dask ADDRESS``; Chromium opens the Rank page, starts the
  same sweep and, while it runs, goes to the Data page and back every few seconds, timing each
  page until Streamlit is idle again; the app process's peak RSS (VmHWM) at the end.

Needs the test extras (``pip install -e ".[test]"``: h5py, dask[distributed], playwright) and
Chromium at /usr/bin/chromium.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


# ------------------------------------------------------------------ data
def make_counts(m: int, n: int, nnz: int, rank: int, seed: int = 0):
    """Counts from ``rank`` gene programs: each cell draws reads from a Dirichlet mix of
    programs, each read lands on a gene drawn from its program. Returns CSR float32 counts
    (about ``nnz`` stored values) and each cell's dominant program."""
    rng = np.random.default_rng(seed)
    mix = rng.dirichlet(np.full(rank, 0.3), size=m)                    # (m, rank)
    H = rng.gamma(0.25, 1.0, (rank, n))
    cdf_H = np.cumsum(H / H.sum(1, keepdims=True), axis=1)
    reads = int(nnz * 1.08)           # duplicates merge: a few more reads than stored values
    per_row = np.full(m, reads // m)
    per_row[: reads - per_row.sum()] += 1
    rows = np.repeat(np.arange(m, dtype=np.int32), per_row)
    cdf_W = np.cumsum(mix, axis=1)
    u = rng.random(rows.size)
    prog = np.empty(rows.size, dtype=np.int8)
    for a in range(0, rows.size, 2_000_000):
        b = min(a + 2_000_000, rows.size)
        prog[a:b] = (cdf_W[rows[a:b]] < u[a:b, None]).sum(1)
    prog = np.minimum(prog, rank - 1)
    cols = np.empty(rows.size, dtype=np.int32)
    for k in range(rank):
        sel = np.flatnonzero(prog == k)
        cols[sel] = np.minimum(np.searchsorted(cdf_H[k], rng.random(sel.size)), n - 1)
    X = sp.csr_matrix((np.ones(rows.size, dtype=np.float32), (rows, cols)), shape=(m, n))
    X.sum_duplicates()
    return X, mix.argmax(1)


def write_h5ad(path: Path, X, programs) -> None:
    """AnnData's on-disk layout written with h5py (X as csr_matrix, obs and var data frames,
    one categorical obs column), so no anndata install is needed to make the file."""
    import h5py
    str_dt = h5py.string_dtype()

    def frame(group, names, categorical=None):
        group.attrs.update({"encoding-type": "dataframe", "encoding-version": "0.2.0",
                            "_index": "_index"})
        group.attrs.create("column-order", np.array(list(categorical or {}), dtype=object),
                           dtype=str_dt)
        idx = group.create_dataset("_index", data=np.array(names, dtype=object), dtype=str_dt)
        idx.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
        for name, (cats, codes) in (categorical or {}).items():
            g = group.create_group(name)
            g.attrs.update({"encoding-type": "categorical", "encoding-version": "0.2.0",
                            "ordered": False})
            c = g.create_dataset("categories", data=np.array(cats, dtype=object), dtype=str_dt)
            c.attrs.update({"encoding-type": "string-array", "encoding-version": "0.2.0"})
            g.create_dataset("codes", data=codes.astype(np.int8))

    with h5py.File(path, "w") as f:
        f.attrs.update({"encoding-type": "anndata", "encoding-version": "0.1.0"})
        g = f.create_group("X")
        g.attrs.update({"encoding-type": "csr_matrix", "encoding-version": "0.1.0",
                        "shape": np.array(X.shape)})
        g.create_dataset("data", data=X.data)
        g.create_dataset("indices", data=X.indices)
        g.create_dataset("indptr", data=X.indptr.astype(np.int64))
        cats = [f"program {k + 1}" for k in range(int(programs.max()) + 1)]
        frame(f.create_group("obs"), [f"cell{i}" for i in range(X.shape[0])],
              {"program": (cats, programs)})
        frame(f.create_group("var"), [f"gene{j}" for j in range(X.shape[1])])


# ------------------------------------------------------------------ measuring
def rss_mb(pid: str = "self", field: str = "VmRSS") -> float:
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


class PeakRSS:
    """Peak resident memory of this process while the block runs (sampled every 50 ms)."""

    def __enter__(self):
        self.peak, self._stop = rss_mb(), threading.Event()
        self._t = threading.Thread(target=self._watch, daemon=True)
        self._t.start()
        return self

    def _watch(self):
        while not self._stop.wait(0.05):
            self.peak = max(self.peak, rss_mb())

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()
        self.peak = max(self.peak, rss_mb())


def load_average() -> str:
    return " ".join(open("/proc/loadavg").read().split()[:3])


def sweep(X, args, **where):
    import nmfcore
    kw = dict(n_restarts=args.restarts, cv_folds=1, random_state=0, max_iter=args.max_iter,
              memory_budget="4GB")
    t0 = time.perf_counter()
    with PeakRSS() as peak:
        res = nmfcore.rank_sweep(X, range(args.ranks[0], args.ranks[1] + 1), **kw, **where)
    return res, time.perf_counter() - t0, peak.peak


# ------------------------------------------------------------------ the app in Chromium
def server_pid(cli_pid: int) -> str:
    """The Streamlit server's pid: ``nmf-explorer`` runs it as its child."""
    kids = open(f"/proc/{cli_pid}/task/{cli_pid}/children").read().split()
    return kids[0] if kids else str(cli_pid)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def drive_app(path: Path, address: str, args, lines: list) -> None:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    log = open(Path(tempfile.gettempdir()) / "bench_large_app.log", "w")
    app = subprocess.Popen([str(Path(sys.executable).with_name("nmf-explorer")), "--data",
                            str(path), "--dask", address, "--port", str(port)],
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    idle = '[data-testid="stApp"][data-test-script-state="notRunning"]'
    url = f"http://127.0.0.1:{port}"
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            for _ in range(120):
                try:
                    page.goto(url, timeout=5000)
                    break
                except Exception:  # noqa: BLE001 - the server is still starting
                    time.sleep(1)
            t0 = time.perf_counter()
            expect(page.get_by_text(re.compile(r"Data: .* 100,?000|Data: "))).to_be_visible(
                timeout=300_000)
            page.wait_for_selector(idle, timeout=300_000)
            lines.append(f"- app: Data page with the file loaded after "
                         f"{time.perf_counter() - t0:.1f} s (first run: reading and checking it)")
            side = page.get_by_test_id("stSidebar")
            side.get_by_role("link", name="Rank").click()
            expect(page.get_by_role("heading", name="Choose the rank")).to_be_visible(
                timeout=60_000)
            page.wait_for_selector(idle, timeout=60_000)
            thumbs = page.get_by_test_id("stSlider").filter(has_text="Ranks").locator(
                'input[type="range"]')
            lo, hi = thumbs.nth(0), thumbs.nth(1)
            for thumb, target in ((hi, args.ranks[1]), (lo, args.ranks[0])):
                thumb.focus()
                for _ in range(60):
                    now = int(thumb.input_value())
                    if now == target:
                        break
                    page.keyboard.press("ArrowRight" if now < target else "ArrowLeft")
            for label, value in (("Restarts per rank", args.restarts),
                                 ("Iterations per fit", args.max_iter), ("Held-out folds", 1)):
                box = page.get_by_role("spinbutton", name=label, exact=True)
                box.fill(str(value))
            t_run = time.perf_counter()
            page.get_by_role("button", name="Run sweep").click()
            expect(page.get_by_text(re.compile(r"\d+ of \d+ fits"))).to_be_visible(
                timeout=120_000)
            redraws = []
            while True:
                done = page.get_by_role("heading", name="What the rules suggest")
                if done.count() and done.is_visible():
                    break
                if args.app_changes and len(redraws) >= 2 * args.app_changes:
                    lines.append(f"- app: stopped measuring after {args.app_changes} round trips "
                                 f"(--app-changes); the sweep was still running")
                    break
                if time.perf_counter() - t_run > args.app_timeout:
                    lines.append(f"- app: the sweep did not finish within {args.app_timeout} s; "
                                 f"stopped measuring")
                    break
                # Data: drawn and idle. Rank: its live progress drawn (the page then keeps
                # running by design, redrawing the progress every 0.25 s until the sweep ends)
                t = time.perf_counter()
                side.get_by_role("link", name="Data").click()
                expect(page.get_by_role("heading", name="Data", exact=True)).to_be_visible(
                    timeout=60_000)
                page.wait_for_selector(idle, timeout=60_000)
                redraws.append(("Data", time.perf_counter() - t))
                t = time.perf_counter()
                side.get_by_role("link", name="Rank").click()
                expect(page.get_by_role("heading", name="Choose the rank")).to_be_visible(
                    timeout=60_000)
                expect(page.get_by_text(re.compile(r"\d+ of \d+ fits|What the rules suggest"))
                       .first).to_be_visible(timeout=60_000)
                redraws.append(("Rank", time.perf_counter() - t))
                time.sleep(args.redraw_every)
            elapsed = time.perf_counter() - t_run
            page.screenshot(path=str(Path(tempfile.gettempdir()) / "bench_large_rank.png"),
                            full_page=True)
            browser.close()
        if not args.app_changes:
            lines.append(f"- app: sweep on the cluster from the Rank page: {elapsed:.0f} s "
                         f"(until the rules' suggestions were drawn)")
        for name, what in (("Data", "drawn and idle"), ("Rank", "live progress drawn")):
            t = np.array([s for n, s in redraws if n == name] or [np.nan])
            lines.append(f"- app: going to {name} while the sweep ran ({what}), {len(t)} times: "
                         f"median {np.median(t):.2f} s, max {np.max(t):.2f} s")
        lines.append(f"- app: peak RSS of the app process (the Streamlit server, VmHWM) "
                     f"{rss_mb(server_pid(app.pid), 'VmHWM'):.0f} MB")
    finally:
        os.killpg(app.pid, signal.SIGTERM)     # the CLI and the Streamlit server it started
        try:
            app.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(app.pid, signal.SIGKILL)
        log.close()


# ------------------------------------------------------------------ main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--cols", type=int, default=20_000)
    ap.add_argument("--nnz", type=int, default=10_000_000)
    ap.add_argument("--programs", type=int, default=10, help="planted rank")
    ap.add_argument("--ranks", type=int, nargs=2, default=(5, 15))
    ap.add_argument("--restarts", type=int, default=3)
    ap.add_argument("--max-iter", type=int, default=100)
    ap.add_argument("--skip-local", action="store_true")
    ap.add_argument("--skip-app", action="store_true")
    ap.add_argument("--skip-library", action="store_true",
                    help="only the app route (the cluster is still started)")
    ap.add_argument("--app-changes", type=int, default=0,
                    help="stop the app route after this many Data <-> Rank round trips")
    ap.add_argument("--redraw-every", type=float, default=5.0)
    ap.add_argument("--app-timeout", type=float, default=3600.0)
    ap.add_argument("--keep", metavar="PATH", help="write the .h5ad here and keep it")
    ap.add_argument("--out", metavar="FILE", help="also write the lines as Markdown")
    args = ap.parse_args()

    from dashboard import uploads
    from distributed import Client, LocalCluster

    lines = [f"- date {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; load average at "
             f"start {load_average()}; cpu_count {os.cpu_count()}"]
    tmp = tempfile.TemporaryDirectory()
    path = Path(args.keep) if args.keep else Path(tmp.name) / "large.h5ad"
    t = time.perf_counter()
    X0, programs = make_counts(args.rows, args.cols, args.nnz, args.programs)
    write_h5ad(path, X0, programs)
    lines.append(f"- file: {X0.shape[0]:,} x {X0.shape[1]:,}, {X0.nnz:,} non-zeros, "
                 f"{path.stat().st_size / 2**20:.0f} MB .h5ad, made and written in "
                 f"{time.perf_counter() - t:.1f} s")
    del X0
    t = time.perf_counter()
    with PeakRSS() as peak:
        parsed = uploads.read_path(path)
    X = parsed.dataset.X
    lines.append(f"- read as `--data` does: {time.perf_counter() - t:.1f} s, "
                 f"{'sparse' if sp.issparse(X) else 'DENSE'} {type(X).__name__}, peak RSS "
                 f"{peak.peak:.0f} MB (a dense X would take "
                 f"{X.shape[0] * X.shape[1] * 8 / 2**30:.0f} GB)")
    print("\n".join(lines), flush=True)

    results = {}
    if not args.skip_local and not args.skip_library:
        res, secs, peak = sweep(X, args, n_jobs=2)
        results["local"] = res
        lines.append(f"- library, local processes (n_jobs=2): {secs:.0f} s for {res.n_fits} fits "
                     f"(ranks {args.ranks[0]}-{args.ranks[1]} x {args.restarts} restarts + "
                     f"held-out + shuffled), peak RSS of this process {peak:.0f} MB; "
                     f"held-out method: {res.params.get('cv_method', 'speckled')}")
        print(lines[-1], flush=True)
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        if not args.skip_library:
            res, secs, peak = sweep(X, args, executor=client)
            results["dask"] = res
            lines.append(f"- library, Dask LocalCluster (2 workers x 1 thread): {secs:.0f} s, "
                         f"peak RSS of this process {peak:.0f} MB")
            print(lines[-1], flush=True)
        if "local" in results:
            same = all(np.array_equal(results["local"].table[c], res.table[c], equal_nan=True)
                       for c in res.table)
            lines.append(f"- local and Dask tables identical: {same}")
            print(lines[-1], flush=True)
        if "dask" in results:
            lines.append("- suggestions: " + "; ".join(f"{s.rule} -> {s.rank}"
                                                       for s in res.suggestions)
                         + f" (planted: {args.programs} programs)")
            print(lines[-1], flush=True)
        if not args.skip_app:
            drive_app(path, cluster.scheduler_address, args, lines)
            print("\n".join(lines[-4:]), flush=True)
    lines.append(f"- load average at the end {load_average()}")
    print(lines[-1])
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
