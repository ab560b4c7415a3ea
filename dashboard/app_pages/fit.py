"""Fit & factors: one factorization of the current data set and everything it says."""
import dataclasses

import streamlit as st

from dashboard import audio_view, choices, exports, jobs, plots, services, state

st.title("Fit & factors")
ds, key = state.require_dataset()
n, m = ds.X.shape
st.caption(f"**{ds.name}** · {n} samples × {m} features · {ds.description}")

st.session_state["fit_rank"] = min(state.get_rank(), min(n, m))
with st.form("fit_form"):
    c = st.columns(5)
    names = choices.solvers()
    solver = c[0].selectbox("Solver", names, index=choices.index(names, choices.default_solver()),
                            key="fit_solver", help=choices.solver_help())
    loss_kw = choices.loss_inputs("fit", c[1])
    c[2].number_input("Rank", 1, min(n, m), key="fit_rank", help="Shared with the other pages.")
    init_names = choices.inits()
    init = c[3].selectbox("Initialisation", init_names,
                          index=choices.index(init_names, choices.DEFAULT_INIT), key="fit_init")
    seed = c[4].number_input("Seed", 0, 2**31 - 1, 0, key="fit_seed")
    c = st.columns(5)
    max_iter = c[0].number_input("Iterations (max)", 1, 20000, choices.DEFAULT_MAX_ITER,
                                 key="fit_iter")
    tol, gtol = choices.stopping_inputs("fit", c[1], c[2])
    l1 = c[3].number_input("L1 penalty", 0.0, 1e4, 0.0, key="fit_l1", format="%.3g")
    l2 = c[4].number_input("L2 penalty", 0.0, 1e4, 0.0, key="fit_l2", format="%.3g")
    options = choices.option_inputs("fit", names)   # only the chosen solver's are used
    run = st.form_submit_button("Run fit", type="primary", icon=":material/play_arrow:",
                                on_click=lambda: state.set_rank(st.session_state["fit_rank"]))

settings = {"rank": int(state.get_rank()), "solver": solver, **loss_kw, "init": init,
            "max_iter": int(max_iter), "tol": float(tol), "gtol": float(gtol), "l1": float(l1),
            "l2": float(l2),
            "random_state": int(seed), **options[solver]}
last = state.get_last_fit()
job = state.get_job("fit")
fresh = (job is None or job.key != key) and (last is None or last["dataset_key"] != key)
if run or fresh:
    if job is not None:
        job.stop()  # a newer request replaces a running fit
    job = services.start_fit(ds, key, settings)
    state.set_job("fit", job)


def draw_live(j):
    h = j.snapshot().get("fit")
    it = int(h["iteration"][-1]) if h else 0
    st.progress(min(it / j.settings["max_iter"], 1.0), text=f"iteration {it} of "
                f"{j.settings['max_iter']}")
    if h:
        st.plotly_chart(plots.convergence({j.settings["solver"]: h}, title="Loss so far"),
                        key=jobs.live_key("fit", j))


jobs.follow("fit", job, draw_live)
if jobs.report(job) and (last is None or last["outcome"] is not job.result):
    state.set_last_fit(job.settings, job.result)
    last = state.get_last_fit()
if last is None or last["dataset_key"] != key:
    st.stop()

out, s = last["outcome"], last["settings"]
summary = (f"{s['solver']} · {s['loss']} · rank {out.rank}: relative error {out.rel_error:.4g} "
           f"after {out.n_iter} iterations ({out.seconds:.3g} s) — {out.message}")
if out.status in ("max_iter", "diverged", "stalled"):  # nmfcore's ConvergenceWarning
    st.warning(summary, icon=":material/warning:")
else:
    st.success(summary, icon=":material/check_circle:")
truth = services.truth_check(ds, out)
if truth is not None and truth["recovered"] < truth["total"]:
    st.warning(f"Only {truth['recovered']} of the {truth['total']} known parts are recovered "
               f"(matched cosine similarity ≥ {truth['threshold']}; lowest "
               f"{truth['lowest']:.2f}): this start led to a local minimum (or a saddle "
               "point) of the loss. Other starts reach the known parts: run Restarts, or "
               "choose init nndsvda or nndsvd here.", icon=":material/warning:")
    st.page_link("app_pages/restarts.py", label="Compare many starts on Restarts",
                 icon=":material/shuffle:")
elif truth is not None:
    st.caption(f"All {truth['total']} known parts recovered (matched cosine similarity ≥ "
               f"{truth['threshold']}; lowest {truth['lowest']:.3f}).")
elif out.status == "stalled":
    st.page_link("app_pages/restarts.py", label="Compare many starts on Restarts",
                 icon=":material/shuffle:")

