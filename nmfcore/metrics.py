"""Quality measures of a factorization and of the clustering it induces (numpy only).

Clustering scores compare predicted labels (e.g. the dominant component of each sample) with
known classes: :func:`purity` and :func:`entropy` follow the R package NMF (Gaujoux &
Seoighe 2010, after Kim & Park 2007), :func:`adjusted_rand_index` follows Hubert & Arabie
(1985). :func:`silhouette_samples` / :func:`silhouette_score` (Rousseeuw 1987) work from a
distance matrix, e.g. ``1 - C`` for a consensus matrix ``C``. Factor measures:
:func:`hoyer_sparsity` (Hoyer 2004), :func:`explained_variance` and :func:`relative_error`.

References
----------
Hubert, L., Arabie, P. (1985). Comparing partitions. J. Classification 2, 193-218.
doi:10.1007/BF01908075
Rousseeuw, P. J. (1987). Silhouettes. J. Comput. Appl. Math. 20, 53-65.
doi:10.1016/0377-0427(87)90125-7
Hoyer, P. O. (2004). Non-negative matrix factorization with sparseness constraints. JMLR 5,
1457-1469.
Gaujoux, R., Seoighe, C. (2010). A flexible R package for nonnegative matrix factorization.
BMC Bioinformatics 11, 367. doi:10.1186/1471-2105-11-367
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._validation import unit_exponent
from .losses import wh_at_nonzeros

__all__ = [
    "contingency_table", "purity", "entropy", "adjusted_rand_index", "silhouette_samples",
    "silhouette_score", "hoyer_sparsity", "explained_variance", "relative_error",
]


def contingency_table(labels_pred, labels_true) -> np.ndarray:
    """Counts ``n[k, j]`` of samples in predicted cluster ``k`` and true class ``j``.

    Parameters
    ----------
    labels_pred, labels_true : array-like of shape (n_samples,)
        Labels numpy can sort (ints or strings).

    Returns
    -------
    table : ndarray of shape (n_clusters, n_classes), dtype int
    """
    p = np.asarray(labels_pred)
    t = np.asarray(labels_true)
    if p.ndim != 1 or t.ndim != 1 or p.shape != t.shape or p.size == 0:
        raise ValueError("labels_pred and labels_true must be non-empty 1-D arrays of equal "
                         f"length; got shapes {p.shape} and {t.shape}")
    _, pi = np.unique(p, return_inverse=True)
    _, ti = np.unique(t, return_inverse=True)
    table = np.zeros((pi.max() + 1, ti.max() + 1), dtype=np.int64)
    np.add.at(table, (pi, ti), 1)
    return table


def purity(labels_pred, labels_true) -> float:
    """Share of samples in the majority true class of their cluster.

    ``purity = (1/n) sum_k max_j n[k, j]``; 1 is perfect, ``1/n_classes`` is poor.

    Parameters
    ----------
    labels_pred, labels_true : array-like of shape (n_samples,)

    Returns
    -------
    float in (0, 1]
    """
    n = contingency_table(labels_pred, labels_true)
    return float(n.max(axis=1).sum() / n.sum())


def entropy(labels_pred, labels_true) -> float:
    """Normalised conditional entropy of the true classes within clusters (R NMF definition).

    ``entropy = -1 / (n log2 m) sum_k sum_j n[k, j] log2(n[k, j] / n_k)`` where ``m`` is the
    number of true classes and ``n_k`` the cluster sizes. 0 is perfect (every cluster holds
    one class), 1 means clusters carry no information about classes.

    Parameters
    ----------
    labels_pred, labels_true : array-like of shape (n_samples,)

    Returns
    -------
    float in [0, 1]; 0.0 when there is a single true class.
    """
    n = contingency_table(labels_pred, labels_true).astype(float)
    m = n.shape[1]
    if m < 2:
        return 0.0
    nk = n.sum(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(n > 0, n * np.log2(n / nk), 0.0)
    return float(-terms.sum() / (n.sum() * np.log2(m)))


def _comb2(x):
    x = np.asarray(x, dtype=float)
    return x * (x - 1.0) / 2.0


def adjusted_rand_index(labels_pred, labels_true) -> float:
    """Adjusted Rand index (Hubert & Arabie 1985).

    Parameters
    ----------
    labels_pred, labels_true : array-like of shape (n_samples,)

    Returns
    -------
    float
        1 for identical partitions (up to label names), about 0 for independent ones, can be
        negative. 1.0 when both partitions are trivial in the same way (a single cluster each,
        or all singletons), as scikit-learn does.
    """
    n = contingency_table(labels_pred, labels_true)
    total = n.sum()
    sum_ij = _comb2(n).sum()
    sum_a = _comb2(n.sum(axis=1)).sum()
    sum_b = _comb2(n.sum(axis=0)).sum()
    expected = sum_a * sum_b / _comb2(total) if total > 1 else 0.0
    max_index = 0.5 * (sum_a + sum_b)
    if np.isclose(max_index, expected):
        return 1.0
    return float((sum_ij - expected) / (max_index - expected))


def _check_distance(D, labels):
    D = np.asarray(D, dtype=float)
    labels = np.asarray(labels)
    if D.ndim != 2 or D.shape[0] != D.shape[1]:
        raise ValueError(f"D must be a square distance matrix; got shape {D.shape}")
    if labels.shape != (D.shape[0],):
        raise ValueError(f"labels must have shape ({D.shape[0]},); got {labels.shape}")
    if not np.all(np.isfinite(D)) or D.min() < 0:
        raise ValueError("D must be finite and non-negative")
    return D, labels


def silhouette_samples(D, labels) -> np.ndarray:
    """Silhouette width of every sample from a precomputed distance matrix.

    ``s_i = (b_i - a_i) / max(a_i, b_i)`` with ``a_i`` the mean distance to the other members
    of its cluster and ``b_i`` the smallest mean distance to another cluster. Samples alone in
    their cluster get 0 (Rousseeuw's convention, as in scikit-learn).

    Parameters
    ----------
    D : ndarray of shape (n_samples, n_samples)
        Symmetric distances, e.g. ``1 - C`` for a consensus matrix ``C``.
    labels : array-like of shape (n_samples,)
        Cluster of each sample; needs ``2 <= n_clusters <= n_samples - 1``.

    Returns
    -------
    s : ndarray of shape (n_samples,), values in [-1, 1]
    """
    D, labels = _check_distance(D, labels)
    uniq, inv = np.unique(labels, return_inverse=True)
    k = uniq.size
    if not 2 <= k <= D.shape[0] - 1:
        raise ValueError(f"silhouette needs 2 <= n_clusters <= n_samples - 1; got {k} clusters "
                         f"for {D.shape[0]} samples")
    onehot = np.zeros((D.shape[0], k))
    onehot[np.arange(D.shape[0]), inv] = 1.0
    sizes = onehot.sum(axis=0)
    sums = D @ onehot                                    # (n, k): total distance to each cluster
    own = sizes[inv]
    a = sums[np.arange(D.shape[0]), inv] / np.maximum(own - 1, 1)
    mean_other = sums / sizes[None, :]
    mean_other[np.arange(D.shape[0]), inv] = np.inf
    b = mean_other.min(axis=1)
    denom = np.maximum(a, b)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(denom > 0, (b - a) / denom, 0.0)
    s[own <= 1] = 0.0
    return s


def silhouette_score(D, labels) -> float:
    """Mean silhouette width (see :func:`silhouette_samples`).

    Parameters
    ----------
    D : ndarray of shape (n_samples, n_samples)
    labels : array-like of shape (n_samples,)

    Returns
    -------
    float in [-1, 1]
    """
    return float(np.mean(silhouette_samples(D, labels)))


def hoyer_sparsity(x, axis: int | None = None):
    """Hoyer's sparseness ``(sqrt(n) - |x|_1 / |x|_2) / (sqrt(n) - 1)``.

    Parameters
    ----------
    x : array-like
        Non-negative values.
    axis : int or None, default=None
        ``None``: one value for the whole (flattened) array. Otherwise one value per vector
        along ``axis`` (e.g. ``axis=1`` on ``H`` of shape (rank, n_features) scores each
        component).

    Returns
    -------
    float or ndarray
        In [0, 1]: 1 for a single non-zero entry, 0 when all entries are equal. All-zero
        vectors score 0.
    """
    x = np.abs(np.asarray(x, dtype=float))
    if axis is None:
        x = x.ravel()
        axis = 0
    top = x.max(axis=axis, keepdims=True) if x.size else x
    x = np.divide(x, top, out=np.zeros_like(x), where=top > 0)  # scale-free, no overflow
    n = x.shape[axis]
    if n < 2:
        raise ValueError(f"Hoyer sparsity needs vectors of length >= 2; got {n}")
    l1 = x.sum(axis=axis)
    l2 = np.sqrt((x * x).sum(axis=axis))
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(l2 > 0, l1 / l2, np.sqrt(n))
    out = (np.sqrt(n) - ratio) / (np.sqrt(n) - 1.0)
    out = np.clip(out, 0.0, 1.0)
    return float(out) if out.ndim == 0 else out


def _residual_sums(X, W, H, mask=None) -> tuple[float, float]:
    """Return ``(sum (X - WH)^2, sum X^2)`` over the observed entries, both computed with X
    and W H multiplied by the same power of two (exact), so only their ratio is meaningful; this
    keeps the sums finite for data of any magnitude. ``H=None``: ``W`` is the approximation
    itself (shape of X)."""
    W = np.asarray(W, dtype=float)
    m, n = X.shape
    whole = H is None          # W is the approximation W H itself
    if whole:
        if W.shape != X.shape:
            raise ValueError(f"the approximation must have the shape of X {X.shape}; "
                             f"got {W.shape}.")
    else:
        H = np.asarray(H, dtype=float)
    if not whole and (W.ndim != 2 or H.ndim != 2 or W.shape != (m, W.shape[1])
                      or H.shape != (W.shape[1], n)):
        raise ValueError(f"W and H must have shapes (n_samples, rank) and (rank, n_features) that "
                         f"match X {X.shape}; got W {W.shape} and H {H.shape}.")
    values = X.data if sp.issparse(X) else np.asarray(X, dtype=float)
    seen = values if mask is None or sp.issparse(X) else values[np.asarray(mask, dtype=bool)]
    if not np.isfinite(seen).all():
        raise ValueError("X has NaN or infinite entries; pass mask= to score only the observed "
                         "entries (False where X is missing).")
    if (seen < 0).any():
        raise ValueError("X has negative entries; NMF error measures need the non-negative data "
                         "the model was fitted on.")
    top = float(np.abs(seen).max()) if seen.size else 0.0
    if top > 0:   # unit scale: 2**k X and (2**(k//2) W)(2**(k - k//2) H)
        k = unit_exponent(top)
        if sp.issparse(X):
            X = X.astype(float)            # a copy
            X.data = np.ldexp(X.data, k)
        else:
            X = np.ldexp(X, k)
        W, H = (np.ldexp(W, k), None) if whole else (np.ldexp(W, k // 2), np.ldexp(H, k - k // 2))
    approx = W if whole else None
    if sp.issparse(X):
        if mask is not None:
            X = X.toarray()
        else:
            X = X.tocsr()
            xx = float(X.multiply(X).sum())
            if approx is not None:
                cross = float(X.multiply(approx).sum()) if X.nnz else 0.0
                return max(xx - 2.0 * cross + float(np.sum(approx * approx)), 0.0), xx
            # W H at the stored entries only: never an n_samples x n_features array
            cross = float(X.data @ wh_at_nonzeros(X, W, H)) if X.nnz else 0.0
            wh = float(np.sum((W.T @ W) * (H @ H.T)))
            return max(xx - 2.0 * cross + wh, 0.0), xx
    X = np.asarray(X, dtype=float)
    R = X - (W @ H if approx is None else approx)
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if mask.shape != X.shape:
            raise ValueError(f"mask must have the shape of X {X.shape}; got {mask.shape}")
        return float(np.sum(R[mask] ** 2)), float(np.sum(X[mask] ** 2))
    return float(np.sum(R * R)), float(np.sum(X * X))


def explained_variance(X, W, H, *, mask=None) -> float:
    """Share of the total sum of squares explained: ``1 - ||X - WH||^2 / ||X||^2``.

    This is R NMF's ``evar`` (uncentred, so it is not the PCA "explained variance").

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    mask : ndarray of bool of shape (n_samples, n_features) or None, default=None
        Only entries where ``mask`` is True are counted.

    Returns
    -------
    float, at most 1
    """
    rss, tss = _residual_sums(X, W, H, mask)
    return 1.0 - rss / tss if tss > 0 else 0.0


def relative_error(X, W, H=None, *, mask=None) -> float:
    """Relative Frobenius error ``||X - WH|| / ||X||`` (over ``mask`` entries if given).

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    W : ndarray of shape (n_samples, rank)
        Or, with ``H=None``, any approximation of X (same shape), e.g. a PCA reconstruction.
    H : ndarray of shape (rank, n_features) or None
    mask : ndarray of bool of shape (n_samples, n_features) or None, default=None

    Returns
    -------
    float >= 0 (``inf`` if the counted part of X is all zero and the residual is not)
    """
    rss, tss = _residual_sums(X, W, H, mask)
    if tss > 0:
        return float(np.sqrt(rss / tss))
    return 0.0 if rss == 0 else float("inf")


def feature_programs(H, n_top: int = 10) -> dict:
    """Each component's top features, their weights and how specific each is to it.

    The specificity is a z-score of a feature's weight across components (for feature ``j``,
    ``(H[k, j] - mean_k H[:, j]) / std_k H[:, j]``), as in cNMF's "gene spectra scores": a
    feature that every component uses scores near 0, one that marks component ``k`` high.

    Parameters
    ----------
    H : ndarray of shape (rank, n_features)
    n_top : int, default=10
        Features listed per component (at most ``n_features``).

    Returns
    -------
    dict
        ``top`` (int array of shape (rank, n_top), feature indices by decreasing weight),
        ``weight`` (the weights there), ``zscore`` (their z-scores) and ``Z`` (the z-scores of
        every feature, shape (rank, n_features); 0 where a feature's weight does not vary).

    Examples
    --------
    >>> import numpy as np
    >>> p = feature_programs(np.array([[3.0, 1.0, 0.0], [0.0, 1.0, 2.0]]), n_top=2)
    >>> p["top"].tolist(), p["zscore"].round(2).tolist()
    ([[0, 1], [2, 1]], [[1.0, 0.0], [1.0, 0.0]])
    """
    H = np.asarray(H, dtype=float)
    if H.ndim != 2 or not np.isfinite(H).all():
        raise ValueError("H must be a finite 2-D array (rank x n_features).")
    n_top = max(1, min(int(n_top), H.shape[1]))
    mean, std = H.mean(axis=0), H.std(axis=0)
    Z = np.divide(H - mean, std, out=np.zeros_like(H), where=std > 0)
    top = np.argsort(-H, axis=1, kind="stable")[:, :n_top]
    rows = np.arange(H.shape[0])[:, None]
    return {"top": top, "weight": H[rows, top], "zscore": Z[rows, top], "Z": Z}
