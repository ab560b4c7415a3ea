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

from ._base import Option, Solver, scaled


def _top_eig(G) -> float:
    """Largest eigenvalue of a Gram matrix (inf once the iterates have overflowed)."""
    if not G.size:
        return 0.0
    try:
        top = float(np.linalg.eigvalsh(G)[-1])
    except np.linalg.LinAlgError:      # non-finite entries
        return np.inf
    return top if np.isfinite(top) else np.inf


class ProjectedSGD(Solver):
    """Projected mini-batch SGD with Lipschitz-scaled steps; may diverge (detected by the loop)."""

    name = "sgd"
    losses = ("frobenius",)
    supports_mask = False
    may_diverge = True
    label = "projected SGD"
    masked_fallback = "hals"
    option_specs = (
        Option("learning_rate", 1.0, float, low=0.0, strict=True,
               help="step as a multiple of 1/L (L: the gradient's Lipschitz constant); "
                    "1 is safe, above about 2 it diverges"),
        Option("batch_size", None, int, low=1, auto="two mini-batches per epoch",
               help="rows of X per mini-batch"),
        Option("decay", 0.0, float, low=0.0,
               help="inverse-time schedule: learning_rate / (1 + decay * epoch)"),
        Option("project", True, bool, expert=True,
               help="clip negative entries to 0 after each step (off only to show why)"),
    )
    description = "Projected mini-batch stochastic gradient descent (L2-regularized)"

    def __init__(self, data, W, H, **kw):
        super().__init__(data, W, H, **kw)
        self.epoch = 0
        m = W.shape[0]
        size = self.opts["batch_size"]
        # default: two mini-batches per epoch. Each batch also pays rank^2 x n_features of
        # work on H (and a few passes over H), so more batches cost more per epoch; on the bench
        # data (planted, digits, text, swimmer) two reached the error of three or ten within
        # 0.2 % (or lower) after 200 epochs, at 1.6-1.9x the cost of a multiplicative-update
        # iteration (three: 1.8-2.1x, ten: 2-4x).
        self.batch_size = int(size) if size else max(1, -(-m // 2))
        # W is kept transposed (rank x n_samples) and a batch's rows of X are copied into one
        # reused buffer: the products then take their fast layouts (H @ X_B^T, W_B^T @ X_B)
        # and no batch allocates a fresh copy of its rows.
        self._Wt = np.ascontiguousarray(W.T)
        self._W = self._Wt.T
        if not self.sparse:
            A = self.dense_x()[0]
            self._xbuf = np.empty((min(self.batch_size, m), A.shape[1]), dtype=A.dtype)

    def step(self):
        # a too-large learning rate overflows; factorize detects the divergence and reverts
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return self._epoch()

    def _epoch(self):
        Wt, H = self._Wt, self._H
        X, s = (self.X, 1.0) if self.sparse else self.dense_x()     # dense: X = s * A
        m = X.shape[0]
        rate = float(self.opts["learning_rate"]) / (1.0 + float(self.opts["decay"]) * self.epoch)
        project = bool(self.opts["project"])
        l1, l2 = self.l1, self.l2
        WtX = np.zeros_like(H)   # sum over batches of W_B^T X_B: W^T X for this epoch's final W
        # A new random partition into batches every epoch (fixed batches converge much worse).
        order = self.rng.permutation(m)
        for start in range(0, m, self.batch_size):
            idx = np.sort(order[start:start + self.batch_size])
            scale = m / idx.size
            Wbt = np.take(Wt, idx, axis=1)                 # (rank, batch)
            if self.sparse:
                Xb = X[idx]
                HXbt = (Xb @ H.T).T
            else:
                Xb = np.take(X, idx, axis=0, out=self._xbuf[:idx.size], mode="clip")
                HXbt = scaled(H @ Xb.T, s)
            # W_B step, then H step with the updated W_B (gradients from Gram matrices: the
            # residual W_B H - X_B is never formed, so sparse X stays sparse).
            HHt = H @ H.T
            gW = HHt @ Wbt
            gW -= HXbt
            if l2:
                gW += l2 * Wbt
            if l1:
                gW += l1
            gW *= rate / max(_top_eig(HHt) + l2, self.tiny)
            Wbt -= gW
            if project:
                np.maximum(Wbt, 0.0, out=Wbt)
            Wt[:, idx] = Wbt
            if self.sparse:
                WbtXb = np.asarray((Xb.T @ Wbt.T).T)
            else:
                WbtXb = scaled(Wbt @ Xb, s)
            WtX += WbtXb
            WbtWb = Wbt @ Wbt.T
            gH = WbtWb @ H
            gH -= WbtXb
            step = rate / max(scale * _top_eig(WbtWb) + l2, self.tiny)
            if l1 or l2:
                gH *= scale
                if l2:
                    gH += l2 * H
                if l1:
                    gH += l1
                gH *= step
            else:
                gH *= scale * step
            H -= gH
            if project:
                np.maximum(H, 0.0, out=H)
        self.epoch += 1
        # exact loss of the final (W, H) with no further product with X:
        # <X, W H> = sum_B <W_B^T X_B, H>, as every row belongs to one batch
        sq = max(self.norm_sq - 2.0 * float(np.vdot(WtX, H)) + float(np.vdot(Wt @ Wt.T, H @ H.T)),
                 0.0)
        return self.objective_from_sq(sq), sq
