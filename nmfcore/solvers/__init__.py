"""Registry of solvers: ``SOLVERS[name]`` is the solver class (its attributes describe it).

Each class lists the losses it minimises (``losses``), whether it handles missing entries
(``supports_mask``) and its options with defaults (``options``).
"""
from __future__ import annotations

from types import MappingProxyType

from ._base import Solver
from .anls import ANLS
from .hals import HALS
from .mu import MultiplicativeUpdates
from .sgd import ProjectedSGD

SOLVERS = MappingProxyType({cls.name: cls for cls in (MultiplicativeUpdates, ProjectedSGD, HALS, ANLS)})

__all__ = ["SOLVERS", "Solver"]
