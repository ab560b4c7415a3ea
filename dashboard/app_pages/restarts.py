"""Restarts: the same model from many random starts, aligned and compared (non-uniqueness)."""
import streamlit as st

from nmfcore.teaching import ambiguity_demo

from dashboard import choices, compute, jobs, plots, services, state

st.title("Restarts & non-uniqueness")
ds, key = state.require_dataset()
n, m = ds.X.shape
st.caption(f"**{ds.name}** · {n} × {m}. The same model is fitted from several random starts; "
           "the components are then rescaled to unit norm and matched to the best run "
           "(Hungarian matching on cosine similarity).")

st.session_state["rst_rank"] = min(state.get_rank(), min(n, m))
with st.form("rst_form"):
    c = st.columns(6)
    n_restarts = c[0].number_input("Restarts", 2, 200, 10, key="rst_n")
    c[1].number_input("Rank", 1, min(n, m), key="rst_rank", help="Shared with the other pages.")
    names = choices.solvers()
    solver = c[2].selectbox("Solver", names, index=choices.index(names, choices.default_solver()),
                            key="rst_solver", help=choices.solver_help())
    loss_kw = choices.loss_inputs("rst", c[2])
    max_iter = c[3].number_input("Iterations per run", 1, 5000, choices.DEFAULT_MAX_ITER,
                                 key="rst_iter")
    seed = c[4].number_input("Root seed", 0, 2**31 - 1, 0, key="rst_seed")
    n_jobs = c[5].number_input("Worker processes", 1, choices.CPUS, 1,
                               key="rst_jobs", help="The results do not depend on it.")
    options = choices.option_inputs("rst", names)
    run = st.form_submit_button("Run restarts", type="primary", icon=":material/shuffle:",
                                on_click=lambda: state.set_rank(st.session_state["rst_rank"]))
run = run or state.link_run("restarts")   # a link that showed results starts them

job = state.get_job("restarts")
run = compute.may_run(run)
if run:
    if job is not None:
        job.stop()
    settings = {"rank": state.get_rank(), "n_restarts": int(n_restarts), "solver": solver, **loss_kw,
                "init": "random", "max_iter": int(max_iter), "tol": choices.DEFAULT_TOL,
                "gtol": choices.DEFAULT_GTOL,
                "random_state": int(seed), "n_jobs": int(n_jobs), **options[solver]}
    job = services.start_restarts(ds, key, settings)
    state.set_job("restarts", job)
if job is None or job.key != key:
    st.info("Press **Run restarts** (random starts; 10 runs take a few seconds on the demos).")
    st.stop()


def draw_live(j):
    snap = j.snapshot()
    done, total = snap.get("done", 0), snap.get("total", j.settings["n_restarts"])
    st.progress(done / max(total, 1), text=f"{done} of {total} runs finished")


jobs.follow("restarts", job, draw_live)
if not jobs.report(job):
    st.stop()
res = job.result
runs = [f"run {i + 1}" for i in range(len(res.losses))]
unfinished = {k: v for k, v in (res.statuses or {}).items() if k != "converged"}
if unfinished:
    st.warning("Not every run converged (" + ", ".join(f"{v} {k}" for k, v in
                                                      unfinished.items())
               + "): their spread mixes unfinished fits with local minima. Raise the "
                 "iterations per run.", icon=":material/warning:")
c = st.columns(4)
c[0].metric("Runs", f"{len(res.losses)} of {res.n_requested}")
c[1].metric("Loss spread (max−min)/min", f"{(res.losses.max() / res.losses.min() - 1):.2%}")
c[2].metric("Cophenetic correlation", f"{res.cophenetic:.3f}")
c[3].metric("Worst component similarity", f"{res.similarity.min():.3f}")

st.plotly_chart(plots.distribution(res.losses, names=runs, x_title="final loss",
                                   title="Final loss of every run"))
st.caption("Different starts end in different local minima: the spread of final losses shows "
           "how much the answer depends on the start.")

show = [res.reference] + [i for i in range(len(runs)) if i != res.reference][:3]
image = ds.image_shape if ds.kind == "image" else None
names = [runs[i] + (" (reference)" if i == res.reference else "") for i in show]
c = st.columns(1 if image else 2)
for col, Hs, label in ((c[0], res.H_raw, "Before alignment: as each run returned them"),
                       (c[-1], res.H, "After alignment: matched to the reference")):
    col.plotly_chart(plots.restart_components(Hs[show], image_shape=image,
                                              feature_names=ds.col_labels, run_names=names,
                                              title=label))
c = st.columns(2)
c[0].plotly_chart(plots.similarity(res.similarity, title="Per-component similarity across runs"))
c[0].caption("Cosine similarity of each aligned component to the reference run's: a component "
             "near 1 in every run is reproducible; a low or spread box means it is not.")
if res.consensus is not None:
    Z, labels = res.consensus
    c[1].plotly_chart(plots.consensus(Z, labels=labels, title="Consensus matrix (reordered)"))
    c[1].caption("Share of runs that put two samples in the same cluster (dominant component); "
                 "crisp blocks = stable clusters.")

st.subheader("Scaling and permutation ambiguity")
st.markdown("For any positive diagonal $D$ and permutation $P$, $W' = W D P$ and "
            "$H' = P^\\top D^{-1} H$ give exactly the same product: $W'H' = WH$. So NMF can only "
            "find components up to their scale and their order. Here the best run's factors are "
            "rescaled and reordered at random:")
demo = ambiguity_demo(res.W_best, res.H_best, seed=int(seed))
c = st.columns(3)
c[0].metric("largest change in W", f"{demo['max_abs_W_change']:.3g}")
c[1].metric("largest change in H", f"{demo['max_abs_H_change']:.3g}")
c[2].metric("largest change in W·H", f"{demo['max_abs_product_change']:.1e}",
            help=f"Entries of W·H go up to {demo['product_scale']:.3g}: the change is rounding.")
st.dataframe(demo["rows"], hide_index=True)
