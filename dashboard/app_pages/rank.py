"""Rank: every common rank criterion over a range of ranks, side by side."""
import streamlit as st

import nmfcore

from dashboard import choices, compute, jobs, plots, services, state, texts

st.title("Choose the rank")
ds, key = state.require_dataset()
n, m = ds.X.shape
top = min(n, m)
st.caption(f"**{ds.name}** · {n} × {m}. Each rank is fitted from several random starts, on "
           "held-out entries, and on a column-shuffled copy of the data (the baseline: what "
           "the same model finds in data with no structure).")

with st.form("rank_form"):
    # two rows of four, so every menu is wide enough for its longest choice
    c, d = st.columns([3, 1, 1, 1]), st.columns(4)
    lo_hi = c[0].slider("Ranks", 1, min(top, 40), state.default_rank_range(ds), key="rank_range")
    n_restarts = c[1].number_input("Restarts per rank", 1, 100, 10, key="rank_restarts")
    max_iter = c[2].number_input("Iterations per fit", 1, 5000, choices.DEFAULT_MAX_ITER,
                                 key="rank_iter")
    folds = c[3].number_input("Held-out folds", 0, 10, 1, key="rank_folds",
                              help="Repetitions of the held-out (cross-validation) fit; 0 = off.")
    names = choices.solvers()
    solver = d[0].selectbox("Solver", names, index=choices.index(names, choices.default_solver()),
                            key="rank_solver", help=choices.solver_help())
    loss_kw = choices.loss_inputs("rank", d[1])
    seed = d[2].number_input("Root seed", 0, 2**31 - 1, 0, key="rank_seed")
    n_jobs = d[3].number_input("Worker processes", 1, choices.CPUS, min(2, choices.CPUS),
                               key="rank_jobs", help="Fits run in this many processes; the "
                                                     "results do not depend on it.")
    options = choices.option_inputs("rank", names)
    run = st.form_submit_button("Run sweep", type="primary", icon=":material/play_arrow:")
run = run or state.link_run("rank")   # a link that showed results starts them

job = state.get_job("rank")
run = compute.may_run(run)
if run:
    if job is not None:
        job.stop()
    settings = {"ranks": (int(lo_hi[0]), int(lo_hi[1])), "n_restarts": int(n_restarts),
                "solver": solver, **loss_kw, "max_iter": int(max_iter), "tol": choices.DEFAULT_TOL,
                "gtol": choices.DEFAULT_GTOL,
                "cv_folds": int(folds), "random_state": int(seed), "n_jobs": int(n_jobs),
                **options[solver]}
    job = services.start_sweep(ds, key, settings)
    state.set_job("rank", job)
if job is None or job.key != key:
    st.info(texts.rank_prompt(ds.suggested_rank, state.default_rank_range(ds)))
    st.stop()


def draw_live(j):
    snap = j.snapshot()
    done, total = snap.get("done", 0), snap.get("total", 0)
    text = f"{done} of {total or '…'} fits" + (f" · last finished: rank {snap['rank']}"
                                             if snap.get("rank") else "")
    st.progress(done / total if total else 0.0, text=text)


jobs.follow("rank", job, draw_live)
if not jobs.report(job):
    st.stop()
out = job.result
ranks = out.table.get("rank", [])
if len(ranks) == 0:
    if not out.notice:       # a lost cluster's notice already said so
        st.info("No rank finished before the sweep was stopped.")
    st.stop()
if out.n_unconverged:
    st.warning(f"{out.n_unconverged} of the restart fits stopped before converging (at "
               "the iteration limit, or stalled): the criteria rest partly on unfinished fits. "
               "Raise the iterations per fit.", icon=":material/warning:")

panels = services.criterion_panels(out)
cols = st.columns(3)
for i, (column, panel) in enumerate(panels.items()):
    crit = nmfcore.RANK_CRITERIA[column]
    with cols[i % 3]:
        st.plotly_chart(plots.small_multiples(
            ranks, {crit.title: {**panel, "y_title": texts.Y_TITLES.get(column)}}, ncols=1),
            key=f"rank-crit-{column}")
        st.caption(crit.explanation)

st.subheader("What the rules suggest")
st.markdown("\n".join(f"- **{s['rule']}** → rank **{s['rank'] if s['rank'] else '—'}**: "
                      f"{s['why']}" for s in out.suggestions))
st.caption("The rules need not agree: where they differ, look at the consensus heatmaps and at "
           "the components (Fit & factors) for the candidate ranks.")

if out.consensus:
    st.subheader("Consensus matrix")
    choices = sorted(out.consensus)
    best = next((s["rank"] for s in out.suggestions if s["rank"] in out.consensus), choices[0])
    r = st.select_slider("Rank to show", choices, value=best, key="rank_show")
    Z, labels = out.consensus[r]
    st.plotly_chart(plots.consensus(Z, labels=labels,
                                    title=f"Rank {r}: samples reordered by average linkage"))
    st.caption("Dark blocks on the diagonal are groups of samples that every restart puts "
               "together; pale blue cells are pairs the restarts disagree on.")
    st.button(f"Use rank {r} on the other pages", key="rank_use", on_click=state.set_rank,
              args=(r,), icon=":material/check:", disabled=state.get_rank() == r,
              help=f"The shared rank is now {state.get_rank()}.")
