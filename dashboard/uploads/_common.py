"""What the upload parsers share: the error type, the size limits, small helpers."""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np

from nmfcore.datasets import Dataset
from nmfcore.preprocess import ValidationReport

from nmfcore.limits import UPLOAD_MAX_BYTES as MAX_BYTES, UPLOAD_MEMORY_BUDGET as MEMORY_BUDGET
TEXT_EXT = (".csv", ".tsv", ".txt", ".tab", ".dat")
SUPPORTED = ("CSV/TSV (.csv .tsv .txt), Excel (.xlsx), NumPy (.npy .npz), Matrix Market (.mtx), "
             "AnnData (.h5ad), a zipped 10x Genomics matrix folder (.zip), any of them as .gz")
_NUM = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")
_NUM_COMMA = re.compile(r"^\s*[-+]?(\d+,?\d*|,\d+)([eE][-+]?\d+)?\s*$")
_NA = {"", "na", "nan", "n/a", "null", "none", "-", "?", "#n/a"}


class UploadError(ValueError):
    """An upload that cannot be read; the message says why and how to fix it."""


@dataclass(frozen=True)
class ParsedUpload:
    """Result of :func:`parse_upload`.

    Attributes
    ----------
    dataset : Dataset
        ``X`` of shape (n_samples, n_features), float64 dense or CSR sparse.
    report : ValidationReport
    notes : tuple of str
        What was detected or done (delimiter, header, label column, dropped empty columns...).
    non_numeric_mask : ndarray of bool, shape (n_samples, n_features), or None
        Cells that held text (now NaN).
    options : dict
        The detected settings: ``format``, and for text ``delimiter``, ``decimal``, ``header``,
        ``label_column``.
    """

    dataset: Dataset
    report: ValidationReport
    notes: tuple
    non_numeric_mask: np.ndarray | None
    options: dict


def _mb(n: int) -> str:
    return f"{n / 1024 / 1024:.1f} MB"


def check_zip_budget(name: str, data: bytes, budget: int, *, not_zip: str, remedy: str) -> None:
    """Refuse a zip archive (.npz, .xlsx) that is damaged or unpacks to more than ``budget``
    bytes, before anything is extracted. ``not_zip`` and ``remedy`` finish the messages."""
    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile:
        raise UploadError(f"{name} {not_zip}") from None
    if unpacked > budget:
        raise UploadError(f"{name} unpacks to {_mb(unpacked)}, over the memory budget of "
                          f"{_mb(budget)}. {remedy}")
