"""Remedies for what :func:`nmfcore.preprocess.validate` finds (numpy/scipy, dense and sparse).

Every remedy is a function ``f(X, ...) -> (new_X, description)`` that never modifies ``X`` in
place; :data:`REMEDIES` maps each name to its function, button label and effect.
:func:`apply_to_dataset` applies one by name to a :class:`~nmfcore.datasets.Dataset` and keeps
its labels, classes and per-row ground truth in step with dropped rows/columns.

Everything here is re-exported by :mod:`nmfcore.preprocess`; import it from there.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from .datasets import Dataset

from .limits import MAX_DENSE_CELLS  # noqa: E402  (re-exported by preprocess)
#: How many first positions (cells, rows or columns) a report or a description lists.
N_POSITIONS = 10


@dataclass(frozen=True)
class Remedy:
    """A fix the user can apply: ``name`` keys :data:`REMEDIES`, ``effect`` says what changes."""

    name: str
    label: str
    effect: str


# --------------------------------------------------------------------------- remedies

def _copy(X):
    return X.copy() if sp.issparse(X) else np.array(X, dtype=np.float64, copy=True)


def _as_float(X):
    if sp.issparse(X):
        return X.tocsr().astype(np.float64)
    return np.asarray(X, dtype=np.float64)


def _nanmin(X) -> float:
    if sp.issparse(X):
        d = X.data[np.isfinite(X.data)]
        m = d.min() if d.size else 0.0
        return float(min(m, 0.0)) if X.nnz < np.prod(X.shape) else float(m)
    d = X[np.isfinite(X)]
    return float(d.min()) if d.size else 0.0


def shift_by_min(X):
    """Add ``-min(X)`` to every cell so the smallest (finite) value becomes 0.

    A sparse matrix becomes dense (every implicit zero changes). NaN/inf stay as they are.
    """
    X = _as_float(X)
    m = _nanmin(X)
    if m >= 0:
        return _copy(X), "No negative values: nothing shifted."
    if sp.issparse(X):
        if np.prod(X.shape) > MAX_DENSE_CELLS:
            raise ValueError(f"Shifting would turn this sparse {X.shape[0]} x {X.shape[1]} "
                             f"matrix dense (too big); clip at zero instead.")
        out = X.toarray() - m
        return out, (f"Added {-m:.4g} to every cell (the minimum becomes 0); the matrix is now "
                     f"dense and zeros became {-m:.4g}.")
    return X - m, f"Added {-m:.4g} to every cell (the minimum was {m:.4g}, it is now 0)."


def clip_at_zero(X):
    """Set every negative cell to 0 (sparse stays sparse)."""
    X = _as_float(X)
    if sp.issparse(X):
        out = X.copy()
        n = int(np.sum(out.data < 0))
        out.data = np.where(out.data < 0, 0.0, out.data)
        out.eliminate_zeros()
    else:
        n = int(np.sum(X < 0))
        out = np.where(X < 0, 0.0, X)
    return out, f"Set {n} negative cell(s) to 0."


def _row_col_masks(X, what: str, axis: int) -> np.ndarray:
    """Boolean mask over rows (axis=0) or columns (axis=1) that ``what`` selects for dropping."""
    X = _as_float(X)
    if sp.issparse(X):
        X = X.tocsr() if axis == 0 else X.tocsc()
        data = X.data
        if what == "zero":
            Y = X.copy()
            Y.eliminate_zeros()
            return np.diff(Y.indptr) == 0
        if what == "nonfinite":
            owner = np.repeat(np.arange(X.shape[axis]), np.diff(X.indptr))
            return np.bincount(owner[~np.isfinite(data)], minlength=X.shape[axis]) > 0
        if what == "constant":
            return np.zeros(X.shape[axis], dtype=bool)
        raise ValueError(f"unknown selection {what!r}")
    red = 1 - axis
    if what == "zero":
        return np.all(X == 0, axis=red)
    if what == "nonfinite":
        return np.any(~np.isfinite(X), axis=red)
    if what == "constant":  # constant and non-zero columns
        with np.errstate(invalid="ignore"):
            same = np.all(X == X[:1, :], axis=0) if X.shape[0] else np.zeros(X.shape[1], bool)
        return same & ~np.all(X == 0, axis=0) & (X.shape[0] > 1)
    raise ValueError(f"unknown selection {what!r}")


def _drop(X, what, axis):
    drop = _row_col_masks(X, what, axis)
    keep = np.flatnonzero(~drop)
    X = _as_float(X)
    out = X[keep] if axis == 0 else X[:, keep]
    if sp.issparse(out):
        out = out.tocsr()
    noun = "row" if axis == 0 else "column"
    label = {"zero": "all-zero", "nonfinite": "NaN/inf", "constant": "constant"}[what]
    first = ", ".join(str(i) for i in np.flatnonzero(drop)[:N_POSITIONS])
    more = "..." if drop.sum() > N_POSITIONS else ""
    desc = (f"Dropped {int(drop.sum())} {label} {noun}(s)"
            + (f" (indices {first}{more})" if drop.any() else "")
            + f": {X.shape[0]} x {X.shape[1]} -> {out.shape[0]} x {out.shape[1]}.")
    return out, desc, keep


# the drop remedies: name -> (what, axis, docstring); each is ``_drop`` on one selection
_DROPS = {
    "drop_zero_rows": ("zero", 0, "Remove the rows whose cells are all 0."),
    "drop_zero_cols": ("zero", 1, "Remove the columns whose cells are all 0."),
    "drop_nonfinite_rows": ("nonfinite", 0, "Remove the rows holding a NaN or an infinite value."),
    "drop_nonfinite_cols": ("nonfinite", 1,
                            "Remove the columns holding a NaN or an infinite value."),
    "drop_constant_cols": ("constant", 1,
                           "Remove the (non-zero) columns that have the same value in every row "
                           "(dense only)."),
}


def _dropper(name: str):
    what, axis, doc = _DROPS[name]

    def remedy(X):
        out, desc, _ = _drop(X, what, axis)
        return out, desc

    remedy.__name__ = remedy.__qualname__ = name
    remedy.__doc__ = doc + "\n\n    Returns ``(X_new, description)``.\n    "
    return remedy


drop_zero_rows = _dropper("drop_zero_rows")
drop_zero_cols = _dropper("drop_zero_cols")
drop_nonfinite_rows = _dropper("drop_nonfinite_rows")
drop_nonfinite_cols = _dropper("drop_nonfinite_cols")
drop_constant_cols = _dropper("drop_constant_cols")


def nan_as_missing(X):
    """Keep NaN cells as *missing* (infinite cells become NaN too) for a masked fit.

    The caller must mark the data as having missing values (``extras["missing"] = True``)
    so that fits pass ``missing="mask"``.
    """
    X = _as_float(X)
    out = _copy(X)
    vals = out.data if sp.issparse(out) else out
    n_inf = int(np.isinf(vals).sum())
    vals[np.isinf(vals)] = np.nan
    n_nan = int(np.isnan(vals).sum())
    extra = f" ({n_inf} infinite cell(s) became NaN)" if n_inf else ""
    return out, (f"{n_nan} NaN cell(s) kept as missing{extra}: a masked fit ignores them and "
                 f"predicts them from W @ H.")


def nan_to_zero(X):
    """Replace NaN and infinite cells by 0."""
    X = _as_float(X)
    out = _copy(X)
    vals = out.data if sp.issparse(out) else out
    n = int((~np.isfinite(vals)).sum())
    vals[~np.isfinite(vals)] = 0.0
    if sp.issparse(out):
        out.eliminate_zeros()
    return out, f"Replaced {n} NaN/inf cell(s) by 0."


def coerce_text_to_nan(X, non_numeric_mask=None):
    """Turn the cells flagged as non-numeric text into NaN (they then count as NaN cells)."""
    out = _copy(_as_float(X))
    if non_numeric_mask is None:
        return out, "No text cells flagged: nothing changed."
    mask = np.asarray(non_numeric_mask, dtype=bool)
    if sp.issparse(out):
        out = out.toarray()
    out[mask] = np.nan
    return out, f"{int(mask.sum())} text cell(s) set to NaN (now handled as NaN cells)."


def transpose(X):
    """Swap rows and columns (samples become features)."""
    X = _as_float(X)
    out = X.T.tocsr() if sp.issparse(X) else X.T.copy()
    return out, (f"Transposed: {X.shape[0]} x {X.shape[1]} -> {out.shape[0]} x {out.shape[1]} "
                 f"(rows are now the former columns).")


def log1p(X):
    """Replace every value v by log(1 + v) (needs v >= 0; sparse stays sparse)."""
    X = _as_float(X)
    vals = X.data if sp.issparse(X) else X
    if np.nanmin(vals, initial=0.0) < 0:
        raise ValueError("log1p needs non-negative values: shift or clip the negative cells "
                         "first.")
    if sp.issparse(X):
        out = X.copy()
        out.data = np.log1p(out.data)
    else:
        out = np.log1p(X)
    return out, (f"Applied log(1 + x): values in [{np.nanmin(vals, initial=0.0):.4g}, "
                 f"{np.nanmax(vals, initial=0.0):.4g}] -> [0, "
                 f"{np.log1p(np.nanmax(vals, initial=0.0)):.4g}].")


def add_epsilon(X, eps=None):
    """Add a small ``eps`` to every cell (default ``1e-6`` times the largest value), so no cell
    is 0: what the Itakura-Saito loss (and every beta <= 0) needs. Sparse becomes dense."""
    X = _as_float(X)
    top = float(np.nanmax(X.data if sp.issparse(X) else X, initial=0.0))
    if eps is None:
        eps = 1e-6 * top if top > 0 else 1e-6
    if sp.issparse(X):
        if np.prod(X.shape) > MAX_DENSE_CELLS:
            raise ValueError(f"Adding epsilon would turn this sparse {X.shape[0]} x {X.shape[1]} "
                             "matrix dense (too big); use a loss with beta > 0 (e.g. KL) "
                             "instead.")
        out = X.toarray() + eps
    else:
        out = X + eps
    return out, (f"Added epsilon = {eps:.3g} to every cell (1e-6 of the largest value), so no "
                 "cell is 0: the Itakura-Saito loss can fit it.")


def row_normalize(X):
    """Divide each row by its sum so rows sum to 1 (all-zero rows stay zero, NaN are skipped
    in the sum and stay NaN)."""
    X = _as_float(X)
    s = np.asarray(X.sum(axis=1)).ravel() if sp.issparse(X) else np.nansum(X, axis=1)
    n_zero = int(np.sum(s == 0))
    scale = np.divide(1.0, s, out=np.zeros_like(s), where=s != 0)
    with np.errstate(invalid="ignore"):  # a row holding inf becomes NaN (no finite sum)
        out = sp.diags(scale) @ X if sp.issparse(X) else X * scale[:, None]
    if sp.issparse(out):
        out = out.tocsr()
    msg = "Divided each row by its sum (rows now sum to 1)"
    return out, msg + (f"; {n_zero} all-zero row(s) left at 0." if n_zero else ".")


REMEDIES = {  # name -> (function, button label, what it changes)
    "shift": (shift_by_min, "Shift by the minimum",
              "adds -min to every cell (zeros change too; sparse becomes dense)"),
    "clip": (clip_at_zero, "Clip at zero", "sets negative cells to 0, others unchanged"),
    "drop_zero_rows": (drop_zero_rows, "Drop all-zero rows", "removes those samples"),
    "drop_zero_cols": (drop_zero_cols, "Drop all-zero columns", "removes those features"),
    "drop_nonfinite_rows": (drop_nonfinite_rows, "Drop rows with NaN/inf",
                            "removes every sample holding a NaN or inf cell"),
    "drop_nonfinite_cols": (drop_nonfinite_cols, "Drop columns with NaN/inf",
                            "removes every feature holding a NaN or inf cell"),
    "drop_constant_cols": (drop_constant_cols, "Drop constant columns",
                           "removes features with one value in every sample"),
    "nan_as_missing": (nan_as_missing, "Treat NaN as missing",
                       "keeps NaN (inf becomes NaN); the fit masks them (missing='mask')"),
    "nan_to_zero": (nan_to_zero, "Replace NaN/inf by 0", "sets those cells to 0"),
    "coerce_text": (coerce_text_to_nan, "Text cells to NaN",
                    "the text cells become NaN cells (then handle them as NaN)"),
    "transpose": (transpose, "Transpose", "rows become columns: samples <-> features"),
    "log1p": (log1p, "log(1 + x)", "compresses large values; zeros stay 0"),
    "row_normalize": (row_normalize, "Normalise rows", "each row divided by its sum"),
    "add_epsilon": (add_epsilon, "Add a small epsilon",
                    "adds 1e-6 of the largest value to every cell, so none is 0 (Itakura-Saito "
                    "needs that; sparse becomes dense)"),
}


def _remedies(*names) -> tuple:
    return tuple(Remedy(n, REMEDIES[n][1], REMEDIES[n][2]) for n in names)


# --------------------------------------------------------------------------- datasets

def _take(seq, keep):
    if seq is None:
        return None
    if isinstance(seq, np.ndarray):
        return seq[keep]
    return tuple(seq[i] for i in keep)


def apply_to_dataset(ds: Dataset, name: str, **kwargs) -> tuple[Dataset, str]:
    """Apply the remedy ``name`` (a key of :data:`REMEDIES`) to a data set.

    Labels, known classes and ``extras["true_W"]`` follow dropped rows; column labels and
    ``extras["true_H"]`` follow dropped columns; a transpose swaps the labels and drops the
    per-sample ground truth. ``nan_as_missing`` sets ``extras["missing"] = True``.

    Returns
    -------
    new_ds : Dataset
    description : str
    """
    if name not in REMEDIES:
        raise ValueError(f"Unknown remedy {name!r}; choose one of: {', '.join(REMEDIES)}.")
    extras = dict(ds.extras)
    if name in _DROPS:
        what, axis, _ = _DROPS[name]
        X, desc, keep = _drop(ds.X, what, axis)
        if axis == 0:
            if isinstance(extras.get("true_W"), np.ndarray):
                extras["true_W"] = extras["true_W"][keep]
            new = replace(ds, X=X, row_labels=_take(ds.row_labels, keep),
                          classes=_take(ds.classes, keep), extras=extras)
        else:
            if isinstance(extras.get("true_H"), np.ndarray):
                extras["true_H"] = extras["true_H"][:, keep]
            image_shape = ds.image_shape if X.shape[1] == ds.X.shape[1] else None
            new = replace(ds, X=X, col_labels=_take(ds.col_labels, keep), extras=extras,
                          image_shape=image_shape,
                          kind=ds.kind if image_shape or ds.kind != "image" else "generic")
        return new, desc
    func = REMEDIES[name][0]
    X, desc = func(ds.X, **kwargs)
    if name == "transpose":
        for k in ("true_W", "true_H", "abundances", "sources"):
            extras.pop(k, None)
        return replace(ds, X=X, row_labels=ds.col_labels, col_labels=ds.row_labels,
                       classes=None, kind="generic", image_shape=None, suggested_rank=None,
                       extras=extras), desc
    if name == "nan_as_missing":
        extras["missing"] = True
    if name in ("nan_to_zero",):
        extras.pop("missing", None)
    return replace(ds, X=X, extras=extras), desc
