"""Check a matrix before NMF and fix what is wrong, visibly (numpy/scipy, dense and sparse).

:func:`validate` returns a :class:`ValidationReport`: counts and first positions of negative,
NaN, infinite and non-numeric cells, all-zero rows/columns, constant columns, a size that will be
slow, and a list of :class:`Problem` s, each naming the remedies that apply and what each changes.

Every remedy is a function ``f(X, ...) -> (new_X, description)`` that never modifies ``X`` in
place. :func:`apply_to_dataset` applies one by name to a :class:`~nmfcore.datasets.Dataset`
and keeps its labels, classes and per-row ground truth in step with dropped rows/columns.
The remedies, :class:`Remedy`, :data:`REMEDIES` and :func:`apply_to_dataset` live in
``nmfcore/_remedies.py`` and are re-exported here: import everything from this module.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from ._remedies import (
    MAX_DENSE_CELLS, N_POSITIONS, REMEDIES, Remedy, apply_to_dataset, clip_at_zero,
    coerce_text_to_nan, drop_constant_cols, drop_nonfinite_cols, drop_nonfinite_rows,
    add_epsilon, drop_zero_cols, drop_zero_rows, log1p, nan_as_missing, nan_to_zero, row_normalize,
    shift_by_min, transpose, _as_float, _remedies, _row_col_masks)
from .datasets import Dataset

__all__ = [
    "validate", "ValidationReport", "Problem", "Remedy", "REMEDIES", "apply_to_dataset",
    "shift_by_min", "clip_at_zero", "drop_zero_rows", "drop_zero_cols", "drop_nonfinite_rows",
    "drop_nonfinite_cols", "drop_constant_cols", "nan_as_missing", "nan_to_zero",
    "coerce_text_to_nan", "transpose", "log1p", "row_normalize", "add_epsilon",
    "SLOW_CELLS", "SLOW_NNZ", "MAX_DENSE_CELLS", "N_POSITIONS", "Dataset",
]

from .limits import SLOW_CELLS, SLOW_NNZ  # noqa: E402  (re-exported)


@dataclass(frozen=True)
class Problem:
    """One finding of :func:`validate`.

    Attributes
    ----------
    code : str
        ``"empty"``, ``"too_small"``, ``"negative"``, ``"nan"``, ``"missing"``, ``"inf"``,
        ``"non_numeric"``, ``"zero_rows"``, ``"zero_cols"``, ``"constant_cols"``, ``"zeros"`` or ``"slow"``.
    severity : {"error", "warning", "info"}
        ``"error"`` means factorize would refuse the matrix as it is.
    message : str
    count : int
    positions : tuple of (int, int) or tuple of int
        First cells ``(row, col)`` (or first row/column indices) concerned.
    remedies : tuple of Remedy
    """

    code: str
    severity: str
    message: str
    count: int = 0
    positions: tuple = ()
    remedies: tuple = ()


@dataclass(frozen=True)
class ValidationReport:
    """What :func:`validate` found. All counts are over the whole matrix."""

    shape: tuple
    dtype: str
    is_sparse: bool
    nnz: int
    sparsity: float
    min: float
    max: float
    n_negative: int
    n_nan: int
    n_inf: int
    n_non_numeric: int
    negative_positions: tuple
    nan_positions: tuple
    inf_positions: tuple
    non_numeric_positions: tuple
    zero_rows: tuple
    zero_cols: tuple
    constant_cols: tuple
    slow: bool
    problems: tuple = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        """True when no problem is an error (the matrix can be factorized as it is)."""
        return not any(p.severity == "error" for p in self.problems)

    def problem(self, code: str) -> Problem | None:
        """The problem with this code, or None."""
        return next((p for p in self.problems if p.code == code), None)

    def summary(self) -> str:
        """One line: shape, sparsity, range, number of problems."""
        kind = "sparse" if self.is_sparse else "dense"
        n_err = sum(p.severity == "error" for p in self.problems)
        return (f"{self.shape[0]} x {self.shape[1]} {kind} {self.dtype}, "
                f"{self.sparsity:.1%} zeros, values in [{self.min:.4g}, {self.max:.4g}], "
                f"{n_err} error(s), {len(self.problems) - n_err} note(s)")


# --------------------------------------------------------------------------- validation

def _positions(mask_or_rc, n=N_POSITIONS) -> tuple:
    rows, cols = mask_or_rc
    return tuple((int(r), int(c)) for r, c in zip(rows[:n], cols[:n]))


def _cells(X, test):
    """Count and first positions (row-major) of the cells where ``test(values)`` holds."""
    if sp.issparse(X):
        C = X.tocsr()
        C.sort_indices()
        hit = test(C.data)
        idx = np.flatnonzero(hit)
        rows = np.repeat(np.arange(C.shape[0]), np.diff(C.indptr))[idx[:N_POSITIONS]]
        return int(idx.size), _positions((rows, C.indices[idx[:N_POSITIONS]]))
    flat = np.flatnonzero(test(X))
    r, c = np.unravel_index(flat[:N_POSITIONS], X.shape)
    return int(flat.size), _positions((r, c))


def validate(X, non_numeric_mask=None, *, missing_ok=False) -> ValidationReport:
    """Check a matrix for everything that would make NMF fail or mislead.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
    non_numeric_mask : bool array of shape (n_samples, n_features), optional
        Cells that held text in the source file (the parser has set them to NaN).
    missing_ok : bool, default False
        NaN cells are known missing values for a masked fit: reported as a note, not an error.

    Returns
    -------
    ValidationReport
    """
    if not sp.issparse(X):
        X = np.asarray(X)
        if X.ndim != 2:
            X = np.atleast_2d(X)
        if X.dtype.kind not in "biuf":
            raise ValueError(f"validate needs a numeric matrix, got dtype {X.dtype}; "
                             f"parse text cells to NaN first.")
    dtype = str(X.dtype)
    X = _as_float(X)
    n, m = X.shape
    cells = n * m
    nnz = int(X.count_nonzero()) if sp.issparse(X) else int(np.count_nonzero(X))
    problems = []
    if cells == 0:
        problems.append(Problem("empty", "error", f"The matrix is empty ({n} x {m}).",
                                remedies=()))
        return ValidationReport((n, m), dtype, sp.issparse(X), 0, 0.0, 0.0, 0.0, 0, 0, 0, 0,
                                (), (), (), (), (), (), (), False, tuple(problems))
    vals = X.data if sp.issparse(X) else X
    finite = vals[np.isfinite(vals)]
    has_implicit_zero = sp.issparse(X) and X.nnz < cells
    vmin = float(min(finite.min(), 0.0) if has_implicit_zero else finite.min()) if finite.size \
        else 0.0
    vmax = float(max(finite.max(), 0.0) if has_implicit_zero else finite.max()) if finite.size \
        else 0.0
    n_neg, neg_pos = _cells(X, lambda v: v < 0)
    n_nan, nan_pos = _cells(X, np.isnan)
    n_inf, inf_pos = _cells(X, np.isinf)
    if non_numeric_mask is not None:
        mask = np.asarray(non_numeric_mask, dtype=bool)
        n_txt = int(mask.sum())
        txt_pos = _positions(np.nonzero(mask))
    else:
        n_txt, txt_pos = 0, ()
    zero_rows = tuple(int(i) for i in np.flatnonzero(_row_col_masks(X, "zero", 0)))
    zero_cols = tuple(int(i) for i in np.flatnonzero(_row_col_masks(X, "zero", 1)))
    const_cols = () if sp.issparse(X) else tuple(
        int(i) for i in np.flatnonzero(_row_col_masks(X, "constant", 1)))
    slow = (X.nnz > SLOW_NNZ) if sp.issparse(X) else (cells > SLOW_CELLS)

    if min(n, m) < 2:
        problems.append(Problem(
            "too_small", "error",
            f"The matrix is {n} x {m}: NMF needs at least 2 rows and 2 columns (rank is at most "
            f"min(rows, columns)). A single row or column is a vector, not a data matrix.",
            remedies=()))
    if n_txt:
        problems.append(Problem(
            "non_numeric", "warning",
            f"{n_txt} cell(s) held text and were read as NaN (first at row, column "
            f"{txt_pos[0]}). Check the header and label-column settings, or accept them as NaN.",
            n_txt, txt_pos, _remedies("coerce_text")))
    if n_neg:
        problems.append(Problem(
            "negative", "error",
            f"{n_neg} negative cell(s) (minimum {vmin:.4g}, first at {neg_pos[0]}): NMF needs "
            f"non-negative data.", n_neg, neg_pos, _remedies("shift", "clip")))
    if n_nan:
        if missing_ok:
            problems.append(Problem(
                "missing", "info",
                f"{n_nan} NaN cell(s) are treated as missing: fit with missing='mask'.",
                n_nan, nan_pos, _remedies("nan_to_zero", "drop_nonfinite_rows",
                                          "drop_nonfinite_cols")))
        else:
            problems.append(Problem(
                "nan", "error", f"{n_nan} NaN cell(s) (first at {nan_pos[0]}).", n_nan, nan_pos,
                _remedies("nan_as_missing", "drop_nonfinite_rows", "drop_nonfinite_cols",
                          "nan_to_zero")))
    if n_inf:
        problems.append(Problem(
            "inf", "error", f"{n_inf} infinite cell(s) (first at {inf_pos[0]}).", n_inf, inf_pos,
            _remedies("nan_as_missing", "drop_nonfinite_rows", "drop_nonfinite_cols",
                      "nan_to_zero")))
    if zero_rows:
        problems.append(Problem(
            "zero_rows", "warning",
            f"{len(zero_rows)} all-zero row(s) (e.g. row {zero_rows[0]}): these samples have "
            f"no membership and can stall multiplicative updates.",
            len(zero_rows), zero_rows[:N_POSITIONS], _remedies("drop_zero_rows")))
    if zero_cols:
        problems.append(Problem(
            "zero_cols", "info",
            f"{len(zero_cols)} all-zero column(s) (e.g. column {zero_cols[0]}): harmless for "
            f"the fit (their column of H stays 0) but they carry no information.", len(zero_cols), zero_cols[:N_POSITIONS],
            _remedies("drop_zero_cols")))
    if const_cols:
        problems.append(Problem(
            "constant_cols", "info",
            f"{len(const_cols)} constant column(s) (e.g. column {const_cols[0]}): same value in "
            f"every row, no information to separate samples.", len(const_cols),
            const_cols[:N_POSITIONS], _remedies("drop_constant_cols")))
    n_zero = cells - nnz
    if n_zero and not n_neg and not n_nan and not n_inf and not sp.issparse(X) \
            and cells <= MAX_DENSE_CELLS:       # (sparse data: the zeros are the point)
        problems.append(Problem(
            "zeros", "info",
            f"{n_zero} zero cell(s) ({100.0 * n_zero / cells:.3g} %): fine for Frobenius and KL, "
            f"but the Itakura-Saito loss (beta <= 0) cannot fit a 0; add a small epsilon "
            f"before fitting with it.", n_zero, (), _remedies("add_epsilon")))
    if slow:
        size = f"{X.nnz:,} stored values" if sp.issparse(X) else f"{cells:,} cells"
        problems.append(Problem(
            "slow", "info",
            f"Large matrix ({size}): fits will take a while; prefer a small rank and few "
            f"iterations while exploring.", remedies=()))
    sparsity = 1.0 - nnz / cells
    return ValidationReport(
        (n, m), dtype, sp.issparse(X), nnz, float(sparsity), vmin, vmax, n_neg, n_nan, n_inf,
        n_txt, neg_pos, nan_pos, inf_pos, txt_pos, zero_rows, zero_cols, const_cols, bool(slow),
        tuple(problems))
