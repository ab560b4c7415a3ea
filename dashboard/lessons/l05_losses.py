"""Lesson 5: Frobenius vs Kullback-Leibler on word counts, and the Poisson likelihood."""
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.lessons import kit
from dashboard.plots import teaching as figures
from nmfcore.teaching import kl_divergence, poisson_log_likelihood

kit.header(5, "Frobenius vs Kullback–Leibler", r"""
The **squared (Frobenius) error** $\sum (X - WH)^2$ treats every entry alike, so big
numbers dominate. For **counts** a natural model is $X_{ij} \sim \text{Poisson}((WH)_{ij})$:
its log-likelihood is $\sum X\log(WH) - WH$ (plus terms free of W, H; the log turns a
product of probabilities into a sum), and maximising it means minimising the **generalized
KL divergence** $\sum X\log\frac{X}{WH} - X + WH$. Below: word counts (Python modules ×
words) fitted both ways from the same start.
""")

rank = st.slider("Topics r", 3, 12, 8, key="l05_rank")
X = kit.dense("text")
fits = {name: kit.fit("text", rank, solver="mu", loss=loss, init="random", max_iter=100,
                       tol=1e-5)
        for name, loss in (("Frobenius fit", "frobenius"), ("KL fit", "kl"))}
WH = {name: np.maximum(f.W @ f.H, 1e-12) for name, f in fits.items()}

loglik = [poisson_log_likelihood(X, v) for v in WH.values()]
sq = [float(np.sum((X - v) ** 2)) for v in WH.values()]
c1, c2 = st.columns(2)
c1.plotly_chart(figures.bars(list(WH), loglik, title="Poisson log-likelihood (higher = better)",
                             ylabel="log-likelihood", text_fmt=",.0f"), key="l05_ll")
c2.plotly_chart(figures.bars(list(WH), sq, title="Squared error ‖X − WH‖² (lower = better)",
                             ylabel="squared error", text_fmt=",.0f"), key="l05_sq")
st.caption(f"KL divergence: Frobenius fit {kl_divergence(X, WH['Frobenius fit']):,.0f}, "
           f"KL fit {kl_divergence(X, WH['KL fit']):,.0f}. Each fit wins on its own measure.")

BUCKETS = [(0, 0, "0"), (1, 1, "1"), (2, 4, "2–4"), (5, 19, "5–19"), (20, np.inf, "20+")]
sq_terms = (X - WH["Frobenius fit"]) ** 2
kl_terms = kl_divergence(X, WH["KL fit"], elementwise=True)
sel = [(X >= a) & (X <= b) for a, b, _ in BUCKETS]
st.plotly_chart(figures.grouped_bars([lab for *_, lab in BUCKETS], {
    "share of the entries": [s.mean() for s in sel],
    "share of the squared error (Frobenius fit)": [sq_terms[s].sum() / sq_terms.sum() for s in sel],
    "share of the KL divergence (KL fit)": [kl_terms[s].sum() / kl_terms.sum() for s in sel]},
    title="Where each objective spends its effort", xlabel="observed count X_ij",
    ylabel="share"), key="l05_small")
one, big = X == 1, X >= 20
st.markdown(
    f"{sel[0].mean():.0%} of the entries are 0 and the rare large counts (20+) hold "
    f"{sq_terms[big].sum() / sq_terms.sum():.0%} of the squared error but only "
    f"{kl_terms[big].sum() / kl_terms.sum():.0%} of the KL divergence. So the KL fit follows "
    f"the many small counts more closely (average fitted value where X = 1: "
    f"{WH['KL fit'][one].mean():.2f} vs {WH['Frobenius fit'][one].mean():.2f}) and lets the "
    f"big ones go (where X ≥ 20: {WH['KL fit'][big].mean():.1f} vs "
    f"{WH['Frobenius fit'][big].mean():.1f}, true mean {X[big].mean():.1f}). The topics "
    "below differ accordingly.")

# Fitted against observed by count size, on log axes: the small counts are most entries.
edges = np.unique(np.round(np.geomspace(1, X.max() + 1, 16)))
levels, means = [], {name: [] for name in WH}
for a, b in zip(edges[:-1], edges[1:]):
    cells = (X >= a) & (X < b)
    if cells.any():
        levels.append(float(X[cells].mean()))
        for name, v in WH.items():
            means[name].append(float(v[cells].mean()))
st.plotly_chart(figures.fitted_by_count(
    levels, means, title="Mean fitted value by observed count (log axes)"), key="l05_bycount")
low = [i for i, v in enumerate(levels) if v <= 2]
st.caption(
    "Each point averages the fitted values of all entries whose count falls in one bin; the "
    "dotted line is a perfect fit. At the small counts (1 and 2, "
    f"{float(np.mean((X >= 1) & (X < 3))):.0%} of the entries) the KL fit stays closer to the "
    f"diagonal (mean fitted {np.mean([means['KL fit'][i] for i in low]):.2f} vs "
    f"{np.mean([means['Frobenius fit'][i] for i in low]):.2f} for the Frobenius fit); at the "
    "largest counts the Frobenius fit does. Zeros cannot be drawn on a log axis: where X = 0 "
    f"the fits average {WH['KL fit'][X == 0].mean():.3f} (KL) and "
    f"{WH['Frobenius fit'][X == 0].mean():.3f} (Frobenius).")

words = kit.demo("text").col_labels
st.markdown("**Top words of each topic, fitted both ways**")
st.dataframe(pd.DataFrame({name: kit.top_words(f.H, words, 6) for name, f in fits.items()},
                          index=[f"topic {k + 1}" for k in range(rank)]),
             width="stretch")

kit.explore_link("fit", "Choose the loss for a fit of your own data")
