"""Every session-state key of the dashboard, behind small accessors.

Pages never touch ``st.session_state`` keys by string; they call these functions so the data set
and the shared settings carry across pages.
"""
from __future__ import annotations

import logging
import os

import numpy as np

import streamlit as st

from nmfcore.datasets import Dataset

from dashboard import persist, sessionfile

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
    return sessionfile.fingerprint(ds)


def set_dataset(ds: Dataset, source: str = "demo") -> None:
    """Make ``ds`` the current data set for every page (and reset the shared rank to its default)."""
    st.session_state[_DATASET] = ds
    st.session_state[_DATASET_KEY] = _fingerprint(ds)
    st.session_state[_DATASET_SOURCE] = source
    st.session_state[_RANK] = default_rank(ds)
    _forget_page_settings()


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


# The rank sweep's default range reaches this many ranks past the data set's default rank:
# the criteria need ranks beyond the true one to show that more components only fit noise.
RANKS_PAST_DEFAULT = 3


def default_rank_range(ds: Dataset) -> tuple[int, int]:
    """The Rank page's default range: 2 to 10, or to three past the data set's default rank
    where that is higher (swimmer, rank 17: 2 to 20), within the slider's limits."""
    top = max(1, min(min(ds.X.shape), 40))
    return min(2, top), min(top, max(10, default_rank(ds) + RANKS_PAST_DEFAULT))


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


# --- the tab's state kept on the server: a reload loses nothing (dashboard.persist) ---
SESSION_SUFFIX = sessionfile.SUFFIX
_TOKEN = "nmfx_token"
_RESTORED = "nmfx_restored"
_LINK_RUN = "nmfx_link_run"          # pages a link asked to show results of
_NOTICE = "nmfx_link_notice"         # what a link held that could not be used          # restored in this run: rerun once the page is known
_SETTINGS = "nmfx_settings"          # widget key -> value of every page, across pages
_WORK = "data_work"                  # the Data page's working set and change log
_SKIP_VALUE_TYPES = {"trigger_value", "json_trigger_value", "string_trigger_value",
                     "file_uploader_state_value", "chat_input_value", "bytes_value",
                     "arrow_value"}
_LOG = logging.getLogger(__name__)


def _session():
    from streamlit.runtime.state import get_session_state

    return getattr(get_session_state(), "_state", None)


def _rendered_keys() -> frozenset:
    """User keys of the widgets drawn in this run."""
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    try:
        return ctx.shared.widget_user_keys_this_run.snapshot()
    except AttributeError:
        return frozenset()


def _is_setting(key: str, value) -> bool:
    """A widget value that may be put back through session state (not a button, an upload
    or a form submitter), of a plain JSON-like type."""
    if not isinstance(value, (bool, int, float, str, list, tuple)) or key.startswith(
            ("FormSubmitter:", "nmfx_")):
        return False
    if isinstance(value, (list, tuple)) and not all(
            isinstance(v, (bool, int, float, str)) for v in value):
        return False
    try:
        ss = _session()
        meta = ss.get_widget_metadata(ss.get_widget_id_from_key(key))
        if meta is not None:
            return meta.value_type not in _SKIP_VALUE_TYPES
    except Exception:  # noqa: BLE001 - internals of another Streamlit version
        pass
    return not key.endswith(("_stop", "_use")) and not key.startswith(("fix_", "tx_"))


def _forget_page_settings() -> None:
    """A new data set: the other pages' settings (ranks, sample choices) may not fit it."""
    kept = {k: v for k, v in st.session_state.get(_SETTINGS, {}).items()
            if k.startswith("data_")}
    drawn = _rendered_keys()
    for k in set(st.session_state.get(_SETTINGS, {})) - set(kept):
        if k not in drawn and k in st.session_state:
            try:
                del st.session_state[k]
            except Exception:  # noqa: BLE001
                pass
    st.session_state[_SETTINGS] = kept


def _owner() -> str | None:
    try:
        return persist.owner_of_cookie(st.context.cookies.get("_streamlit_xsrf"))
    except Exception:  # noqa: BLE001 - no cookies (AppTest, XSRF off)
        return None


def _session_id() -> str | None:
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return getattr(ctx, "session_id", None)


def _is_live(session_id: str | None) -> bool:
    if not session_id or session_id == _session_id():
        return False
    try:
        from streamlit import runtime

        return bool(runtime.get_instance().is_active_session(session_id))
    except Exception:  # noqa: BLE001
        return False


def token() -> str | None:
    """This tab's token (in the URL as ``?s=``), or None before :func:`begin_run`."""
    return st.session_state.get(_TOKEN)


def snapshot() -> dict:
    """Everything a tab needs to come back: data set, settings, results of every page (the
    jobs themselves: one still running in the server is followed again after a reload)."""
    jobs = {k: j for k, j in st.session_state.get(_JOBS, {}).items() if j is not None}
    return {"dataset": get_dataset(), "source": dataset_source(),
            "rank": st.session_state.get(_RANK),
            "settings": dict(st.session_state.get(_SETTINGS, {})),
            "work": st.session_state.get(_WORK), "last_fit": get_last_fit(), "jobs": jobs,
            "names": st.session_state.get(_NAMES), "fits": st.session_state.get(_FITS)}


