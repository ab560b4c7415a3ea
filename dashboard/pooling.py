"""Shrinking big matrices for caching and drawing (pure numpy, shared by services and plots)."""
from __future__ import annotations

from typing import Sequence

import numpy as np

from nmfcore.limits import MAX_CONSENSUS


def block_mean(C: np.ndarray, labels: Sequence[str], max_size: int = MAX_CONSENSUS):
    """Average a (reordered) square matrix over consecutive blocks so at most ``max_size``
    rows remain; block labels say which samples they hold."""
    C = np.asarray(C, dtype=float)
    n = len(C)
    if n <= max_size:
        return C, list(labels)
    e = np.linspace(0, n, max_size + 1).astype(int)
    S = np.add.reduceat(np.add.reduceat(C, e[:-1], axis=0), e[:-1], axis=1)
    sizes = np.diff(e)
    names = [f"{labels[a]} … {labels[b - 1]} ({b - a})" for a, b in zip(e[:-1], e[1:])]
    return S / np.outer(sizes, sizes), names
