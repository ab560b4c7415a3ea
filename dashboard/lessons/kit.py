"""Shared pieces of the lesson pages: header, link to Explore, cached data and fits.

Every computation a lesson shows goes through a cached function here (``st.cache_data`` with
plain arguments), so moving a slider back to a value seen before is instant and each lesson
stays small enough to render in a second or two.
"""
from __future__ import annotations

import warnings

import numpy as np
import streamlit as st

import nmfcore
from nmfcore import datasets, teaching

from dashboard.lessons import LESSON_PAGES

N_LESSONS = len(LESSON_PAGES)


def header(number: int, title: str, summary: str, formula: str | None = None) -> None:
    """Title, the lesson counter and the lesson's text.

    If ``formula`` is given, ``summary`` must contain the marker ``{formula}`` on a line of its
    own: the text before it, the formula (``st.latex``) and the text after are shown in order.
    """
    st.title(f"{number}. {title}")
    st.caption(f"Lesson {number} of {N_LESSONS} · Notation used throughout: X (samples × "
               f"features) ≈ W (samples × r) · H (r × features). Rows of H are the "
               f"components (\"parts\"); a row of W says how much of each part a sample uses.")
    if formula is None:
        st.markdown(summary)
        return
    before, after = summary.split("{formula}")
    st.markdown(before)
    st.latex(formula)
    st.markdown(after)


def explore_link(page: str, label: str) -> None:
    """Link to the Explore page where the reader can do the same on their own data."""
    st.divider()
    st.page_link(f"app_pages/{page}.py", label=label, icon=":material/arrow_forward:")


@st.cache_resource(max_entries=16, show_spinner=False)
def demo(name: str) -> datasets.Dataset:
    """A demo data set (shared, never modified)."""
    return datasets.load_demo(name)


def dense(name: str, n_rows: int | None = None) -> np.ndarray:
    """The demo matrix as a dense float array, optionally its first ``n_rows`` rows."""
    X = demo(name).X
    X = X.toarray() if hasattr(X, "toarray") else np.asarray(X)
    X = np.asarray(X, dtype=float)
    return X if n_rows is None else X[:n_rows]


def _data(name: str, n_rows: int | None):
    return demo(name).X if n_rows is None else dense(name, n_rows)  # sparse stays sparse


