"""Check that new samples have the features of the fitted data (pure, no Streamlit)."""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse as sp

from nmfcore.datasets import Dataset

from ._common import UploadError


def _few(names, n: int = 5) -> str:
    names = list(names)
    shown = ", ".join(repr(x) for x in names[:n])
    return shown + (f" and {len(names) - n} more" if len(names) > n else "")


def match_features(new: Dataset, fitted: Dataset) -> tuple[Dataset, list[str]]:
    """``new`` with its columns in the order of ``fitted``'s features, plus notes.

    Columns are matched by name when both have column labels (the same names in another
    order are reordered, and a note says so); otherwise by position, which needs the same
    count.

    Raises
    ------
    UploadError
        When the count differs or names are missing / unexpected; the message names them.
    """
    m_new, m_fit = new.X.shape[1], fitted.X.shape[1]
    notes: list[str] = []
    ref = [str(c) for c in fitted.col_labels] if fitted.col_labels else None
    got = [str(c) for c in new.col_labels] if new.col_labels else None
    if ref is not None and got is not None and len(set(got)) == len(got):
        missing = [c for c in ref if c not in set(got)]
        extra = [c for c in got if c not in set(ref)]
        if missing or extra:
            parts = []
            if missing:
                parts.append(f"missing {len(missing)} of the fitted features ({_few(missing)})")
            if extra:
                parts.append(f"{len(extra)} column(s) the fit does not know ({_few(extra)})")
            raise UploadError(
                f"The columns do not match the fitted data: {'; '.join(parts)}. The new file "
                f"needs the same {m_fit} feature columns as {fitted.name} (any order).")
        if got != ref:
            pos = {c: j for j, c in enumerate(got)}
            order = np.array([pos[c] for c in ref])
            X = new.X.tocsc()[:, order].tocsr() if sp.issparse(new.X) else np.asarray(new.X)[:, order]
            notes.append("Columns reordered by name to match the fitted data.")
            new = dataclasses.replace(new, X=X, col_labels=tuple(ref))
        return new, notes
    if m_new != m_fit:
        hint = (" If its first column holds row labels, set the label column to 'detect' or "
                "its number; if it has a header row, say so.")
        raise UploadError(
            f"The new file has {m_new} feature columns but the fit has {m_fit} "
            f"({fitted.name}): upload samples with the same {m_fit} features, in the same "
            f"order.{hint}")
    if ref is not None and got is None:
        notes.append("The new file has no column names: its columns are taken in the order "
                     "of the fitted features.")
    return new, notes
