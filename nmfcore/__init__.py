"""nmfcore: non-negative matrix factorization with a single front door.

Convention used everywhere in this package::

    X  (n_samples, n_features)  non-negative, dense ndarray or scipy.sparse matrix
    X ~= W @ H   with   W (n_samples, rank)  and  H (rank, n_features),  W, H >= 0

Rows of ``W`` are the samples' weights on the ``rank`` components (soft memberships after
row normalisation, see :func:`memberships`); rows of ``H`` are the components ("parts").

The only numerical dependencies are numpy and scipy.
"""

from ._validation import NMFInputError
from .result import NMFResult, IterationState, ConvergenceWarning, HISTORY_KEYS, STATUS_MESSAGES
from .solvers import SOLVERS, register_solver, unregister_solver
from .init import INITS, initialize, fill_missing
from .losses import LOSSES
from ._factorize import factorize, default_solver
from .estimator import NMF
from .membership import memberships, Memberships
from ._memory import estimate_fit_bytes

__all__ = [
    "factorize", "default_solver", "NMF", "NMFResult", "IterationState", "NMFInputError", "ConvergenceWarning",
    "SOLVERS", "INITS", "LOSSES", "initialize", "memberships", "Memberships", "estimate_fit_bytes",
    "register_solver", "unregister_solver", "default_solver", "fill_missing", "HISTORY_KEYS",
    "STATUS_MESSAGES",
]

# analysis layer: restarts, consensus, rank sweep, metrics
from .alignment import (normalize_factors, align_components, align_fit, component_similarity,
                        match_components)
from .consensus import (connectivity, consensus_matrix, consensus_order, consensus_clusters,
                        cophenetic_correlation, dispersion, pac, hard_assignments)
from .metrics import (purity, entropy, adjusted_rand_index, silhouette_samples, silhouette_score,
                      hoyer_sparsity, explained_variance, relative_error, feature_programs)
from ._restarts import restarts, RestartsResult, holdout_mask
from .sweep import rank_sweep, SweepResult, RankSuggestion
from .criteria import CRITERIA as RANK_CRITERIA, Criterion
from ._parallel import ClusterError

__all__ += [
    "normalize_factors", "align_components", "align_fit", "component_similarity",
    "match_components",
    "connectivity", "consensus_matrix", "consensus_order", "consensus_clusters",
    "cophenetic_correlation", "dispersion", "pac", "hard_assignments",
    "purity", "entropy", "adjusted_rand_index", "silhouette_samples", "silhouette_score",
    "hoyer_sparsity", "explained_variance", "relative_error", "feature_programs",
    "restarts", "RestartsResult", "holdout_mask", "rank_sweep", "SweepResult", "RankSuggestion",
    "RANK_CRITERIA", "Criterion", "ClusterError",
]

# working with a fit: new samples, names, sample map, topics, edits
from .projection import project, sample_errors
from .naming import default_names, carry_names
from .samplemap import sample_map, top_samples
from .topics import (topic_distributions, topic_shares, js_distances, classical_mds,
                     term_probabilities, term_relevance, top_terms, term_frequencies)
from .editing import drop_components, merge_components

__all__ += [
    "project", "sample_errors", "default_names", "carry_names", "sample_map", "top_samples",
    "topic_distributions", "topic_shares", "js_distances", "classical_mds",
    "term_probabilities", "term_relevance", "top_terms", "term_frequencies",
    "drop_components", "merge_components",
]

__version__ = "0.1.0"
