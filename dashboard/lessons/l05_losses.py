"""Lesson 5: Frobenius vs Kullback-Leibler on word counts, and the Poisson likelihood."""
import numpy as np
import pandas as pd
import streamlit as st

from dashboard.lessons import figures, kit
from nmfcore.teaching import kl_divergence, poisson_log_likelihood

kit.header(5, "Frobenius vs Kullback–Leibler", r"""
"Close to X" can be measured in more than one way. The **squared (Frobenius) error**
$\sum (X - WH)^2$ treats every entry alike, so big counts dominate. For **counts** a
natural model is $X_{ij} \sim \text{Poisson}((WH)_{ij})$: its log-likelihood is
$\sum X\log(WH) - WH$ (plus terms free of W, H), and maximising it is the same as minimising
the **generalized KL divergence** $\sum X\log\frac{X}{WH} - X + WH$. The logarithm turns a
product of probabilities into a sum. Below: one word-count matrix (Python modules × words),
fitted both ways with the same start.
""")

rank = st.slider("Topics r", 3, 12, 8, key="l05_rank")
X = kit.dense("text")
fits = {name: kit.fit("text", rank, solver="mu", loss=loss, max_iter=200, tol=1e-5)
        for name, loss in (("Frobenius fit", "frobenius"), ("KL fit", "kl"))}
WH = {name: np.maximum(f["W"] @ f["H"], 1e-12) for name, f in fits.items()}

loglik = [poisson_log_likelihood(X, v) for v in WH.values()]
sq = [float(np.sum((X - v) ** 2)) for v in WH.values()]
c1, c2 = st.columns(2)
c1.plotly_chart(figures.bars(list(WH), loglik, title="Poisson log-likelihood (higher = better)",
                             ylabel="log-likelihood", text_fmt=",.0f"), key="l05_ll")
c2.plotly_chart(figures.bars(list(WH), sq, title="Squared error ‖X − WH‖² (lower = better)",
                             ylabel="squared error", text_fmt=",.0f"), key="l05_sq")
st.caption(f"KL divergence: Frobenius fit {kl_divergence(X, WH['Frobenius fit']):,.0f}, "
           f"KL fit {kl_divergence(X, WH['KL fit']):,.0f}. Each fit wins on its own measure.")

counts = np.arange(0, 11)
series = {}
for name, v in WH.items():
    mean_fit = [float(v[X == c].mean()) if np.any(X == c) else np.nan for c in counts]
    series[name] = (counts, mean_fit)
series["perfect (fitted = observed)"] = (counts, counts.astype(float))
st.plotly_chart(figures.lines(None, series, title="Where they differ: the small counts",
                              xlabel="observed count X_ij", ylabel="average fitted (WH)_ij",
                              markers=True, dash={"perfect (fitted = observed)": "dot"}),
                key="l05_small")
share0 = float(np.mean(X == 0))
st.markdown(f"{share0:.0%} of the entries are 0 and most others are 1 or 2. The squared "
            "error spends its effort on the few large counts; KL weighs an entry's miss by "
            "its size, so it follows the many small counts more closely and its topics are "
            "less dominated by the most frequent words.")

words = kit.demo("text").col_labels
st.dataframe(pd.DataFrame({name: kit.top_words(f["H"], words, 6) for name, f in fits.items()},
                          index=[f"topic {k + 1}" for k in range(rank)]),
             width="stretch")

kit.explore_link("fit", "Choose the loss for a fit of your own data")
