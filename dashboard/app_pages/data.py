"""Data page: pick a demo set or upload a file, see it, check it, fix it visibly, use it.

Thin: widgets and calls into ``nmfcore.datasets``, ``nmfcore.preprocess`` and
``dashboard.uploads``. The data set being looked at ("working" set) becomes the current data set
of every page (``state.set_dataset``) as soon as it has no error-level problem; every remedy is a
click, is logged, and shows before/after.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import scipy.sparse as sp
import streamlit as st

from dashboard import plots, state, uploads
from nmfcore import datasets, preprocess

WORK = "data_work"          # {"ds", "mask", "source", "log", "key", "last", "notes", "error"}
REPORT = "nmfx_data_report"   # {ds, mask, missing, report, hist}: the last check, per matrix
TRANSFORMS = ("transpose", "log1p", "row_normalize", "clip", "shift")


@st.cache_data(show_spinner=False, max_entries=8)
def _demo(name: str):
    return datasets.load_demo(name)


@st.cache_data(show_spinner=False, max_entries=4)
def _parse(filename: str, data: bytes, header, label_column, max_bytes: int, layer=None):
    return uploads.parse_upload(filename, data, header=header, label_column=label_column,
                                max_bytes=max_bytes, layer=layer)


def _stats(ds, mask=None) -> dict:
    r = preprocess.validate(ds.X, mask, missing_ok=bool(ds.extras.get("missing")))
    return {"shape": f"{r.shape[0]} x {r.shape[1]}", "min": f"{r.min:.4g}", "max": f"{r.max:.4g}",
            "negative": r.n_negative, "NaN": r.n_nan, "inf": r.n_inf,
            "all-zero rows": len(r.zero_rows), "all-zero cols": len(r.zero_cols),
            "zeros": f"{r.sparsity:.1%}"}


def _values(X) -> np.ndarray:
    """The finite values (stored values of a sparse matrix)."""
    v = X.data if sp.issparse(X) else np.asarray(X).ravel()
    return v[np.isfinite(v)]


def _binned(traces: dict) -> dict:
    """Counts of each trace's values in 60 shared bins: ``{"edges": ..., name: counts}`` (small
    arrays: kept in the tab's state and sent to the browser instead of the values)."""
    finite = [np.asarray(v, dtype=float) for v in traces.values()]
    lo = min((float(v.min()) for v in finite if v.size), default=0.0)
    hi = max((float(v.max()) for v in finite if v.size), default=1.0)
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, 61)
    return {"edges": edges, **{name: np.histogram(v, bins=edges)[0]
                               for name, v in zip(traces, finite)}}


def _histogram(binned: dict, title: str) -> go.Figure:
    edges = binned["edges"]
    names = [k for k in binned if k != "edges"]
    fig = go.Figure()
    for i, name in enumerate(names):
        fig.add_trace(go.Bar(x=(edges[:-1] + edges[1:]) / 2, y=binned[name], width=np.diff(edges),
                             name=name, opacity=0.6, marker_color=plots.color(i),
                             hovertemplate="%{x:.4g}: %{y} cells<extra>" + name + "</extra>"))
    fig.update_layout(barmode="overlay", bargap=0, height=280, title=title,
                      template="plotly_white", xaxis_title="cell value",
                      yaxis_title="number of cells", margin=dict(l=60, r=20, t=40, b=40),
                      showlegend=len(names) > 1)
    return fig


def _start(ds, source, key, mask=None, notes=()):
    st.session_state[WORK] = {"ds": ds, "mask": mask, "source": source, "log": [], "key": key,
                              "last": None, "notes": tuple(notes), "error": None,
                              "committed": False}


