"""Where restarts and rank sweeps run: local worker processes, or a Dask cluster.

The sidebar's "Compute" section sets it for the session; ``nmf-explorer --dask ADDRESS`` (or
the ``NMF_EXPLORER_DASK`` environment variable) makes a scheduler address the default. The
pages pass :func:`executor` to nmfcore, which connects for the run and cancels the cluster's
tasks when the user presses Stop; results are the same as on local processes.
"""
from __future__ import annotations

import logging
import os
import re

import streamlit as st

ENV = "NMF_EXPLORER_DASK"
MODE, ADDRESS = "compute_mode", "compute_address"
LOCAL, DASK = "Local processes", "Dask cluster"
# A scheduler that does not answer within this many seconds is reported unreachable.
CONNECT_TIMEOUT = 3
_ADDRESS = re.compile(r"^(tcp|tls|inproc|ucx)://[\w.\-\[\]:]+(:\d+)?$|^[\w.\-]+:\d+$")


def default_address() -> str:
    return os.environ.get(ENV, "").strip()


def check_address(address: str) -> str | None:
    """None when ``address`` looks like a scheduler address, else a sentence saying why not."""
    if not address:
        return "Enter the scheduler's address, e.g. tcp://127.0.0.1:8786."
    if not _ADDRESS.match(address):
        return (f"{address!r} is not a Dask scheduler address; it looks like "
                "tcp://HOST:PORT (e.g. tcp://127.0.0.1:8786).")
    return None


@st.cache_data(ttl=15, max_entries=8, show_spinner=False)
def cluster_info(address: str) -> dict:
    """``{"ok", "workers", "threads", "error"}`` of the scheduler at ``address`` (asked at most
    every 15 s)."""
    bad = check_address(address)
    if bad:
        return {"ok": False, "workers": 0, "threads": 0, "error": bad}
    try:
        import distributed
    except ImportError:
        return {"ok": False, "workers": 0, "threads": 0,
                "error": "Dask is not installed here: pip install 'nmf-explorer[dask]' and "
                         "restart the app, or use local processes."}
    _quiet_dask_client_logs()
    try:
        with distributed.Client(address, timeout=CONNECT_TIMEOUT) as client:
            workers = client.scheduler_info().get("workers", {})
    except Exception as err:  # OSError, TimeoutError, ValueError ... all mean "not reachable"
        return {"ok": False, "workers": 0, "threads": 0,
                "error": f"Cannot reach a Dask scheduler at {address} ({type(err).__name__}): "
                         "check the address and that the scheduler runs, or switch to local "
                         "processes."}
    threads = sum(int(w.get("nthreads", 0)) for w in workers.values())
    if not workers:
        return {"ok": False, "workers": 0, "threads": 0,
                "error": f"The scheduler at {address} has no workers yet; start some with "
                         f"`dask worker {address}`."}
    return {"ok": True, "workers": len(workers), "threads": threads, "error": None}


def _quiet_dask_client_logs() -> None:
    """Keep the Dask client's own reports of a lost or refused connection (tracebacks, on the
    console of the app's server) to critical ones: the page says what happened in one
    sentence, and keeps what finished."""
    for name in ("distributed.client", "distributed.batched", "distributed.comm",
                 "distributed.core", "distributed.utils"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def sidebar() -> None:
    """The sidebar's Compute section: local processes or a Dask scheduler, with its status."""
    st.session_state.setdefault(MODE, DASK if default_address() else LOCAL)
    st.session_state.setdefault(ADDRESS, default_address())
    with st.sidebar.expander("Compute", icon=":material/hub:",
                             expanded=st.session_state[MODE] == DASK):
        st.radio("Run restarts and sweeps on", [LOCAL, DASK], key=MODE,
                 help="Local: worker processes on this machine (set on each page). Dask: "
                      "the tasks go to the cluster's workers; results are the same.")
        if st.session_state[MODE] == DASK:
            st.text_input("Scheduler address", key=ADDRESS, placeholder="tcp://127.0.0.1:8786")
            info = cluster_info(st.session_state[ADDRESS].strip())
            if info["ok"]:
                st.caption(f":material/check_circle: connected: {info['workers']} workers, "
                           f"{info['threads']} threads")
            else:
                st.warning(info["error"], icon=":material/cloud_off:")


def executor() -> str | None:
    """The scheduler address restarts and sweeps should use, or None for local processes
    (also when the cluster is not reachable: the page then says so)."""
    if st.session_state.get(MODE) != DASK:
        return None
    address = str(st.session_state.get(ADDRESS, "")).strip()
    return address if cluster_info(address)["ok"] else None


def may_run(run: bool) -> bool:
    """``run``, unless the chosen Dask cluster cannot be used: then the page shows why (one
    sentence) and the answer is False, so what the page already shows stays."""
    why = unavailable() if run else None
    if why:
        st.error(why, icon=":material/cloud_off:")
    return bool(run) and not why


def unavailable() -> str | None:
    """The sentence to show when the Dask cluster is chosen but cannot be used (saying where
    the setting is), else None."""
    if st.session_state.get(MODE) != DASK:
        return None
    info = cluster_info(str(st.session_state.get(ADDRESS, "")).strip())
    if info["ok"]:
        return None
    return info["error"].rstrip(".") + " (Compute, in the sidebar)."
