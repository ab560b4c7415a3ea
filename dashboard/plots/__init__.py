"""Pure Plotly figure builders: arrays in, ``go.Figure`` out.

No Streamlit and no nmfcore here, so tests (and the lessons) call them directly. Every figure
gets axis titles, hover labels and a readable colour scale; heatmaps with many rows are sorted
by dominant component and aggregated into bands so they stay legible. One palette
(``PALETTE``) colours component k the same way in every figure, Explore and Learn alike;
``teaching`` holds the Learn section's figures.
"""
from ._style import AXIS_LABELS, DIV, MAX_ROWS, PALETTE, SEQ, color, component_names
from .analysis import component_grid, distribution, restart_components, similarity, small_multiples
from .components import (component_images, component_lines, memberships, reconstruction,
                         top_features)
from .curves import convergence, log_ticks
from .explore import sample_map, term_bars, topic_map
from .heatmaps import aggregate_rows, block_mean, consensus, dominant_order, heatmap
from . import audio, teaching

__all__ = [
    "AXIS_LABELS", "DIV", "MAX_ROWS", "PALETTE", "SEQ", "color", "component_names",
    "component_grid", "distribution", "restart_components", "similarity", "small_multiples",
    "component_images", "component_lines", "memberships", "reconstruction", "top_features",
    "convergence", "log_ticks", "aggregate_rows", "block_mean", "consensus", "dominant_order",
    "heatmap", "teaching", "audio", "sample_map", "term_bars", "topic_map",
]