names = state.component_labels(ds, key, out.H)   # typed on Components, else defaults
tab_conv, tab_fac, tab_mem, tab_rec = st.tabs(["Convergence", "Factors W and H",
                                                "Memberships", "Reconstruction"])
with tab_conv:
    log_x = st.toggle("log iteration axis", key="fit_logx")
    c = st.columns(2)
    name = {f"{s['solver']}-{s['loss']}": out.history}
    c[0].plotly_chart(plots.convergence(name, y="loss", log_x=log_x, title="Loss"))
    c[1].plotly_chart(plots.convergence(name, y="rel_error", log_x=log_x,
                                        title="Relative error"))
with tab_fac:
    st.plotly_chart(plots.component_grid(out.H, kind=ds.kind, image_shape=ds.image_shape,
                                     feature_names=ds.col_labels, titles=names,
                                     title="Components (rows of H)"))
    c = st.columns(2)
    c[0].plotly_chart(plots.heatmap(out.W, row_labels=ds.row_labels,
                                    col_labels=names,
                                    x_title="component", y_title="sample", value_title="weight",
                                    sort_rows=True, robust=True, title="W: samples × components "
                                    "(sorted by dominant component)"))
    c[1].plotly_chart(plots.heatmap(out.H.T, row_labels=ds.col_labels,
                                    col_labels=names,
                                    x_title="component", y_title="feature", value_title="weight",
                                    sort_rows=True, robust=True,
                                    title="H (transposed): features × components"))
    if ds.col_labels and ds.kind != "image":
        st.subheader("Feature programs")
        st.caption("Each component's top features, with their weight and a z-score of that "
                   "weight across components: near 0 for a feature every component uses, high "
                   "for one that marks this component (cNMF's gene spectra score).")
        n_top = st.slider("Top features per component", 5, min(50, len(ds.col_labels)),
                          min(10, len(ds.col_labels)), key="fit_ntop") \
            if len(ds.col_labels) > 5 else len(ds.col_labels)
        csv_text = exports.feature_programs_csv(out.H, ds.col_labels, n_top, names)
        st.dataframe(exports.csv_frame(csv_text), hide_index=True, height=260)
        st.download_button("Feature programs (CSV)", csv_text, "feature_programs.csv",
                           "text/csv", key="fit_programs_csv", on_click="ignore",
                           icon=":material/download:")
with tab_mem:
    label_columns = ds.extras.get("label_columns") or {}
    if len(label_columns) > 1:     # e.g. an AnnData file's categorical obs columns
        col = st.selectbox("Known labels", list(label_columns), key="fit_labels",
                           help="Which of the file's categorical columns to compare with.")
        ds = dataclasses.replace(ds, classes=label_columns[col])
    view = services.factor_view(ds, out)
    st.plotly_chart(plots.memberships(view["M"], row_labels=ds.row_labels, classes=ds.classes,
                                      names=names,
                                      title="Soft memberships (rows of W normalised to 1)"))
    sizes = ", ".join(f"{c}: {int(v)}" for c, v in zip(names, view["sizes"]))
    st.markdown(f"**Hard clusters** (dominant component per sample): {sizes}")
    if view["scores"]:
        c = st.columns(3)
        for col, (label, v) in zip(c, view["scores"].items()):
            col.metric(label, f"{v:.3f}")
        st.caption("Agreement of the hard clusters with the known labels: purity (1 = every "
                   "cluster holds one class), entropy (0 is best), adjusted Rand (1 = same "
                   "partition, about 0 = chance).")
        counts, clusters, classes = view["table"]
        clusters = [names[int(c[1:]) - 1] if c != "none" else c for c in clusters]  # "C3"
        st.plotly_chart(plots.heatmap(counts, row_labels=clusters, col_labels=classes,
                                      x_title="known label", y_title="cluster",
                                      value_title="samples", colorscale="Blues",
                                      show_values=True,
                                      title="Clusters × known labels (counts)"))
    else:
        st.caption("This data set has no known labels, so there is nothing to score against.")
with tab_rec:
    labels = ds.row_labels or [f"sample {i}" for i in range(n)]
    i = st.selectbox("Sample", range(n), format_func=lambda k: labels[k], key="fit_sample")
    x, x_hat = services.sample_pair(ds, out, i)
    st.plotly_chart(plots.reconstruction(x, x_hat, image_shape=ds.image_shape
                                         if ds.kind == "image" else None,
                                         feature_names=ds.col_labels,
                                         title=f"{labels[i]}: original vs W H"))

if audio_view.playable(ds):     # audio data: hear each component
    audio_view.panel(ds, out, key=f"fit_audio_{key}")
