"""A small solver defined outside nmfcore, registered by the tests with
``nmfcore.register_solver`` to check that everything listing solvers picks it up."""
from __future__ import annotations

import numpy as np

from nmfcore.solvers import Option, Solver


class DampedMU(Solver):
    """Multiplicative updates that take only a share (``damping``) of each step."""

    name = "toy-damped"
    label = "Toy damped MU"
    description = "damped Lee-Seung updates (a test solver)"
    losses = ("frobenius",)
    supports_sparse = False
    option_specs = (
        Option("damping", 0.5, float, low=0.0, high=1.0, strict=True,
               help="share of the multiplicative step taken each iteration"),
    )

    def step(self):
        d = float(self.opts["damping"])
        X, W, H = np.asarray(self.X), self.W, self.H
        W *= (1 - d) + d * (X @ H.T) / np.maximum(W @ (H @ H.T), 1e-16)
        H *= (1 - d) + d * (W.T @ X) / np.maximum((W.T @ W) @ H, 1e-16)
        return self.evaluate()
