"""A reload loses nothing: each browser tab's state kept on the server under a URL token.

The tab's URL carries ``?s=<token>`` (``secrets.token_urlsafe(32)``: 256 random bits). After a
reload, a dropped connection or a server restart, the new Streamlit session finds its token in
the URL and :func:`restore` brings back what :func:`save` kept at the end of the previous run:
the data set (an upload with its remedies included), every page's settings, the latest results
of every page (finished, or still running in the server) and the Data page's change log.
Nothing is recomputed: the results themselves are stored.

Where and how much (``docs/reliability.md`` says it too):

* memory: at most :data:`MEMORY_SESSIONS` tabs and :data:`MEMORY_BYTES` of their arrays,
  least recently used dropped first, and a tab idle for :data:`MEMORY_IDLE` seconds;
* disk: one folder per tab under :func:`state_dir` (``NMF_EXPLORER_STATE_DIR``, default the
  per-user cache folder ``~/.cache/nmf-explorer/sessions``, created with mode 0700; nothing is
  written anywhere else), in the session-file format of :mod:`dashboard.sessionfile` (JSON
  plus ``.npy``, no pickle). A tab above :data:`DISK_SESSION_BYTES` is kept in memory only; the
  folder is kept under :data:`DISK_BYTES` (least recently used removed), and a folder idle for
  :data:`DISK_IDLE` seconds is removed. ``NMF_EXPLORER_STATE_DIR=off`` keeps memory only.
* a token only reads its own folder (the folder name is a hash of the token, so a listing of
  the folder does not reveal tokens), and only from the browser that created it: the entry is
  bound to a hash of Streamlit's per-browser XSRF cookie. A link with a token opened in
  another browser starts a new session (the view in the link still applies, see
  :mod:`dashboard.links`). A second tab opened on the same URL while the first is still
  connected gets a copy under a new token, so two tabs never write one entry.
"""
from __future__ import annotations

import binascii
import hashlib
import json
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

from dashboard import sessionfile

LOG = logging.getLogger(__name__)
TOKEN_PARAM = "s"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
STATE_ENV = "NMF_EXPLORER_STATE_DIR"

MEMORY_SESSIONS = 32
MEMORY_BYTES = 512 * 2**20
MEMORY_IDLE = 6 * 3600.0
DISK_SESSION_BYTES = 200 * 2**20
DISK_BYTES = int(float(os.environ.get("NMF_EXPLORER_STATE_MAX_MB", 1024)) * 2**20)
DISK_IDLE = 7 * 24 * 3600.0
_STATE_FILE = "state" + sessionfile.SUFFIX
_META_FILE = "meta.json"
_STORED = "@stored:"          # demo-name prefix of a data set kept in its own file


def new_token() -> str:
    return secrets.token_urlsafe(32)


def valid_token(token: Any) -> bool:
    return isinstance(token, str) and bool(_TOKEN_RE.match(token))


def state_dir() -> Path | None:
    """The folder the app owns for tab state, or None when disk persistence is off."""
    env = os.environ.get(STATE_ENV)
    if env is not None and env.strip().lower() in ("", "off", "none", "0"):
        return None
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "nmf-explorer" / "sessions"


def _folder_name(token: str) -> str:
    return hashlib.blake2b(token.encode(), digest_size=16, person=b"nmfx-tab").hexdigest()


def owner_of_cookie(cookie: str | None) -> str | None:
    """A hash of the random bytes inside Streamlit's XSRF cookie (``2|mask|masked|time``):
    stable for one browser, different in another; None without the cookie."""
    if not cookie:
        return None
    try:
        parts = cookie.strip("\"'").split("|")
        if parts[0] == "2" and len(parts) == 4:
            mask, masked = binascii.a2b_hex(parts[1]), binascii.a2b_hex(parts[2])
            raw = bytes(b ^ mask[i % 4] for i, b in enumerate(masked))
        else:
            raw = cookie.encode()
    except (ValueError, IndexError, binascii.Error):
        return None
    return hashlib.blake2b(raw, digest_size=16, person=b"nmfx-own").hexdigest()