def for_file(snap: dict) -> dict:
    """A :func:`snapshot` as a file can hold it: finished jobs as their results, running
    ones left out, and without the Data page's before/after histogram values."""
    jobs = {}
    for kind, job in (snap.get("jobs") or {}).items():
        if isinstance(job, dict):
            jobs[kind] = job
        elif job.done and job.result is not None:
            jobs[kind] = {"settings": job.settings, "key": job.key, "result": job.result,
                          "stopped": bool(job.stopped), "elapsed": float(job.elapsed)}
    work = snap.get("work")
    if work is not None:
        work = {k: v for k, v in work.items() if k != "last"}
    return {**snap, "jobs": jobs, "work": work}


def demo_name(ds: Dataset) -> str | None:
    """The name of the shipped demo set ``ds`` is, unchanged (same fingerprint), or None."""
    return sessionfile.demo_name(ds)


def session_bytes(snap: dict) -> bytes:
    """The session file of a :func:`snapshot` (demo sets by name and fingerprint)."""
    return sessionfile.dumps(for_file(snap), demo_name=demo_name)


def open_session(data: bytes) -> str | None:
    """Replace this tab's state by a session file's; on any problem, the one-sentence
    reason (and nothing changed)."""
    try:
        snap = sessionfile.loads(data)
        if not isinstance(snap, dict) or not isinstance(snap.get("dataset"), Dataset):
            raise sessionfile.SessionFileError("The session file holds no data set.")
    except sessionfile.SessionFileError as err:
        return str(err)
    except Exception as err:  # noqa: BLE001 - never a traceback for a bad file
        return f"The session file could not be read ({type(err).__name__})."
    apply_snapshot(snap)
    return None


def apply_snapshot(snap: dict) -> None:
    """Put a :func:`snapshot` (from memory, disk or a session file) into this session."""
    from dashboard.jobs import Job

    ds = snap.get("dataset")
    if ds is not None:
        st.session_state[_DATASET] = ds
        st.session_state[_DATASET_KEY] = _fingerprint(ds)
        st.session_state[_DATASET_SOURCE] = snap.get("source") or "demo"
    if snap.get("rank") is not None:
        st.session_state[_RANK] = int(snap["rank"])
    work = snap.get("work")
    if work is not None:
        work = dict(work)
        work.setdefault("last", None)
        if ds is not None and work.get("ds") is not None and \
                _fingerprint(work["ds"]) == st.session_state[_DATASET_KEY]:
            work["ds"] = ds          # the Data page checks identity with the current set
        st.session_state[_WORK] = work
    else:
        st.session_state.pop(_WORK, None)
    if snap.get("last_fit") is not None:
        st.session_state[_LAST_FIT] = dict(snap["last_fit"])
    else:
        st.session_state.pop(_LAST_FIT, None)
    jobs = {}
    for kind, j in (snap.get("jobs") or {}).items():
        jobs[kind] = j if isinstance(j, Job) else Job.finished(
            kind, j["settings"], j["key"], j["result"], stopped=j.get("stopped", False),
            elapsed=j.get("elapsed", 0.0))
    st.session_state[_JOBS] = jobs
    for state_key, snap_key in ((_NAMES, "names"), (_FITS, "fits")):   # Components page
        if snap.get(snap_key):
            st.session_state[state_key] = snap[snap_key]
        else:
            st.session_state.pop(state_key, None)
    settings = dict(snap.get("settings") or {})
    st.session_state[_SETTINGS] = settings
    for k, v in settings.items():
        try:
            st.session_state[k] = v
        except Exception:  # noqa: BLE001 - a key Streamlit does not let us set
            pass


def _signature(snap: dict) -> tuple:
    """Changes whenever something worth writing to disk changed."""
    work = snap.get("work") or {}
    return (st.session_state.get(_DATASET_KEY), snap.get("source"), snap.get("rank"),
            repr(sorted(snap.get("settings", {}).items())),
            repr((work.get("key"), work.get("log"), work.get("committed"), work.get("source"),
                  id(work.get("ds")))),
            id((snap.get("last_fit") or {}).get("outcome")),
            tuple((k, id(j.result), j.done) for k, j in sorted(snap.get("jobs", {}).items())))


def begin_run() -> None:
    """Before anything else in a run: find this tab's token in the URL and, in a new session,
    restore what was kept under it (:func:`rerun_if_restored` then reruns once)."""
    tok = st.session_state.get(_TOKEN)
    if tok is not None:
        if st.query_params.get(persist.TOKEN_PARAM) != tok:
            st.query_params[persist.TOKEN_PARAM] = tok
        return
    given = st.query_params.get(persist.TOKEN_PARAM)
    found = None
    try:
        found = persist.store().get(given, _owner()) if given else None
    except Exception as err:  # noqa: BLE001 - a broken store never blocks the app
        _LOG.warning("tab state not restored: %s", err)
    if found is not None:
        snap, writer = found
        tok = persist.new_token() if _is_live(writer) else given   # a second tab: a copy
        apply_snapshot(snap)
        st.session_state[_TOKEN] = tok
        st.session_state[_RESTORED] = True
        st.query_params[persist.TOKEN_PARAM] = tok
        return
    st.session_state[_TOKEN] = persist.new_token()
    _apply_link()
    st.query_params[persist.TOKEN_PARAM] = st.session_state[_TOKEN]


