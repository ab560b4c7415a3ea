"""Tables and files the pages offer: CSV tables of a fit, the settings as JSON, a Python
snippet that reproduces the fit with nmfcore, and the race's table and histories."""
from __future__ import annotations

import csv
import io

import numpy as np

from nmfcore import HISTORY_KEYS, NMFResult
from nmfcore.datasets import Dataset

from dashboard.plots import component_names
from dashboard.services import factor_view


def _frame(A, index, columns):
    import pandas as pd

    return pd.DataFrame(np.asarray(A), index=list(index), columns=list(columns))


def export_tables(ds: Dataset, out: NMFResult, names=None) -> dict[str, str]:
    """CSV text of W, H, the memberships (with hard cluster) and the loss history; the
    components are headed by ``names`` (default C1, C2, ...)."""
    rows = ds.row_labels or [f"sample {i}" for i in range(out.W.shape[0])]
    cols = ds.col_labels or [f"feature {j}" for j in range(out.H.shape[1])]
    comps = list(names) if names is not None else component_names(out.rank)
    view = factor_view(ds, out)
    mem = _frame(view["M"], rows, comps)
    mem["hard_cluster"] = [comps[k] if k >= 0 else "" for k in view["hard"]]
    if ds.classes is not None:
        mem["known_label"] = list(ds.classes)
    hist = _frame(np.column_stack([out.history[k] for k in HISTORY_KEYS]),
                  range(len(out.history["loss"])), HISTORY_KEYS)
    hist["iteration"] = hist["iteration"].astype(int)
    return {"W.csv": _frame(out.W, rows, comps).to_csv(index_label="sample"),
            "H.csv": _frame(out.H, comps, cols).to_csv(index_label="component"),
            "memberships.csv": mem.to_csv(index_label="sample"),
            "history.csv": hist.to_csv(index=False)}


def data_csv(ds: Dataset) -> str:
    X = ds.X.toarray() if hasattr(ds.X, "toarray") else np.asarray(ds.X)
    rows = ds.row_labels or [f"sample {i}" for i in range(X.shape[0])]
    cols = ds.col_labels or [f"feature {j}" for j in range(X.shape[1])]
    return _frame(X, rows, cols).to_csv(index_label="sample")


def is_demo(ds: Dataset, source: str | None) -> bool:
    from nmfcore import datasets

    return source == "demo" and ds.name in datasets.list_demos()


def settings_json(ds: Dataset, out: NMFResult, source: str | None, names=None) -> str:
    """The data, the factorize parameters, the result and (if given) the components' names."""
    import json

    doc = {"data": {"name": ds.name, "source": source, "shape": list(ds.X.shape)},
           "factorize": {k: _plain(v) for k, v in out.params.items()},
           "result": {"n_iter": out.n_iter, "status": out.status,
                      "rel_error": out.rel_error, "seconds": out.seconds}}
    if names is not None:
        doc["components"] = [str(x) for x in names]
    return json.dumps(doc, indent=2)


def _plain(v):
    if isinstance(v, np.generic):
        return v.item()
    return v if isinstance(v, (int, float, str, bool, type(None), list, dict)) else repr(v)


def snippet(ds: Dataset, out: NMFResult, source: str | None) -> str:
    """Python that reproduces the fit with nmfcore (``W``, ``H`` equal to the dashboard's)."""
    kw = {k: _plain(v) for k, v in out.params.items()}
    note = ""
    if kw.get("init") == "custom":     # warm-started from edited factors: the start is not
        kw.pop("init")                 # a named init, so say so instead of replaying it
        note = ("# This fit was warm-started from edited factors (Components page). That\n"
                "# start is not saved, so this call starts from the default initialisation\n"
                "# and its W and H may differ from the dashboard's.\n")
    args = ",\n    ".join(f"{k}={v!r}" for k, v in kw.items() if k not in ("X", "rank"))
    if is_demo(ds, source):
        load = (f"from nmfcore.datasets import load_demo\n\nX = load_demo({ds.name!r}).X")
    else:
        load = ("import pandas as pd\n\n# data.csv: the 'Data (CSV)' download of this page\n"
                "X = pd.read_csv('data.csv', index_col=0).to_numpy(dtype=float)")
    return (f"import nmfcore\n{load}\n\n{note}res = nmfcore.factorize(\n    X, {out.rank},\n    {args},\n)\n"
            "W, H = res.W, res.H\nprint(res)\n")


