"""A memory budget: fits that would need more memory than allowed are refused before they start.

The estimate is deliberately simple and generous: factors and their work arrays, the solver's
dense ``n_samples x n_features`` temporaries, and any dense copy of X that the call makes.
"""
from __future__ import annotations

import os

import numpy as np
import scipy.sparse as sp

from ._validation import NMFInputError
from .limits import FALLBACK_MEMORY_BUDGET, MEMORY_FRACTION

ENV = "NMFCORE_MEMORY_BUDGET"


def default_budget() -> int:
    """Bytes allowed per call: ``$NMFCORE_MEMORY_BUDGET`` (e.g. ``"2GB"``) or
    :data:`nmfcore.limits.MEMORY_FRACTION` (half) of the RAM."""
    text = os.environ.get(ENV)
    if text:
        return parse_bytes(text)
    try:
        return int(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") * MEMORY_FRACTION)
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not Linux/macOS
        return FALLBACK_MEMORY_BUDGET


def parse_bytes(text) -> int:
    """``"2GB"``, ``"512 MB"``, ``"1.5e9"`` or an int -> bytes."""
    if isinstance(text, (int, np.integer)):
        return int(text)
    s = str(text).strip().upper().replace(" ", "")
    for unit, factor in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10), ("B", 1)):
        if s.endswith(unit):
            return int(float(s[: -len(unit)]) * factor)
    return int(float(s))


def estimate_fit_bytes(X, rank: int, *, loss: str = "frobenius", masked: bool = False,
                       dense_copies: int = 0) -> int:
    """Rough peak extra memory of one :func:`nmfcore.factorize` call on X.

    Parameters
    ----------
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
    rank : int
    loss : {"frobenius", "kl"}
    masked : bool
        A masked fit (dense X, mask and residual arrays).
    dense_copies : int
        Extra dense ``n_samples x n_features`` copies the caller makes (e.g. for CV).
    """
    m, n = X.shape
    item = 4 if getattr(X, "dtype", None) == np.float32 else 8
    factors = 12 * (m + n) * int(rank) * item          # W, H, numerators, Gram, start, SVD
    cells = m * n * item
    if sp.issparse(X) and not masked:
        data = 4 * X.nnz * (item + 4)                    # copy, transpose, ratio matrices
        if loss == "kl":
            data += X.nnz * item * 4
    else:
        data = cells * (1 + (2 if loss == "kl" else 0) + (3 if masked else 0))
    return int(factors + data + dense_copies * cells)


def check_budget(needed: int, budget, what: str) -> None:
    """Raise :class:`NMFInputError` when ``needed`` bytes exceed ``budget`` (None: default)."""
    allowed = default_budget() if budget is None else parse_bytes(budget)
    if needed > allowed:
        raise NMFInputError(
            f"{what} needs about {_human(needed)} of memory, more than the memory budget of "
            f"{_human(allowed)}. Lower the rank, use a smaller or sparser matrix, or raise the "
            f"budget (memory_budget=..., or the {ENV} environment variable).")


def _human(n: int) -> str:
    for unit, factor in (("TB", 2**40), ("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= factor:
            return f"{n / factor:.1f} {unit}"
    return f"{n} bytes"
