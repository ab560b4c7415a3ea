"""Components: work with the last fit. Name its components, see where the samples sit and
select groups of them, read it as topics, score new samples against its parts, drop or merge
components and refit, and compare two fits of the session.

Thin: the maths is in nmfcore (sample_map, top_samples, js_distances, classical_mds,
term_relevance, project, drop/merge_components, match_components), the figures in
dashboard.plots, names and the session's fits in dashboard.state.
"""
from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

import nmfcore
from dashboard import plots, services, state, uploads
from dashboard.plots.gallery import image_grid
from nmfcore import preprocess

MAP_KEY = "cmp_map"
TOPIC_MAP_KEY = "cmp_topic_map"
NEW_WORK = "cmp_new_work"     # the uploaded new samples: {"key", "ds", "mask", "log", "notes"}
MAX_TABLE = 500               # rows of the selection table shown (all go into the CSV)
# Remedies that change the columns (or need a masked fit) cannot apply to new samples, which
# must keep the fitted features.
COLUMN_REMEDIES = {"drop_zero_cols", "drop_nonfinite_cols", "drop_constant_cols", "transpose",
                   "nan_as_missing"}

st.title("Components")
ds, key = state.require_dataset()
last = state.get_last_fit()
if last is None or last["dataset_key"] != key:
    st.info("No fit of this data set yet: run one on **Fit & factors**, then come back to name "
            "its components, map its samples and score new data.")
    st.page_link("app_pages/fit.py", label="Go to Fit & factors", icon=":material/insights:")
    st.stop()
out = last["outcome"]
token = services.fit_token(out)
names = state.component_labels(ds, key, out.H)
n, m = ds.X.shape
rows = [str(x) for x in ds.row_labels] if ds.row_labels else [f"sample {i}" for i in range(n)]
mem = nmfcore.memberships(out.W)
st.caption(f"Last fit of **{ds.name}**: {out.solver} · {out.loss} · rank {out.rank} · relative "
           f"error {out.rel_error:.4g}.")

# features with meaningful labels (terms, genes, wavelengths; not image pixels)
has_terms = ds.col_labels is not None and len(ds.col_labels) == m and ds.kind != "image"
tab_names = ["Names", "Sample map"] + (["Topics"] if has_terms else []) + \
    ["New data", "Edit & refit", "Compare fits"]
tabs = dict(zip(tab_names, st.tabs(tab_names)))


def _dense_rows(X, idx) -> np.ndarray:
    block = X[np.asarray(idx, dtype=int)]
    return np.asarray(block.toarray() if hasattr(block, "toarray") else block, dtype=float)


def _top_features_of(idx, k: int = 5) -> list[str]:
    """The heaviest features of each listed sample (text: its top terms)."""
    if not has_terms:
        return [""] * len(idx)
    X = _dense_rows(ds.X, idx)
    labels = [str(c) for c in ds.col_labels]
    return [", ".join(labels[j] for j in np.argsort(-np.nan_to_num(x))[:k] if x[j] > 0)
            for x in X]


def _sample_table(idx) -> pd.DataFrame:
    """One row per listed training sample: label, dominant component and its share, known
    label, top features (data with feature labels), and the memberships."""
    idx = np.asarray(idx, dtype=int)
    M = np.asarray(mem.P)[idx]
    dom = [names[k] if M[i].sum() > 0 else "none" for i, k in enumerate(M.argmax(axis=1))]
    table = {"sample": [rows[i] for i in idx], "dominant": dom,
             "dominant share": M.max(axis=1) if len(idx) else []}
    if ds.classes is not None:
        table["known label"] = [str(ds.classes[i]) for i in idx]
    if has_terms:
        table["top features"] = _top_features_of(idx)
    frame = pd.DataFrame(table)
    for k, name in enumerate(names):
        frame[name] = M[:, k]
    return frame