@st.cache_data(max_entries=32, show_spinner=False)
def start(name: str, rank: int, n_rows: int | None = None, init: str = "nndsvda",
          seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Starting factors from :func:`nmfcore.initialize`, computed once and shared."""
    W0, H0 = nmfcore.initialize(_data(name, n_rows), rank, init, random_state=seed)
    return np.array(W0), np.array(H0)


@st.cache_data(max_entries=64, show_spinner=False)
def fit(name: str, rank: int, *, n_rows: int | None = None, solver: str = "hals",
        loss: str = "frobenius", init: str = "nndsvda", max_iter: int = 200, tol: float = 1e-4,
        seed: int = 0, l1: float = 0.0, l2: float = 0.0) -> nmfcore.NMFResult:
    """Factorize a demo set (or its first ``n_rows`` rows); the cached result is nmfcore's own.

    The start comes from :func:`start`, so fits that differ only in solver, loss or penalty
    begin from the same factors (and the initialization is computed once).
    """
    W0, H0 = start(name, rank, n_rows, init, seed)
    with warnings.catch_warnings():  # lessons cap iterations on purpose to stay fast
        warnings.simplefilter("ignore", nmfcore.ConvergenceWarning)
        return nmfcore.factorize(_data(name, n_rows), rank, solver=solver, loss=loss, W0=W0,
                                 H0=H0, max_iter=max_iter, tol=tol, random_state=seed, l1=l1,
                                 l2=l2)


@st.cache_data(max_entries=32, show_spinner=False)
def pca(name: str, rank: int, n_rows: int | None = None) -> dict:
    """PCA of a demo set through the SVD (see :func:`nmfcore.teaching.pca`)."""
    d = teaching.pca(dense(name, n_rows), rank)
    return {"components": d.components, "weights": d.weights,
            "reconstruction": d.reconstruction, "mean": d.mean,
            "explained": d.explained_variance_ratio}


@st.cache_data(max_entries=32, show_spinner=False)
def vq(name: str, rank: int, n_rows: int | None = None, seed: int = 0) -> dict:
    """k-means prototypes of a demo set (see :func:`nmfcore.teaching.vector_quantization`)."""
    d = teaching.vector_quantization(dense(name, n_rows), rank, random_state=seed)
    return {"components": d.components, "labels": d.labels,
            "reconstruction": d.reconstruction}


TINY_STARTS = ("random", "one entry of H set to 0", "a column of W set to 0")


def tiny_start(kind: str, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Starting factors for the 5 × 6 matrix at rank 2: random, or with planted zeros."""
    X = dense("tiny")
    W0, H0 = nmfcore.initialize(X, 2, "random", random_state=seed)
    W0, H0 = np.array(W0, dtype=float), np.array(H0, dtype=float)
    if kind == TINY_STARTS[1]:
        H0[locked_cell(seed)] = 0.0
    elif kind == TINY_STARTS[2]:
        W0[:, 1] = 0.0
    return W0, H0


def locked_cell(seed: int = 0) -> tuple[int, int]:
    """The entry of H that the random start's MU fit needs most (its largest entry after
    300 steps): setting it to 0 at the start shows zero locking at its worst."""
    X = dense("tiny")
    W0, H0 = nmfcore.initialize(X, 2, "random", random_state=seed)
    H = teaching.mu_trace(X, W0, H0, 300)[-1].H
    return tuple(int(i) for i in np.unravel_index(np.argmax(H), H.shape))


@st.cache_data(max_entries=16, show_spinner=False)
def mu_reference(kind: str, delta: float, max_iter: int, seed: int = 0) -> dict:
    """nmfcore's own MU fit of the tiny matrix from :func:`tiny_start` (tol=0: no early stop)."""
    W0, H0 = tiny_start(kind, seed)
    res = nmfcore.factorize(dense("tiny"), 2, solver="mu", W0=W0, H0=H0, max_iter=max_iter,
                            tol=0.0, delta=delta)
    return {k: np.asarray(v) for k, v in res.history.items()}


@st.cache_data(max_entries=64, show_spinner=False)
def gradient_run(learning_rate: float, batch_size: int, l2: float, project: bool,
                 n_epochs: int = 200, seed: int = 0) -> dict:
    """Hand-written gradient descent on the tiny matrix (see
    :func:`nmfcore.teaching.gradient_descent`), from nmfcore's random start at rank 2."""
    X = dense("tiny")
    W0, H0 = nmfcore.initialize(X, 2, "random", random_state=seed)
    tr = teaching.gradient_descent(X, W0, H0, learning_rate=learning_rate, l2=l2,
                                   batch_size=batch_size, n_epochs=n_epochs, project=project,
                                   random_state=seed)
    return {"loss": tr.loss, "min_entry": tr.min_entry, "negative_fraction": tr.negative_fraction,
            "W": tr.W, "H": tr.H, "diverged": tr.diverged}


def top_words(H: np.ndarray, words, n_top: int = 8) -> list[str]:
    """For each row of H, its ``n_top`` heaviest features joined into one string."""
    words = np.asarray(words)
    return [", ".join(words[np.argsort(-h)[:n_top]]) for h in H]


@st.cache_data(max_entries=16, show_spinner=False)
def ica(name: str, rank: int, n_rows: int | None = None, seed: int = 0) -> dict:
    """FastICA of a demo set (see :func:`nmfcore.teaching.fastica`)."""
    S, A = teaching.fastica(dense(name, n_rows), rank, random_state=seed)
    return {"sources": S, "mixing": A}


@st.cache_data(max_entries=8, show_spinner="Fitting every rank with restarts…")
def sweep(name: str, max_rank: int = 8, n_restarts: int = 4, seed: int = 0,
          noise: float | None = None) -> dict:
    """:func:`nmfcore.rank_sweep` over ranks 1..max_rank of a demo set (2 CV folds, the
    library's default solver and stopping rule, so every fit converges).

    ``noise`` (planted only) rebuilds the planted set with that noise level (same W, H).
    """
    X = dense(name)
    if noise is not None and name == "planted":
        X = datasets.make_planted(X.shape[0], X.shape[1], demo(name).suggested_rank,
                                  noise=noise, random_state=0).X
    sw = nmfcore.rank_sweep(X, list(range(1, max_rank + 1)), n_restarts=n_restarts,
                            cv_folds=2, random_state=seed)
    return {"table": {k: np.asarray(v) for k, v in sw.table.items()},
            "suggestions": [(s.rule, s.rank, s.explanation) for s in sw.suggestions],
            "n_unconverged": sw.n_unconverged}


@st.cache_data(max_entries=8, show_spinner=False)
def masked_fit(name: str, rank: int, fraction: float = 0.2, seed: int = 0) -> dict:
    """Hide a random ``fraction`` of a demo set's entries, fit the rest, predict the hidden.

    Uses :func:`nmfcore.holdout_mask` and ``factorize(mask=...)`` (HALS).
    """
    X = dense(name)
    hidden = nmfcore.holdout_mask(np.ones(X.shape, bool), fraction, seed)
    res = nmfcore.factorize(X, rank, solver="hals", mask=~hidden, max_iter=300, tol=1e-6,
                            random_state=seed)
    return {"hidden": hidden, "prediction": res.W @ res.H}
