"""The session file format on its own (no Streamlit): bit-identical round trip, and one
sentence for every file that cannot be opened."""
from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore
from nmfcore import datasets

from dashboard import sessionfile as sf


@dataclass
class _Outcome:
    table: dict
    consensus: dict
    n: int


sf.register_record(_Outcome)


def _same(a, b):
    """Equal, with arrays compared bit for bit (dtype, shape and bytes)."""
    if isinstance(a, np.ndarray) or isinstance(a, np.generic):
        assert isinstance(b, type(a)) and a.dtype == b.dtype and np.shape(a) == np.shape(b)
        assert np.asarray(a).tobytes() == np.asarray(b).tobytes()
    elif sp.issparse(a):
        assert sp.issparse(b) and a.format == b.format and a.shape == b.shape
        for part in ("data", "indices", "indptr"):
            _same(getattr(a, part), getattr(b, part))
    elif isinstance(a, nmfcore.NMFResult):
        for f in a.__dataclass_fields__:
            _same(getattr(a, f), getattr(b, f))
    elif isinstance(a, datasets.Dataset):
        assert sf.fingerprint(a) == sf.fingerprint(b)
        for f in a.__dataclass_fields__:
            _same(getattr(a, f), getattr(b, f))
    elif isinstance(a, _Outcome):
        for f in a.__dataclass_fields__:
            _same(getattr(a, f), getattr(b, f))
    elif isinstance(a, dict) or hasattr(a, "items"):
        assert set(a) == set(b)
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert isinstance(b, float) and np.isnan(b)
    else:
        assert a == b and type(a) is type(b)


@pytest.fixture(scope="module")
def state():
    text = datasets.load_demo("text")
    tiny = datasets.load_demo("tiny")
    own = datasets.Dataset("upload: m.csv", np.random.default_rng(1).random((7, 5)).astype(
        np.float32), row_labels=tuple("abcdefg"), classes=np.arange(7) % 2, kind="generic",
        extras={"missing": False, "source": "m.csv", "note": ("x", 1)})
    fit = nmfcore.factorize(tiny.X, 2, random_state=3)
    return {"dataset": own, "demo": tiny, "sparse": text, "again": own,
            "fit": fit, "race": {"HALS": fit},
            "sweep": _Outcome(table={"rank": np.arange(2, 5.0), "cv": np.array([1.0, np.nan, 2])},
                              consensus={2: (np.eye(3), ["a", "b", "c"])}, n=4),
            "settings": {"fit_solver": "mu", "rank_range": (2, 6), "race_solvers": ["HALS"],
                         "fit_tol": 1e-4, "flag": True, "none": None, "$odd": 1},
            "floats": [float("inf"), -float("inf"), float("nan"), 0.1 + 0.2, 5e-324],
            "scalar": np.float32(1.5), "keys": {(1, 2): "tuple key", 3: "int key"}}


def test_round_trip_is_bit_identical(state):
    blob = sf.dumps(state)
    back = sf.loads(blob)
    _same(state, back)
    assert back["dataset"] is back["again"]            # one data set, stored once
    assert back["fit"].history["loss"].flags.writeable is False
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        manifest = json.loads(z.read(sf.MANIFEST))
        assert manifest["format"] == sf.FORMAT and manifest["version"] == sf.VERSION
        assert all(n == sf.MANIFEST or n.startswith("arrays/") for n in z.namelist())
        for name in z.namelist()[1:]:
            np.load(io.BytesIO(z.read(name)), allow_pickle=False)


def test_demo_sets_are_stored_by_name_and_fingerprint(state):
    blob = sf.dumps({"d": state["demo"]}, demo_name=lambda ds: ds.name)
    with zipfile.ZipFile(io.BytesIO(blob)) as z:
        specs = json.loads(z.read(sf.MANIFEST))["datasets"]
        assert list(specs.values()) == [{"demo": "tiny",
                                         "fingerprint": sf.fingerprint(state["demo"])}]
        assert z.namelist() == [sf.MANIFEST]
    _same(state["demo"], sf.loads(blob)["d"])


def _rewrite(blob: bytes, edit) -> bytes:
    """The zip with its manifest changed by ``edit(manifest)``."""
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in src.namelist():
            data = src.read(name)
            if name == sf.MANIFEST:
                m = json.loads(data)
                edit(m)
                data = json.dumps(m).encode()
            z.writestr(name, data)
    return out.getvalue()


def _without(blob: bytes, member: str) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(blob))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for name in src.namelist():
            if name != member:
                z.writestr(name, src.read(name))
    return out.getvalue()


def _flip_byte(blob: bytes, member: str) -> bytes:
    """One byte of a member's compressed data changed (its CRC no longer matches)."""
    z = zipfile.ZipFile(io.BytesIO(blob))
    info = z.getinfo(member)
    start = info.header_offset + 30 + len(info.filename) + len(info.extra) + 5
    b = bytearray(blob)
    b[start] ^= 0xFF
    return bytes(b)


def _other_demo(name):
    ds = datasets.load_demo(name)
    return datasets.Dataset(ds.name, ds.X * 2, kind=ds.kind)


CASES = {
    "empty": (lambda b: b"", "empty"),
    "not a zip": (lambda b: b"col1,col2\n1,2\n", "not an nmf-explorer session"),
    "truncated": (lambda b: b[: len(b) // 2], "damaged or truncated"),
    "foreign zip": (lambda b: _without(b, sf.MANIFEST), "no session.json"),
    "foreign format": (lambda b: _rewrite(b, lambda m: m.update(format="other")),
                       "another format"),
    "future version": (lambda b: _rewrite(b, lambda m: m.update(version=sf.VERSION + 1)),
                       "newer nmf-explorer"),
    "no version": (lambda b: _rewrite(b, lambda m: m.pop("version")), "version is missing"),
    "missing array": (lambda b: _without(b, "arrays/0.npy"), "incomplete"),
    "bad manifest": (lambda b: _rewrite(b, lambda m: m.update(state={"$array": "../x"})),
                     "damaged"),
    "changed data": (lambda b: _rewrite(b, lambda m: next(iter(m["datasets"].values())).update(
        name="other")), "does not match its fingerprint"),
    "corrupt member": (lambda b: _flip_byte(b, "arrays/0.npy"), "damaged"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_damaged_file_gives_one_sentence(state, case):
    make, words = CASES[case]
    bad = make(sf.dumps({"dataset": state["dataset"], "fit": state["fit"]}))
    with pytest.raises(sf.SessionFileError) as err:
        sf.loads(bad)
    msg = str(err.value)
    assert words in msg, msg
    assert msg.endswith(".") and msg.count(". ") == 0 and "\n" not in msg


def test_a_demo_whose_data_changed_is_refused(state):
    blob = sf.dumps({"d": state["demo"]}, demo_name=lambda ds: ds.name)
    with pytest.raises(sf.SessionFileError, match="fingerprint mismatch"):
        sf.loads(blob, load_demo=lambda name: datasets.Dataset(
            name, state["demo"].X * 2, kind=state["demo"].kind,
            extras=state["demo"].extras))
    with pytest.raises(sf.SessionFileError, match="does not have"):
        sf.loads(blob, load_demo=lambda name: datasets.load_demo("no such demo"))


def test_unregistered_objects_are_refused_when_saving():
    with pytest.raises(TypeError):
        sf.dumps({"x": object()})
    with pytest.raises(TypeError):
        sf.dumps({"x": np.array([object()])})