# ---------------------------------------------------------------------------- names
with tabs["Names"]:
    st.markdown("Give the components names you can remember. They follow the component to "
                "every figure, to the CSV headers on **Export**, and into a refit of the same "
                "data set as long as a component of the new fit matches (cosine similarity ≥ "
                f"{nmfcore.naming.MATCH_COSINE}). Leave a field blank for the default.")
    defaults = nmfcore.default_names(out.H, ds.col_labels, kind=ds.kind)
    with st.form("cmp_names_form"):
        cols = st.columns(4)
        typed = {k: cols[k % 4].text_input(f"C{k + 1}", value=names[k], placeholder=defaults[k],
                                           key=f"cmp_name_{token}_{k}")
                 for k in range(out.rank)}
        saved = st.form_submit_button("Save names", type="primary", icon=":material/edit:")
    if saved:
        state.rename_components(key, out.H, {k: (None if v.strip() == defaults[k] else v)
                                             for k, v in typed.items()})
        names = state.component_labels(ds, key, out.H)
        st.success("Names saved: " + ", ".join(names), icon=":material/check_circle:")
    st.markdown("**Components with their names**")
    st.plotly_chart(plots.component_grid(out.H, kind=ds.kind, image_shape=ds.image_shape,
                                         feature_names=ds.col_labels, titles=names),
                    key="cmp_named_grid")

# ---------------------------------------------------------------------------- sample map
def _use_top():
    st.session_state["cmp_source"] = "top"


def _use_map():
    st.session_state["cmp_source"] = "map"


with tabs["Sample map"]:
    c = st.columns([2, 2, 3])
    method = c[0].radio("Layout", ["pca", "radial"], horizontal=True, key="cmp_map_method",
                        format_func={"pca": "PCA of memberships",
                                     "radial": "one anchor per component"}.get,
                        help="PCA: the two directions in which the samples' memberships differ "
                             "most. Radial: component k's anchor on a circle, each sample at "
                             "the average of the anchors weighted by its memberships.")
    colour_opts = ["dominant component"] + (["known label"] if ds.classes is not None else [])
    colour_by = c[1].radio("Colour", colour_opts, horizontal=True, key="cmp_map_colour")
    top_of = c[2].selectbox("Top samples of", [None] + list(range(out.rank)), key="cmp_top",
                            format_func=lambda k: "— (select on the map)" if k is None
                            else names[k], on_change=_use_top,
                            help="List the samples that belong most to one component.")
    xy = nmfcore.sample_map(out.W, method)
    if colour_by == "known label":
        classes = np.asarray(ds.classes)
        uniq = list(np.unique(classes))
        groups = np.searchsorted(uniq, classes)
        cnames = ds.extras.get("class_names")
        gnames = [str(cnames[int(u)]) if cnames is not None and str(u).isdigit()
                  and int(u) < len(cnames) else str(u) for u in uniq]
    else:
        groups = np.where(mem.hard >= 0, mem.hard, out.rank)
        gnames = list(names) + ["no component (all-zero row)"]
    axes = ("PC 1 of memberships", "PC 2 of memberships") if method == "pca" else \
        ("radial x", "radial y")
    fig = plots.sample_map(xy, groups, gnames, row_labels=rows, color_title=colour_by,
                           axis_titles=axes,
                           title="Samples by their memberships (drag a box or lasso to select)")
    event = st.plotly_chart(fig, key=MAP_KEY, on_select=_use_map,
                            selection_mode=("box", "lasso"))
    picked = sorted({int(p["customdata"][0] if isinstance(p.get("customdata"), list)
                         else p["customdata"])
                     for p in (event.selection.points if event else []) if "customdata" in p})
    source = st.session_state.get("cmp_source", "map")
    if source == "top" and top_of is not None:
        sel = [int(i) for i in nmfcore.top_samples(out.W, top_of, 12)]
        what = f"Top {len(sel)} samples of {names[top_of]}"
    elif picked:
        sel, what = picked, f"{len(picked)} samples selected on the map"
    else:
        sel, what = [], None
    if not sel:
        st.info("Drag a box or lasso over the map to select samples, or choose a component "
                "under **Top samples of**.", icon=":material/touch_app:")
    else:
        st.markdown(f"**{what}**")
        if len(sel) > MAX_TABLE:
            st.caption(f"The table lists the first {MAX_TABLE} of them.")
        table = _sample_table(sel[:MAX_TABLE])
        st.dataframe(table, hide_index=True, key="cmp_sel_table",
                     column_config={c: st.column_config.ProgressColumn(c, min_value=0,
                                                                       max_value=1, format="%.2f")
                                    for c in ["dominant share"] + list(names)})
        st.download_button("selected samples (CSV)", table.to_csv(index=False),
                           "selected_samples.csv", "text/csv", on_click="ignore",
                           key="cmp_sel_csv", icon=":material/download:")
        W_sel = out.W[sel]
        st.plotly_chart(plots.heatmap(W_sel, row_labels=[rows[i] for i in sel], col_labels=names,
                                      x_title="component", y_title="sample",
                                      value_title="weight", robust=True, sort_rows=True,
                                      title="W of the selected samples (sorted by dominant "
                                            "component)"), key="cmp_sel_W")
        if ds.kind == "image" and ds.image_shape and not hasattr(ds.X, "toarray"):
            shown = sel[:14]
            X_sel = np.nan_to_num(_dense_rows(ds.X, shown))
            st.plotly_chart(image_grid(np.vstack([X_sel, out.W[shown] @ out.H]), ds.image_shape,
                                       style="photo", ncols=len(shown),
                                       titles=[str(i) for i in shown] + [""] * len(shown),
                                       title=f"First {len(shown)} selected (row numbers): "
                                             "originals (top), reconstructions W H (bottom)"),
                            key="cmp_sel_images")
        elif has_terms:
            block = ds.X[np.asarray(sel)]          # sparse stays sparse: no dense copy
            mean = np.nan_to_num(np.asarray(block.mean(axis=0) if hasattr(block, "toarray")
                                            else np.nanmean(block, axis=0)).ravel())
            st.plotly_chart(plots.top_features(mean[None, :], ds.col_labels, n_top=15, ncols=1,
                                               titles=["selection"], value_title="mean value",
                                               title="What the selected samples share (mean "
                                                     "of their rows)"), key="cmp_sel_terms")

