"""Remove NMF's scaling and permutation ambiguity so fits can be compared.

``X ~= W H = (W D P^T)(P D^-1 H)`` for any positive diagonal ``D`` and permutation ``P``.
:func:`normalize_factors` fixes ``D`` (unit-norm rows of ``H``, the scale moved into ``W``);
:func:`align_components` fixes ``P`` by Hungarian matching
(:func:`scipy.optimize.linear_sum_assignment`) on the cosine similarity between components.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["normalize_factors", "component_similarity", "align_components", "align_fit",
           "match_components"]


def _row_norms(A: np.ndarray, norm: str = "l2") -> np.ndarray:
    """Norm of every row, computed on the row divided by its largest entry (no overflow or
    underflow for components of any magnitude)."""
    top = np.abs(A).max(axis=1) if A.size else np.zeros(A.shape[0])
    safe = np.where(top > 0, top, 1.0)
    scaled = A / safe[:, None]
    inner = np.linalg.norm(scaled, axis=1) if norm == "l2" else np.abs(scaled).sum(axis=1)
    return np.where(top > 0, top * inner, 0.0)


def _check_finite(name: str, A: np.ndarray) -> None:
    if not np.isfinite(A).all():
        raise ValueError(f"{name} has NaN or infinite entries; components to compare must be "
                         "finite (use the W, H of a finished fit).")


def normalize_factors(W, H, *, norm: str = "l2") -> tuple[np.ndarray, np.ndarray]:
    """Rescale so every row of ``H`` has unit norm, moving the scale into ``W``.

    The product ``W @ H`` is unchanged. Rows of ``H`` that are all zero are left as they are
    (scale 1).

    Parameters
    ----------
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    norm : {"l2", "l1"}, default="l2"
        Norm of the rows of ``H`` after rescaling (``"l1"``: rows sum to 1).

    Returns
    -------
    W_n : ndarray of shape (n_samples, rank)
    H_n : ndarray of shape (rank, n_features)
        New arrays; the inputs are not modified.
    """
    W = np.asarray(W, dtype=float)
    H = np.asarray(H, dtype=float)
    if W.ndim != 2 or H.ndim != 2 or W.shape[1] != H.shape[0]:
        raise ValueError("W must be (n_samples, rank) and H (rank, n_features) with the same "
                         f"rank; got W {W.shape} and H {H.shape}")
    if norm not in ("l1", "l2"):
        raise ValueError(f"norm must be one of ['l1', 'l2']; got {norm!r}")
    _check_finite("W", W)
    _check_finite("H", H)
    scale = _row_norms(H, norm)
    scale = np.where(scale > 0, scale, 1.0)
    return W * scale[None, :], H / scale[:, None]


def component_similarity(H_ref, H) -> np.ndarray:
    """Cosine similarity between every pair of components.

    Parameters
    ----------
    H_ref : ndarray of shape (rank_ref, n_features)
    H : ndarray of shape (rank, n_features)

    Returns
    -------
    S : ndarray of shape (rank_ref, rank)
        ``S[i, j] = cos(H_ref[i], H[j])`` in [0, 1] for non-negative inputs; 0 where either row
        is all zero.
    """
    H_ref = np.asarray(H_ref, dtype=float)
    H = np.asarray(H, dtype=float)
    if H_ref.ndim != 2 or H.ndim != 2 or H_ref.shape[1] != H.shape[1]:
        raise ValueError("H_ref and H must be 2-D with the same number of features (columns); "
                         f"got {H_ref.shape} and {H.shape}")
    _check_finite("H_ref", H_ref)
    _check_finite("H", H)
    nr = _row_norms(H_ref)
    nh = _row_norms(H)
    nr = np.where(nr > 0, nr, np.inf)
    nh = np.where(nh > 0, nh, np.inf)
    S = (H_ref / nr[:, None]) @ (H / nh[:, None]).T
    return np.clip(S, -1.0, 1.0)


def align_components(H_ref, H) -> tuple[np.ndarray, np.ndarray]:
    """Match the components of ``H`` to those of ``H_ref`` (Hungarian, max total cosine).

    Parameters
    ----------
    H_ref : ndarray of shape (rank_ref, n_features)
        Reference components.
    H : ndarray of shape (rank, n_features)
        Components to reorder, ``rank >= rank_ref``.

    Returns
    -------
    perm : ndarray of shape (rank_ref,), dtype int
        ``H[perm]`` is aligned with ``H_ref`` row by row (and ``W[:, perm]`` likewise).
    similarity : ndarray of shape (rank_ref,)
        ``cos(H_ref[k], H[perm[k]])`` for each reference component.

    Examples
    --------
    >>> import numpy as np
    >>> H = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
    >>> perm, sim = align_components(H, 3.0 * H[::-1])
    >>> perm.tolist(), sim.round(6).tolist()
    ([1, 0], [1.0, 1.0])
    """
    S = component_similarity(H_ref, H)
    if S.shape[1] < S.shape[0]:
        raise ValueError(f"H must have at least as many components as H_ref; got {S.shape[1]} "
                         f"< {S.shape[0]}")
    rows, cols = linear_sum_assignment(S, maximize=True)
    perm = np.empty(S.shape[0], dtype=np.intp)
    perm[rows] = cols
    return perm, S[np.arange(S.shape[0]), perm]


def align_fit(W, H, H_ref=None, *, norm: str = "l2"):
    """Normalise a fit and, if a reference is given, reorder its components to match it.

    Parameters
    ----------
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
    H_ref : ndarray of shape (rank, n_features) or None, default=None
        Reference components (normalised or not). ``None``: no reordering.
    norm : {"l2", "l1"}, default="l2"
        See :func:`normalize_factors`.

    Returns
    -------
    W_a : ndarray of shape (n_samples, rank)
    H_a : ndarray of shape (rank, n_features)
        Normalised and reordered factors (same product ``W_a @ H_a == W @ H``).
    perm : ndarray of shape (rank,), dtype int
        Applied permutation (identity when ``H_ref`` is None).
    similarity : ndarray of shape (rank,)
        Cosine similarity of each aligned component to its reference (ones when ``H_ref`` is
        None).
    """
    W_n, H_n = normalize_factors(W, H, norm=norm)
    rank = H_n.shape[0]
    if H_ref is None:
        return W_n, H_n, np.arange(rank), np.ones(rank)
    H_ref = np.asarray(H_ref, dtype=float)
    if H_ref.shape != H_n.shape:
        raise ValueError(f"H_ref must have the shape of H {H_n.shape}; got {H_ref.shape}")
    perm, sim = align_components(H_ref, H_n)
    return W_n[:, perm], H_n[perm], perm, sim


def match_components(H_a, H_b) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One-to-one matching of two fits' components, any ranks (Hungarian, max total cosine).

    Parameters
    ----------
    H_a : ndarray of shape (rank_a, n_features)
    H_b : ndarray of shape (rank_b, n_features)

    Returns
    -------
    pairs : ndarray of shape (min(rank_a, rank_b), 2), dtype int
        ``(i, j)``: component ``i`` of ``H_a`` matched with component ``j`` of ``H_b``, in the
        order of ``i``; the components of the larger fit left over have no partner.
    similarity : ndarray of shape (min(rank_a, rank_b),)
        Cosine similarity of each pair.
    S : ndarray of shape (rank_a, rank_b)
        Every cosine similarity (:func:`component_similarity`).

    Examples
    --------
    >>> import numpy as np
    >>> A = np.eye(3)
    >>> pairs, sim, _ = match_components(A, A[[2, 0]])
    >>> pairs.tolist(), sim.tolist()
    ([[0, 1], [2, 0]], [1.0, 1.0])
    """
    S = component_similarity(H_a, H_b)
    rows, cols = linear_sum_assignment(S, maximize=True)
    order = np.argsort(rows)
    pairs = np.column_stack([rows[order], cols[order]]).astype(np.intp)
    return pairs, S[pairs[:, 0], pairs[:, 1]], S
