"""Parse an uploaded file into a :class:`~nmfcore.datasets.Dataset` (pure: no Streamlit).

Supported: CSV/TSV/TXT (delimiter, decimal comma, UTF-8 BOM, header row and label column
detected; header and label column overridable), Excel ``.xlsx`` (openpyxl), ``.npy``/``.npz``
(``allow_pickle=False``, scipy ``save_npz`` files stay sparse), Matrix Market ``.mtx`` (sparse;
the declared size is checked against a memory budget before anything is allocated), AnnData
``.h5ad``, a 10x Genomics matrix folder as ``.zip``, and any of these gzip-compressed (``.gz``);
see :mod:`dashboard.uploads.lab`.

Anything wrong raises :class:`UploadError` (a ``ValueError``) whose message says what is wrong and
what to do. A successful parse returns a :class:`ParsedUpload` with the data set, its
:class:`~nmfcore.preprocess.ValidationReport` and notes on everything that was detected.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from nmfcore.datasets import Dataset
from nmfcore.preprocess import validate

from ._common import MAX_BYTES, MEMORY_BUDGET, SUPPORTED, TEXT_EXT, ParsedUpload, UploadError, _mb
from .arrays import _np_load, _numeric_array, _parse_mtx, _parse_npz
from .lab import gunzip, parse_10x_zip, parse_h5ad
from .tables import _parse_text, _parse_xlsx
from .features import match_features

__all__ = ["parse_upload", "read_path", "match_features", "ParsedUpload", "UploadError", "MAX_BYTES",
           "MEMORY_BUDGET", "SUPPORTED"]


def parse_upload(filename: str, data: bytes, *, header=None, label_column=None,
                 max_bytes: int = MAX_BYTES, memory_budget: int = MEMORY_BUDGET,
                 layer: str | None = None) -> ParsedUpload:
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
        Bytes the parsed matrix may take (checked from the declared size for .mtx / .npz /
        .h5ad, and as a gzip file inflates).
    layer : str or None
        ``.h5ad`` only: read this layer instead of X.

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
    if ext == ".gz" and len(data) > 0:
        inner = name[:-3]
        parsed = parse_upload(inner, gunzip(name, data, memory_budget), header=header,
                              label_column=label_column, max_bytes=memory_budget,
                              memory_budget=memory_budget, layer=layer)
        ds = dataclasses.replace(parsed.dataset, name=f"upload: {name}",
                                 description=f"Uploaded file {name}.")
        note = f"{name} is gzip-compressed: read as {inner}."
        return dataclasses.replace(parsed, dataset=ds, notes=(note,) + parsed.notes,
                                   options={**parsed.options, "compressed": "gzip"})
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
    elif ext == ".h5ad":
        X, row_labels, col_labels, classes, extras = parse_h5ad(name, data, memory_budget, notes,
                                                                layer=layer)
    elif ext == ".zip":
        X, row_labels, col_labels = parse_10x_zip(name, data, memory_budget, notes, _parse_mtx)
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


def read_path(path, *, header=None, label_column=None,
              memory_budget: int = MEMORY_BUDGET) -> ParsedUpload:
    """Read a file from disk exactly as an upload (``nmf-explorer --data PATH``).

    The same parser, detection and validation as :func:`parse_upload`, without the upload cap
    (a local file may be larger than what the browser may send); the memory budget still holds.
    The data set is named ``file: NAME`` and its ``extras["path"]`` holds the absolute path.

    Raises
    ------
    UploadError
        With a one-line message for a missing, unreadable or invalid file (never another
        exception type).
    """
    p = Path(os.path.expanduser(str(path))).resolve()
    if not p.exists():
        raise UploadError(f"{p} does not exist. Check the path given to --data.")
    if not p.is_file():
        raise UploadError(f"{p} is not a file. Give --data the path of a CSV, TSV, Excel, "
                          f".npy, .npz or .mtx file.")
    try:
        data = p.read_bytes()
    except OSError as err:
        raise UploadError(f"{p} could not be read ({err.strerror or type(err).__name__}). "
                          f"Check its permissions.") from None
    try:
        parsed = parse_upload(p.name, data, header=header, label_column=label_column,
                              max_bytes=max(len(data), 1), memory_budget=memory_budget)
    except UploadError as err:
        raise UploadError(" ".join(str(err).split())) from None
    except Exception as err:  # a parser corner case: still one line, never a traceback
        raise UploadError(f"{p.name} could not be read ({type(err).__name__}: "
                          f"{' '.join(str(err).split())}). Check the file, or save it as a "
                          f"plain CSV.") from None
    ds = dataclasses.replace(parsed.dataset, name=f"file: {p.name}",
                             description=f"File {p} (opened with --data).",
                             extras={**parsed.dataset.extras, "source": f"file {p}",
                                     "path": str(p)})
    return dataclasses.replace(parsed, dataset=ds)


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
