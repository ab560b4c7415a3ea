"""Background work for the pages: a :class:`Job` runs in a thread with live progress and a
stop flag; :func:`follow` shows a Stop button and redraws while it runs; :func:`report` shows
how it ended. The nmfcore callback made by :func:`history_recorder` returns the stop flag, so
Stop really stops the fit inside nmfcore's loop.
"""
from __future__ import annotations

import itertools
import threading
import time
from typing import Any, Callable

import streamlit as st

from nmfcore import HISTORY_KEYS, ClusterError


class Stopped(Exception):
    """Raised inside cached functions when the user stops the work (so nothing is cached)."""

    def __init__(self, partial: Any = None):
        super().__init__("stopped by the user")
        self.partial = partial


class Job:
    """Work running in a thread, with live progress, a stop flag and a result or an error."""

    def __init__(self, kind: str, settings: dict, target: Callable[["Job"], Any],
                 key: str | None = None):
        self.kind, self.settings, self._target, self.key = kind, settings, target, key
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._done = threading.Event()
        self.version = 0
        self.live: dict = {}          # page-specific progress (histories so far, fractions ...)
        self.result: Any = None
        self.error: str | None = None
        self.stopped = False
        self.started = time.perf_counter()
        self.elapsed = 0.0
        self._thread = threading.Thread(target=self._run, name=f"nmfx-{kind}", daemon=True)

    @classmethod
    def finished(cls, kind: str, settings: dict, key: str | None, result: Any, *,
                 stopped: bool = False, elapsed: float = 0.0) -> "Job":
        """A job that already ended with ``result`` (brought back from a stored tab state or a
        session file): pages show it like one that just finished; no thread runs."""
        job = cls(kind, settings, lambda j: result, key)
        job.result, job.stopped, job.elapsed, job.version = result, stopped, elapsed, 1
        job._done.set()
        return job

    def start(self) -> "Job":
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self.result = self._target(self)
        except Stopped as exc:
            self.stopped, self.result = True, exc.partial
        except ClusterError as exc:     # Dask scheduler unreachable or lost before any result
            self.error = str(exc)
        except ValueError as exc:       # nmfcore input errors: readable messages
            if self.stop_requested:     # e.g. stopped before a single restart finished
                self.stopped = True
            else:
                self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown to the user, never a traceback
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.elapsed = time.perf_counter() - self.started
            with self._lock:
                self.version += 1
            self._done.set()

    def stop(self) -> None:
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def update(self, **fields) -> None:
        with self._lock:
            self.live.update(fields)
            self.version += 1

    def snapshot(self) -> dict:
        with self._lock:
            return dict(self.live)


def watch(job: Job, render: Callable[[Job], None], interval: float = 0.25) -> None:
    """Call ``render(job)`` whenever the job has news, until it is done (then once more)."""
    seen = -1
    while True:
        finished = job.done
        if job.version != seen:
            seen = job.version
            render(job)
        if finished:
            return
        time.sleep(interval)


def history_recorder(job: Job, name: str, every: float = 0.1):
    """A factorize callback that appends to ``job.live[name]`` (throttled) and obeys Stop."""
    hist = {k: [] for k in HISTORY_KEYS}
    last = [0.0]

    def callback(s) -> bool:
        for k in hist:
            hist[k].append(float(getattr(s, k)))
        now = time.perf_counter()
        if now - last[0] >= every:
            last[0] = now
            job.update(**{name: {k: list(v) for k, v in hist.items()}})
        return job.stop_requested

    return callback


def follow(kind: str, job: Job | None, draw: Callable[[Job], None]) -> None:
    """While ``job`` runs: a Stop button and live drawing via ``draw(job)`` inside an
    ``st.empty()`` (call ``st.plotly_chart`` there with ``key=live_key(...)``)."""
    if job is None or job.done:
        return
    stop_slot, live_slot = st.empty(), st.empty()
    stop_slot.button("Stop", key=f"{kind}_stop", on_click=job.stop, icon=":material/stop:",
                     help="Stops the running work; what was computed so far is kept.")

    def render(j: Job) -> None:
        with live_slot.container():
            draw(j)

    watch(job, render)
    stop_slot.empty()
    live_slot.empty()


_DRAWS = itertools.count()


def live_key(name: str, job: Job) -> str:
    """A unique element key per live redraw (Streamlit refuses two equal auto IDs in a run)."""
    return f"{name}-live-{id(job)}-{next(_DRAWS)}"


def report(job: Job | None) -> bool:
    """Show a finished job's error or stop notice; True when there is a result to show."""
    if job is None or not job.done:
        return False
    if job.stopped and job.result is None:
        st.info("Stopped before anything finished: nothing to show.", icon=":material/stop:")
        return False
    if job.error:
        st.error(job.error, icon=":material/error:")
        return False
    notice = getattr(job.result, "notice", None)   # partial for another reason (cluster lost)
    if job.stopped and notice:
        st.warning(notice, icon=":material/cloud_off:")
    elif job.stopped:
        st.warning("Stopped on request: the results below are what was computed up to then "
                   "(not cached).", icon=":material/pause_circle:")
    return job.result is not None