_CSV_FORMAT = {"seconds": ".6g"}   # significant digits per history column (default 10)


def race_table(results: dict) -> list[dict]:
    """One row per race entry: final error and loss, iterations, time, status ("converged",
    "stalled", "max_iter", ...) and the final projected gradient relative to the start."""
    rows = []
    for name, r in results.items():
        secs = r.seconds
        rows.append({"solver": name, "final rel. error": r.rel_error,
                     "final loss": r.final_loss, "iterations": r.n_iter,
                     "seconds": secs, "ms / iteration": 1000 * secs / max(r.n_iter, 1),
                     "converged": r.converged, "status": r.status,
                     "gradient ratio": r.gradient_ratio})
    return rows


def histories_csv(results: dict) -> str:
    """Long-format CSV: ``run`` and the history columns (``nmfcore.HISTORY_KEYS``); values are
    NMFResults or history mappings."""
    lines = [",".join(("run",) + HISTORY_KEYS)]
    for name, r in results.items():
        h = r.history if isinstance(r, NMFResult) else r
        for row in zip(*(h[k] for k in HISTORY_KEYS)):
            cells = [str(int(v)) if k == "iteration" else
                     format(float(v), _CSV_FORMAT.get(k, ".10g")) for k, v in zip(HISTORY_KEYS, row)]
            lines.append(",".join([name] + cells))
    return "\n".join(lines) + "\n"


def feature_programs_csv(H, feature_names, n_top: int = 20, component_names=None) -> str:
    """Long-format CSV of each component's top features: ``component, rank, feature, weight,
    zscore`` (the z-score of the feature's weight across components, cNMF's gene spectra
    score; see :func:`nmfcore.feature_programs`)."""
    import nmfcore

    p = nmfcore.feature_programs(H, n_top)
    comps = component_names or [f"C{k + 1}" for k in range(p["top"].shape[0])]
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["component", "rank", "feature", "weight", "zscore"])
    for k, comp in enumerate(comps):
        for i, j in enumerate(p["top"][k]):
            w.writerow([comp, i + 1, feature_names[j], f"{p['weight'][k, i]:.6g}",
                        f"{p['zscore'][k, i]:.4f}"])
    return out.getvalue()


def csv_frame(text: str):
    """A CSV text as a pandas DataFrame, for showing beside its download button."""
    import pandas as pd

    return pd.read_csv(io.StringIO(text))


# ------------------------------------------------------------------ the other pages' tables
def _csv(rows: list[dict]) -> str:
    import pandas as pd

    return pd.DataFrame(rows).to_csv(index=False)


def race_summary_csv(results: dict) -> str:
    """The race's results table (one row per solver) as CSV."""
    return _csv(race_table({k: v for k, v in results.items() if v is not None}))


def sweep_rows(out) -> list[dict]:
    """One row per rank of a sweep (``services.SweepOutcome``), every criterion a column."""
    cols = list(out.table)
    n = len(out.table.get("rank", []))
    return [{c: (int(out.table[c][i]) if c == "rank" else float(out.table[c][i]))
             for c in cols} for i in range(n)]


def sweep_csv(out) -> str:
    return _csv(sweep_rows(out))


def restarts_similarity_csv(out) -> str:
    """Cosine similarity of each aligned component to the reference run, per run, with the
    run's seed, final loss and relative error."""
    comps = component_names(out.similarity.shape[1])
    rows = []
    for i, sims in enumerate(out.similarity):
        row = {"run": i + 1, "seed": int(out.seeds[i]) if i < len(out.seeds) else "",
               "reference": i == out.reference, "final loss": float(out.losses[i]),
               "rel. error": float(out.rel_errors[i])}
        row.update({c: float(s) for c, s in zip(comps, sims)})
        rows.append(row)
    return _csv(rows)


def consensus_csv(consensus: tuple) -> str:
    """A (pooled, reordered) consensus matrix with its sample labels as CSV."""
    Z, labels = consensus
    return _frame(Z, labels, labels).to_csv(index_label="sample")
