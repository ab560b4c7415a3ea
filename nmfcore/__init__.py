"""nmfcore: non-negative matrix factorization with a single front door.

Convention used everywhere in this package::

    X  (n_samples, n_features)  non-negative, dense ndarray or scipy.sparse matrix
    X ~= W @ H   with   W (n_samples, rank)  and  H (rank, n_features),  W, H >= 0

Rows of ``W`` are the samples' weights on the ``rank`` components (soft memberships after
row normalisation, see :func:`memberships`); rows of ``H`` are the components ("parts").

The only numerical dependencies are numpy and scipy.
"""

from ._validation import NMFInputError
from .result import NMFResult, IterationState, ConvergenceWarning
from .solvers import SOLVERS
from .init import INITS, initialize
from .losses import LOSSES
from ._factorize import factorize
from .estimator import NMF
from .membership import memberships, Memberships
from ._memory import estimate_fit_bytes

__all__ = [
    "factorize", "NMF", "NMFResult", "IterationState", "NMFInputError", "ConvergenceWarning",
    "SOLVERS", "INITS", "LOSSES", "initialize", "memberships", "Memberships", "estimate_fit_bytes",
]

# --- analysis layer (restarts, consensus, rank sweep, metrics): explicit imports go here ---
# (ANALYSIS-IMPORTS)
from .alignment import normalize_factors, align_components, align_fit, component_similarity
from .consensus import (connectivity, consensus_matrix, consensus_order, consensus_clusters,
                        cophenetic_correlation, dispersion, pac, hard_assignments)
from .metrics import (purity, entropy, adjusted_rand_index, silhouette_samples, silhouette_score,
                      hoyer_sparsity, explained_variance, relative_error)
from ._restarts import restarts, RestartsResult
from .sweep import rank_sweep, SweepResult, RankSuggestion

__all__ += [
    "normalize_factors", "align_components", "align_fit", "component_similarity",
    "connectivity", "consensus_matrix", "consensus_order", "consensus_clusters",
    "cophenetic_correlation", "dispersion", "pac", "hard_assignments",
    "purity", "entropy", "adjusted_rand_index", "silhouette_samples", "silhouette_score",
    "hoyer_sparsity", "explained_variance", "relative_error",
    "restarts", "RestartsResult", "rank_sweep", "SweepResult", "RankSuggestion",
]

__version__ = "0.1.0"