def _apply(name: str):
    """Button callback: apply a remedy to the working set, keep before/after."""
    work = st.session_state[WORK]
    ds = work["ds"]
    try:
        kw = {"non_numeric_mask": work["mask"]} if name == "coerce_text" else {}
        new, desc = preprocess.apply_to_dataset(ds, name, **kw)
    except ValueError as err:
        work["error"] = f"{preprocess.REMEDIES[name][1]} was not applied: {err}"
        return
    before = _stats(ds, work["mask"])
    if name in ("coerce_text", "transpose") or new.X.shape != ds.X.shape:
        work["mask"] = None  # text cells are NaN now (or moved): reported as NaN from here on
    last = {"desc": desc, "before": before, "after": _stats(new, work["mask"]),
            "hist": _binned({"before": _values(ds.X), "after": _values(new.X)})}
    work.update(ds=new, error=None, committed=False, last=last)
    work["log"].append(desc)
    if work["source"] == "demo":
        work["source"] = "demo (transformed)"


def _open_session():
    """Upload callback: replace this tab's state by the session file's (or say why not)."""
    up = st.session_state.get("data_session")
    if up is None:
        return
    problem = state.open_session(up.getvalue())
    st.session_state["data_session_msg"] = (problem, up.name)


# --------------------------------------------------------------------------- choose
st.title("Data")
st.caption("Pick a demo set or upload your own matrix (rows = samples, columns = features). "
           "It is checked before use; every fix is a click and is shown before/after.")

with st.expander("Session: save or open", icon=":material/save:"):
    snap = state.snapshot()
    st.download_button("Save session", lambda: state.session_bytes(snap),
                       f"nmf-explorer-session{state.SESSION_SUFFIX}", "application/zip",
                       key="data_save_session", on_click="ignore", icon=":material/save:",
                       help="One file with the data set (a demo set by its name), the remedies "
                            "applied, every page's settings and seeds, and the results.")
    st.file_uploader("Open session", type=[state.SESSION_SUFFIX.lstrip(".")],
                     key="data_session", on_change=_open_session,
                     help="A file saved with Save session; it replaces what this tab shows.")
    problem, fname = st.session_state.pop("data_session_msg", (None, None))
    if fname and problem:
        st.error(f"{fname} was not opened: {problem}", icon=":material/error:")
    elif fname:
        st.success(f"Opened {fname}: data set, settings and results are back on every page.",
                   icon=":material/check_circle:")

demos = datasets.list_demos()
current = state.get_dataset()
work = st.session_state.get(WORK)
if work is not None and work["committed"] and current is not work["ds"]:
    work = None  # another page changed the data set
start_file = state.take_start_file()  # `nmf-explorer --data PATH`: shown like an upload
if start_file is not None:
    _start(start_file.dataset, "file", ("file", start_file.dataset.extras.get("path")),
           start_file.non_numeric_mask, start_file.notes)
    work = st.session_state[WORK]
    work["committed"] = current is start_file.dataset
if state.start_error():
    st.error(f"The file given with --data was not loaded: {state.start_error()}")
if work is None and current is not None:  # show the current set (widgets reset on page change)
    src = state.dataset_source() or "demo"
    is_demo = src == "demo" and current.name in demos
    _start(current, src, ("demo", current.name) if is_demo else ("current", src))
    work = st.session_state[WORK]
    work["committed"] = True
uploaded = work is not None and work["key"][0] != "demo"
mode = st.radio("Source", ["Demo set", "Upload a file"], index=int(uploaded), horizontal=True,
                key="data_mode")
if mode == "Demo set":
    names = list(demos)
    default = names.index(work["key"][1]) if work is not None and not uploaded else 0
    name = st.selectbox("Demo set", names, index=default, key="data_demo",
                        format_func=lambda n: f"{n} — {demos[n]}")
    if work is None or work["key"] != ("demo", name):
        try:
            _start(_demo(name), "demo", ("demo", name))
        except (ValueError, OSError) as err:
            st.error(f"Could not load demo {name!r}: {err}")
            st.stop()
