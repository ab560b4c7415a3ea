"""The session file: one zip of JSON plus ``.npy`` arrays, read without pickle.

Pure (numpy, scipy and nmfcore only, no Streamlit), so the format is tested on its own. The
dashboard's "Save session" writes it, "Open session" reads it, and the server-side store that
brings a tab back after a reload (``dashboard.persist``) keeps the same format on disk.

Layout of format version 1::

    session.json          {"format": "nmf-explorer-session", "version": 1,
                           "app_version": "0.1.0", "saved": "<UTC ISO time>",
                           "datasets": {fingerprint: dataset}, "state": tree}
    arrays/<n>.npy        every array of the tree, written with ``allow_pickle=False``

The tree is JSON, with tagged objects for what JSON lacks (one key each):

=====================  ====================================================================
``{"$array": "a.npy"}``  a numpy array (or a numpy scalar, as a 0-d array) stored in the zip
``{"$tuple": [...]}``    a tuple
``{"$dict": [[k, v]]}``  a dict whose keys are not all strings (or start with ``$``)
``{"$float": "nan"}``    a non-finite float (``"nan"``, ``"inf"``, ``"-inf"``)
``{"$sparse": {...}}``   a scipy sparse matrix: ``format``, ``shape``, ``data``, ``indices``,
                         ``indptr`` (CSR/CSC; other formats are stored as CSR)
``{"$result": {...}}``   an ``nmfcore.NMFResult``: its fields by name
``{"$record": name,``    a registered dataclass (:func:`register_record`) with its fields
``"fields": {...}}``
``{"$dataset": fp}``     the data set with that fingerprint in ``datasets``
=====================  ====================================================================

A data set in ``datasets`` is either ``{"demo": name, "fingerprint": fp}`` (a shipped demo set,
reloaded by name and checked against the fingerprint) or its fields (``name``, ``X``,
``row_labels``, ``col_labels``, ``classes``, ``kind``, ``image_shape``, ``description``,
``suggested_rank``, ``extras``), checked against the fingerprint when read.

A reader of version N opens versions 1..N. A damaged, truncated, foreign or newer file, or data
whose fingerprint does not match, raises :class:`SessionFileError` with one sentence.
"""
from __future__ import annotations

import dataclasses
import datetime as _dt
import functools
import hashlib
import io
import json
import math
import zipfile
from typing import Any, Callable

import numpy as np
import scipy.sparse as sp

from nmfcore import NMFResult
from nmfcore.datasets import Dataset

FORMAT = "nmf-explorer-session"
VERSION = 1
MANIFEST = "session.json"
SUFFIX = ".nmfx"                    # file name ending of a saved session (a zip inside)
MAX_MEMBERS = 20_000                # arrays in one file
MAX_UNCOMPRESSED = 2 * 2**30        # bytes, all members together (a zip bomb is refused)
MAX_MANIFEST = 64 * 2**20           # bytes of session.json

_RECORDS: dict[str, type] = {}


class SessionFileError(ValueError):
    """A session file that cannot be opened; the message is one sentence for the user."""


