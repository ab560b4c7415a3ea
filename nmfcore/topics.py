"""Reading components as topics (pyLDAvis-style): distributions, distances, a map, relevance.

Each row of H, normalised to sum 1, is a distribution over the features (terms):
``p(w | k)``. The definitions follow LDAvis (Sievert & Shirley, 2014):

* distance between two topics: Jensen–Shannon distance (square root of the JS divergence,
  base 2, so in [0, 1]) between their distributions;
* the intertopic map: classical (Torgerson) multidimensional scaling of those distances;
* a topic's size: its share of the total weight of the model, ``sum_i W[i,k] * sum_w H[k,w]``
  over the same for all topics (the part of ``sum(W H)`` the topic accounts for);
* relevance of term w to topic k: ``lambda log p(w|k) + (1 - lambda) log(p(w|k) / p(w))``, with
  ``p(w)`` the overall share of the term (its column sum in X, or in W H).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["topic_distributions", "topic_shares", "js_distances", "classical_mds",
           "term_probabilities", "term_relevance", "top_terms", "term_frequencies"]


def _rows_to_distributions(A: np.ndarray) -> np.ndarray:
    A = np.asarray(A, dtype=float)
    top = A.max(axis=1, keepdims=True) if A.size else np.zeros((A.shape[0], 1))
    A = A / np.where(top > 0, top, 1.0)           # unit scale first: no overflow in the sums
    s = A.sum(axis=1, keepdims=True)
    return np.divide(A, s, out=np.zeros_like(A), where=s > 0)


def topic_distributions(H) -> np.ndarray:
    """Rows of ``H`` normalised to sum 1: ``p(w | k)``; an all-zero row stays zero."""
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or (H < 0).any() or not np.isfinite(H).all():
        raise ValueError("H must be a finite, non-negative 2-D array (rank x n_features).")
    return _rows_to_distributions(H)


def topic_shares(W, H) -> np.ndarray:
    """Share of the model's total weight per topic (sums to 1; the bubble areas).

    ``share_k = sum_i W[i,k] * sum_w H[k,w] / sum(W @ H)``.
    """
    W = np.asarray(W, dtype=float)
    H = np.asarray(H, dtype=float)
    mass = W.sum(axis=0) * H.sum(axis=1)
    total = mass.sum()
    return mass / total if total > 0 else np.full(len(mass), 1.0 / max(len(mass), 1))


def js_distances(P) -> np.ndarray:
    """Pairwise Jensen–Shannon distances (base 2, in [0, 1]) between rows of ``P``.

    Rows are normalised to distributions first. ``D[i, j] = sqrt(JS(p_i, p_j))`` with
    ``JS(p, q) = (KL(p || m) + KL(q || m)) / 2``, ``m = (p + q) / 2``.
    """
    P = _rows_to_distributions(P)
    r = P.shape[0]
    D = np.zeros((r, r))
    with np.errstate(divide="ignore", invalid="ignore"):
        logP = np.where(P > 0, np.log2(P), 0.0)
        for i in range(r):
            for j in range(i + 1, r):
                m = 0.5 * (P[i] + P[j])
                logm = np.where(m > 0, np.log2(m), 0.0)
                js = 0.5 * (np.sum(P[i] * (logP[i] - logm)) + np.sum(P[j] * (logP[j] - logm)))
                D[i, j] = D[j, i] = np.sqrt(min(max(js, 0.0), 1.0))
    return D


def classical_mds(D, n_components: int = 2) -> np.ndarray:
    """Classical (Torgerson) MDS: coordinates whose Euclidean distances best match ``D``.

    ``B = -J D**2 J / 2`` (``J`` the centring matrix); the coordinates are the top
    eigenvectors of ``B`` times the square roots of their (positive) eigenvalues. Distances
    that are Euclidean in ``n_components`` dimensions are reproduced exactly. Axes without a
    positive eigenvalue are zero; signs are fixed so each axis's largest entry is positive.

    Returns
    -------
    ndarray of shape (n_points, n_components)
    """
    D = np.asarray(D, dtype=float)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"D must be a square distance matrix; got shape {D.shape}.")
    n = D.shape[0]
    out = np.zeros((n, n_components))
    if n < 2:
        return out
    J = np.eye(n) - 1.0 / n
    B = -0.5 * J @ (D ** 2) @ J
    vals, vecs = np.linalg.eigh((B + B.T) / 2)
    order = np.argsort(vals)[::-1][:n_components]
    vals, vecs = vals[order], vecs[:, order]
    pos = vals > 1e-12 * max(float(np.abs(vals).max()), 1e-300)
    coords = vecs * np.sqrt(np.where(pos, vals, 0.0))[None, :]
    idx = np.argmax(np.abs(coords), axis=0)
    signs = np.sign(coords[idx, np.arange(coords.shape[1])])
    coords = coords * np.where(signs == 0, 1.0, signs)[None, :]
    out[:, :coords.shape[1]] = coords
    return out


def term_probabilities(X=None, W=None, H=None) -> np.ndarray:
    """Overall share of each term, ``p(w)``: column sums of ``X`` (the corpus frequency, as
    LDAvis), or of ``W @ H`` when X is not given; normalised to sum 1."""
    if X is not None:
        col = np.asarray(X.sum(axis=0) if sp.issparse(X) else np.nansum(X, axis=0),
                         dtype=float).ravel()
    elif W is not None and H is not None:
        col = np.asarray(W, dtype=float).sum(axis=0) @ np.asarray(H, dtype=float)
    else:
        raise ValueError("give X, or both W and H.")
    total = col.sum()
    return col / total if total > 0 else np.full(len(col), 1.0 / max(len(col), 1))


def term_relevance(H, lam: float, term_prob=None) -> np.ndarray:
    """Relevance of every term to every topic (Sievert & Shirley, 2014).

    ``relevance[k, w] = lam * log p(w|k) + (1 - lam) * log(p(w|k) / p(w))``.

    Parameters
    ----------
    H : ndarray of shape (rank, n_features)
    lam : float in [0, 1]
        1: rank terms by their weight in the topic; 0: by lift (how much more frequent the
        term is in the topic than overall), which favours rare, topic-specific terms.
    term_prob : ndarray of shape (n_features,) or None
        ``p(w)``; None: the column sums of ``H``, normalised. Pass
        :func:`term_probabilities` of X for the corpus frequency (as LDAvis does).

    Returns
    -------
    ndarray of shape (rank, n_features)
        ``-inf`` where the term has zero weight in the topic (it is never relevant).

    Examples
    --------
    >>> import numpy as np
    >>> H = np.array([[3.0, 1.0], [1.0, 1.0]])
    >>> np.allclose(term_relevance(H, 1.0), np.log([[0.75, 0.25], [0.5, 0.5]]))
    True
    """
    lam = float(lam)
    if not 0.0 <= lam <= 1.0:
        raise ValueError(f"lam must be in [0, 1]; got {lam}.")
    P = topic_distributions(H)
    if term_prob is None:
        term_prob = _rows_to_distributions(np.asarray(H, dtype=float).sum(axis=0)[None, :])[0]
    pw = np.asarray(term_prob, dtype=float).ravel()
    if pw.shape[0] != P.shape[1]:
        raise ValueError(f"term_prob has {pw.shape[0]} entries for {P.shape[1]} terms.")
    tiny = np.finfo(float).tiny
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(P > 0, np.log(np.where(P > 0, P, 1.0)), -np.inf)
        if lam == 1.0:
            return logp
        logpw = np.log(np.maximum(pw, tiny))[None, :]
        return np.where(P > 0, lam * logp + (1 - lam) * (logp - logpw), -np.inf)


def top_terms(H, topic: int, *, lam: float = 1.0, n: int = 30, term_prob=None) -> np.ndarray:
    """Indices of topic ``topic``'s ``n`` most relevant terms (best first), terms with zero
    weight in the topic left out. Equal relevance (to 10 significant digits; e.g. at small
    lambda every term found only in this topic has the same lift) is broken by the weight."""
    k = int(topic)
    R = term_relevance(H, lam, term_prob)[k]
    P = topic_distributions(H)[k]
    finite = np.isfinite(R)
    key = np.where(finite, R, -np.inf)
    scale = np.max(np.abs(key[finite])) if finite.any() else 1.0
    rounded = np.where(finite, np.round(key / (scale or 1.0), 10), -np.inf)
    order = np.lexsort((-P, -rounded))
    order = order[finite[order]]
    return order[:max(0, int(n))]


def term_frequencies(W, H, X=None) -> tuple[np.ndarray, np.ndarray]:
    """Term totals for the bars: what each topic contributes, and the overall total.

    Returns
    -------
    in_topic : ndarray of shape (rank, n_features)
        ``sum_i W[i,k] H[k,w]``: the part of term w's total that topic k accounts for.
    overall : ndarray of shape (n_features,)
        Column sums of ``X`` (the observed total of each term), or of ``W @ H`` without X.
    """
    W = np.asarray(W, dtype=float)
    H = np.asarray(H, dtype=float)
    in_topic = W.sum(axis=0)[:, None] * H
    if X is None:
        overall = in_topic.sum(axis=0)
    else:
        overall = np.asarray(X.sum(axis=0) if sp.issparse(X) else np.nansum(X, axis=0),
                             dtype=float).ravel()
    return in_topic, overall
