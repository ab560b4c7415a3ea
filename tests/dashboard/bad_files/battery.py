"""The battery of bad uploads, generated in memory (shared by test_uploads and test_data_page).

Each entry: ``(case id, filename, bytes, outcome, message fragment)`` where outcome is
``"raise"`` (``parse_upload`` raises ``UploadError`` whose message contains the fragment) or
``"problem"`` (it parses, and the validation report holds an error-level problem; the fragment is
in one of its problem messages). "over the cap" is not here: it needs a patched cap (see tests).
"""
import io

import numpy as np


def _npy_pickled() -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.array([{"a": 1}, None, "x"], dtype=object), allow_pickle=True)
    return buf.getvalue()


def _npz_pickled() -> bytes:
    buf = io.BytesIO()
    np.savez(buf, X=np.array([[{"a": 1}, None]], dtype=object))
    return buf.getvalue()


def bad_files():
    rng = np.random.default_rng(1234)
    return [
        ("empty", "empty.csv", b"", "raise", "is empty"),
        ("blank", "blank.csv", b"\n  \n\n", "raise", "is empty"),
        ("header_only", "header.csv", b"a,b,c\n", "raise", "header row but no data rows"),
        ("ragged", "ragged.csv", b"a,b,c\n1,2,3\n4,5\n6,7,8,9\n", "raise", "ragged rows"),
        ("duplicate_headers", "dup.csv", b"a,b,a\n1,2,3\n4,5,6\n", "raise",
         "duplicate column name 'a'"),
        ("text_in_numbers", "text.csv", b"a,b,c\n1,2,3\n4,oops,6\n7,8,9\n", "problem",
         "NaN cell"),
        ("fake_xlsx", "table.xlsx", b"a,b\n1,2\n3,4\n", "raise", "not a real Excel .xlsx"),
        ("random_bytes", "noise.csv", rng.integers(0, 256, 4096, dtype=np.uint8).tobytes(),
         "raise", "binary file"),
        ("random_npy", "noise.npy", rng.integers(0, 256, 512, dtype=np.uint8).tobytes(),
         "raise", "not a NumPy .npy file"),
        ("pickled_npy", "objects.npy", _npy_pickled(), "raise", "pickled object array"),
        ("pickled_npz", "objects.npz", _npz_pickled(), "raise", "pickled data"),
        ("huge_mtx", "huge.mtx",
         b"%%MatrixMarket matrix coordinate real general\n% claims 10^8 x 10^8\n"
         b"100000000 100000000 10000000000\n1 1 1.0\n", "raise", "over the budget"),
        ("single_value", "one.csv", b"5\n", "raise", "single value"),
        ("one_row", "row.csv", (",".join(str(i % 7) for i in range(5000)) + "\n").encode(),
         "raise", "single row of 5000 values"),
        ("negative", "neg.csv", b"1,2,3\n-4,5,6\n7,8,9\n", "problem", "negative cell"),
        ("unsupported", "data.json", b'{"a": 1}', "raise", "unsupported file type"),
    ]