def _apply_link() -> None:
    """A new tab opened from a link: its demo set, rank and page settings, checked first
    (:mod:`dashboard.links`); what cannot be used is named in one notice."""
    from nmfcore import datasets

    from dashboard import links

    params = {k: st.query_params.get(k) for k in st.query_params.keys()
              if k != persist.TOKEN_PARAM}
    if not params:
        return
    ignored = []
    demo = params.get(links.DATA)
    if demo is not None:
        try:
            set_dataset(datasets.load_demo(demo), source="demo")
        except (KeyError, ValueError, OSError):
            ignored.append(f"data={demo} (no such demo set)")
    init_defaults()
    ds = get_dataset()
    rank, settings, run, bad = links.settings_of(params, ds.X.shape)
    ignored += bad
    if rank is not None:
        set_rank(rank)
    remembered = st.session_state.setdefault(_SETTINGS, {})
    for k, v in settings.items():
        st.session_state[k] = v
        remembered[k] = v
    st.session_state[_LINK_RUN] = set(run)
    if ignored:
        st.session_state[_NOTICE] = ("Parts of the link were ignored: " + "; ".join(ignored)
                                     + ".")
    st.session_state[_RESTORED] = True


def show_link_notice() -> None:
    """Once, above the page: what a link held that could not be used."""
    msg = st.session_state.pop(_NOTICE, None)
    if msg:
        st.warning(msg, icon=":material/link_off:")


def link_run(kind: str) -> bool:
    """True once when the link that opened this tab showed the results of page ``kind``
    ("race", "rank", "restarts"): the page then starts the same seeded work by itself."""
    pending = st.session_state.get(_LINK_RUN) or set()
    if kind in pending:
        pending.discard(kind)
        return True
    return False


def _write_link(drawn) -> None:
    """The URL shows the token and, for a demo set, the view: data set, rank, this page's
    settings and whether its results are shown."""
    from dashboard import links

    ds = get_dataset()
    demo = sessionfile.demo_name(ds) if ds is not None else None
    remembered = st.session_state.get(_SETTINGS, {})
    page = {k: remembered[k] for k in sorted(drawn) if k in remembered and links.field(k)}
    run = set()
    for prefix, kind in links.RUN_PAGES.items():
        job = get_job(kind)
        if any(k.startswith(prefix + "_") for k in drawn) and job is not None and job.done \
                and job.key == dataset_key() and job.result is not None:
            run.add(kind)
    params = {persist.TOKEN_PARAM: st.session_state[_TOKEN],
              **links.view_params(demo, get_rank() if demo else None, page, run)}
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    if current != params:
        st.query_params.from_dict(params)


def rerun_if_restored() -> None:
    """Right after ``st.navigation`` (so the rerun stays on the page in the URL): one rerun
    after a restore, so widgets read the restored values as their own."""
    if st.session_state.pop(_RESTORED, False):
        st.rerun()


def end_run() -> None:
    """After the page ran: remember every drawn widget's value, keep the values of widgets
    not drawn now (so they come back on their page), and store the tab's snapshot."""
    tok = st.session_state.get(_TOKEN)
    if tok is None:
        return
    settings = st.session_state.setdefault(_SETTINGS, {})
    drawn = _rendered_keys()
    for k in drawn:
        if k in st.session_state:
            v = st.session_state[k]
            if _is_setting(k, v):
                settings[k] = v
    for k, v in settings.items():
        if k not in drawn:
            try:
                st.session_state[k] = v
            except Exception:  # noqa: BLE001 - its widget was drawn after all
                pass
    try:
        _write_link(drawn)
    except Exception as err:  # noqa: BLE001 - the URL is a convenience, never an error
        _LOG.warning("link not written: %s", err)
    snap = snapshot()
    try:
        persist.store().put(tok, _owner(), _session_id(), snap, _signature(snap),
                            disk_snapshot=lambda: for_file(snap))
    except Exception as err:  # noqa: BLE001 - never break the page for the store
        _LOG.warning("tab state not stored: %s", err)


def _register_records() -> None:
    from dashboard import services

    for cls in (services.RestartsOutcome, services.SweepOutcome):
        sessionfile.register_record(cls)


_register_records()


def change_log() -> list[str]:
    """The remedies and transforms applied to the current data set on the Data page."""
    work = st.session_state.get(_WORK)
    if not work or work.get("ds") is None or _fingerprint(work["ds"]) != dataset_key():
        return []
    return list(work.get("log") or [])


def latest(kind: str):
    """``(settings, result)`` of the latest finished job of page ``kind`` ("race", "rank",
    "restarts") on the current data set, or None."""
    job = get_job(kind)
    if job is None or not job.done or job.result is None or job.key != dataset_key():
        return None
    return job.settings, job.result
