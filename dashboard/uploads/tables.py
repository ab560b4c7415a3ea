"""Text tables (CSV/TSV: delimiter, decimal comma, BOM, header, label column) and .xlsx."""
from __future__ import annotations

import csv
import io
import re

import numpy as np

from ._common import MEMORY_BUDGET, _NA, UploadError, check_zip_budget


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

    check_zip_budget(name, data, budget,
                     not_zip="is not a real Excel .xlsx file (damaged zip archive). Save it "
                             "again from Excel as .xlsx, or export a CSV.",
                     remedy="Export the sheet as CSV instead.")
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
