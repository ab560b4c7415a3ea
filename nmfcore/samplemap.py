"""Where the samples sit: 2-D coordinates from their memberships, and each component's top
samples.

Memberships (rows of W normalised to sum 1, :func:`nmfcore.memberships`) live on a simplex
with one corner per component. Two flat views of it:

* ``"pca"``: the first two principal axes of the memberships (the directions in which the
  samples differ most; distances between samples are kept as well as two axes can);
* ``"radial"``: one anchor per component on the unit circle, each sample at the average of the
  anchors weighted by its memberships (a pure sample sits on its anchor, a half-half sample
  half-way between two).
"""
from __future__ import annotations

import numpy as np

from .membership import memberships

__all__ = ["sample_map", "top_samples", "MAP_METHODS"]

MAP_METHODS = ("pca", "radial")


def _fix_signs(V: np.ndarray) -> np.ndarray:
    """Flip each column so its largest-magnitude entry is positive (a deterministic layout)."""
    if V.size == 0:
        return V
    idx = np.argmax(np.abs(V), axis=0)
    signs = np.sign(V[idx, np.arange(V.shape[1])])
    return V * np.where(signs == 0, 1.0, signs)[None, :]


def sample_map(W, method: str = "pca") -> np.ndarray:
    """2-D coordinates of the samples from their memberships.

    Parameters
    ----------
    W : array-like of shape (n_samples, rank)
        Non-negative weights (the W of a fit, or of :func:`nmfcore.project`).
    method : {"pca", "radial"}, default="pca"
        See the module docstring. With ``"pca"`` the axes are in membership units (a move
        of 1 along an axis is a whole sample's membership moving between components); rank 1
        puts every sample at the origin, rank 2 on a line (the memberships have one degree of
        freedom).

    Returns
    -------
    ndarray of shape (n_samples, 2)

    Examples
    --------
    >>> import numpy as np
    >>> sample_map(np.array([[1.0, 0, 0], [0, 2.0, 0], [1.0, 1.0, 0]]), "radial").round(3).tolist()
    [[1.0, 0.0], [-0.5, 0.866], [0.25, 0.433]]
    """
    if method not in MAP_METHODS:
        raise ValueError(f"method must be one of {list(MAP_METHODS)}; got {method!r}.")
    P = np.asarray(memberships(W).P, dtype=float)
    n, r = P.shape
    if method == "radial":
        angles = 2 * np.pi * np.arange(r) / max(r, 1)
        anchors = np.column_stack([np.cos(angles), np.sin(angles)])
        return P @ anchors
    out = np.zeros((n, 2))
    if n < 2 or r < 2:
        return out
    C = P - P.mean(axis=0)
    U, s, Vt = np.linalg.svd(C, full_matrices=False)
    k = min(2, len(s))
    coords = _fix_signs(U[:, :k] * s[:k])
    keep = s[:k] > 1e-12 * max(float(s[0]), 1e-300)   # an axis without spread stays at 0
    out[:, :k] = np.where(keep[None, :], coords, 0.0)
    return out


def top_samples(W, component: int, n: int = 10) -> np.ndarray:
    """The ``n`` samples that belong most to ``component``.

    Ranked by membership share (the component's share of the sample's row of W), ties broken
    by the weight itself; samples with zero weight on the component are never listed.

    Returns
    -------
    ndarray of int, at most ``n`` indices, best first
    """
    W = np.asarray(W, dtype=float)
    if not 0 <= int(component) < W.shape[1]:
        raise ValueError(f"component must be in 0..{W.shape[1] - 1}; got {component}.")
    P = np.asarray(memberships(W).P)
    k = int(component)
    order = np.lexsort((-W[:, k], -P[:, k]))
    order = order[W[order, k] > 0]
    return order[:max(0, int(n))]
