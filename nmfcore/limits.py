"""Every size limit of nmf-explorer, in one place (the library's and the dashboard's).

nmfcore reads the first group; the dashboard (which depends on nmfcore, never the other way)
reads the second. Memory budgets in bytes may be overridden by environment variables, named
beside each.
"""
from __future__ import annotations

# --- nmfcore
#: Fraction of the machine's RAM a single call may plan to use (``$NMFCORE_MEMORY_BUDGET``
#: overrides it with a size such as "2GB").
MEMORY_FRACTION = 0.5
#: The budget when the RAM size cannot be read (not Linux/macOS).
FALLBACK_MEMORY_BUDGET = 8 * 2**30
#: A masked fit densifies sparse input; refuse above this many cells (8 bytes each).
MAX_DENSE_CELLS_FOR_MASK = 50_000_000
#: Shifting a sparse matrix (a remedy) makes it dense; refuse above this many cells.
MAX_DENSE_CELLS = 200_000_000
#: Above this many cells (dense) or stored values (sparse) a fit will feel slow interactively.
SLOW_CELLS = 5_000_000
SLOW_NNZ = 20_000_000

# --- dashboard
#: Largest upload (bytes); keep equal to ``server.maxUploadSize`` (MB) in .streamlit/config.toml.
UPLOAD_MAX_BYTES = 50 * 1024 * 1024
#: Bytes a parsed upload's matrix may take.
UPLOAD_MEMORY_BUDGET = 256 * 1024 * 1024
#: Memory budget of every fit, restarts or sweep the dashboard starts
#: (``$NMF_EXPLORER_MEMORY_BUDGET`` overrides it).
DASHBOARD_MEMORY_BUDGET = "2GB"
#: Consensus matrices are block-averaged to at most this many rows before caching and drawing.
MAX_CONSENSUS = 300
#: Heatmaps with more rows than this are averaged into bands.
MAX_HEATMAP_ROWS = 200
