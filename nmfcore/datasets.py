"""Demo data sets and synthetic generators (numpy/scipy only).

Every loader returns a :class:`Dataset`. The data files live in the top-level ``demo_data/``
folder of the project.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Dataset:
    """A matrix to factorize, with everything needed to show it.

    Attributes
    ----------
    name : str
        Short identifier (``"swimmer"``, ``"digits"``, ``"upload: file.csv"`` ...).
    X : ndarray or scipy.sparse matrix of shape (n_samples, n_features)
        The data, rows are samples. May contain NaN only where ``kind`` tolerates missing
        values and the caller asked for a masked fit.
    row_labels, col_labels : tuple of str or None
        Names of the samples and of the features.
    classes : ndarray of shape (n_samples,) or None
        Known class of each sample (for purity / adjusted Rand), if any.
    kind : {"image", "text", "spectra", "generic"}
        How components are best shown.
    image_shape : tuple of int or None
        ``(height, width)`` of one sample when ``kind == "image"``.
    description : str
        One or two sentences for the UI.
    suggested_rank : int or None
        The rank at which the set shows what it was built to show.
    extras : dict
        Ground truth where known (e.g. ``"true_H"`` for swimmer parts, ``"sources"`` for spectra).
    """

    name: str
    X: Any
    row_labels: tuple | None = None
    col_labels: tuple | None = None
    classes: np.ndarray | None = None
    kind: str = "generic"
    image_shape: tuple | None = None
    description: str = ""
    suggested_rank: int | None = None
    extras: dict = field(default_factory=dict)

    @property
    def shape(self) -> tuple:
        return tuple(self.X.shape)
