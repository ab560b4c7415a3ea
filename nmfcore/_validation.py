"""Input checks at the boundary of :func:`nmfcore.factorize`.

Every failure raises :class:`NMFInputError` (a ``ValueError``) whose message says what is wrong
and what the user can do about it. Solvers trust what comes out of here.
"""
from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from .limits import MAX_DENSE_CELLS_FOR_MASK  # noqa: E402


class NMFInputError(ValueError):
    """Raised for input nmfcore cannot factorize; the message explains the remedy."""


class NonNumericInputError(NMFInputError, TypeError):
    """X holds cells that are not numbers (text, objects)."""


class PreparedData:
    """The data as solvers see it.

    Attributes
    ----------
    X : ndarray or scipy.sparse.csr_matrix of shape (n_samples, n_features)
        Float data at unit scale; missing entries (if any) are set to 0 here. When ``raw`` is
        set, this scaled copy is made only on first access.
    mask : ndarray of shape (n_samples, n_features) or None
        1.0 where observed, 0.0 where missing (same dtype as ``X``); None when all observed.
    norm_sq : float
        Squared Frobenius norm of the observed entries (of the scaled X).
    exponent : int
        Even power of two the data were multiplied by: ``X = 2**exponent * X_user``.
    raw : ndarray or None
        The caller's dense float array (read-only view), when it can stand in for X: a solver
        may use ``scale * (raw @ A)`` for ``X @ A`` (exact: ``scale`` is a power of two) and so
        never copy X. None for sparse, masked or converted input.
    scale : float
        ``2**exponent`` when ``raw`` is set, else 1.0.
    """

    __slots__ = ("_X", "mask", "norm_sq", "exponent", "raw", "scale")

    def __init__(self, X, mask, norm_sq, exponent=0, raw=None):
        self._X, self.mask, self.norm_sq, self.exponent = X, mask, norm_sq, exponent
        self.raw = raw
        self.scale = float(np.ldexp(1.0, exponent)) if raw is not None else 1.0

    @property
    def X(self):
        if self._X is None:
            X = np.empty(self.raw.shape, dtype=self.raw.dtype)     # C order
            np.ldexp(self.raw, self.exponent, out=X)                # exact
            self._X = X
        return self._X

    @property
    def shape(self):
        return self.raw.shape if self._X is None else self._X.shape

    @property
    def dtype(self):
        return self.raw.dtype if self._X is None else self._X.dtype


def _first_position(bad: np.ndarray) -> str:
    i, j = np.unravel_index(int(np.argmax(bad)), bad.shape)
    return f"row {i}, column {j}"


def _float_dtype(dtype) -> np.dtype:
    return np.dtype(np.float32) if dtype == np.float32 else np.dtype(np.float64)