# ---------------------------------------------------------------------------- topics
def _pick_topic():
    ev = st.session_state.get(TOPIC_MAP_KEY)
    pts = ev.selection.points if ev else []
    if pts and "customdata" in pts[0]:
        cd = pts[0]["customdata"]
        st.session_state["cmp_topic"] = int(cd[0] if isinstance(cd, list) else cd)


def _numbered(k: int) -> str:
    """A component's name with its number (the bubble's label) in front when it lacks it."""
    return names[k] if names[k].startswith(f"C{k + 1}") else f"C{k + 1} · {names[k]}"


if has_terms:
    with tabs["Topics"]:
        tv = services.topic_view(out)
        st.session_state.setdefault("cmp_topic", 0)
        if st.session_state["cmp_topic"] >= out.rank:
            st.session_state["cmp_topic"] = 0
        left, right = st.columns([5, 6])
        topic = right.selectbox("Topic", list(range(out.rank)), key="cmp_topic",
                                format_func=_numbered)
        lam = right.slider("Relevance λ", 0.0, 1.0, 0.6, 0.05, key="cmp_lambda",
                           help="λ = 1 ranks terms by their weight in the topic; λ = 0 by "
                                "lift (weight in the topic ÷ overall share), which brings up "
                                "rare, topic-specific terms. Sievert & Shirley (2014) found "
                                "λ ≈ 0.6 easiest to read.")
        n_terms = 20 if m >= 20 else m
        idx = nmfcore.top_terms(out.H, topic, lam=lam, n=n_terms, term_prob=tv["term_prob"])
        labels = [str(ds.col_labels[j]) for j in idx]
        left.plotly_chart(plots.topic_map(tv["coords"], tv["shares"], names, selected=topic,
                                          title="Intertopic distance map"),
                          key=TOPIC_MAP_KEY, on_select=_pick_topic, selection_mode="points")
        left.caption("Click a bubble to select its topic. Distances: Jensen–Shannon between "
                     "the topics' term distributions (rows of H normalised), laid out by "
                     "classical MDS. Bubble area: the topic's "
                     "share of the total weight. Bars: a term's total in W H (grey) and the "
                     "part this topic accounts for (red).")
        right.plotly_chart(plots.term_bars(labels, tv["in_topic"][topic, idx],
                                           tv["overall"][idx], topic_name=names[topic],
                                           title=f"Top {len(idx)} terms of {names[topic]} "
                                                 f"(λ = {lam:.2f})"), key="cmp_terms")
        st.markdown(f"**Top documents of {names[topic]}**")
        docs = nmfcore.top_samples(out.W, topic, 10)
        st.dataframe(_sample_table(docs)[["sample", names[topic], "top features"]
                                         + (["known label"] if ds.classes is not None else [])],
                     hide_index=True, key="cmp_topic_docs",
                     column_config={names[topic]: st.column_config.ProgressColumn(
                         f"share of {names[topic]}", min_value=0, max_value=1, format="%.2f")})
        share_table = pd.DataFrame({"topic": names, "share of weight": tv["shares"]})
        with st.expander("Topic shares (table)"):
            st.dataframe(share_table, hide_index=True)