def nbytes(tree: Any, _seen: set | None = None) -> int:
    """Bytes of the arrays in a snapshot (each object counted once)."""
    seen = set() if _seen is None else _seen
    if id(tree) in seen:
        return 0
    seen.add(id(tree))
    if isinstance(tree, np.ndarray):
        return int(tree.nbytes)
    if hasattr(tree, "data") and hasattr(tree, "indptr"):          # scipy sparse
        return int(tree.data.nbytes + tree.indices.nbytes + tree.indptr.nbytes)
    if isinstance(tree, dict):
        return sum(nbytes(v, seen) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(nbytes(v, seen) for v in tree)
    if hasattr(tree, "__dataclass_fields__"):
        return sum(nbytes(getattr(tree, f), seen) for f in tree.__dataclass_fields__)
    for attr in ("result",):                                       # a Job
        if hasattr(tree, attr) and hasattr(tree, "settings"):
            return nbytes(getattr(tree, attr), seen)
    return 0


class _Entry:
    __slots__ = ("snapshot", "owner", "session_id", "size", "touched", "signature")

    def __init__(self, snapshot, owner, session_id, size, signature):
        self.snapshot, self.owner, self.session_id = snapshot, owner, session_id
        self.size, self.signature, self.touched = size, signature, time.time()


class Store:
    """Memory LRU plus disk folder of tab snapshots, keyed by token (thread-safe)."""

    def __init__(self, root: Path | None):
        self.root = root
        self._mem: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.RLock()
        self._last_sweep = 0.0

    # -------------------------------------------------------------- memory
    def _evict(self) -> None:
        now = time.time()
        for k in [k for k, e in self._mem.items() if now - e.touched > MEMORY_IDLE]:
            del self._mem[k]
        while self._mem and (len(self._mem) > MEMORY_SESSIONS
                             or sum(e.size for e in self._mem.values()) > MEMORY_BYTES):
            self._mem.popitem(last=False)

    def get(self, token: str, owner: str | None):
        """``(snapshot, session_id)`` of ``token`` for ``owner``, or None (unknown token,
        another browser, expired or unreadable)."""
        if not valid_token(token):
            return None
        key = _folder_name(token)
        with self._lock:
            e = self._mem.get(key)
            if e is not None:
                if e.owner is not None and e.owner != owner:
                    return None
                e.touched = time.time()
                self._mem.move_to_end(key)
                return e.snapshot, e.session_id
        snap = self._read(key, owner)
        return None if snap is None else (snap, None)

    def put(self, token: str, owner: str | None, session_id: str | None, snapshot: dict,
            signature: Any, disk_snapshot=None) -> None:
        """Keep ``snapshot`` for ``token``; write ``disk_snapshot()`` (finished results only)
        when the signature changed since the last write."""
        key = _folder_name(token)
        with self._lock:
            old = self._mem.get(key)
            if old is not None and old.owner is not None and old.owner != owner:
                return  # never overwrite another browser's entry
            size = nbytes(snapshot)
            changed = old is None or old.signature != signature
            self._mem[key] = _Entry(snapshot, owner, session_id, size, signature)
            self._mem.move_to_end(key)
            self._evict()
        if changed and self.root is not None and disk_snapshot is not None:
            try:
                self._write(key, owner, disk_snapshot())
            except Exception as err:  # noqa: BLE001 - a full disk must not break the page
                LOG.warning("tab state not written to disk: %s", err)

    def forget(self, token: str) -> None:
        key = _folder_name(token)
        with self._lock:
            self._mem.pop(key, None)
        if self.root is not None:
            shutil.rmtree(self.root / key, ignore_errors=True)

    # -------------------------------------------------------------- disk
    def _folder(self, key: str) -> Path:
        return self.root / key

    def _write(self, key: str, owner: str | None, snapshot: dict) -> None:
        if not self.root.exists():
            self.root.mkdir(parents=True, mode=0o700)
        folder = self._folder(key)
        folder.mkdir(exist_ok=True, mode=0o700)
        kept = set()

        def demo_name(ds):
            if sessionfile.demo_name(ds) is not None:
                return ds.name
            fp = sessionfile.fingerprint(ds)
            fname = f"data-{fp}{sessionfile.SUFFIX}"
            kept.add(fname)
            if not (folder / fname).exists():
                _atomic_write(folder / fname, sessionfile.dumps({"dataset": ds}))
            return _STORED + fp

        blob = sessionfile.dumps(snapshot, demo_name=demo_name)
        size = len(blob) + sum((folder / f).stat().st_size for f in kept)
        if size > DISK_SESSION_BYTES:
            shutil.rmtree(folder, ignore_errors=True)
            LOG.info("tab state of %.0f MB kept in memory only", size / 2**20)
            return
        _atomic_write(folder / _STATE_FILE, blob)
        _atomic_write(folder / _META_FILE, json.dumps({"owner": owner}).encode())
        for f in folder.glob(f"data-*{sessionfile.SUFFIX}"):
            if f.name not in kept:
                f.unlink(missing_ok=True)
        self._sweep()

    def _read(self, key: str, owner: str | None):
        if self.root is None:
            return None
        folder = self._folder(key)
        try:
            meta = json.loads((folder / _META_FILE).read_text())
            blob = (folder / _STATE_FILE).read_bytes()
        except (OSError, ValueError):
            return None
        if meta.get("owner") is not None and meta.get("owner") != owner:
            return None
        if time.time() - (folder / _STATE_FILE).stat().st_mtime > DISK_IDLE:
            shutil.rmtree(folder, ignore_errors=True)
            return None

        def load(name: str):
            from nmfcore.datasets import load_demo

            if name.startswith(_STORED):
                fp = name[len(_STORED):]
                if not re.fullmatch(r"[0-9a-f]{24}", fp):
                    raise sessionfile.SessionFileError("bad data reference")
                return sessionfile.loads((folder / f"data-{fp}{sessionfile.SUFFIX}")
                                         .read_bytes())["dataset"]
            return load_demo(name)

        try:
            snap = sessionfile.loads(blob, load_demo=load)
        except (sessionfile.SessionFileError, OSError) as err:
            LOG.warning("tab state on disk not readable: %s", err)
            return None
        os.utime(folder / _STATE_FILE)
        return snap

    def _sweep(self) -> None:
        """Remove idle folders, then the least recently used ones above :data:`DISK_BYTES`."""
        now = time.time()
        if now - self._last_sweep < 60 or self.root is None:
            return
        self._last_sweep = now
        folders = []
        for f in self.root.iterdir():
            state = f / _STATE_FILE
            try:
                st = state.stat()
            except OSError:
                if f.is_dir() and now - f.stat().st_mtime > 3600:
                    shutil.rmtree(f, ignore_errors=True)   # a write that never finished
                continue
            if now - st.st_mtime > DISK_IDLE:
                shutil.rmtree(f, ignore_errors=True)
                continue
            size = sum(p.stat().st_size for p in f.iterdir() if p.is_file())
            folders.append((st.st_mtime, size, f))
        total = sum(s for _, s, _ in folders)
        for _, size, f in sorted(folders):
            if total <= DISK_BYTES:
                break
            shutil.rmtree(f, ignore_errors=True)
            total -= size


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_STORES: dict[str, Store] = {}
_STORES_LOCK = threading.Lock()


def store() -> Store:
    """The process-wide store for the current :func:`state_dir` (one per folder)."""
    root = state_dir()
    with _STORES_LOCK:
        key = str(root)
        if key not in _STORES:
            _STORES[key] = Store(root)
        return _STORES[key]
