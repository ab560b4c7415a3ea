"""Lab formats: AnnData .h5ad, zipped 10x Genomics folders, gzip; good files and bad ones."""
from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import h5py
import numpy as np
import pytest
import scipy.io
import scipy.sparse as sp

from dashboard.uploads import UploadError, parse_upload

FILES = Path(__file__).parent / "lab_files"


def h5ad_bytes(name):
    return (FILES / name).read_bytes()


def test_h5ad_written_by_anndata_sparse_with_labels_and_layers():
    p = parse_upload("cells.h5ad", h5ad_bytes("cells_sparse.h5ad"))
    ds = p.dataset
    assert sp.issparse(ds.X) and ds.X.shape == (30, 12)
    assert ds.row_labels[:2] == ("cell0", "cell1") and ds.col_labels[-1] == "GENE11"
    assert set(ds.classes) <= {"T", "B", "NK"} and len(ds.classes) == 30
    assert set(ds.extras["label_columns"]) == {"cell_type", "batch"}
    assert ds.extras["layers"] == ["counts", "dense"]
    assert any("cell_type" in n for n in p.notes)
    layer = parse_upload("cells.h5ad", h5ad_bytes("cells_sparse.h5ad"), layer="dense").dataset
    assert not sp.issparse(layer.X)
    np.testing.assert_allclose(layer.X, ds.X.toarray())


def test_an_h5ad_data_set_goes_into_a_session_file_and_back():
    """Its categorical labels are str arrays (a session file refuses object arrays: no pickle),
    so a tab with an .h5ad upload survives a reload and can be saved."""
    from dashboard import sessionfile
    ds = parse_upload("cells.h5ad", h5ad_bytes("cells_sparse.h5ad")).dataset
    assert ds.classes.dtype.kind == "U"
    assert all(a.dtype.kind == "U" for a in ds.extras["label_columns"].values())
    back = sessionfile.loads(sessionfile.dumps({"ds": ds}))["ds"]
    assert (back.X != ds.X).nnz == 0 and back.row_labels == ds.row_labels
    np.testing.assert_array_equal(back.classes, ds.classes)
    np.testing.assert_array_equal(back.extras["label_columns"]["batch"],
                                  ds.extras["label_columns"]["batch"])


def test_h5ad_dense_matches_the_sparse_one():
    dense = parse_upload("d.h5ad", h5ad_bytes("cells_dense.h5ad")).dataset
    sparse = parse_upload("s.h5ad", h5ad_bytes("cells_sparse.h5ad")).dataset
    np.testing.assert_array_equal(dense.X, sparse.X.toarray())
    assert list(dense.classes) == list(sparse.classes)


def _h5(build) -> bytes:
    buf = io.BytesIO()
    with h5py.File(buf, "w") as f:
        build(f)
    return buf.getvalue()


def test_hdf5_that_is_not_anndata_gets_a_message():
    data = _h5(lambda f: f.create_dataset("images", data=np.ones((3, 3))))
    with pytest.raises(UploadError, match="not an AnnData"):
        parse_upload("plain.h5ad", data)


def test_h5ad_with_a_huge_declared_shape_is_refused_before_loading():
    def build(f):
        f.attrs["encoding-type"] = "anndata"
        X = f.create_group("X")
        X.attrs["encoding-type"] = "csr_matrix"
        X.attrs["shape"] = np.array([10**9, 10**6])
        X.create_dataset("data", shape=(10**9,), dtype="f4")      # declared, never written
        X.create_dataset("indices", shape=(10**9,), dtype="i4")
        X.create_dataset("indptr", data=np.zeros(3, "i8"))
    with pytest.raises(UploadError, match="over the budget"):
        parse_upload("huge.h5ad", _h5(build))


