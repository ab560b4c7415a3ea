"""The rank criteria of :func:`nmfcore.rank_sweep`, one entry each: the table column, its title,
how to read it, which way is better, its shuffled-data baseline and the rule that turns it into
a suggested rank. Interfaces (the dashboard's Rank page) render from this registry.

Adding a criterion: compute its column in :mod:`nmfcore.sweep` (``COLUMNS`` and ``_assemble``)
and add a :class:`Criterion` here; a rule, if it has one, goes into ``sweep._suggest``.
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["Criterion", "CRITERIA"]


@dataclass(frozen=True)
class Criterion:
    """One rank criterion.

    Attributes
    ----------
    column : str
        Its column in :attr:`nmfcore.SweepResult.table`.
    title : str
    explanation : str
        How to read it, in one or two sentences.
    higher_is_better : bool
    baseline : str or None
        The column holding the same criterion on column-shuffled data.
    rule : str or None
        Name of the rule that suggests a rank from it (``RankSuggestion.rule``; the suggestion's
        ``criterion`` is this ``column``).
    """

    column: str
    title: str
    explanation: str
    higher_is_better: bool
    baseline: str | None = None
    rule: str | None = None


CRITERIA = MappingProxyType({c.column: c for c in (
    Criterion("rel_error", "Relative error",
              "Always falls as the rank grows. Look for the rank after which it falls no faster "
              "than on shuffled data (dashed): extra components then fit noise.",
              higher_is_better=False, baseline="shuffled_rel_error",
              rule="Frigyesi: error decrease below shuffled data"),
    Criterion("explained_variance", "Explained variance",
              "1 − error²: share of ‖X‖² the fit reproduces. An elbow, and the gap to the "
              "shuffled baseline, show where real structure ends.",
              higher_is_better=True, baseline="shuffled_explained_variance"),
    Criterion("cophenetic", "Cophenetic correlation",
              "How crisp the consensus of the restarts is (1 = every restart clusters the "
              "samples alike). Brunet picks the rank before its first clear drop.",
              higher_is_better=True, rule="Brunet: first drop of cophenetic"),
    Criterion("dispersion", "Dispersion",
              "Another crispness score of the consensus matrix (1 = entries all 0 or 1). "
              "Higher is more stable.", higher_is_better=True),
    Criterion("pac", "PAC (ambiguous pairs)",
              "Share of sample pairs clustered together in 10–90 % of restarts. Lower is better; "
              "a minimum marks a stable rank.",
              higher_is_better=False, rule="Senbabaoglu: lowest PAC"),
    Criterion("silhouette", "Silhouette of consensus clusters",
              "How well separated the consensus clusters are (−1…1). Higher is better.",
              higher_is_better=True),
    Criterion("cv_error", "Held-out error",
              "Error on hidden entries the fit never saw. It falls, then rises once the model "
              "over-fits: its minimum is the rank that generalises best.",
              higher_is_better=False, baseline="shuffled_cv_error",
              rule="lowest held-out error"),
)})
