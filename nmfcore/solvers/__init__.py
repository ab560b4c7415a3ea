"""Registry of solvers: ``SOLVERS[name]`` is the solver class (its attributes describe it).

Each class declares the losses it minimises (``losses``), whether it handles missing entries
(``supports_mask``) and sparse input (``supports_sparse``), whether it may diverge
(``may_diverge``) and its options (``option_specs``: name, default, type, range, help); see
:class:`Solver`. :func:`register_solver` adds a class; everything that lists solvers (the
front door, the rank sweep, the dashboard's menus and widgets) reads this registry when it runs.
"""
from __future__ import annotations

from types import MappingProxyType

from ..losses import LOSSES
from ._base import Option, Solver
from .anls import ANLS
from .hals import HALS
from .mu import MultiplicativeUpdates
from .sgd import ProjectedSGD

_REGISTRY: dict[str, type[Solver]] = {}
SOLVERS = MappingProxyType(_REGISTRY)   # read-only view; register_solver adds to it
_BUILTIN = ("mu", "sgd", "hals", "anls")


def register_solver(cls: type[Solver]) -> type[Solver]:
    """Add a solver class to :data:`nmfcore.SOLVERS` (usable as a class decorator).

    ``cls`` must subclass :class:`nmfcore.solvers.Solver` (same ``start``/``step`` protocol as
    the built-in solvers) and declare a new ``name``, its ``losses`` (from
    :data:`nmfcore.LOSSES`) and its ``option_specs``.

    Examples
    --------
    >>> import nmfcore
    >>> from nmfcore.solvers import Option, MultiplicativeUpdates
    >>> class Damped(MultiplicativeUpdates):
    ...     name = "damped-mu"
    ...     option_specs = MultiplicativeUpdates.option_specs + (
    ...         Option("damping", 0.5, float, low=0.0, high=1.0, help="weight of the new iterate"),)
    >>> _ = nmfcore.register_solver(Damped)
    >>> "damped-mu" in nmfcore.SOLVERS
    True
    >>> nmfcore.unregister_solver("damped-mu")
    """
    from .._validation import NMFInputError

    if not (isinstance(cls, type) and issubclass(cls, Solver)) or cls is Solver:
        raise NMFInputError(f"register_solver needs a subclass of nmfcore.solvers.Solver "
                            f"(with start/step); got {cls!r}.")
    name = cls.__dict__.get("name")
    if not isinstance(name, str) or not name or name == Solver.name:
        raise NMFInputError(f"{cls.__name__} must set a class attribute name = '...' of its own "
                            "(the key for factorize(solver=...)).")
    if name in _REGISTRY:
        raise NMFInputError(f"a solver named {name!r} is registered already "
                            f"({_REGISTRY[name].__name__}); choose another name.")
    bad = [loss for loss in cls.losses if loss not in LOSSES]
    if not cls.losses or bad:
        raise NMFInputError(f"{cls.__name__}.losses must list losses from {list(LOSSES)}; "
                            f"got {list(cls.losses)}.")
    if not all(isinstance(o, Option) for o in cls.option_specs):
        raise NMFInputError(f"{cls.__name__}.option_specs must be a tuple of "
                            "nmfcore.solvers.Option.")
    for o in cls.option_specs:
        if o.default is not None:
            o.check(o.default)   # a default outside its own range is a bug in the class
    if cls.masked_fallback is not None and cls.masked_fallback not in _REGISTRY:
        raise NMFInputError(f"{cls.__name__}.masked_fallback={cls.masked_fallback!r} is not a "
                            f"registered solver; use one of {sorted(_REGISTRY)} or None.")
    _REGISTRY[name] = cls
    return cls


def unregister_solver(name: str) -> None:
    """Remove a solver added by :func:`register_solver` (the built-in ones stay)."""
    from .._validation import NMFInputError

    if name in _BUILTIN:
        raise NMFInputError(f"{name!r} is a built-in solver and cannot be removed.")
    if name not in _REGISTRY:
        raise NMFInputError(f"no solver named {name!r} is registered; "
                            f"registered: {sorted(_REGISTRY)}.")
    del _REGISTRY[name]


def masked_counterpart(name: str, loss: str = "frobenius") -> str:
    """The solver to use for a masked fit in place of ``name`` (``name`` itself when it
    supports masks): its ``masked_fallback``, else the first registered solver that supports
    masks and ``loss``."""
    cls = _REGISTRY[name]
    if cls.supports_mask:
        return name
    if cls.masked_fallback is not None and loss in _REGISTRY[cls.masked_fallback].losses:
        return cls.masked_fallback
    return next(n for n, c in _REGISTRY.items() if c.supports_mask and loss in c.losses)


for _cls in (MultiplicativeUpdates, HALS):   # the fallbacks first, then the others
    register_solver(_cls)
for _cls in (ProjectedSGD, ANLS):
    register_solver(_cls)
_REGISTRY.update({n: _REGISTRY.pop(n) for n in _BUILTIN})   # the documented order

__all__ = ["SOLVERS", "Solver", "Option", "register_solver", "unregister_solver",
           "masked_counterpart", "MultiplicativeUpdates", "ProjectedSGD", "HALS", "ANLS"]
