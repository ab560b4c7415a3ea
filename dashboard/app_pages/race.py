"""Solver race: several solvers from one shared start, drawn live, stoppable."""
import streamlit as st

from dashboard import choices, exports, jobs, plots, services, state

st.title("Solver race")
ds, key = state.require_dataset()
n, m = ds.X.shape
st.caption(f"**{ds.name}** · {n} × {m}. Every solver starts from the same W0, H0 (computed once) "
           "and they run one after another, so their wall times compare fairly.")

st.session_state["race_rank"] = min(state.get_rank(), min(n, m))
with st.form("race_form"):
    options = services.race_choices(ds)
    solvers = st.multiselect("Solvers", options, key="race_solvers",
                             default=[s for s in choices.DEFAULT_RACE if s in options],
                             help="With missing cells only the solvers that can leave them "
                                  "out are offered; Itakura-Saito only for data without zeros.")
    c = st.columns(4)
    c[0].number_input("Rank", 1, min(n, m), key="race_rank", help="Shared with the other pages.")
    init_names = choices.inits()
    init = c[1].selectbox("Shared initialisation", init_names,
                          index=choices.index(init_names, choices.DEFAULT_INIT), key="race_init")
    max_iter = c[2].number_input("Iterations (max)", 1, 100000, 200, key="race_iter")
    max_time = c[3].number_input("Time limit per solver (s, 0 = none)", 0.0, 600.0, 0.0,
                                 key="race_time")
    c = st.columns(5)
    tol, gtol = choices.stopping_inputs("race", c[0], c[1])
    l1 = c[2].number_input("L1 penalty", 0.0, 1e4, 0.0, key="race_l1", format="%.3g")
    l2 = c[3].number_input("L2 penalty", 0.0, 1e4, 0.0, key="race_l2", format="%.3g")
    seed = c[4].number_input("Seed", 0, 2**31 - 1, 0, key="race_seed")
    beta = c[4].number_input("β of MU-β", -2.0, 4.0, choices.DEFAULT_BETA, step=0.25,
                             format="%.3g", key="race_beta", help=choices.BETA_HELP)
    entries = choices.race_entries()
    solver_options = choices.option_inputs(
        "race", dict.fromkeys(entries[e]["solver"] for e in options))
    run = st.form_submit_button("Start race", type="primary", icon=":material/flag:",
                                on_click=lambda: state.set_rank(st.session_state["race_rank"]))
run = run or state.link_run("race")   # a link that showed results starts them

job = state.get_job("race")
if run:
    if not solvers:
        st.error("Pick at least one solver.")
        st.stop()
    if job is not None:
        job.stop()
    race = {"solvers": list(solvers), "rank": state.get_rank(), "init": init,
            "max_iter": int(max_iter), "max_time": float(max_time) or None, "tol": float(tol),
            "gtol": float(gtol),
            "l1": float(l1), "l2": float(l2), "random_state": int(seed), "beta": float(beta),
            "options": solver_options}
    job = services.start_race(ds, key, race)
    state.set_job("race", job)
if job is None or job.key != key:
    st.info("Choose solvers and press **Start race**.")
    st.stop()

c = st.columns([2, 1, 1])
x_axis = c[0].radio("x axis", ["iteration", "seconds"], horizontal=True, key="race_x")
log_x = c[1].toggle("log x", key="race_logx")
log_y = c[2].toggle("log y", value=True, key="race_logy")


CHARTS = (("loss", "Loss (each solver's own objective)"),
          ("rel_error", "Relative error ‖X−WH‖/‖X‖"))


def charts(histories: dict, suffix: str = "", live: bool = False) -> None:
    cols = st.columns(2)
    for col, (y, title) in zip(cols, CHARTS[1:] if live else CHARTS):  # live: one cheap chart
        fig = plots.convergence(histories, x=x_axis, y=y, log_x=log_x, log_y=log_y, title=title)
        col.plotly_chart(fig, key=f"race-{y}{suffix}")


def draw_live(j):
    snap = j.snapshot()
    done = snap.get("finished", [])
    total = len(j.settings["solvers"])
    running = next((s for s in j.settings["solvers"] if s not in done), None)
    st.progress(len(done) / total, text=f"{len(done)} of {total} solvers done"
                + (f" · running {running}" if running else ""))
    charts({s: snap[s] for s in j.settings["solvers"] if s in snap},
           suffix=jobs.live_key("", j), live=True)


jobs.follow("race", job, draw_live)
if not jobs.report(job):
    st.stop()
results = {k: v for k, v in job.result.items() if v is not None}
for name, r in results.items():
    if r.status == "stalled":
        st.warning(f"{name} stalled at relative error {r.rel_error:.4g}: its loss stopped "
                   f"decreasing while the projected gradient is still {r.gradient_ratio:.1e} "
                   "of its start, so it is not at a stationary point.", icon=":material/warning:")
    if r.status == "diverged":
        st.warning(f"{name} diverged: the loss grew without bound, so its curve stops at the last "
                   "finite iterate. Lower the learning rate (1 is the safe default).",
                   icon=":material/warning:")
charts({name: r.history for name, r in results.items()})
st.subheader("Results")
st.dataframe(exports.race_table(results), hide_index=True, width="stretch",
             column_config={"final rel. error": st.column_config.NumberColumn(format="%.4g"),
                            "final loss": st.column_config.NumberColumn(format="%.4g"),
                            "seconds": st.column_config.NumberColumn(format="%.3f"),
                            "ms / iteration": st.column_config.NumberColumn(format="%.2f"),
                            "gradient ratio": st.column_config.NumberColumn(
                                format="%.1e", help="Projected gradient at the end relative to "
                                                    "the start: 0 at a stationary point")})
st.download_button("Histories (CSV)", exports.histories_csv(results), "race_histories.csv",
                   "text/csv", key="race_csv", on_click="ignore", icon=":material/download:")
