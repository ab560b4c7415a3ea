"""NumPy (.npy, .npz; never unpickled) and Matrix Market (.mtx, size checked first) uploads."""
from __future__ import annotations

import io
import zipfile

import numpy as np
import scipy.sparse as sp

from ._common import UploadError, _mb, check_zip_budget


def _np_load(name, data):
    if data[:6] != b"\x93NUMPY":
        raise UploadError(f"{name} is not a NumPy .npy file (its first bytes are not the .npy "
                          f"magic). Save the array with numpy.save, or upload it as .csv.")
    try:
        return np.load(io.BytesIO(data), allow_pickle=False)
    except ValueError as err:
        if "pickle" in str(err).lower() or "object" in str(err).lower():
            raise UploadError(
                f"{name} holds Python objects (a pickled object array). For safety pickles are "
                f"never loaded. Save a numeric array instead, e.g. "
                f"numpy.save(f, arr.astype(float)).") from None
        raise UploadError(f"{name} could not be read as .npy ({err}).") from None
    except (OSError, EOFError) as err:
        raise UploadError(f"{name} is truncated or damaged ({err}). Save it again with "
                          f"numpy.save.") from None


def _numeric_array(name, arr, notes):
    """Check dtype/ndim; return (float64 2-D matrix, image_shape or None)."""
    arr = np.asarray(arr)
    if arr.dtype.kind not in "biuf":
        raise UploadError(f"{name} holds an array of dtype {arr.dtype}, not numbers. Save a "
                          f"numeric (int or float) array.")
    if arr.ndim == 1:
        return arr.astype(np.float64).reshape(1, -1), None
    image_shape = None
    if arr.ndim == 3:
        image_shape = (int(arr.shape[1]), int(arr.shape[2]))
        arr = arr.reshape(arr.shape[0], -1)
    elif arr.ndim != 2:
        raise UploadError(f"{name} holds a {arr.ndim}-D array {arr.shape}; upload a 2-D "
                          f"matrix (samples x features) or a 3-D stack of images.")
    if arr.dtype != np.float64:
        notes.append(f"Converted {arr.dtype} values to float64.")
    return arr.astype(np.float64), image_shape


def _parse_npz(name, data, budget, notes):
    check_zip_budget(name, data, budget,
                     not_zip="is not a NumPy .npz archive (not a zip file). Save it with "
                             "numpy.savez or scipy.sparse.save_npz.",
                     remedy="Upload a smaller or sparse matrix.")
    z = _np_load_npz(name, data)
    keys = set(z)
    row_labels = col_labels = classes = None
    if {"data", "indices", "indptr", "shape", "format"} <= keys:
        fmt = z["format"].item()
        fmt = fmt.decode() if isinstance(fmt, bytes) else str(fmt)
        cls = {"csr": sp.csr_matrix, "csc": sp.csc_matrix}.get(fmt)
        if cls is None:
            raise UploadError(f"{name}: sparse format {fmt!r} is not supported; save CSR or CSC.")
        try:
            X = cls((z["data"], z["indices"], z["indptr"]), shape=tuple(z["shape"])).tocsr()
        except ValueError as err:
            raise UploadError(f"{name}: inconsistent sparse arrays ({err}).") from None
        if X.dtype.kind not in "biuf":
            raise UploadError(f"{name}: sparse values of dtype {X.dtype} are not numbers.")
        notes.append(f"Sparse {fmt.upper()} matrix from scipy.sparse.save_npz, kept sparse "
                     f"({X.nnz:,} stored values).")
        return X.astype(np.float64), None, None, None, None
    key = next((k for k in ("X", "data", "arr_0") if k in keys), None)
    if key is None:
        arrays = [k for k in z if z[k].ndim >= 2]
        if len(arrays) != 1:
            raise UploadError(f"{name} holds arrays {sorted(keys)}; name the matrix 'X' "
                              f"(numpy.savez(f, X=matrix)).")
        key = arrays[0]
    X, image_shape = _numeric_array(name, z[key], notes)
    notes.append(f"Matrix taken from array {key!r} of the archive.")
    for k in ("row_labels", "col_labels"):
        if k in keys and z[k].shape == (X.shape[0 if k == "row_labels" else 1],):
            if k == "row_labels":
                row_labels = tuple(str(v) for v in z[k])
            else:
                col_labels = tuple(str(v) for v in z[k])
    for k in ("classes", "y", "labels", "target"):
        if k in keys and z[k].shape == (X.shape[0],):
            classes = z[k]
            notes.append(f"Known classes taken from array {k!r}.")
            break
    return X, row_labels, col_labels, classes, image_shape


def _np_load_npz(name, data) -> dict:
    """Every array of the archive (size already checked), never unpickling."""
    try:
        with np.load(io.BytesIO(data), allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except ValueError as err:
        raise UploadError(f"{name} holds Python objects (pickled data), which are never loaded "
                          f"for safety ({err}). Save numeric arrays only.") from None
    except (OSError, EOFError, zipfile.BadZipFile) as err:
        raise UploadError(f"{name} is truncated or damaged ({err}). Save it again with "
                          f"numpy.savez.") from None



def _parse_mtx(name, data, budget, notes):
    lines = io.BytesIO(data)
    first = lines.readline().decode("latin-1").strip().split()
    if len(first) < 5 or first[0].lower() != "%%matrixmarket":
        raise UploadError(f"{name} is not a Matrix Market file: the first line must read "
                          f"'%%MatrixMarket matrix coordinate real general' (or similar).")
    obj, fmt, field, sym = (w.lower() for w in first[1:5])
    if obj != "matrix" or fmt not in ("coordinate", "array"):
        raise UploadError(f"{name}: unsupported Matrix Market header {' '.join(first)!r}.")
    if field not in ("real", "integer", "pattern", "double"):
        raise UploadError(f"{name}: Matrix Market field {field!r} is not supported (real, "
                          f"integer or pattern only; NMF needs real non-negative values).")
    size = b"%"
    while size.lstrip().startswith(b"%") or not size.strip():
        size = lines.readline()
        if not size:
            raise UploadError(f"{name}: the Matrix Market size line is missing.")
    try:
        dims = [int(v) for v in size.split()]
    except ValueError:
        raise UploadError(f"{name}: bad Matrix Market size line {size[:80]!r}.") from None
    if len(dims) != (3 if fmt == "coordinate" else 2) or min(dims) < 0:
        raise UploadError(f"{name}: bad Matrix Market size line {size[:80]!r}.")
    n, m = dims[0], dims[1]
    nnz = dims[2] if fmt == "coordinate" else n * m
    if sym != "general":
        nnz *= 2
    need = nnz * 16 * 2 + (n + 1) * 8 if fmt == "coordinate" else n * m * 8
    if need > budget:
        raise UploadError(
            f"{name} declares a {n:,} x {m:,} matrix with {nnz:,} stored values: about "
            f"{_mb(need)} in memory, over the budget of {_mb(budget)}. Nothing was allocated. "
            f"Upload a smaller matrix.")
    import scipy.io

    try:
        M = scipy.io.mmread(io.BytesIO(data))
    except Exception as err:  # scipy raises several types for malformed bodies
        raise UploadError(f"{name}: the Matrix Market body could not be read ({err}).") from None
    if sp.issparse(M):
        M = sp.csr_matrix(M, dtype=np.float64)
        notes.append(f"Matrix Market {sym} coordinate file read as a sparse CSR matrix "
                     f"({M.nnz:,} stored values).")
    else:
        M = np.asarray(M, dtype=np.float64)
        notes.append("Matrix Market array file read as a dense matrix.")
    return M
