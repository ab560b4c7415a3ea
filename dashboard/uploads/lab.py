"""Lab formats: AnnData ``.h5ad``, 10x Genomics matrices (a ``.zip`` of the folder) and gzip.

Sizes are checked before anything is decompressed or allocated: a gzip stream is inflated in
chunks and stopped at the memory budget; a zip's declared sizes are summed first; an h5ad's
declared shapes and stored arrays are read from the HDF5 metadata before any array is loaded.

``.h5ad`` files are read with h5py following the AnnData on-disk layout (``X`` as an array or a
``csr_matrix``/``csc_matrix`` group, ``obs``/``var`` data frames with ``_index``, categorical
columns as ``codes`` + ``categories``, ``layers``). HDF5 holds arrays and attributes only and
nothing in it is executed; the ``anndata`` package itself is not used, because its releases
require pandas < 3 while this project runs on pandas 3.
"""
from __future__ import annotations

import io
import zipfile
import zlib

import numpy as np
import scipy.sparse as sp

from ._common import UploadError, _mb, check_zip_budget

_CHUNK = 1 << 20


def gunzip(name: str, data: bytes, budget: int) -> bytes:
    """Decompress a gzip file, refusing one that inflates past ``budget`` bytes (checked as it
    inflates, whatever its header claims) or is truncated or damaged."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    out = []
    size = 0
    view = memoryview(data)
    try:
        pos = 0
        while pos < len(data) or d.unconsumed_tail:
            chunk_in = d.unconsumed_tail or view[pos:pos + _CHUNK]
            if not d.unconsumed_tail:
                pos += len(chunk_in)
            piece = d.decompress(chunk_in, _CHUNK)
            size += len(piece)
            if size > budget:
                raise UploadError(f"{name} inflates to more than {_mb(budget)}, over the memory "
                                  f"budget; nothing was kept. Upload a smaller file, or the "
                                  f"uncompressed sparse .mtx / .npz.")
            out.append(piece)
            if d.eof:
                break
    except zlib.error as err:
        raise UploadError(f"{name} is not a valid gzip file ({err}). Compress it again with "
                          f"gzip, or upload it uncompressed.") from None
    if not d.eof:
        raise UploadError(f"{name} is truncated: the gzip stream ends early. Compress it again "
                          f"or upload it uncompressed.")
    return b"".join(out)


# ---------------------------------------------------------------------------- AnnData .h5ad
def _h5py(name):
    try:
        import h5py
    except ImportError:
        raise UploadError(f"reading {name} (.h5ad) needs h5py: pip install "
                          f"'nmf-explorer[lab]', then restart the app.") from None
    return h5py


def _strings(arr) -> tuple:
    return tuple(v.decode() if isinstance(v, bytes) else str(v) for v in arr[()])


def _matrix_bytes(node, h5py) -> tuple[tuple[int, int], int]:
    """Declared shape and the bytes its arrays take once loaded (from metadata only)."""
    if isinstance(node, h5py.Dataset):
        if node.ndim != 2:
            raise UploadError("X must be a 2-D matrix")
        return tuple(int(s) for s in node.shape), int(np.prod(node.shape)) * 8
    enc = node.attrs.get("encoding-type", "")
    enc = enc.decode() if isinstance(enc, bytes) else str(enc)
    if enc not in ("csr_matrix", "csc_matrix"):
        raise UploadError(f"X has the unknown encoding {enc!r}")
    shape = tuple(int(s) for s in node.attrs["shape"])
    nnz = int(node["data"].shape[0])
    return shape, nnz * 16 + (max(shape) + 1) * 8


def _read_matrix(node, h5py):
    if isinstance(node, h5py.Dataset):
        return np.asarray(node[()], dtype=np.float64)
    enc = node.attrs["encoding-type"]
    enc = enc.decode() if isinstance(enc, bytes) else str(enc)
    shape = tuple(int(s) for s in node.attrs["shape"])
    cls = sp.csr_matrix if enc == "csr_matrix" else sp.csc_matrix
    M = cls((np.asarray(node["data"][()], dtype=np.float64), node["indices"][()],
             node["indptr"][()]), shape=shape)
    return sp.csr_matrix(M)


def _index(group) -> tuple | None:
    key = group.attrs.get("_index", "_index")
    key = key.decode() if isinstance(key, bytes) else str(key)
    return _strings(group[key]) if key in group else None


def _categoricals(group, h5py) -> dict:
    """The data frame's categorical columns in the file's column order."""
    order = [c.decode() if isinstance(c, bytes) else str(c)
             for c in np.atleast_1d(group.attrs.get("column-order", []))]
    out = {}
    for col in order + sorted(set(group) - set(order)):
        node = group.get(col)
        if isinstance(node, h5py.Group) and node.attrs.get("encoding-type") in (
                "categorical", b"categorical"):
            # str (not object) arrays: a session file stores them without pickle
            cats = np.array(_strings(node["categories"]) + ("(missing)",), dtype=str)
            codes = np.asarray(node["codes"][()], dtype=np.int64)
            valid = (codes >= 0) & (codes < len(cats) - 1)    # -1 (and damage): "(missing)"
            out[col] = cats[np.where(valid, codes, -1)]
    return out


def parse_h5ad(name: str, data: bytes, budget: int, notes: list, layer: str | None = None):
    """Read an AnnData file: X (or ``layer``), ``obs_names``/``var_names`` as labels, the first
    categorical ``obs`` column as known labels (the others in ``extras["label_columns"]``).

    Returns
    -------
    X, row_labels, col_labels, classes, extras
    """
    h5py = _h5py(name)
    try:
        f = h5py.File(io.BytesIO(data), "r")
    except OSError:
        raise UploadError(f"{name} is not an HDF5 file (or it is truncated). Save it again with "
                          f"anndata's write_h5ad.") from None
    with f:
        enc = f.attrs.get("encoding-type", b"")
        enc = enc.decode() if isinstance(enc, bytes) else str(enc)
        if "X" not in f or ("obs" not in f and enc != "anndata"):
            raise UploadError(f"{name} is an HDF5 file but not an AnnData (.h5ad) file: it has "
                              f"no X matrix with obs/var tables. Save it with anndata's "
                              f"write_h5ad, or export the matrix as .mtx or .csv.")
        layers = sorted(f["layers"].keys()) if "layers" in f else []
        node = f["X"]
        if layer is not None:
            if layer not in layers:
                raise UploadError(f"{name} has no layer {layer!r}; its layers: "
                                  f"{', '.join(layers) or 'none'}.")
            node = f["layers"][layer]
        try:
            shape, need = _matrix_bytes(node, h5py)
        except (KeyError, UploadError) as err:
            raise UploadError(f"{name}: the matrix cannot be read ({err}). Save it again with "
                              f"anndata's write_h5ad.") from None
        if need > budget:
            raise UploadError(f"{name} declares a {shape[0]:,} x {shape[1]:,} matrix taking about "
                              f"{_mb(need)} in memory, over the budget of {_mb(budget)}. Nothing "
                              f"was loaded. Subset the cells or genes first.")
        try:
            X = _read_matrix(node, h5py)
        except Exception as err:  # h5py raises several types for damaged datasets
            raise UploadError(f"{name}: the matrix is damaged ({type(err).__name__}). Save it "
                              f"again with anndata's write_h5ad.") from None
        rows = _index(f["obs"]) if "obs" in f else None
        cols = _index(f["var"]) if "var" in f else None
        cats = _categoricals(f["obs"], h5py) if "obs" in f else {}
    if rows is not None and len(rows) != X.shape[0] or cols is not None and len(cols) != X.shape[1]:
        raise UploadError(f"{name}: obs/var names do not match the matrix's shape "
                          f"{X.shape}. The file is inconsistent; save it again.")
    classes = None
    if cats:
        first = next(iter(cats))
        classes = cats[first]
        notes.append(f"Known labels from obs column {first!r}"
                     + (f"; other categorical columns: {', '.join(list(cats)[1:])}."
                        if len(cats) > 1 else "."))
    notes.append(f"AnnData file read with h5py: {X.shape[0]:,} cells x {X.shape[1]:,} genes"
                 f"{' (sparse, ' + format(X.nnz, ',') + ' stored values)' if sp.issparse(X) else ''}"
                 f" from {'layer ' + repr(layer) if layer else 'X'}"
                 + (f"; layers: {', '.join(layers)}." if layers else "."))
    extras = {"label_columns": cats, "layers": layers}
    return X, rows, cols, classes, extras


# ---------------------------------------------------------------------------- 10x Genomics
def _member(zf: zipfile.ZipFile, stems: tuple) -> zipfile.ZipInfo | None:
    for info in zf.infolist():
        base = info.filename.rsplit("/", 1)[-1]
        if any(base == s or base == s + ".gz" for s in stems):
            return info
    return None


def _read_member(name, zf, info, budget) -> bytes:
    raw = zf.read(info)
    return gunzip(f"{name}:{info.filename}", raw, budget) if info.filename.endswith(".gz") \
        else raw


def parse_10x_zip(name: str, data: bytes, budget: int, notes: list, parse_mtx):
    """Read a zipped 10x Genomics matrix folder (``matrix.mtx[.gz]``, ``features.tsv[.gz]`` or
    ``genes.tsv[.gz]``, ``barcodes.tsv[.gz]``): cells become rows, genes columns.

    Returns
    -------
    X, row_labels, col_labels
    """
    check_zip_budget(name, data, budget, not_zip="is not a valid zip archive.",
                     remedy="Zip only the matrix folder, or upload the .mtx file itself.")
    zf = zipfile.ZipFile(io.BytesIO(data))
    parts = {"matrix": _member(zf, ("matrix.mtx",)),
             "features": _member(zf, ("features.tsv", "genes.tsv")),
             "barcodes": _member(zf, ("barcodes.tsv",))}
    missing = [k for k, v in parts.items() if v is None]
    if missing:
        raise UploadError(f"{name} is not a 10x Genomics matrix folder: it has no "
                          f"{' / '.join(f'{m}.tsv(.gz)' if m != 'matrix' else 'matrix.mtx(.gz)' for m in missing)}. "
                          f"Zip the folder that holds matrix.mtx, features.tsv and barcodes.tsv.")
    try:
        mtx = _read_member(name, zf, parts["matrix"], budget)
        feats = _read_member(name, zf, parts["features"], budget).decode("utf-8", "replace")
        codes = _read_member(name, zf, parts["barcodes"], budget).decode("utf-8", "replace")
    except (zipfile.BadZipFile, zlib.error, EOFError) as err:
        raise UploadError(f"{name} is damaged ({err}). Zip the folder again.") from None
    M = parse_mtx(f"{name}:{parts['matrix'].filename}", mtx, budget, notes)
    genes = [ln.split("\t") for ln in feats.splitlines() if ln.strip()]
    cells = [ln.split("\t")[0] for ln in codes.splitlines() if ln.strip()]
    if M.shape != (len(genes), len(cells)):
        raise UploadError(f"{name}: matrix.mtx is {M.shape[0]:,} genes x {M.shape[1]:,} cells but "
                          f"the folder lists {len(genes):,} features and {len(cells):,} "
                          f"barcodes. The files do not belong together; export them again.")
    X = sp.csr_matrix(M.T)
    col_labels = tuple(g[1] if len(g) > 1 else g[0] for g in genes)
    notes.append(f"10x Genomics matrix: {X.shape[0]:,} cells (rows, from barcodes) x "
                 f"{X.shape[1]:,} genes (columns, from {parts['features'].filename.rsplit('/', 1)[-1]}).")
    return X, tuple(cells), col_labels
