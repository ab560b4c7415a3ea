"""Words the pages show that are not computed: axis titles, display names of losses, prompts.

The rank criteria's titles and explanations come with the criteria themselves
(:data:`nmfcore.RANK_CRITERIA`); the solvers' names, descriptions and option help come with the
solver classes (:data:`nmfcore.SOLVERS`).
"""
from __future__ import annotations

# y-axis title of each rank criterion's panel (columns of nmfcore.SweepResult.table)
Y_TITLES = {"rel_error": "‖X−WH‖ / ‖X‖", "explained_variance": "share of ‖X‖²",
            "cophenetic": "correlation", "dispersion": "dispersion (0–1)",
            "pac": "share of sample pairs", "silhouette": "mean silhouette",
            "cv_error": "rel. error on hidden entries"}

# how a loss is written in a race entry's name ("MU-KL"); other losses are shown as named
LOSS_LABELS = {"frobenius": "Frobenius", "kl": "KL", "itakura-saito": "IS", "beta": "β"}

LOSS_HELP = {"frobenius": "least squares (Gaussian noise)",
             "kl": "generalized Kullback-Leibler (Poisson likelihood; counts)",
             "itakura-saito": "Itakura-Saito, scale invariant (power spectra; needs no zeros)",
             "beta": "the β-divergence with the β you give (0 IS, 1 KL, 2 Frobenius)"}


def rank_prompt(suggested: int | None, ranks: tuple[int, int]) -> str:
    """What the Rank page says before a sweep: how to start one and why its default range
    ends where it does."""
    lo, hi = ranks
    why = (f" The default range, {lo}–{hi}, reaches past this data set's suggested rank "
           f"({suggested}), so the criteria can show what components beyond it add."
           if suggested and suggested < hi else "")
    return ("Pick a range of ranks and press **Run sweep**: each rank is fitted from several "
            "random starts, on held-out entries and on shuffled data." + why)
