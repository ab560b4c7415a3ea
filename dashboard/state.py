"""Every session-state key of the dashboard, behind small accessors.

Pages never touch ``st.session_state`` keys by string; they call these functions so the data set
and the shared settings carry across pages.
"""
from __future__ import annotations

import hashlib
import os

import numpy as np
import scipy.sparse as sp
import streamlit as st

from nmfcore.datasets import Dataset

_DATASET = "nmfx_dataset"
_DATASET_KEY = "nmfx_dataset_key"
_DATASET_SOURCE = "nmfx_dataset_source"
_RANK = "nmfx_rank"
_START_FILE = "nmfx_start_file"      # the parsed --data file, until the Data page takes it
_START_ERROR = "nmfx_start_error"    # one-line reason the --data file was not loaded
DEFAULT_DEMO = "swimmer"
DATA_ENV = "NMF_EXPLORER_DATA"       # set by `nmf-explorer --data PATH` (dashboard/cli.py)


def _fingerprint(ds: Dataset) -> str:
    """A short hash of the matrix and its labels: the cache key for everything computed on it."""
    h = hashlib.blake2b(digest_size=12)
    X = ds.X
    if sp.issparse(X):
        X = X.tocsr()
        for part in (X.data, X.indices, X.indptr):
            h.update(np.ascontiguousarray(part).tobytes())
    else:
        h.update(np.ascontiguousarray(X).tobytes())
    h.update(repr((ds.name, X.shape, str(X.dtype), ds.kind, ds.image_shape)).encode())
    return h.hexdigest()


def set_dataset(ds: Dataset, source: str = "demo") -> None:
    """Make ``ds`` the current data set for every page (and reset the shared rank to its default)."""
    st.session_state[_DATASET] = ds
    st.session_state[_DATASET_KEY] = _fingerprint(ds)
    st.session_state[_DATASET_SOURCE] = source
    st.session_state[_RANK] = default_rank(ds)


def get_dataset() -> Dataset | None:
    return st.session_state.get(_DATASET)


def require_dataset() -> tuple[Dataset, str]:
    """The current data set and its key; without one, a pointer to the Data page and
    ``st.stop()`` (the page ends there)."""
    ds = get_dataset()
    if ds is None:
        st.info("No data set yet: pick a demo or upload a CSV on the Data page.")
        st.stop()
    return ds, dataset_key()


def dataset_key() -> str | None:
    """Hashable token that changes whenever the current data set changes."""
    return st.session_state.get(_DATASET_KEY)


def dataset_source() -> str | None:
    return st.session_state.get(_DATASET_SOURCE)


def default_rank(ds: Dataset) -> int:
    upper = max(1, min(ds.X.shape))
    return int(min(ds.suggested_rank or 5, upper))


def get_rank() -> int:
    ds = get_dataset()
    return int(st.session_state.get(_RANK, default_rank(ds) if ds is not None else 5))


def set_rank(rank: int) -> None:
    st.session_state[_RANK] = int(rank)


@st.cache_resource(max_entries=2, show_spinner="Reading the file given with --data…")
def _read_start_file(path: str, mtime_ns: int, size: int):
    """The ``--data`` file parsed once for all sessions (re-read if it changes on disk)."""
    from dashboard import uploads

    return uploads.read_path(path)


def _open_start_file(path: str) -> bool:
    """Parse the ``--data`` file as an upload. True if it became the current data set; on
    failure the one-line reason is kept for :func:`start_error`. A file with error-level
    problems (e.g. negative values) waits on the Data page for a remedy."""
    from dashboard import uploads

    try:
        info = os.stat(path)
        parsed = _read_start_file(path, info.st_mtime_ns, info.st_size)
    except OSError:
        parsed = None
        try:
            uploads.read_path(path)  # gives the one-line message (missing, unreadable...)
        except uploads.UploadError as err:
            st.session_state[_START_ERROR] = str(err)
    except uploads.UploadError as err:
        parsed = None
        st.session_state[_START_ERROR] = str(err)
    if parsed is None:
        return False
    st.session_state[_START_FILE] = parsed
    if parsed.report.ok:
        set_dataset(parsed.dataset, source="file")
        return True
    return False


def take_start_file():
    """The parsed ``--data`` file (``dashboard.uploads.ParsedUpload``) once, for the Data page
    to show with its notes, checks and remedies; None afterwards or without ``--data``."""
    return st.session_state.pop(_START_FILE, None)


def start_error() -> str | None:
    """Why the ``--data`` file could not be opened (one line), or None."""
    return st.session_state.get(_START_ERROR)