else:
    c1, c2 = st.columns(2)
    header_opt = c1.selectbox("First row is a header", ["detect", "yes", "no"], key="data_header")
    label_opt = c2.text_input("Label column (detect / none / number or name)", "detect",
                              key="data_label")
    up = st.file_uploader("Upload CSV, TSV, Excel .xlsx, NumPy .npy/.npz, Matrix Market .mtx, "
                          "AnnData .h5ad or a zipped 10x matrix folder (any of them .gz)",
                          key="data_upload")
    # the AnnData layer box is drawn once the file is read (below); its last value picks here
    layer = st.session_state.get("data_layer")
    layer = None if layer in (None, "X") else layer
    if up is None and not uploaded:
        st.info("No file yet. Supported: " + uploads.SUPPORTED + f"; up to "
                f"{uploads.MAX_BYTES // 2**20} MB.")
        st.stop()
    if up is None:
        how = "opened with --data" if work["source"] == "file" else "loaded earlier"
        st.info(f"Showing {work['ds'].name}, {how}. Upload a file to replace it.")
    else:
        data = up.getvalue()
        header = {"detect": None, "yes": True, "no": False}[header_opt]
        lab = label_opt.strip()
        label = None if lab.lower() in ("", "detect") else False if lab.lower() == "none" \
            else int(lab) if lab.isdigit() else lab
        key = ("upload", up.name, hashlib.blake2b(data, digest_size=8).hexdigest(), header,
               label, layer)
        if work is None or work["key"] != key:
            try:
                with st.spinner(f"Reading {up.name} ({len(data) / 2**20:.1f} MB)..."):
                    parsed = _parse(up.name, data, header, label, uploads.MAX_BYTES, layer)
            except uploads.UploadError as err:
                st.error(str(err))
                st.session_state.pop(WORK, None)
                st.stop()
            except Exception as err:  # never a traceback in the UI
                st.error(f"{up.name} could not be read ({type(err).__name__}: {err}). Check "
                         f"the file, or save it as a plain CSV and try again.")
                st.session_state.pop(WORK, None)
                st.stop()
            _start(parsed.dataset, "upload", key, parsed.non_numeric_mask, parsed.notes)
        layers = st.session_state[WORK]["ds"].extras.get("layers")
        if layers:
            st.selectbox("AnnData matrix", ["X"] + list(layers), key="data_layer",
                         help="The file's main matrix X, or one of its layers.")

work = st.session_state[WORK]
ds = work["ds"]
missing = bool(ds.extras.get("missing"))
# The check reads every stored value (0.3 s on 10 M of them): once per matrix and mask (the
# same objects), not on every rerun.
_memo = st.session_state.get(REPORT)
if _memo is None or _memo["ds"] is not ds or _memo["mask"] is not work["mask"] \
        or _memo["missing"] != missing:
    _memo = {"ds": ds, "mask": work["mask"], "missing": missing,
             "report": preprocess.validate(ds.X, work["mask"], missing_ok=missing),
             "hist": _binned({"values": _values(ds.X)})}
    st.session_state[REPORT] = _memo
report = _memo["report"]

# --------------------------------------------------------------------------- report
for note in work["notes"]:
    st.caption(f"Detected: {note}")
st.subheader(ds.name)
if ds.description:
    st.write(ds.description)
m = st.columns(5)
m[0].metric("samples (rows)", f"{report.shape[0]:,}")
m[1].metric("features (columns)", f"{report.shape[1]:,}")
m[2].metric("zeros", f"{report.sparsity:.1%}")
m[3].metric("min / max", f"{report.min:.3g} / {report.max:.3g}")
m[4].metric("storage", "sparse" if report.is_sparse else "dense")
if work["error"]:
    st.error(work["error"])

st.markdown("#### Check")
if not report.problems:
    st.success("No problems found: non-negative, finite, no empty rows or columns.")
show = {"error": st.error, "warning": st.warning, "info": st.info}
for p in report.problems:
    fixes = "; ".join(f"**{r.label}**: {r.effect}" for r in p.remedies)
    show[p.severity](p.message + (f"  \nRemedies: {fixes}." if fixes else ""))
    if p.remedies:
        cols = st.columns(len(p.remedies))
        for col, r in zip(cols, p.remedies):
            col.button(r.label, key=f"fix_{p.code}_{r.name}", on_click=_apply, args=(r.name,))

