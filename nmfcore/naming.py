"""Names of components: useful defaults, and names carried over to a refit.

A component is known by its index (``C1``, ``C2``, ... as in every figure) plus, when the data
has feature labels, what it is made of: its top terms for text, its dominant feature otherwise.
A name the user typed follows the component into a new fit when a component of the new fit
matches it (Hungarian matching on cosine similarity, as :func:`nmfcore.align_components`).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from .alignment import component_similarity

__all__ = ["default_names", "carry_names", "MATCH_COSINE"]

# Two components are "the same" across fits at or above this cosine similarity.
MATCH_COSINE = 0.9


def _unique(names: list[str]) -> list[str]:
    """Names made distinct by a ``#k`` suffix on repeats (legends and CSV headers need it)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        n = seen.get(name, 0)
        seen[name] = n + 1
        out.append(name if n == 0 else f"{name} #{n + 1}")
    if len(set(out)) != len(out):      # a suffix collided with a given name: index them all
        out = [f"{name} [{k + 1}]" for k, name in enumerate(names)]
    return out


def default_names(H, feature_names: Sequence | None = None, *, kind: str = "generic",
                  n_terms: int = 3) -> list[str]:
    """A short, distinct name for each component (row of ``H``).

    Parameters
    ----------
    H : ndarray of shape (rank, n_features)
    feature_names : sequence of str or None
        Labels of the features (columns). Without them, names are ``C1``, ``C2``, ...
    kind : {"text", "image", "spectra", "generic"}, default="generic"
        ``"text"``: ``"C1 · python, code, gui"`` (the ``n_terms`` heaviest terms);
        otherwise ``"C1 · 523 nm"`` (the dominant feature). Image pixels have no useful label,
        so image components stay ``C1``, ``C2``, ...
    n_terms : int, default=3

    Returns
    -------
    list of str
        ``rank`` distinct names, each starting with the component's index ``C{k+1}``.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.array([[0.1, 3.0, 2.0], [5.0, 0.0, 0.0]])
    >>> default_names(H, ["a", "b", "c"], kind="text", n_terms=2)
    ['C1 · b, c', 'C2 · a']
    >>> default_names(H, ["a", "b", "c"])
    ['C1 · b', 'C2 · a']
    """
    H = np.asarray(H, dtype=float)
    if H.ndim != 2:
        raise ValueError(f"H must be 2-D (rank x n_features); got shape {H.shape}.")
    base = [f"C{k + 1}" for k in range(H.shape[0])]
    if feature_names is None or len(feature_names) != H.shape[1] or kind == "image":
        return base
    labels = [str(f) for f in feature_names]
    n = max(1, int(n_terms)) if kind == "text" else 1
    names = []
    for k, row in enumerate(H):
        order = np.argsort(-row, kind="stable")[:n]
        top = [labels[j] for j in order if row[j] > 0]
        names.append(f"{base[k]} · {', '.join(top)}" if top else base[k])
    return _unique(names)


def carry_names(H_old, names_old: Sequence, H_new, *, defaults: Sequence | None = None,
                threshold: float = MATCH_COSINE) -> list:
    """Names for the components of a new fit, taken from the old fit where they match.

    Parameters
    ----------
    H_old : ndarray of shape (rank_old, n_features)
    names_old : sequence of str or None, length rank_old
        The old names; None entries are not carried (e.g. defaults the user never changed).
    H_new : ndarray of shape (rank_new, n_features)
        Any rank (more or fewer components than before).
    defaults : sequence, length rank_new, or None
        Names of the new components that match nothing (None: ``None`` entries).
    threshold : float, default=0.9
        Smallest cosine similarity at which a matched pair counts as the same component.

    Returns
    -------
    list, length rank_new
        ``names_old[i]`` for the new component matched to old component ``i`` (one-to-one,
        Hungarian on cosine similarity) with similarity ``>= threshold``; ``defaults[j]``
        for the others.
    """
    H_old = np.asarray(H_old, dtype=float)
    H_new = np.asarray(H_new, dtype=float)
    if len(names_old) != H_old.shape[0]:
        raise ValueError(f"names_old has {len(names_old)} names for {H_old.shape[0]} components.")
    out = list(defaults) if defaults is not None else [None] * H_new.shape[0]
    if len(out) != H_new.shape[0]:
        raise ValueError(f"defaults has {len(out)} names for {H_new.shape[0]} components.")
    if H_old.shape[1] != H_new.shape[1] or H_old.size == 0 or H_new.size == 0:
        return out
    S = component_similarity(H_old, H_new)
    rows, cols = linear_sum_assignment(S, maximize=True)
    for i, j in zip(rows, cols):
        if S[i, j] >= threshold and names_old[i] is not None:
            out[j] = names_old[i]
    return out
