"""The Explore pages' menus and solver-option widgets, read from nmfcore's registries when
called (``nmfcore.SOLVERS``, ``LOSSES``, ``INITS``): a solver registered with
``nmfcore.register_solver`` before the app runs appears in every menu with its options.

Defaults are chosen by name (nmfcore's own default solver, ``DEFAULT_INIT`` ...), never by
position.
"""
from __future__ import annotations

import inspect
import os

import nmfcore

from dashboard.texts import LOSS_HELP, LOSS_LABELS

# The stopping rule's defaults, as nmfcore's factorize declares them.
_FIT = inspect.signature(nmfcore.factorize).parameters
DEFAULT_MAX_ITER = int(_FIT["max_iter"].default)
DEFAULT_TOL = float(_FIT["tol"].default)
DEFAULT_GTOL = float(_FIT["gtol"].default)
TOL_HELP = ("An iteration is quiet when the loss fell by less than tol of itself; 0 runs "
            "every iteration.")
GTOL_HELP = ("At quiet iterations the projected gradient is measured: converged when it is "
             "below gtol of its start, stalled when the loss stays quiet above that.")
DEFAULT_LOSS = "frobenius"
DEFAULT_BETA = 1.5        # the β offered for loss "beta": between KL and Frobenius
BETA_HELP = ("Used when Loss is beta: the β of the β-divergence (0 Itakura-Saito, 1 KL, "
             "2 Frobenius, any value between or beyond). β ≤ 0 needs data without zeros.")
DEFAULT_INIT = "nndsvda"
DEFAULT_RACE = ("MU-Frobenius", "MU-KL", "projected SGD", "HALS")
CPUS = os.cpu_count() or 1


def default_solver() -> str:
    """The solver ``nmfcore.factorize`` uses when none is named (for the default loss)."""
    return nmfcore.default_solver(DEFAULT_LOSS)


def solvers(masked: bool = False) -> list[str]:
    """Registered solver names (only those that can leave missing cells out when ``masked``)."""
    return [n for n, c in nmfcore.SOLVERS.items() if c.supports_mask or not masked]


def losses() -> list[str]:
    return list(nmfcore.LOSSES)


def loss_inputs(prefix: str, col_loss, col_beta=None) -> dict:
    """The Loss menu and its β number input (keys ``{prefix}_loss``, ``{prefix}_beta``) in the
    given columns; returns the factorize keywords: ``{"loss"}`` plus ``"beta"`` for "beta"."""
    names = losses()
    loss = col_loss.selectbox("Loss", names, index=index(names, DEFAULT_LOSS),
                              key=f"{prefix}_loss", help=loss_help())
    beta = (col_beta or col_loss).number_input("β (loss = beta)", -2.0, 4.0, DEFAULT_BETA,
                                               step=0.25, format="%.3g", key=f"{prefix}_beta",
                                               help=BETA_HELP)
    return {"loss": loss, **({"beta": float(beta)} if loss == "beta" else {})}


def inits() -> list[str]:
    return list(nmfcore.INITS)


def index(options, name: str) -> int:
    """Position of ``name`` in ``options`` for a widget's ``index=`` (0 if it is not there)."""
    options = list(options)
    return options.index(name) if name in options else 0


def solver_help() -> str:
    return " · ".join(f"{n}: {c.description}" for n, c in nmfcore.SOLVERS.items())


def loss_help() -> str:
    able = {loss: [n for n, c in nmfcore.SOLVERS.items() if loss in c.losses]
            for loss in nmfcore.LOSSES}
    return " · ".join(f"{loss}: {LOSS_HELP.get(loss, loss)}, with {', '.join(able[loss])}"
                      for loss in nmfcore.LOSSES)


def race_entries(masked: bool = False) -> dict[str, dict]:
    """Race entries: display name -> ``{"solver", "loss"}``, one per solver and loss it
    minimises ("MU-Frobenius", "MU-KL", "HALS", ...)."""
    out = {}
    for name, cls in nmfcore.SOLVERS.items():
        if masked and not cls.supports_mask:
            continue
        for loss in cls.losses:
            label = cls.label if len(cls.losses) == 1 else \
                f"{cls.label}-{LOSS_LABELS.get(loss, loss)}"
            out[label] = {"solver": name, "loss": loss}
    return out


def widget_options(solver: str) -> list:
    """The options of ``solver`` a page offers as widgets (``Option.expert`` ones are left out)."""
    return [o for o in nmfcore.SOLVERS[solver].option_specs if not o.expert]


def option_inputs(prefix: str, names, *, ncols: int = 4) -> dict[str, dict]:
    """Widgets for the options of each solver in ``names`` (one expander per solver that has
    any), built from the solver's declarations: label, default, range and help.

    Keys are ``f"{prefix}_{solver}_{option}"``. An option whose default is None ("chosen by
    the solver") is a number input where 0 means that. Returns ``{solver: {option: value}}``
    holding only the values that differ from the defaults (so settings, cache keys and the
    replay snippet stay as short as the user's choice).
    """
    import streamlit as st

    out: dict[str, dict] = {}
    for name in names:
        opts = widget_options(name)
        out[name] = {}
        if not opts:
            continue
        cls = nmfcore.SOLVERS[name]
        with st.expander(f"{cls.label[:1].upper()}{cls.label[1:]} options"):
            cols = st.columns(min(ncols, len(opts)))
            for k, o in enumerate(opts):
                value = _input(cols[k % len(cols)], o, f"{prefix}_{name}_{o.name}")
                if value != o.default:
                    out[name][o.name] = value
    return out


def _input(col, o, key: str):
    help_ = o.help[:1].upper() + o.help[1:] + "." if o.help else None
    if o.type is bool:
        return bool(col.checkbox(o.name, value=bool(o.default), key=key, help=help_))
    integer = o.type is int
    cast = int if integer else float
    step = 1 if integer else None
    fmt = None if integer else "%.3g"
    hi = None if o.high is None else cast(o.high)
    if o.default is None:   # 0 stands for "chosen by the solver"
        v = col.number_input(f"{o.name} (0 = auto)", min_value=cast(0), max_value=hi,
                             value=cast(0), step=step, format=fmt, key=key,
                             help=f"{help_} 0: {o.auto}." if help_ else f"0: {o.auto}.")
        return cast(v) or None
    lo = None if o.low is None else cast(o.low)
    v = col.number_input(o.name, min_value=lo, max_value=hi, value=cast(o.default), step=step,
                         format=fmt, key=key, help=help_)
    return cast(v)


def stopping_inputs(prefix: str, tol_col, gtol_col) -> tuple[float, float]:
    """The stopping rule's two widgets (``tol``, ``gtol``) in the given columns, with
    nmfcore's defaults and help; keys ``f"{prefix}_tol"`` and ``f"{prefix}_gtol"``."""
    tol = tol_col.number_input("tol (quiet loss decrease)", 0.0, 1.0, DEFAULT_TOL,
                               key=f"{prefix}_tol", format="%.1e", help=TOL_HELP)
    gtol = gtol_col.number_input("gtol (projected gradient)", 0.0, 1.0, DEFAULT_GTOL,
                                 key=f"{prefix}_gtol", format="%.1e", help=GTOL_HELP)
    return float(tol), float(gtol)
