"""Links that reproduce a view: the URL's query string holds the demo set and the settings of
the page shown, and a link opened in a new browser shows the same view with the same numbers.

``?data=digits&rank=10&fit_solver=mu&fit_seed=3`` on ``/fit``; ``run=1`` on Solver race, Rank
and Restarts says the page showed its results, so the link starts the same (seeded) work once.
Only demo sets are linked (an upload is not on the other machine). Every value is checked
against the widget's own range here, before it reaches a widget: an unknown name or a value
out of range is left out and named in one notice, never an exception.

Pure apart from reading nmfcore's registries and ``dashboard.choices``: no Streamlit import.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import nmfcore

from dashboard import choices

DATA, RANK, RUN = "data", "rank", "run"
RUN_PAGES = {"race": "race", "rank": "rank", "rst": "restarts"}   # key prefix -> job kind
SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class Field:
    kind: str                          # "int", "float", "bool", "choice", "choices", "pair"
    low: Any = None                    # number, or a function of the data shape
    high: Any = None
    options: Callable[..., list] | None = None


def _min_dim(shape):
    return max(1, min(shape))


def _race_names(shape):
    return list(choices.race_entries())


FIELDS: dict[str, Field] = {
    "fit_solver": Field("choice", options=lambda s: choices.solvers()),
    "fit_loss": Field("choice", options=lambda s: choices.losses()),
    "fit_init": Field("choice", options=lambda s: choices.inits()),
    "fit_seed": Field("int", 0, SEED_MAX),
    "fit_iter": Field("int", 1, 20000),
    "fit_tol": Field("float", 0.0, 1.0),
    "fit_gtol": Field("float", 0.0, 1.0),
    "fit_l1": Field("float", 0.0, 1e4),
    "fit_l2": Field("float", 0.0, 1e4),
    "fit_logx": Field("bool"),
    "fit_sample": Field("int", 0, lambda s: s[0] - 1),
    "race_solvers": Field("choices", options=_race_names),
    "race_init": Field("choice", options=lambda s: choices.inits()),
    "race_iter": Field("int", 1, 100000),
    "race_time": Field("float", 0.0, 600.0),
    "race_tol": Field("float", 0.0, 1.0),
    "race_gtol": Field("float", 0.0, 1.0),
    "race_l1": Field("float", 0.0, 1e4),
    "race_l2": Field("float", 0.0, 1e4),
    "race_seed": Field("int", 0, SEED_MAX),
    "race_x": Field("choice", options=lambda s: ["iteration", "seconds"]),
    "race_logx": Field("bool"),
    "race_logy": Field("bool"),
    "rank_range": Field("pair", 1, lambda s: min(_min_dim(s), 40)),
    "rank_restarts": Field("int", 1, 100),
    "rank_solver": Field("choice", options=lambda s: choices.solvers()),
    "rank_iter": Field("int", 1, 5000),
    "rank_folds": Field("int", 0, 10),
    "rank_seed": Field("int", 0, SEED_MAX),
    "rank_jobs": Field("int", 1, choices.CPUS),
    "rst_n": Field("int", 2, 200),
    "rst_solver": Field("choice", options=lambda s: choices.solvers()),
    "rst_iter": Field("int", 1, 5000),
    "rst_seed": Field("int", 0, SEED_MAX),
    "rst_jobs": Field("int", 1, choices.CPUS),
}


def _option_field(key: str) -> Field | None:
    """``{fit,race,rank,rst}_{solver}_{option}``: a solver option widget, by its declaration."""
    prefix, _, rest = key.partition("_")
    if prefix not in ("fit", "race", "rank", "rst"):
        return None
    for name in sorted(nmfcore.SOLVERS, key=len, reverse=True):
        if rest.startswith(name + "_"):
            opt = rest[len(name) + 1:]
            spec = next((o for o in choices.widget_options(name) if o.name == opt), None)
            if spec is None:
                return None
            if spec.type is bool:
                return Field("bool")
            kind = "int" if spec.type is int else "float"
            low = 0 if spec.default is None else spec.low   # 0 = "chosen by the solver"
            return Field(kind, low, spec.high)
    return None


def _is_option_default(key: str, value) -> bool:
    """A solver option at its declared default (left out of links to keep them short)."""
    if key in FIELDS:
        return False
    prefix, _, rest = key.partition("_")
    for name in sorted(nmfcore.SOLVERS, key=len, reverse=True):
        if rest.startswith(name + "_"):
            spec = next((o for o in choices.widget_options(name)
                         if o.name == rest[len(name) + 1:]), None)
            return spec is not None and (value == spec.default or
                                         (spec.default is None and value == 0))
    return False


def field(key: str) -> Field | None:
    return FIELDS.get(key) or _option_field(key)


def _bound(b, shape):
    return b(shape) if callable(b) else b


def _number(text: str, kind: str):
    try:
        v = float(text)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(v):
        raise ValueError("not finite")
    if kind == "int":
        if v != int(v):
            raise ValueError("not an integer")
        return int(v)
    return v


def parse(key: str, text: str, shape) -> Any:
    """The value of ``key`` in a link, checked; ValueError when unknown or out of range."""
    f = field(key)
    if f is None:
        raise ValueError("unknown")
    if f.kind == "bool":
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError("not true/false")
        return text.lower() in ("true", "1")
    if f.kind in ("choice", "choices"):
        allowed = f.options(shape)
        items = [t for t in text.split(",") if t] if f.kind == "choices" else [text]
        if not items or any(t not in allowed for t in items):
            raise ValueError("not an option")
        return items if f.kind == "choices" else items[0]
    parts = text.split(",")
    if f.kind == "pair":
        if len(parts) != 2:
            raise ValueError("not a pair")
        v = tuple(_number(p, "int") for p in parts)
        if v[0] > v[1]:
            raise ValueError("reversed")
    else:
        v = _number(text, f.kind)
    lo, hi = _bound(f.low, shape), _bound(f.high, shape)
    for x in (v if isinstance(v, tuple) else (v,)):
        if (lo is not None and x < lo) or (hi is not None and x > hi):
            raise ValueError("out of range")
    return v


def encode(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def settings_of(params: dict, shape) -> tuple[int | None, dict, set, list]:
    """Rank, widget settings, kinds to run and what was ignored, for a data set of ``shape``."""
    rank, out, run, ignored = None, {}, set(), []
    for key, text in params.items():
        if key in (DATA, "s"):
            continue
        if key == RANK:
            try:
                rank = _number(text, "int")
                if not 1 <= rank <= _min_dim(shape):
                    raise ValueError
            except ValueError:
                ignored.append(f"rank={text} (out of range)")
                rank = None
            continue
        if key == RUN:
            kinds = set(text.split(","))
            bad = kinds - set(RUN_PAGES.values())
            if bad:
                ignored.append(f"run={text} (unknown page)")
            run |= kinds - bad
            continue
        try:
            out[key] = parse(key, text, shape)
        except ValueError as err:
            ignored.append(f"{key}={text} ({err})")
    return rank, out, run, ignored


def view_params(demo: str | None, rank: int | None, settings: dict, run: set) -> dict:
    """The query parameters of a view (without the token)."""
    if demo is None:
        return {}
    out = {DATA: demo}
    if rank is not None:
        out[RANK] = str(int(rank))
    for k, v in settings.items():
        if field(k) is not None and not _is_option_default(k, v):
            out[k] = encode(v)
    if run:
        out[RUN] = ",".join(sorted(run))
    return out
