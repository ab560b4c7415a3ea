"""Parse an uploaded file into a :class:`~nmfcore.datasets.Dataset` (pure: no Streamlit).

Supported: CSV/TSV/TXT (delimiter, decimal comma, UTF-8 BOM, header row and label column
detected; header and label column overridable), Excel ``.xlsx`` (openpyxl), ``.npy``/``.npz``
(``allow_pickle=False``, scipy ``save_npz`` files stay sparse) and Matrix Market ``.mtx`` (sparse;
the declared size is checked against a memory budget before anything is allocated).

Anything wrong raises :class:`UploadError` (a ``ValueError``) whose message says what is wrong and
what to do. A successful parse returns a :class:`ParsedUpload` with the data set, its
:class:`~nmfcore.preprocess.ValidationReport` and notes on everything that was detected.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nmfcore.datasets import Dataset
from nmfcore.preprocess import ValidationReport, validate

MAX_BYTES = 50 * 1024 * 1024            # matches server.maxUploadSize in .streamlit/config.toml
MEMORY_BUDGET = 256 * 1024 * 1024       # bytes the parsed matrix may take
TEXT_EXT = (".csv", ".tsv", ".txt", ".tab", ".dat")
SUPPORTED = "CSV/TSV (.csv .tsv .txt), Excel (.xlsx), NumPy (.npy .npz), Matrix Market (.mtx)"
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


def parse_upload(filename: str, data: bytes, *, header=None, label_column=None,
                 max_bytes: int = MAX_BYTES, memory_budget: int = MEMORY_BUDGET) -> ParsedUpload:
    """Read an uploaded file.

    Parameters
    ----------
    filename : str
        Used for the format (by extension) and the data set name.
    data : bytes
    header : bool or None
        Whether the first row holds column names (None: detect). Text and Excel only.
    label_column : int, str, False or None
        Column holding row labels: position (0-based), header name, False for none,
        None to detect. Text and Excel only.
    max_bytes : int
        Upload cap; larger files are refused before parsing.
    memory_budget : int
        Bytes the parsed matrix may take (checked from the declared size for .mtx / .npz).

    Raises
    ------
    UploadError
    """
    name = filename.rsplit("/", 1)[-1]
    ext = "." + name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if len(data) > max_bytes:
        raise UploadError(f"{name} is {_mb(len(data))}, over the upload cap of {_mb(max_bytes)}. "
                          f"Upload a smaller file (fewer rows, or a sparse .mtx/.npz).")
    if len(data) == 0 or (ext in TEXT_EXT and not data.strip(b" \t\r\n\xef\xbb\xbf")):
        raise UploadError(f"{name} is empty. Upload a file with one sample per row and one "
                          f"feature per column.")
    notes: list[str] = []
    mask = None
    opts: dict = {"format": ext.lstrip(".")}
    row_labels = col_labels = classes = None
    extras: dict = {}
    image_shape = None
    if ext in TEXT_EXT:
        X, mask, row_labels, col_labels, classes, extras, o = _parse_text(
            name, data, header=header, label_column=label_column, notes=notes)
        opts.update(o)
    elif ext == ".xlsx":
        X, mask, row_labels, col_labels, classes, extras, o = _parse_xlsx(
            name, data, header=header, label_column=label_column, notes=notes,
            budget=memory_budget)
        opts.update(o)
    elif ext == ".xls":
        raise UploadError(f"{name} is an old Excel .xls file, which is not supported. Save it as "
                          f".xlsx or .csv and upload that.")
    elif ext == ".npy":
        X, image_shape = _numeric_array(name, _np_load(name, data), notes)
    elif ext == ".npz":
        X, row_labels, col_labels, classes, image_shape = _parse_npz(name, data, memory_budget,
                                                                     notes)
    elif ext == ".mtx":
        X = _parse_mtx(name, data, memory_budget, notes)
    else:
        raise UploadError(f"{name}: unsupported file type {ext or '(no extension)'}. "
                          f"Supported: {SUPPORTED}.")
    _check_shape(name, X)
    if image_shape is not None:
        notes.append(f"3-D array: each of the {X.shape[0]} images of {image_shape[0]} x "
                     f"{image_shape[1]} became one row of {X.shape[1]} pixels.")
    ds = Dataset(name=f"upload: {name}", X=X, row_labels=row_labels, col_labels=col_labels,
                 classes=classes, kind="image" if image_shape else "generic",
                 image_shape=image_shape, description=f"Uploaded file {name}.",
                 extras={"source": f"upload {name}", **extras})
    report = validate(X, mask)
    return ParsedUpload(ds, report, tuple(notes), mask, opts)


def _check_shape(name, X) -> None:
    n, m = X.shape
    if n * m == 0:
        raise UploadError(f"{name} holds no numbers ({n} x {m}). Upload a matrix with one sample "
                          f"per row and one feature per column.")
    if n == 1 and m == 1:
        raise UploadError(f"{name} holds a single value. NMF needs a matrix: at least 2 rows "
                          f"(samples) and 2 columns (features).")
    if min(n, m) == 1:
        what = f"a single row of {m} values" if n == 1 else f"a single column of {n} values"
        raise UploadError(f"{name} holds {what}, a vector rather than a matrix: NMF needs at "
                          f"least 2 rows (samples) and 2 columns (features). Put one sample "
                          f"per row, its features across the columns.")


# --------------------------------------------------------------------------- numpy

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
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        total = sum(i.file_size for i in zf.infolist())
    except zipfile.BadZipFile:
        raise UploadError(f"{name} is not a NumPy .npz archive (not a zip file). Save it with "
                          f"numpy.savez or scipy.sparse.save_npz.") from None
    if total > budget:
        raise UploadError(f"{name} unpacks to {_mb(total)}, over the memory budget of "
                          f"{_mb(budget)}. Upload a smaller or sparse matrix.")
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


# --------------------------------------------------------------------------- matrix market

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


# --------------------------------------------------------------------------- tables

def _kind(cell, dec=".") -> str:
    """``"num"``, ``"na"`` (empty / NA marker) or ``"text"`` for one cell."""
    if cell is None:
        return "na"
    if isinstance(cell, (bool, int, float, np.number)):
        return "na" if cell != cell else "num"
    s = str(cell).strip()
    if s.lower() in _NA:
        return "na"
    if dec == ",":
        s = s.replace(",", ".")
    try:
        float(s)
        return "num"
    except ValueError:
        return "text"


def _decode(name, data, notes) -> str:
    head = data[:8192]
    ctrl = sum(b < 32 and b not in (9, 10, 13) for b in head)
    if b"\x00" in head or ctrl > 0.01 * len(head):
        raise UploadError(f"{name} looks like a binary file, not text (it holds control "
                          f"bytes). Upload a CSV/TSV text file, or use the right extension "
                          f"(.xlsx, .npy, .npz, .mtx).")
    if data.startswith(b"\xef\xbb\xbf"):
        notes.append("UTF-8 byte-order mark (BOM) removed.")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        notes.append("Not valid UTF-8: read as Latin-1 (Windows-1252) text.")
        return data.decode("cp1252", errors="replace")


def _split_rows(lines, sep):
    if sep is None:
        return [ln.split() for ln in lines]
    return list(csv.reader(lines, delimiter=sep))


def _sniff(lines):
    """Delimiter (None = whitespace) of ``lines``: the first of tab, semicolon, comma, pipe,
    whitespace that splits every line into the same number (>= 2) of fields; else the most
    consistent one. Tab and semicolon come first: they are used when comma is the decimal."""
    scores = {}
    for sep in ("\t", ";", ",", "|", None):
        counts = [len(r) for r in _split_rows(lines, sep)]
        mode = max(set(counts), key=counts.count)
        if mode >= 2:
            scores[sep] = counts.count(mode) / len(counts)
            if scores[sep] == 1.0:
                return sep
    return max(scores, key=scores.get) if scores else ","


def _layout(name, rows, header, label_column, dec, notes):
    """Decide (header: bool, label column index or None) from the first rows."""
    ncol = max(len(r) for r in rows)
    kinds = [[_kind(c, dec) for c in r] for r in rows]
    if isinstance(label_column, str) and header is None:
        header = True
    body = kinds[1:] if header is not False else kinds
    if label_column is None:
        lab = None
        col0 = [k[0] for k in body if k]
        if col0 and sum(k == "text" for k in col0) >= 0.5 * len(col0):
            lab = 0
        elif header is not False and len(rows) > 2 and kinds[0] and kinds[0][0] == "na" \
                and "text" in kinds[0][1:] and all(k == "num" for k in col0):
            vals = [float(str(r[0]).replace(",", ".")) for r in rows[1:] if r]
            steps = np.diff(vals) if np.all(np.isfinite(vals)) else None
            if steps is not None and np.array_equal(steps, np.ones(len(vals) - 1)):
                lab = 0
                notes.append("Column 0 has no name and counts 0, 1, 2...: read as a row index "
                             "(labels), not as data.")
    elif label_column is False:
        lab = None
    elif isinstance(label_column, str):
        names = [str(c).strip() for c in rows[0]]
        if label_column not in names:
            raise UploadError(f"{name}: no column named {label_column!r}; the header has "
                              f"{', '.join(repr(n) for n in names[:20])}.")
        lab = names.index(label_column)
    else:
        lab = int(label_column)
        if not 0 <= lab < ncol:
            raise UploadError(f"{name}: label column {lab} does not exist (columns 0 to "
                              f"{ncol - 1}).")
    if header is None:
        cols = [j for j in range(ncol) if j != lab]
        def frac(k):
            return sum(k[j] == "text" for j in cols if j < len(k)) / max(len(cols), 1)
        f0 = frac(kinds[0])
        fb = np.mean([frac(k) for k in kinds[1:]]) if len(kinds) > 1 else 0.0
        header = bool(f0 >= 0.5 and fb < 0.5) or (len(kinds) == 1 and f0 > 0)
        if header and label_column is None and lab is None and len(kinds) > 1:
            # re-check column 0 below the header
            col0 = [k[0] for k in kinds[1:] if k]
            if sum(k == "text" for k in col0) >= 0.5 * len(col0):
                lab = 0
    return bool(header), lab


def _frame_to_matrix(name, df, names, lab, dec, notes):
    """Numeric matrix, text mask, row labels, classes from a frame of the data rows."""
    import pandas as pd

    if df.shape[0] == 0:
        raise UploadError(f"{name} has a header row but no data rows. Add rows of numbers "
                          f"below the header.")
    labels = None
    if lab is not None and lab < df.shape[1]:
        labels = df.iloc[:, lab].astype("string").fillna("").str.strip().tolist()
        df = df.drop(columns=df.columns[lab])
        names = [n for j, n in enumerate(names) if j != lab] if names else names
    cols, masks = [], []
    for j in range(df.shape[1]):
        col = df.iloc[:, j]
        if pd.api.types.is_numeric_dtype(col.dtype) and not pd.api.types.is_bool_dtype(col):
            cols.append(col.to_numpy(dtype=np.float64, na_value=np.nan))
            masks.append(None)
            continue
        s = col.astype("string").str.strip()
        num = pd.to_numeric(s.str.replace(",", ".", regex=False) if dec == "," else s,
                            errors="coerce")
        bad = s.notna() & num.isna() & ~s.str.lower().isin(_NA)
        cols.append(num.to_numpy(dtype=np.float64, na_value=np.nan))
        masks.append(bad.to_numpy(dtype=bool, na_value=False))
    X = np.column_stack(cols) if cols else np.zeros((df.shape[0], 0))
    mask = np.zeros(X.shape, dtype=bool)
    for j, m in enumerate(masks):
        if m is not None:
            mask[:, j] = m
    empty = np.all(np.isnan(X) & ~mask, axis=0)
    if empty.any():
        notes.append(f"Dropped {int(empty.sum())} empty column(s) (no value in any row, e.g. "
                     f"from a trailing delimiter).")
        X, mask = X[:, ~empty], mask[:, ~empty]
        names = [n for n, e in zip(names, empty) if not e] if names else names
    if mask.any():
        r, c = np.argwhere(mask)[0]
        notes.append(f"{int(mask.sum())} cell(s) held text and were read as NaN (first at row "
                     f"{r}, column {c}).")
    return X, (mask if mask.any() else None), labels, names


def _labels_to_fields(labels, n, notes):
    """Unique labels name the rows; repeated labels are known classes."""
    if labels is None:
        return None, None, {}
    if len(set(labels)) == len(labels):
        notes.append("Label column used as row names.")
        return tuple(labels), None, {}
    names, codes = np.unique(np.asarray(labels, dtype=str), return_inverse=True)
    notes.append(f"Label column repeats values: read as {len(names)} known classes.")
    rows = tuple(f"{lab} #{i}" for i, lab in enumerate(labels))
    return rows, codes.astype(np.int64), {"class_names": tuple(str(v) for v in names)}


def _finish(name, X, mask, labels, names, header, lab, notes, extra_opts):
    if names is not None:
        names = [str(n).strip() if str(n).strip() else f"column {j}" for j, n in enumerate(names)]
        seen = {}
        for j, nm in enumerate(names):
            if nm in seen:
                raise UploadError(
                    f"{name}: duplicate column name {nm!r} (columns {seen[nm]} and {j} of the "
                    f"data). Rename the columns so each is unique, or set 'first row is a "
                    f"header' to no.")
            seen[nm] = j
    rows, classes, extras = _labels_to_fields(labels, X.shape[0], notes)
    notes.append(f"Header row: {'yes' if header else 'no'}; label column: "
                 f"{'none' if lab is None else lab}.")
    opts = {"header": header, "label_column": lab, **extra_opts}
    return X, mask, rows, (tuple(names) if names else None), classes, extras, opts


def _parse_text(name, data, *, header, label_column, notes):
    import pandas as pd

    text = _decode(name, data, notes)
    raw = text.splitlines()
    numbers = [i + 1 for i, ln in enumerate(raw) if ln.strip()]
    lines = [raw[i - 1] for i in numbers]
    sample = lines[:50]
    sep = _sniff(sample)
    rows = _split_rows(sample, sep)
    dec = "."
    if sep != ",":
        cells = [c for r in rows for c in r]
        if any(re.match(r"^\s*-?\d+,\d+\s*$", c) for c in cells) and \
                not any(re.match(r"^\s*-?\d+\.\d+\s*$", c) for c in cells):
            dec = ","
            notes.append("Decimal comma detected (1,5 read as 1.5).")
    shown = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe", None: "whitespace"}[sep]
    notes.append(f"Delimiter: {shown}.")
    counts = [len(r) for r in rows]
    r_names = len(rows) > 1 and counts[0] == counts[1] - 1 and len(set(counts[1:])) == 1 \
        and header is not False and all(_kind(c, dec) == "text" for c in rows[0])
    if r_names:  # R write.csv style: no name above the row-name column
        rows[0] = [""] + rows[0]
        if label_column is None:
            label_column = 0
        notes.append("Header is one field shorter than the rows: first column read as row names.")
    header, lab = _layout(name, rows, header, label_column, dec, notes)
    expected = len(rows[0])
    if '"' not in text and sep is not None:
        all_counts = [ln.count(sep) + 1 for ln in lines]
    else:
        all_counts = [len(r) for r in _split_rows(lines, sep)]
    if r_names:
        all_counts[0] += 1
    bad = [i for i, c in enumerate(all_counts) if c != expected]
    if bad:
        shown_rows = ", ".join(f"line {numbers[i]} has {all_counts[i]}" for i in bad[:3])
        raise UploadError(
            f"{name} has ragged rows: line {numbers[0]} has {expected} fields but {shown_rows}"
            f"{' ...' if len(bad) > 3 else ''}. Make every row have the same number of fields "
            f"(look for a missing or extra delimiter or an unclosed quote).")
    names = rows[0] if header else None
    body = "\n".join(lines[1:] if header else lines)
    try:
        df = pd.read_csv(io.StringIO(body), sep=r"\s+" if sep is None else sep, header=None,
                         decimal=dec, skipinitialspace=True, na_values=sorted(_NA),
                         dtype={lab: str} if lab is not None else None, engine="c",
                         names=list(range(expected)), low_memory=False)
    except (pd.errors.ParserError, ValueError) as err:
        raise UploadError(f"{name} could not be parsed as a table ({err}).") from None
    X, mask, labels, names = _frame_to_matrix(name, df, names, lab, dec, notes)
    return _finish(name, X, mask, labels, names, header, lab, notes,
                   {"delimiter": shown, "decimal": dec})


def _parse_xlsx(name, data, *, header, label_column, notes, budget=MEMORY_BUDGET):
    import pandas as pd

    if data[:4] != b"PK\x03\x04":
        raise UploadError(f"{name} is not a real Excel .xlsx file (an .xlsx is a zip archive "
                          f"and this one is not). If it is a CSV, rename it .csv; an old .xls "
                          f"must be saved as .xlsx.")
    import openpyxl

    try:
        unpacked = sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(data)).infolist())
    except zipfile.BadZipFile:
        raise UploadError(f"{name} is not a real Excel .xlsx file (damaged zip archive). Save "
                          f"it again from Excel as .xlsx, or export a CSV.") from None
    if unpacked > budget:
        raise UploadError(f"{name} unpacks to {_mb(unpacked)}, over the memory budget of "
                          f"{_mb(budget)}. Export the sheet as CSV instead.")
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        ws = wb.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        wb.close()
    except Exception as err:  # openpyxl raises many types on damaged archives
        raise UploadError(f"{name} could not be opened as an Excel workbook ({type(err).__name__}"
                          f": {err}). Save it again from Excel as .xlsx, or export a CSV.") \
            from None
    rows = [r for r in rows if any(c is not None and str(c).strip() for c in r)]
    if not rows:
        raise UploadError(f"{name}: the first sheet is empty. Put the matrix in the first sheet.")
    notes.append(f"Read the first sheet {ws.title!r} of the workbook.")
    width = max(len(r) for r in rows)
    rows = [r + [None] * (width - len(r)) for r in rows]
    header, lab = _layout(name, rows[:50], header, label_column, ".", notes)
    names = [("" if c is None else str(c)) for c in rows[0]] if header else None
    df = pd.DataFrame(rows[1:] if header else rows, dtype=object)
    X, mask, labels, names = _frame_to_matrix(name, df, names, lab, ".", notes)
    return _finish(name, X, mask, labels, names, header, lab, notes, {})
