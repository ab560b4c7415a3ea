"""Projected mini-batch stochastic gradient descent on the penalized Frobenius objective.

One iteration is one epoch: the rows of X are shuffled into new random mini-batches and visited
in turn. For a batch ``B``, first ``W_B`` and then ``H`` (with the updated ``W_B``) take a
projected gradient step::

    W_B <- max(0, W_B - eta_W (W_B H H^T - X_B H^T + l2 W_B + l1))
    H   <- max(0, H   - eta_H ((n/|B|) (W_B^T W_B H - W_B^T X_B) + l2 H + l1))

The residual ``W_B H - X_B`` is never formed, so sparse X stays sparse, and a batch costs two
products with ``X_B``. The sums of ``W_B^T X_B`` over the epoch give ``<X, W H>`` for the final
factors, so the exact loss after each epoch needs no further product with X: an epoch costs
about what one multiplicative-update iteration does.

Step sizes are ``learning_rate`` divided by the Lipschitz constant of each block's gradient
(the largest eigenvalue of ``H H^T`` resp. ``(n/|B|) W_B^T W_B``, plus ``l2``), so the same
``learning_rate`` works whatever the scale of X: 1 (the default) is the classic ``1/L`` step,
values up to about 2 still converge, larger ones diverge (detected: status ``"diverged"``).
``decay`` gives the inverse-time schedule ``learning_rate / (1 + decay * epoch)``.
``project=False`` skips the projection (for teaching only: negative entries then appear).
"""
from __future__ import annotations

import numpy as np

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
        # default: three mini-batches per epoch. Each batch also pays rank^2 x n_features of
        # work on H, so more batches cost more per epoch; on the bench data (planted, digits,
        # text, swimmer) three gave the same or a lower error than ten at 1.6-2.1x the cost of a
        # multiplicative-update iteration (ten: 1.9-3.6x).
        self.batch_size = int(size) if size else max(1, -(-m // 3))

    def step(self):
        # a too-large learning rate overflows; factorize detects the divergence and reverts
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._epoch()

    def _epoch(self):
        X, W, H = self.X, self._W, self._H
        m = X.shape[0]
        rate = float(self.opts["learning_rate"]) / (1.0 + float(self.opts["decay"]) * self.epoch)
        project = bool(self.opts["project"])
        WtX = np.zeros_like(H)   # sum over batches of W_B^T X_B: W^T X for this epoch's final W
        # A new random partition into batches every epoch (fixed batches converge much worse).
        order = self.rng.permutation(m)
        for start in range(0, m, self.batch_size):
            idx = np.sort(order[start:start + self.batch_size])
            Wb = W[idx]
            Xb = X[idx]
            scale = m / idx.size
            # W_B step, then H step with the updated W_B (gradients from Gram matrices: the
            # residual W_B H - X_B is never formed, so sparse X stays sparse).
            HHt = H @ H.T
            gW = Wb @ HHt
            gW -= Xb @ H.T
            if self.l2:
                gW += self.l2 * Wb
            if self.l1:
                gW += self.l1
            Wb -= rate / max(_top_eig(HHt) + self.l2, self.tiny) * gW
            if project:
                np.maximum(Wb, 0.0, out=Wb)
            W[idx] = Wb
            WbtXb = np.asarray((Xb.T @ Wb).T)
            WtX += WbtXb
            WbtWb = Wb.T @ Wb
            gH = WbtWb @ H
            gH -= WbtXb
            gH *= scale
            if self.l2:
                gH += self.l2 * H
            if self.l1:
                gH += self.l1
            H -= rate / max(scale * _top_eig(WbtWb) + self.l2, self.tiny) * gH
            if project:
                np.maximum(H, 0.0, out=H)
        self.epoch += 1
        # exact loss of the final (W, H) with no further product with X:
        # <X, W H> = sum_B <W_B^T X_B, H>, as every row belongs to one batch
        sq = max(self.norm_sq - 2.0 * float(np.vdot(WtX, H)) + float(np.vdot(W.T @ W, H @ H.T)),
                 0.0)
        return self.objective_from_sq(sq), sq