def check_array(X, *, missing: str | None = None, mask=None, unit_scale: bool = True) -> PreparedData:
    """Validate ``X`` and return it as float data the solvers can use.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
        Non-negative data. float32 stays float32; anything else becomes float64.
    missing : {None, "mask"}, default=None
        ``"mask"`` treats NaN entries as missing (they are left out of the loss).
    mask : array-like of bool of shape (n_samples, n_features) or None, default=None
        Explicit mask, True where an entry is observed.
    unit_scale : bool, default=True
        Multiply X by the even power of two that brings its largest entry into [0.25, 1).

    Returns
    -------
    PreparedData

    Raises
    ------
    NMFInputError
        Empty or non-2-D input, non-numeric values, NaN/inf (unless masked), negative entries,
        or no positive entry at all.
    """
    if missing not in (None, "mask"):
        raise NMFInputError(f"missing must be None or 'mask'; got {missing!r}.")
    masked = missing == "mask" or mask is not None
    if sp.issparse(X):
        if masked:
            if X.shape[0] * X.shape[1] > MAX_DENSE_CELLS_FOR_MASK:
                raise NMFInputError(
                    f"a masked fit needs a dense matrix, and X ({X.shape[0]} x {X.shape[1]}) is too "
                    "large to densify; fit without a mask (sparse zeros count as observed zeros).")
            X = X.toarray()
        else:
            X = sp.csr_matrix(X)
    if not sp.issparse(X):
        try:
            X = np.asarray(X)
        except (ValueError, TypeError) as exc:  # ragged nested lists
            raise NMFInputError(f"X could not be read as a 2-D numeric array ({exc}).") from None
        if X.dtype.kind == "O":  # numbers stored as Python objects are fine; text is not
            try:
                X = X.astype(np.float64)
            except (ValueError, TypeError) as exc:
                raise NonNumericInputError(
                    f"X must be numeric, but a cell could not be read as a number ({exc}). Convert "
                    "text cells to numbers (or to NaN and pass missing='mask') before fitting.") from None
        if X.dtype.kind == "c":
            raise NMFInputError("Complex data not supported: X must hold real, non-negative numbers.")
        if X.dtype.kind not in "biuf":
            raise NMFInputError(
                f"X must be numeric; got an array of dtype {X.dtype}. Convert text cells to "
                "numbers (or to NaN and pass missing='mask') before fitting.")
    if X.ndim != 2:
        raise NMFInputError(
            f"X must be a 2-D matrix (n_samples x n_features); got {X.ndim} dimension(s). "
            "Reshape your data: X.reshape(1, -1) for a single sample, X.reshape(-1, 1) for a single feature.")
    if X.shape[0] == 0 or X.shape[1] == 0:
        what = "sample(s)" if X.shape[0] == 0 else "feature(s)"
        raise NMFInputError(f"X is empty: 0 {what} (shape={X.shape}) while a minimum of 1 is "
                            "required; it needs at least one row and one column.")
    dtype = _float_dtype(X.dtype)
    if not masked and not sp.issparse(X) and X.dtype == dtype:
        fast = _check_dense_float(X, unit_scale)
        if fast is not None:
            return fast

    if sp.issparse(X):
        X = X.astype(dtype, copy=True)
        X.sum_duplicates()
        values = X.data
    else:
        X = np.array(X, dtype=dtype, order="C", copy=True)
        values = X

    observed = None
    if mask is not None:
        observed = np.asarray(mask, dtype=bool)
        if observed.shape != X.shape:
            raise NMFInputError(f"mask must have the shape of X {X.shape}; got {observed.shape}.")
    # cheap whole-array checks first; the per-entry boolean arrays are built only for a message
    if not np.isfinite(values).all():
        inf = np.isinf(values)
        if inf.any():
            raise NMFInputError(
                f"X has {int(inf.sum())} infinite entries. Replace them (for example by NaN with "
                "missing='mask', or clip them to a large finite value) before fitting.")
        nan = np.isnan(values)
        if not masked:
            where = "" if sp.issparse(X) else f" (first at {_first_position(nan)})"
            raise NMFInputError(
                f"X has {int(nan.sum())} NaN entries{where}. Pass missing='mask' to fit on the "
                "observed entries only, or drop/impute the rows or columns that hold them.")
        observed = ~nan if observed is None else observed & ~nan
    if sp.issparse(X):
        if X.nnz and X.data.min() < 0:
            n_neg = int((X.data < 0).sum())
            raise NMFInputError(_negative_message(n_neg, float(X.data.min()), ""))
    else:
        check = X if observed is None else np.where(observed, X, 0)
        if check.min() < 0:
            neg = check < 0
            raise NMFInputError(_negative_message(int(neg.sum()), float(check.min()),
                                                  f" (first at {_first_position(neg)})"))
        if observed is not None:
            X[~observed] = 0
    if observed is not None and not observed.any():
        raise NMFInputError("every entry of X is missing: there is nothing to fit.")
    flat = X.data if sp.issparse(X) else X.ravel()
    top = float(flat.max()) if flat.size else 0.0
    if top == 0.0:
        raise NMFInputError("X has no positive entry: an all-zero matrix has nothing to factorize.")
    # Work at unit scale: multiplying by a power of two is exact, and it keeps squares, products
    # and the solvers' small guards (delta, floors) meaningful for data of any magnitude.
    exponent = unit_exponent(top) if unit_scale else 0
    np.ldexp(flat, exponent, out=flat)  # exact, also for subnormal data (2**exponent may overflow)
    norm_sq = float(np.dot(flat, flat))
    m = None if observed is None else observed.astype(dtype)
    return PreparedData(X=X, mask=m, norm_sq=norm_sq, exponent=exponent)


# Data whose largest entry is within 2**+-64 of unit scale are not copied up front (see
# PreparedData.raw): their products at the factors' unit scale stay far from over/underflow.
_RAW_EXPONENT = 64