def test_truncated_h5ad_and_a_missing_layer():
    data = h5ad_bytes("cells_sparse.h5ad")
    with pytest.raises(UploadError, match="HDF5|damaged|cannot be read"):
        parse_upload("cut.h5ad", data[: len(data) // 3])
    with pytest.raises(UploadError, match="no layer 'raw'.*counts, dense"):
        parse_upload("cells.h5ad", data, layer="raw")


def test_gzip_csv_tsv_and_mtx():
    csv = b"a,b,c\n1,2,3\n4,5,6\n"
    p = parse_upload("t.csv.gz", gzip.compress(csv))
    assert p.dataset.X.shape == (2, 3) and p.dataset.col_labels == ("a", "b", "c")
    assert p.dataset.name == "upload: t.csv.gz" and "gzip" in p.notes[0]
    assert parse_upload("t.tsv.gz", gzip.compress(csv.replace(b",", b"\t"))).dataset.X.shape == (2, 3)
    buf = io.BytesIO()
    scipy.io.mmwrite(buf, sp.random(20, 7, density=0.3, random_state=0, format="coo"))
    m = parse_upload("m.mtx.gz", gzip.compress(buf.getvalue())).dataset
    assert sp.issparse(m.X) and m.X.shape == (20, 7)


def test_truncated_or_bomb_gzip_is_refused():
    data = gzip.compress(b"a,b\n" + b"1,2\n" * 10000)
    with pytest.raises(UploadError, match="truncated"):
        parse_upload("t.csv.gz", data[: len(data) // 2])
    with pytest.raises(UploadError, match="not a valid gzip"):
        parse_upload("t.csv.gz", b"this is not gzip at all")
    bomb = gzip.compress(b"0" * (50 * 2**20))          # 50 MB of zeros in about 50 kB
    assert len(bomb) < 2**20
    with pytest.raises(UploadError, match="inflates to more than"):
        parse_upload("bomb.csv.gz", bomb, memory_budget=8 * 2**20)


def tenx_zip(n_genes=9, n_cells=14, *, gz=True, drop=None, extra_gene=False):
    rng = np.random.default_rng(0)
    M = sp.random(n_genes, n_cells, density=0.4, random_state=1, format="coo",
                  data_rvs=lambda k: rng.integers(1, 9, k).astype(float))
    mtx = io.BytesIO()
    scipy.io.mmwrite(mtx, M, field="integer")
    genes = "".join(f"ENSG{i}\tGENE{i}\tGene Expression\n"
                    for i in range(n_genes + int(extra_gene)))
    cells = "".join(f"AAAC{i:04d}-1\n" for i in range(n_cells))
    files = {"matrix.mtx": mtx.getvalue(), "features.tsv": genes.encode(),
             "barcodes.tsv": cells.encode()}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for fname, content in files.items():
            if fname.split(".")[0] == drop:
                continue
            z.writestr(f"filtered_feature_bc_matrix/{fname}" + (".gz" if gz else ""),
                       gzip.compress(content) if gz else content)
    return out.getvalue(), M


@pytest.mark.parametrize("gz", [True, False])
def test_tenx_folder_cells_are_rows(gz):
    data, M = tenx_zip(gz=gz)
    ds = parse_upload("pbmc.zip", data).dataset
    assert ds.X.shape == (14, 9)                       # cells x genes
    np.testing.assert_array_equal(ds.X.toarray(), M.toarray().T)
    assert ds.row_labels[0] == "AAAC0000-1" and ds.col_labels[2] == "GENE2"


def test_tenx_missing_barcodes_or_mismatched_features():
    with pytest.raises(UploadError, match="barcodes"):
        parse_upload("x.zip", tenx_zip(drop="barcodes")[0])
    with pytest.raises(UploadError, match="do not belong together"):
        parse_upload("x.zip", tenx_zip(extra_gene=True)[0])
    with pytest.raises(UploadError, match="not a valid zip"):
        parse_upload("x.zip", b"PK\x03\x04 broken")


def test_data_page_uploads_an_h5ad_and_offers_its_layers(app_test):
    at = app_test.run()
    at.radio(key="data_mode").set_value("Upload a file").run()
    at.file_uploader(key="data_upload").set_value(
        ("cells.h5ad", h5ad_bytes("cells_sparse.h5ad"), "application/x-hdf5")).run()
    assert not at.exception
    assert any("30 × 12" in m.value or "30 x 12" in m.value for m in at.sidebar.markdown) \
        or any("cells.h5ad" in s.value for s in at.subheader)
    layer_box = at.selectbox(key="data_layer")
    assert layer_box.options == ["X", "counts", "dense"]
    layer_box.set_value("dense").run()
    assert not at.exception
    # the memberships view offers every categorical obs column as known labels
    at.switch_page("app_pages/fit.py").run()
    assert not at.exception
    labels = at.selectbox(key="fit_labels")
    assert labels.options == ["cell_type", "batch"]
    labels.set_value("batch").run()
    assert not at.exception
    assert any(m.label == "purity" for m in at.metric)
