"""Projected mini-batch stochastic gradient descent on the penalized Frobenius objective.

One iteration is one epoch: the rows of X are shuffled and visited in mini-batches. For a batch
``B`` with residual ``R = W_B H - X_B``::

    W_B <- max(0, W_B - eta_W (R H^T + l2 W_B + l1))
    H   <- max(0, H   - eta_H ((n/|B|) W_B^T R + l2 H + l1))

computed as ``R H^T = W_B (H H^T) - X_B H^T`` and ``W_B^T R = (W_B^T W_B) H - W_B^T X_B``, so the
residual is never formed and sparse X stays sparse (a batch costs two products with ``X_B``).

Step sizes are ``learning_rate`` divided by the Lipschitz constant of each block's gradient
(the largest eigenvalue of ``H H^T`` resp. ``(n/|B|) W_B^T W_B``, plus ``l2``), so the same
``learning_rate`` works whatever the scale of X: 1 (the default) is the classic ``1/L`` step,
values up to about 2 still converge, larger ones diverge (detected: status ``"diverged"``).
``decay`` gives the inverse-time schedule ``learning_rate / (1 + decay * epoch)``.
``project=False`` skips the projection (for teaching only: negative entries then appear).
"""
from __future__ import annotations

import numpy as np

from .. import losses
from ._base import Solver


def _top_eig(G) -> float:
    """Largest eigenvalue of a Gram matrix (inf once the iterates have overflowed)."""
    if not G.size:
        return 0.0
    if not np.isfinite(G).all():
        return np.inf
    return float(np.linalg.eigvalsh(G)[-1])


class ProjectedSGD(Solver):
    name = "sgd"
    losses = ("frobenius",)
    supports_mask = False
    may_diverge = True
    options = {"learning_rate": 1.0, "batch_size": None, "decay": 0.0, "project": True}
    description = "Projected mini-batch stochastic gradient descent (L2-regularized)"

    def __init__(self, data, W, H, **kw):
        super().__init__(data, W, H, **kw)
        self.epoch = 0
        m = self.X.shape[0]
        size = self.opts["batch_size"]
        self.batch_size = int(size) if size else max(1, -(-m // 10))

    def step(self):
        # a too-large learning rate overflows; factorize detects the divergence and reverts
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._epoch()

    def _epoch(self):
        X, W, H = self.X, self._W, self._H
        m = X.shape[0]
        rate = float(self.opts["learning_rate"]) / (1.0 + float(self.opts["decay"]) * self.epoch)
        project = bool(self.opts["project"])
        # A new random partition into batches every epoch (fixed batches converge much worse).
        order = self.rng.permutation(m)
        for start in range(0, m, self.batch_size):
            idx = np.sort(order[start:start + self.batch_size])
            Wb = W[idx]
            Xb = X[idx]
            scale = m / idx.size
            # Gradients from Gram matrices: R = Wb H - Xb is never formed, so a batch costs two
            # products with Xb (dense or sparse) and a few of size rank.
            HHt = H @ H.T
            WbtWb = Wb.T @ Wb
            gW = Wb @ HHt
            gW -= Xb @ H.T
            gH = WbtWb @ H
            gH -= (Xb.T @ Wb).T
            gH *= scale
            if self.l2:
                gW += self.l2 * Wb
                gH += self.l2 * H
            if self.l1:
                gW += self.l1
                gH += self.l1
            step_W = rate / max(_top_eig(HHt) + self.l2, self.tiny)
            step_H = rate / max(scale * _top_eig(WbtWb) + self.l2, self.tiny)
            Wb -= step_W * gW
            H -= step_H * gH
            if project:
                np.maximum(Wb, 0.0, out=Wb)
                np.maximum(H, 0.0, out=H)
            W[idx] = Wb
        self.epoch += 1
        sq = losses.sq_error_from_products(self.norm_sq, W, X @ H.T, W.T @ W, H @ H.T)
        return self.objective_from_sq(sq), sq