# ---------------------------------------------------------------------------- new data
def _remedy(name: str):
    work = st.session_state[NEW_WORK]
    try:
        kw = {"non_numeric_mask": work["mask"]} if name == "coerce_text" else {}
        new, desc = preprocess.apply_to_dataset(work["ds"], name, **kw)
    except ValueError as err:
        work["error"] = str(err)
        return
    work.update(ds=new, mask=None, error=None)
    work["log"].append(desc)


with tabs["New data"]:
    st.markdown(f"Score new samples against these {out.rank} parts: upload a file with the "
                f"same {m} features (columns) as **{ds.name}**, one new sample per row. Each "
                "sample gets the non-negative weights that rebuild it best from the fitted H "
                "(H stays fixed), with the fit's own loss.")
    c1, c2 = st.columns(2)
    header_opt = c1.selectbox("First row is a header", ["detect", "yes", "no"], key="cmp_new_header")
    label_opt = c2.text_input("Label column (detect / none / number or name)", "detect",
                              key="cmp_new_label")
    up = st.file_uploader("New samples: CSV, TSV, Excel, .npy/.npz or .mtx", key="cmp_new_upload")
    if up is not None:
        data = up.getvalue()
        header = {"detect": None, "yes": True, "no": False}[header_opt]
        lab = label_opt.strip()
        label = None if lab.lower() in ("", "detect") else False if lab.lower() == "none" \
            else int(lab) if lab.isdigit() else lab
        ukey = (up.name, hashlib.blake2b(data, digest_size=8).hexdigest(), header, label)
        work = st.session_state.get(NEW_WORK)
        if work is None or work["key"] != ukey:
            try:
                parsed = uploads.parse_upload(up.name, data, header=header, label_column=label)
            except uploads.UploadError as err:
                st.error(str(err))
                parsed = None
            except Exception as err:  # never a traceback in the UI
                st.error(f"{up.name} could not be read ({type(err).__name__}: {err}).")
                parsed = None
            work = None if parsed is None else {
                "key": ukey, "ds": parsed.dataset, "mask": parsed.non_numeric_mask, "log": [],
                "notes": list(parsed.notes), "error": None}
            st.session_state[NEW_WORK] = work
        if work is not None:
            new = work["ds"]
            for note in work["notes"]:
                st.caption(f"Detected: {note}")
            if work["error"]:
                st.error(work["error"])
            report = preprocess.validate(new.X, work["mask"])
            show = {"error": st.error, "warning": st.warning}
            for p in report.problems:
                if p.severity not in show:   # e.g. all-zero columns: harmless for projection
                    continue
                remedies = [r for r in p.remedies if r.name not in COLUMN_REMEDIES]
                fixes = "; ".join(f"**{r.label}**: {r.effect}" for r in remedies)
                show[p.severity](p.message + (f"  \nRemedies: {fixes}." if fixes else ""))
                if remedies:
                    cols = st.columns(len(remedies))
                    for col, r in zip(cols, remedies):
                        col.button(r.label, key=f"cmp_fix_{p.code}_{r.name}", on_click=_remedy,
                                   args=(r.name,))
            if work["log"]:
                st.caption("Changes: " + " → ".join(work["log"]))
            matched = None
            if report.ok:
                try:
                    matched, notes = uploads.match_features(new, ds)
                    for note in notes:
                        st.caption(note)
                except uploads.UploadError as err:
                    st.error(str(err), icon=":material/error:")
            if matched is not None:
                dtoken = "|".join(map(str, ukey)) + "|" + "|".join(work["log"])
                try:
                    W_new, err_new = services.project_new(out, matched.X, dtoken)
                except ValueError as err:
                    st.error(str(err))
                    matched = None
            if matched is not None:
                err_train = services.training_errors(ds, out)
                new_rows = [str(x) for x in matched.row_labels] if matched.row_labels else \
                    [f"new {i}" for i in range(W_new.shape[0])]
                k = st.columns(3)
                k[0].metric("new samples", f"{W_new.shape[0]:,}")
                k[1].metric("median relative error (new)", f"{np.median(err_new):.3g}")
                k[2].metric("median relative error (fitted data)", f"{np.median(err_train):.3g}")
                if np.median(err_new) > 2 * max(np.median(err_train), 1e-12):
                    st.warning("The new samples are rebuilt much less well than the fitted "
                               "data: they may hold something these parts do not describe, or "
                               "be scaled or preprocessed differently.", icon=":material/warning:")
                Mn = np.asarray(nmfcore.memberships(W_new).P)
                frame = pd.DataFrame({"sample": new_rows,
                                      "dominant": [names[j] if Mn[i].sum() > 0 else "none"
                                                   for i, j in enumerate(Mn.argmax(axis=1))],
                                      "rel. error": err_new})
                for j, name in enumerate(names):
                    frame[name] = Mn[:, j]
                st.dataframe(frame.head(MAX_TABLE), hide_index=True, key="cmp_new_table")
                csv = pd.DataFrame(W_new, index=new_rows, columns=names).to_csv(
                    index_label="sample")
                st.download_button("W of the new samples (CSV)", csv, "W_new.csv", "text/csv",
                                   on_click="ignore", key="cmp_new_csv",
                                   icon=":material/download:")
                st.plotly_chart(plots.memberships(Mn, row_labels=new_rows, names=names,
                                                  title="Memberships of the new samples"),
                                key="cmp_new_mem")
                if ds.kind == "image" and ds.image_shape and \
                        matched.X.shape[1] == int(np.prod(ds.image_shape)):
                    shown = list(range(min(10, W_new.shape[0])))
                    X_sel = np.nan_to_num(_dense_rows(matched.X, shown))
                    st.plotly_chart(image_grid(np.vstack([X_sel, W_new[shown] @ out.H]),
                                               ds.image_shape, style="photo",
                                               ncols=len(shown),
                                               title="New samples (top) and their "
                                                     "reconstructions W_new H (bottom)"),
                                    key="cmp_new_images")
    else:
        st.session_state.pop(NEW_WORK, None)
        st.caption("The new samples must be preprocessed like the fitted data (the same "
                   "transforms as on the Data page), or their weights are not comparable.")