with st.expander("Transforms (optional)"):
    cols = st.columns(len(TRANSFORMS))
    for col, t in zip(cols, TRANSFORMS):
        col.button(preprocess.REMEDIES[t][1], key=f"tx_{t}", on_click=_apply, args=(t,),
                   help=preprocess.REMEDIES[t][2])

last = work["last"]
if last:
    st.markdown("#### Last change")
    st.success(last["desc"])
    st.dataframe(pd.DataFrame({"before": last["before"], "after": last["after"]}).astype(str))
    hist = last.get("hist") or (_binned({"before": last["v_before"], "after": last["v_after"]})
                                if "v_before" in last else None)   # a session saved before
    if hist is not None:
        st.plotly_chart(_histogram(hist, "Values before and after"), key="data_hist_change")
if work["log"]:
    st.caption("Changes so far: " + " → ".join(work["log"]))

# --------------------------------------------------------------------------- use it
if report.ok:
    if not work["committed"]:
        if state.get_dataset() is not ds:
            state.set_dataset(ds, source=work["source"])
        work["committed"] = True
    extra = " NaN cells are missing values: fits use missing='mask'." if missing else ""
    st.success(f"In use on every page: **{ds.name}** ({ds.X.shape[0]} x {ds.X.shape[1]}, "
               f"suggested rank {state.default_rank(ds)}).{extra}")
else:
    st.error("Not in use yet: apply a remedy for each error above (the previous data set stays "
             "current until then).")

# --------------------------------------------------------------------------- look at it
st.markdown("#### Preview")
n_show, m_show = min(ds.X.shape[0], 50), min(ds.X.shape[1], 30)
block = ds.X[:n_show, :m_show]
block = block.toarray() if sp.issparse(block) else np.asarray(block)
rows = list(ds.row_labels[:n_show]) if ds.row_labels else [f"row {i}" for i in range(n_show)]
cols = list(ds.col_labels[:m_show]) if ds.col_labels else [f"col {j}" for j in range(m_show)]
st.dataframe(pd.DataFrame(block, index=rows, columns=pd.Index(cols).astype(str)),
             height=260)
st.caption(f"First {n_show} of {ds.X.shape[0]} rows and {m_show} of {ds.X.shape[1]} columns.")
zeros = "" if not report.is_sparse else f" (stored values only; {report.sparsity:.1%} zeros)"
st.plotly_chart(_histogram(_memo["hist"], "Value histogram" + zeros), key="data_hist")
if ds.classes is not None:
    names = ds.extras.get("class_names") or ds.extras.get("group_names")
    counts = pd.Series(np.asarray(ds.classes)).value_counts().sort_index()
    idx = [str(names[int(k)]) if names and int(k) < len(names) else str(k) for k in counts.index]
    st.markdown("**Known classes** (for purity / adjusted Rand on the Restarts page)")
    st.dataframe(pd.DataFrame({"class": idx, "samples": counts.to_numpy()}), hide_index=True)
if ds.kind == "image" and ds.image_shape and not sp.issparse(ds.X):
    k = min(12, ds.X.shape[0])
    st.plotly_chart(plots.component_images(np.nan_to_num(np.asarray(ds.X[:k])), ds.image_shape,
                                           titles=rows[:k], value_title="value",
                                           title="First samples as images"), key="data_images")
if ds.extras.get("true_H") is not None and ds.kind == "image" and ds.image_shape:
    with st.expander("True parts (ground truth)"):
        st.plotly_chart(plots.component_images(ds.extras["true_H"], ds.image_shape,
                                               titles=ds.extras.get("part_names")),
                        key="data_true_parts")
if ds.kind == "spectra" and ds.extras.get("sources") is not None:
    with st.expander("True sources (ground truth)"):
        st.plotly_chart(plots.component_lines(ds.extras["sources"],
                                              ds.extras.get("wavelengths")), key="data_sources")
st.caption(f"Source: {ds.extras.get('source', work['source'])}")