def init_defaults() -> None:
    """Once per session: open the ``--data`` file (``NMF_EXPLORER_DATA``) if one was given,
    else (or if it cannot be used yet) the start-up demo set (``NMF_EXPLORER_DEMO``, default
    swimmer)."""
    if get_dataset() is not None:
        return
    from nmfcore import datasets

    path = os.environ.get(DATA_ENV)
    if path and _START_ERROR not in st.session_state and _open_start_file(path):
        return

    name = os.environ.get("NMF_EXPLORER_DEMO", DEFAULT_DEMO)
    try:
        ds = datasets.load_demo(name)
    except (KeyError, ValueError):
        ds = datasets.load_demo(DEFAULT_DEMO)
    set_dataset(ds, source="demo")


# --- background work and the last fit (used by the Explore pages and Export) ---
_JOBS = "nmfx_jobs"
_LAST_FIT = "nmfx_last_fit"


def get_job(kind: str):
    """The latest background job of a page (``dashboard.jobs.Job``) in this session, or None."""
    return st.session_state.setdefault(_JOBS, {}).get(kind)


def set_job(kind: str, job) -> None:
    st.session_state.setdefault(_JOBS, {})[kind] = job


def get_last_fit() -> dict | None:
    """``{"dataset": name, "dataset_key": ..., "settings": dict, "outcome": NMFResult}``."""
    return st.session_state.get(_LAST_FIT)


def set_last_fit(settings: dict, outcome) -> None:
    ds = get_dataset()
    st.session_state[_LAST_FIT] = {"dataset": ds.name if ds is not None else None,
                                   "dataset_key": dataset_key(), "settings": dict(settings),
                                   "outcome": outcome}
    remember_fit(dataset_key(), settings, outcome)   # for Compare on the Components page


# --- component names: kept per data set, carried into refits that keep the component ---
_NAMES = "nmfx_component_names"   # {dataset key: {"H": H of the named fit, "custom": [str|None]}}


def _distinct(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def _named_entry(key: str, H, remember: bool = True) -> dict:
    """The names typed for ``H``'s components; names typed for an earlier fit of the same data
    set follow the components that match them (``nmfcore.carry_names``). ``remember``: ``H``
    becomes the named fit of the data set (False: only look)."""
    import nmfcore

    H = np.asarray(H)
    book = st.session_state.setdefault(_NAMES, {})
    entry = book.get(key)
    if entry is None:
        entry = {"H": H, "custom": [None] * H.shape[0]}
    elif not (entry["H"] is H or (entry["H"].shape == H.shape and np.array_equal(entry["H"], H))):
        entry = {"H": H, "custom": nmfcore.carry_names(entry["H"], entry["custom"], H)}
    if remember:
        book[key] = entry
    return entry


def custom_names(key: str, H) -> list[str | None]:
    """The names typed for ``H``'s components (None where the default is used)."""
    return list(_named_entry(key, H)["custom"])


def component_labels(ds: Dataset, key: str, H, remember: bool = True) -> list[str]:
    """Display names of the components (rows of ``H``) of a fit of ``ds``: the names the user
    typed, else ``nmfcore.default_names`` (top terms, dominant feature, or C1, C2, ...).
    ``remember=False`` names another fit (e.g. an older one, to compare) without making it
    the named fit."""
    import nmfcore

    custom = _named_entry(key, H, remember)["custom"]
    defaults = nmfcore.default_names(H, ds.col_labels, kind=ds.kind)
    return _distinct([c or d for c, d in zip(custom, defaults)])


def rename_components(key: str, H, names: dict[int, str | None]) -> None:
    """Set the names of components ``k`` of ``H`` (blank or None: back to the default)."""
    entry = _named_entry(key, H)
    for k, name in names.items():
        entry["custom"][int(k)] = (name or "").strip() or None


# --- the session's fits of each data set (the Components page compares any two) ---
_FITS = "nmfx_session_fits"       # {dataset key: [{"label", "settings", "outcome"}, ...]}
MAX_SESSION_FITS = 8              # oldest dropped first (each holds W and H)


def remember_fit(key: str | None, settings: dict, outcome) -> None:
    """Keep ``outcome`` among the session's fits of the data set ``key`` (once per result)."""
    if key is None or outcome is None:
        return
    fits = st.session_state.setdefault(_FITS, {}).setdefault(key, [])
    if any(f["outcome"] is outcome for f in fits):
        return
    s = dict(settings)
    n = fits[-1]["n"] + 1 if fits else 1
    note = f" · {s['note']}" if s.get("note") else ""
    label = (f"#{n} {outcome.solver} · {outcome.loss} · rank {outcome.rank} · seed "
             f"{s.get('random_state', '?')}{note} · error {outcome.rel_error:.4g}")
    fits.append({"n": n, "label": label, "settings": s, "outcome": outcome})
    del fits[:-MAX_SESSION_FITS]


def session_fits(key: str | None) -> list[dict]:
    """The session's fits of data set ``key``, oldest first."""
    return list(st.session_state.get(_FITS, {}).get(key, []))