# ---------------------------------------------------------------------------- edit & refit
def _edit_and_refit(op: str, W0, H0, new_custom: list, note: str):
    """Refit from the edited factors with the last fit's settings. Kept components keep
    their names and a merged one gets both; a warm start keeps every component in its place,
    so the names go to the refit's components by position (they may move further than a
    cosine match across unrelated fits would accept)."""
    settings = {**last["settings"], "rank": int(H0.shape[0]), "note": note}
    try:
        with st.spinner(f"Refitting at rank {H0.shape[0]} from the edited factors…"):
            res = services.refit(ds, key, settings, W0, H0, ("edit", token, op))
    except ValueError as err:
        st.error(str(err))
        return
    state.rename_components(key, res.H, dict(enumerate(new_custom)))
    st.session_state["cmp_edit_prev"] = {"token": services.fit_token(res),
                                         "history": out.history, "rank": out.rank,
                                         "note": note}
    state.set_rank(int(H0.shape[0]))
    state.set_last_fit(settings, res)
    st.rerun()


with tabs["Edit & refit"]:
    st.markdown("Clean the fit: **drop** components you do not need, or **merge** two that "
                "describe the same thing (their W columns are added, their H rows averaged by "
                "weight). The fit then continues from the edited factors (a warm start with "
                "the same solver and settings); names are kept.")
    custom = state.custom_names(key, out.H)
    c = st.columns(2)
    with c[0].form(f"cmp_drop_form_{token}"):
        drop = st.multiselect("Components to drop", list(range(out.rank)), format_func=_numbered,
                              key=f"cmp_drop_{token}")
        do_drop = st.form_submit_button("Drop and refit", icon=":material/delete:",
                                        disabled=out.rank < 2)
    with c[1].form(f"cmp_merge_form_{token}"):
        a = st.selectbox("Merge", list(range(out.rank)), format_func=_numbered,
                         key=f"cmp_merge_a_{token}")
        b = st.selectbox("with", list(range(out.rank)), index=min(1, out.rank - 1),
                         format_func=_numbered, key=f"cmp_merge_b_{token}")
        do_merge = st.form_submit_button("Merge and refit", icon=":material/merge:",
                                         disabled=out.rank < 2)
    if do_drop:
        if not drop or len(drop) >= out.rank:
            st.error("Choose at least one component to drop, and keep at least one.")
        else:
            W0, H0 = nmfcore.drop_components(out.W, out.H, drop)
            kept = [k for k in range(out.rank) if k not in set(drop)]
            _edit_and_refit(f"drop {sorted(drop)}", W0, H0, [custom[k] for k in kept],
                            "dropped " + ", ".join(f"C{k + 1}" for k in sorted(drop)))
    if do_merge:
        if a == b:
            st.error("Choose two different components to merge.")
        else:
            W0, H0 = nmfcore.merge_components(out.W, out.H, a, b)
            lo, hi = min(a, b), max(a, b)
            new_custom = [custom[k] for k in range(out.rank) if k != hi]
            new_custom[lo] = f"{names[lo]} + {names[hi]}"
            _edit_and_refit(f"merge {lo} {hi}", W0, H0, new_custom,
                            f"merged C{lo + 1}+C{hi + 1}")
    prev = st.session_state.get("cmp_edit_prev")
    if prev is not None and prev["token"] == token:
        shift = int(prev["history"]["iteration"][-1])
        after = {k: np.asarray(v) for k, v in out.history.items()}
        after["iteration"] = after["iteration"] + shift
        st.success(f"Refitted at rank {out.rank} ({prev['note']}): relative error "
                   f"{out.rel_error:.4g} after {out.n_iter} more iterations — {out.message}",
                   icon=":material/check_circle:")
        curves = {f"rank {prev['rank']} (before the edit)": prev["history"],
                  f"rank {out.rank} (after: {prev['note']})": after}
        c = st.columns(2)
        c[0].plotly_chart(plots.convergence(curves, y="loss", title="Loss: the refit continues "
                                            "from the edited start"), key="cmp_edit_loss")
        c[1].plotly_chart(plots.convergence(curves, y="rel_error", title="Relative error"),
                          key="cmp_edit_err")

