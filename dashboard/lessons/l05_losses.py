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

words = kit.demo("text").col_labels
st.markdown("**Top words of each topic, fitted both ways**")
st.dataframe(pd.DataFrame({name: kit.top_words(f.H, words, 6) for name, f in fits.items()},
                          index=[f"topic {k + 1}" for k in range(rank)]),
             width="stretch")

kit.explore_link("fit", "Choose the loss for a fit of your own data")
