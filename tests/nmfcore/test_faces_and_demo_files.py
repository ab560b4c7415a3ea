"""The faces demo set and the shipped demo files: the file's integrity and provenance, the
loader, package-data loading, and the parts comparison lesson 2 quotes (numbers included)."""
from __future__ import annotations

import importlib.util
import re
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import nmfcore
from nmfcore import datasets, teaching

ROOT = Path(__file__).resolve().parents[2]
LESSON = ROOT / "dashboard" / "lessons" / "l02_parts.py"


def _faces_file() -> dict:
    with (resources.files("nmfcore") / "data" / "faces.npz").open("rb") as fh, \
            np.load(fh, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def test_faces_file_integrity_and_provenance():
    z = _faces_file()
    assert set(z) == {"X", "source", "version", "terms"}
    X = z["X"]
    assert X.shape == (100, 625) and X.dtype == np.float32
    assert np.all(np.isfinite(X)) and X.min() >= 0.0 and X.max() <= 1.0
    # real photographs: every image differs, with a spread of grey levels
    assert len(np.unique(X, axis=0)) == 100
    assert np.all(X.std(axis=1) > 0.05) and len(np.unique(X)) > 500
    source, version, terms = (str(z[k]) for k in ("source", "version", "terms"))
    assert source.startswith("Labeled Faces in the Wild") and "lfw_subset.npy" in source
    assert re.fullmatch(r"scikit-image \d+\.\d+(\.\d+)?", version), version
    assert version in source and "BSD-3-Clause" in terms and "research" in terms
    readme = (ROOT / "demo_data" / "README.md").read_text()
    assert "## faces" in readme and version in readme


def test_load_faces_dataset():
    ds = datasets.load_demo("faces")
    assert ds.name == "faces" and ds.kind == "image" and ds.image_shape == (25, 25)
    assert ds.shape == (100, 625) and ds.X.dtype == np.float64
    assert ds.suggested_rank == datasets.FACES_RANK == 14
    np.testing.assert_array_equal(ds.X, _faces_file()["X"].astype(np.float64))
    assert ds.extras["source"].startswith("Labeled Faces in the Wild")
    assert ds.extras["version"].startswith("scikit-image ") and ds.extras["terms"]
    assert "faces" in datasets.list_demos() and "25x25" in datasets.list_demos()["faces"]


def test_demo_files_are_package_data():
    here = datasets.demo_data_dir()
    assert Path(str(here)).resolve() == (ROOT / "nmfcore" / "data").resolve()
    for name in ("digits.npz", "text.npz", "faces.npz"):
        assert (here / name).is_file(), name
    assert not list((ROOT / "demo_data").glob("*.npz")), "shipped files live in nmfcore/data"
    spec = importlib.util.spec_from_file_location("build_demo_data",
                                                  ROOT / "demo_data" / "build_demo_data.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)  # imports numpy/scipy only; scikit-* only when building
    assert build.OUT.resolve() == (ROOT / "nmfcore" / "data").resolve()


def test_missing_demo_file_says_how_to_rebuild(tmp_path, monkeypatch):
    monkeypatch.setenv("NMF_EXPLORER_DEMO_DATA", str(tmp_path))
    with pytest.raises(FileNotFoundError, match=r"faces\.npz is missing.*build_demo_data\.py"
                                                r".*scikit-image for faces"):
        datasets.load_demo("faces")


def _quoted(pattern: str) -> list[float]:
    m = re.search(pattern, LESSON.read_text(), flags=re.S)
    assert m, f"lesson 2 no longer says {pattern!r}"
    return [float(x) for x in m.groups()]


@pytest.fixture(scope="module")
def faces_X():
    return datasets.load_demo("faces").X


def test_nmf_basis_is_the_most_localized_on_faces(faces_X):
    """Lesson 2's claim, with the numbers its text quotes (r = 14, L1 = 0 and 0.3)."""
    plain = teaching.compare_parts(faces_X, 14, l1=0.0)
    sparse = teaching.compare_parts(faces_X, 14, l1=0.3)
    for c in (plain, sparse):
        s = c.sparsity
        assert s["NMF"] > s["PCA"] + 0.08 and s["PCA"] > s["VQ"] + 0.1, s
        e = c.rel_error
        assert e["PCA"] <= e["NMF"] <= e["VQ"], e
        assert c.bases["NMF"].min() >= 0 and c.bases["PCA"].min() < 0 < c.bases["PCA"].max()
        assert c.bases["NMF"].shape == c.bases["PCA"].shape == c.bases["VQ"].shape == (14, 625)
    assert sparse.sparsity["NMF"] > plain.sparsity["NMF"] + 0.1  # the L1 penalty shows parts
    # the numbers in the lesson text are the ones measured here (to their last digit,
    # with room for BLAS rounding)
    quoted = _quoted(r"plain\s+NMF \(L1 = 0\).*?Hoyer \*\*([\d.]+)\*\* against "
                     r"PCA's ([\d.]+) and\s+k-means' ([\d.]+)")
    measured = [plain.sparsity[k] for k in ("NMF", "PCA", "VQ")]
    np.testing.assert_allclose(quoted, measured, atol=0.006)
    quoted = _quoted(r"sparsity rises to \*\*([\d.]+)\*\*.*?error only moves from "
                     r"(\d\.\d+) to (\d\.\d+)")
    measured = [sparse.sparsity["NMF"], plain.rel_error["NMF"], sparse.rel_error["NMF"]]
    np.testing.assert_allclose(quoted, measured, atol=0.006)


def test_compare_parts_pieces_match_their_definitions(faces_X):
    c = teaching.compare_parts(faces_X[:40], 5, l1=0.0, max_iter=300)
    p = teaching.pca(faces_X[:40], 5)
    np.testing.assert_allclose(c.bases["PCA"], p.components)
    np.testing.assert_allclose(c.reconstructions["PCA"], p.reconstruction)
    # every k-means reconstruction is one of the prototypes
    recs, protos = c.reconstructions["VQ"], c.bases["VQ"]
    assert all(np.any(np.all(np.isclose(r, protos), axis=1)) for r in recs)
    np.testing.assert_allclose(c.reconstructions["NMF"], c.nmf_W @ c.bases["NMF"])
    for k, b in c.bases.items():
        assert c.sparsity[k] == pytest.approx(float(np.mean(nmfcore.hoyer_sparsity(b, axis=1))))


def test_compare_parts_drops_pca_axes_without_variance():
    X = datasets.load_demo("swimmer").X  # the centred swimmers span 12 dimensions
    c = teaching.compare_parts(X, 16, max_iter=50)
    assert c.bases["PCA"].shape[0] < 16 and c.bases["NMF"].shape[0] == 16