def _check_dense_float(X: np.ndarray, unit_scale: bool) -> PreparedData | None:
    """The common case in two reductions: float input, all finite, >= 0.

    Returns None when any check fails; the caller's full checks then build the message.
    """
    with np.errstate(invalid="ignore"):
        lo, hi = float(X.min()), float(X.max())   # NaN propagates into both; inf shows in one
    if not (np.isfinite(lo) and np.isfinite(hi) and lo >= 0.0 and hi > 0.0):
        return None
    exponent = unit_exponent(hi) if unit_scale else 0
    if abs(exponent) <= _RAW_EXPONENT and X.flags.c_contiguous and X.flags.aligned:
        # The caller's array stands in for X (scaled copy made only if a solver asks for it);
        # in this range raw products neither overflow nor lose bits to underflow. (Misaligned
        # buffers, as unpickled ones can be, would take numpy's non-BLAS loops: copied.)
        raw = X.view()
        raw.flags.writeable = False
        flat = raw.ravel()
        norm_sq = float(np.ldexp(float(np.dot(flat, flat)), 2 * exponent))
        return PreparedData(X=raw if exponent == 0 else None, mask=None, norm_sq=norm_sq,
                            exponent=exponent, raw=raw)
    out = np.empty(X.shape, dtype=X.dtype)              # C order
    np.ldexp(X, exponent, out=out)                      # exact, also for subnormal data
    flat = out.ravel()
    return PreparedData(X=out, mask=None, norm_sq=float(np.dot(flat, flat)), exponent=exponent)


def unit_exponent(top: float) -> int:
    """Even ``k`` with ``2**k * top`` in [0.25, 1)."""
    e = int(np.frexp(top)[1])          # top = f * 2**e with 0.5 <= f < 1
    return -(e + (e % 2))


def _negative_message(count: int, minimum: float, where: str) -> str:
    return (f"Negative values in data: X has {count} negative entries (minimum {minimum:.4g}){where}, "
            "and NMF needs X >= 0. "
            "Remedies: shift the data by its minimum (X - X.min()), clip at zero "
            "(np.clip(X, 0, None)), or set them to NaN and pass missing='mask' to leave them out.")


def check_rank(rank, shape) -> int:
    upper = int(min(shape))
    if isinstance(rank, bool) or not isinstance(rank, Integral) or not 1 <= rank <= upper:
        raise NMFInputError(
            f"rank must be an integer in [1, min(n_samples, n_features)] = [1, {upper}]; got {rank!r}.")
    return int(rank)


def check_choice(name: str, value, valid) -> str:
    if value not in valid:
        listing = ", ".join(repr(v) for v in sorted(valid))
        plural = name + ("es" if name.endswith("s") else "s")
        raise NMFInputError(f"unknown {name} {value!r}; valid {plural}: {listing}.")
    return value


def check_number(name: str, value, *, low=0.0, integer=False, allow_none=False, strict=False):
    if value is None and allow_none:
        return None
    kind = Integral if integer else Real
    ok = isinstance(value, kind) and not isinstance(value, bool) and np.isfinite(value)
    ok = ok and (value > low if strict else value >= low)
    if not ok:
        what = "an integer" if integer else "a finite number"
        bound = f"> {low:g}" if strict else f">= {low:g}"
        raise NMFInputError(f"{name} must be {what} {bound}; got {value!r}.")
    return int(value) if integer else float(value)


def check_factor(name: str, A, shape, dtype) -> np.ndarray:
    A = np.asarray(A)
    if A.shape != tuple(shape):
        rows = "n_samples, rank" if name == "W0" else "rank, n_features"
        raise NMFInputError(f"{name} must have shape ({rows}) = {tuple(shape)}; got {A.shape}.")
    if A.dtype.kind not in "biuf" or not np.isfinite(A).all():
        raise NMFInputError(f"{name} must hold finite numbers.")
    if (A < 0).any():
        raise NMFInputError(f"{name} has negative entries (minimum {float(A.min()):.4g}); "
                            "starting factors must be >= 0.")
    return np.array(A, dtype=dtype, order="C", copy=True)


def resolve_random_state(random_state) -> tuple[int, np.random.Generator]:
    """Return ``(seed, generator)``; the int seed is recorded so every fit can be replayed."""
    if isinstance(random_state, np.random.Generator):
        seed = int(random_state.integers(0, 2**63 - 1))
    elif random_state is None:
        seed = int(np.random.SeedSequence().generate_state(2, np.uint32).view(np.uint64)[0] >> 1)
    elif isinstance(random_state, Integral) and not isinstance(random_state, bool) and random_state >= 0:
        seed = int(random_state)
    else:
        raise NMFInputError(
            f"random_state must be None, a non-negative int or a numpy Generator; got {random_state!r}.")
    return seed, np.random.default_rng(seed)