# ---------------------------------------------------------------------------- compare
with tabs["Compare fits"]:
    fits = state.session_fits(key)
    if len(fits) < 2:
        st.info("Only one fit of this data set so far. Run another on **Fit & factors** (other "
                "solver, loss, rank or seed) or refit an edited one here, then compare them.",
                icon=":material/compare:")
    else:
        labels = [f["label"] for f in fits]
        c = st.columns(2)
        ia = c[0].selectbox("Fit A", range(len(fits)), index=len(fits) - 2,
                            format_func=labels.__getitem__, key="cmp_cmp_a")
        ib = c[1].selectbox("Fit B", range(len(fits)), index=len(fits) - 1,
                            format_func=labels.__getitem__, key="cmp_cmp_b")
        A, B = fits[ia]["outcome"], fits[ib]["outcome"]
        na = state.component_labels(ds, key, A.H, remember=A is out)
        nb = state.component_labels(ds, key, B.H, remember=B is out)
        pairs, sim, S = nmfcore.match_components(A.H, B.H)
        st.caption(f"Components matched one to one by cosine similarity (Hungarian): "
                   f"{len(pairs)} pairs, median similarity {np.median(sim):.3f}"
                   + (f"; {abs(A.rank - B.rank)} component(s) of the larger fit have no partner"
                      if A.rank != B.rank else "") + ".")
        c = st.columns([3, 2])
        c[0].plotly_chart(plots.heatmap(S, row_labels=[f"A: {x}" for x in na],
                                        col_labels=[f"B: {x}" for x in nb],
                                        x_title="fit B", y_title="fit A",
                                        value_title="cosine", colorscale="Blues",
                                        show_values=S.size <= 400,
                                        title="Cosine similarity of the components"),
                          key="cmp_cmp_sim")
        c[1].dataframe(pd.DataFrame({"A": [na[i] for i, _ in pairs],
                                     "B": [nb[j] for _, j in pairs], "cosine": sim}),
                       hide_index=True, key="cmp_cmp_pairs",
                       column_config={"cosine": st.column_config.ProgressColumn(
                           "cosine", min_value=0, max_value=1, format="%.3f")})
        from nmfcore.alignment import normalize_factors

        Ha = normalize_factors(A.W, A.H)[1][pairs[:, 0]]
        Hb = normalize_factors(B.W, B.H)[1][pairs[:, 1]]
        st.plotly_chart(plots.restart_components(
            np.stack([Ha, Hb]), image_shape=ds.image_shape if ds.kind == "image" else None,
            feature_names=ds.col_labels, run_names=["fit A", "fit B"],
            component_titles=[f"{na[i]} ↔ {nb[j]}" if na[i] != nb[j] else na[i]
                              for i, j in pairs],
            title="Matched pairs side by side (A above B; unit-norm components)"),
            key="cmp_cmp_pairs_fig")