def register_record(cls: type) -> type:
    """Let dataclass ``cls`` be stored in a session file (by its class name)."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    _RECORDS[cls.__name__] = cls
    return cls


def _app_version() -> str:
    try:
        from importlib.metadata import version

        return version("nmf-explorer")
    except Exception:  # noqa: BLE001 - running from a checkout that is not installed
        return "0"


def fingerprint(ds: Dataset) -> str:
    """A short hash of the matrix and its labels: the cache key for everything computed on it."""
    h = hashlib.blake2b(digest_size=12)
    X = ds.X
    if sp.issparse(X):
        X = X.tocsr()
        for part in (X.data, X.indices, X.indptr):
            h.update(np.ascontiguousarray(part).tobytes())
    else:
        h.update(np.ascontiguousarray(X).tobytes())
    h.update(repr((ds.name, X.shape, str(X.dtype), ds.kind, ds.image_shape)).encode())
    return h.hexdigest()


@functools.lru_cache(maxsize=16)
def demo_fingerprint(name: str) -> str:
    """The fingerprint of the shipped demo set ``name`` (KeyError/ValueError if unknown)."""
    from nmfcore.datasets import load_demo

    return fingerprint(load_demo(name))


def demo_name(ds: Dataset) -> str | None:
    """The name of the shipped demo set ``ds`` is, unchanged (same fingerprint), or None."""
    from nmfcore.datasets import list_demos

    if ds.name not in list_demos():
        return None
    try:
        return ds.name if demo_fingerprint(ds.name) == fingerprint(ds) else None
    except Exception:  # noqa: BLE001 - a demo file missing from this installation
        return None


# ------------------------------------------------------------------ encode
class _Writer:
    def __init__(self, demo_name: Callable[[Dataset], str | None] | None):
        self.arrays: list[tuple[str, np.ndarray]] = []
        self.datasets: dict[str, Any] = {}
        self._seen: dict[int, str] = {}
        self.demo_name = demo_name

    def array(self, a: np.ndarray) -> dict:
        a = np.asarray(a)
        if a.dtype.hasobject:
            raise TypeError("object arrays cannot be stored without pickle")
        name = f"arrays/{len(self.arrays)}.npy"
        self.arrays.append((name, a))
        return {"$array": name}

    def dataset(self, ds: Dataset) -> dict:
        fp = self._seen.get(id(ds)) or fingerprint(ds)
        self._seen[id(ds)] = fp
        if fp not in self.datasets:
            demo = self.demo_name(ds) if self.demo_name is not None else None
            if demo is not None:
                self.datasets[fp] = {"demo": demo, "fingerprint": fp}
            else:
                spec = {f.name: self.value(getattr(ds, f.name)) for f in dataclasses.fields(ds)}
                spec["fingerprint"] = fp
                self.datasets[fp] = spec
        return {"$dataset": fp}

    def value(self, v: Any) -> Any:
        if v is None or isinstance(v, (bool, str)):
            return v
        if isinstance(v, int) and not isinstance(v, bool):
            return v
        if isinstance(v, float):
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, (np.ndarray, np.generic)):
            return self.array(v)
        if sp.issparse(v):
            fmt = v.format if v.format in ("csr", "csc") else "csr"
            m = v.asformat(fmt)
            return {"$sparse": {"format": fmt, "shape": list(m.shape),
                                "data": self.array(m.data), "indices": self.array(m.indices),
                                "indptr": self.array(m.indptr)}}
        if isinstance(v, Dataset):
            return self.dataset(v)
        if isinstance(v, NMFResult):
            return {"$result": {f.name: self.value(getattr(v, f.name))
                                for f in dataclasses.fields(v)}}
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            name = type(v).__name__
            if _RECORDS.get(name) is not type(v):
                raise TypeError(f"{name} is not registered for session files")
            return {"$record": name, "fields": {f.name: self.value(getattr(v, f.name))
                                                for f in dataclasses.fields(v)}}
        if isinstance(v, tuple):
            return {"$tuple": [self.value(x) for x in v]}
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict) or hasattr(v, "items"):
            items = list(v.items())
            if all(isinstance(k, str) and not k.startswith("$") for k, _ in items):
                return {k: self.value(x) for k, x in items}
            return {"$dict": [[self.value(k), self.value(x)] for k, x in items]}
        raise TypeError(f"cannot store a {type(v).__name__} in a session file")


def dumps(state: Any, *, demo_name: Callable[[Dataset], str | None] | None = None) -> bytes:
    """The session file (bytes) holding ``state``: plain values, arrays, sparse matrices,
    ``NMFResult``, ``Dataset`` and registered dataclasses, nested in dicts, lists and tuples.

    ``demo_name(ds)`` names a data set that is a shipped demo (stored by name and fingerprint
    only), or returns None to store the data itself."""
    w = _Writer(demo_name)
    tree = w.value(state)
    manifest = {"format": FORMAT, "version": VERSION, "app_version": _app_version(),
                "saved": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
                "datasets": w.datasets, "state": tree}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr(MANIFEST, json.dumps(manifest, allow_nan=False, separators=(",", ":")))
        for name, a in w.arrays:
            member = io.BytesIO()
            np.save(member, a, allow_pickle=False)
            z.writestr(name, member.getvalue())
    return buf.getvalue()


# ------------------------------------------------------------------ decode
class _Reader:
    def __init__(self, z: zipfile.ZipFile, datasets: dict, load_demo):
        self.z, self.specs, self.load_demo = z, datasets, load_demo
        self.datasets: dict[str, Dataset] = {}

    def array(self, name: Any):
        if not isinstance(name, str) or not name.startswith("arrays/"):
            raise SessionFileError("The session file is damaged: an array reference is wrong.")
        try:
            with self.z.open(name) as f:
                a = np.load(io.BytesIO(f.read()), allow_pickle=False)
        except KeyError:
            raise SessionFileError(f"The session file is incomplete: {name} is missing.") \
                from None
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as err:
            raise SessionFileError(f"The session file is damaged ({name}: {err}).") from None
        return a[()] if a.ndim == 0 else a

    def dataset(self, fp: Any) -> Dataset:
        if fp in self.datasets:
            return self.datasets[fp]
        spec = self.specs.get(fp) if isinstance(fp, str) else None
        if not isinstance(spec, dict):
            raise SessionFileError("The session file is damaged: a data set it refers to is "
                                   "missing.")
        if "demo" in spec:
            name = spec["demo"]
            try:
                ds = self.load_demo(name)
            except Exception:  # noqa: BLE001 - any failure to load is one sentence
                raise SessionFileError(f"The session uses the demo set {name!r}, which this "
                                       "installation does not have.") from None
            if fingerprint(ds) != fp:
                raise SessionFileError(
                    f"The demo set {name!r} here differs from the one the session was saved "
                    "with (fingerprint mismatch), so its results would not match: not opened.")
        else:
            fields = {f.name for f in dataclasses.fields(Dataset)}
            kw = {k: self.value(v) for k, v in spec.items() if k in fields}
            try:
                ds = Dataset(**kw)
            except TypeError:
                raise SessionFileError("The session file is damaged: a data set lacks its "
                                       "fields.") from None
            if fingerprint(ds) != fp:
                raise SessionFileError("The data stored in the session file does not match its "
                                       "fingerprint (the file was changed or damaged): not "
                                       "opened.")
        self.datasets[fp] = ds
        return ds

    def value(self, v: Any) -> Any:
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if not isinstance(v, dict):
            return v
        if len(v) == 1:
            (tag, body), = v.items()
            if tag == "$array":
                return self.array(body)
            if tag == "$tuple":
                return tuple(self.value(x) for x in body)
            if tag == "$dict":
                return {self._key(self.value(k)): self.value(x) for k, x in body}
            if tag == "$float":
                return float(body)
            if tag == "$sparse":
                cls = sp.csc_matrix if body.get("format") == "csc" else sp.csr_matrix
                return cls((self.value(body["data"]), self.value(body["indices"]),
                            self.value(body["indptr"])), shape=tuple(body["shape"]))
            if tag == "$result":
                kw = {k: self.value(x) for k, x in body.items()}
                kw["history"] = _freeze({k: np.asarray(a) for k, a in kw["history"].items()})
                kw["params"] = dict(kw["params"])
                return NMFResult(**kw)
            if tag == "$dataset":
                return self.dataset(body)
        if v.get("$record") is not None and set(v) == {"$record", "fields"}:
            cls = _RECORDS.get(v["$record"])
            if cls is None:
                raise SessionFileError(f"The session file holds a {v['$record']!r} result this "
                                       "version of nmf-explorer does not know.")
            return cls(**{k: self.value(x) for k, x in v["fields"].items()})
        return {k: self.value(x) for k, x in v.items()}

    @staticmethod
    def _key(k):
        return tuple(k) if isinstance(k, list) else k


def _freeze(history: dict) -> dict:
    for a in history.values():
        a.flags.writeable = False
    return history


def loads(data: bytes, *, load_demo: Callable[[str], Dataset] | None = None) -> Any:
    """The state stored by :func:`dumps`, or :class:`SessionFileError` with one sentence."""
    if load_demo is None:
        from nmfcore.datasets import load_demo
    if not isinstance(data, (bytes, bytearray)) or len(data) == 0:
        raise SessionFileError("The session file is empty.")
    try:
        z = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        if bytes(data[:4]) == b"PK\x03\x04":
            raise SessionFileError("The session file is damaged or truncated (its zip "
                                   "directory is unreadable).") from None
        raise SessionFileError("This is not an nmf-explorer session file (it is not a zip "
                               "archive; save one with Save session).") from None
    with z:
        infos = z.infolist()
        if len(infos) > MAX_MEMBERS or sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
            raise SessionFileError("The session file is too large to open (more than "
                                   f"{MAX_UNCOMPRESSED // 2**30} GB unpacked).")
        try:
            info = z.getinfo(MANIFEST)
        except KeyError:
            raise SessionFileError("This zip file is not an nmf-explorer session file (it has "
                                   f"no {MANIFEST}).") from None
        if info.file_size > MAX_MANIFEST:
            raise SessionFileError(f"The session file's {MANIFEST} is too large to open.")
        try:
            manifest = json.loads(z.read(MANIFEST))
        except (zipfile.BadZipFile, OSError, EOFError):
            raise SessionFileError("The session file is damaged (its manifest cannot be "
                                   "unpacked).") from None
        except ValueError:
            raise SessionFileError("The session file is damaged (its manifest is not valid "
                                   "JSON).") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            raise SessionFileError("This is not an nmf-explorer session file (its manifest "
                                   "names another format).")
        version = manifest.get("version")
        if not isinstance(version, int) or version < 1:
            raise SessionFileError("The session file is damaged (its format version is "
                                   "missing).")
        if version > VERSION:
            raise SessionFileError(f"This session file has format version {version}, written "
                                   "by a newer nmf-explorer; this one opens versions up to "
                                   f"{VERSION}.")
        reader = _Reader(z, manifest.get("datasets") or {}, load_demo)
        try:
            return reader.value(manifest.get("state"))
        except SessionFileError:
            raise
        except (TypeError, KeyError, ValueError, AttributeError) as err:
            raise SessionFileError(f"The session file is damaged ({type(err).__name__} while "
                                   "reading it).") from None
