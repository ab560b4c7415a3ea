"""Multiplicative updates for the beta-divergences: Lee-Seung for Frobenius and generalized KL,
Fevotte-Idier for every other beta (Itakura-Saito included).

Frobenius (with penalties)::

    H <- H * (W^T X) / (W^T W H + l2 H + l1)
    W <- W * (X H^T) / (W H H^T + l2 W + l1)

KL::

    H <- H * (W^T (X / WH)) / (W^T 1 + l2 H + l1)
    W <- W * ((X / WH) H^T) / (1 H^T + l2 W + l1)

Any other beta (``d_beta`` in :mod:`nmfcore.losses`), with the majorization-minimization
exponent ``gamma(beta)`` (1/(2-beta) below 1, 1 in [1, 2], 1/(beta-1) above 2) that makes every
update lower the objective::

    H <- H * ((W^T (X o WH^(beta-2))) / (W^T WH^(beta-1) + l2 H + l1)) ** gamma
    W <- W * (((X o WH^(beta-2)) H^T) / (WH^(beta-1) H^T + l2 W + l1)) ** gamma

Every denominator is floored at ``delta`` so no entry is ever NaN; an entry that reaches 0 stays
0 ("zero locking"). With a mask M the data terms use only observed entries (X and 1 replaced
by M * X and M). On sparse X (and on dense X with at most 10 % non-zeros, through a CSR copy)
the KL ratio X / WH is evaluated at the non-zeros only; the general beta works through row
blocks of W H (and of X, densified a block at a time), so no m x n temporary is formed for any
input. The option ``loss_every=k`` lets the KL and beta kernels skip the objective's logs and
sums except at every k-th iteration (the updates are the same). The dense KL and beta kernels
run their row blocks in lanes (:mod:`nmfcore._threads`), on ``threads`` threads (by default
one per core for large X), with the same result for any number of threads.

References
----------
D. D. Lee and H. S. Seung, "Algorithms for non-negative matrix factorization", NIPS 13, 2001.
C. Fevotte and J. Idier, "Algorithms for nonnegative matrix factorization with the
beta-divergence", Neural Computation 23(9), 2011. doi:10.1162/NECO_a_00168
"""
from __future__ import annotations

import queue

import numpy as np
import scipy.sparse as sp

from .. import _threads, losses
from ._base import Option, Solver, scaled


class MultiplicativeUpdates(Solver):
    """Multiplicative updates for every beta-divergence (dense, sparse, masked)."""

    name = "mu"
    losses = ("frobenius", "kl", "itakura-saito", "beta")
    supports_mask = True
    label = "MU"
    option_specs = (
        Option("delta", 1e-16, float, low=0.0, strict=True, expert=True,
               help="floor of every update's denominator (keeps the ratios finite)"),
        Option("loss_every", 1, int, low=1, expert=True,
               help="evaluate and record the exact loss every this many iterations (and at the "
                    "last); the KL and beta kernels skip its logs and sums in between"),
        Option("threads", None, int, low=1,
               help="threads that run the dense KL and beta kernels' row blocks (the result "
                    "is the same for any number)",
               auto=f"one per core for X of {_threads.MIN_CELLS:,} cells or more, else one"),
    )
    description = ("multiplicative updates (Lee-Seung; Fevotte-Idier for Itakura-Saito and "
                   "any beta-divergence)")

    def __init__(self, data, W, H, **kw):
        super().__init__(data, W, H, **kw)
        self.delta = float(self.opts["delta"])
        self.loss_every = int(self.opts["loss_every"])
        self.floor = losses.kl_floor(W.dtype)
        # KL works at X's non-zeros only: sparse X, and dense X that is mostly zeros, whose
        # CSR copy (at unit scale) then runs the sparse kernels (their work scales with the
        # non-zeros, the dense kernels' with every cell)
        # The general beta (> 0, no mask) likewise forms X o WH^(beta-2) at the non-zeros only.
        at_nonzeros = self.loss == "kl" or (self.loss == "beta" and self.beta > 0.0
                                            and self.mask is None)
        self._kx = self.X if self.sparse and at_nonzeros else None
        if at_nonzeros and self.mask is None and not self.sparse:
            A, s = self.dense_x()
            if np.count_nonzero(A) <= self.SPARSE_KL_BELOW * A.size:
                self._kx = sp.csr_matrix(A)
                scaled(self._kx.data, s)
        if self._kx is not None and self.loss == "kl":   # the ratio X / WH is transposed through the permutation
            self._RT, self._perm = self.transpose_csr(self._kx)   # .data: the ratio, later
        self._WH = None  # cached product for the next H update (masked Frobenius)
        self._WtW = None  # W^T W of the current W (Frobenius), reused by the next H update
        self._WtX = None  # W^T X of the start (dense Frobenius), reused by the first H update
        self._count = 0
        self._floor_always = self._floor_seen = False  # see _floor_block
        kind = "kl" if self.loss == "kl" else "fro"
        form = "sparse" if self.sparse else "dense"
        if kind == "fro" and self.mask is not None:
            form = "masked"  # (dense KL applies the mask itself)
        if self.loss == "beta":
            self._step = self._step_beta
        elif kind == "kl" and self.mask is None:   # dense or sparse: the blocked sweep kernels
            self._sweep = self._kl_sparse_sweep if self._kx is not None else self._kl_sweep
            self._step = self._step_kl_swept
        else:
            self._step = getattr(self, f"_step_{kind}_{form}")
        if form == "dense" and self.mask is None and self.loss != "beta" and self._kx is None:
            # W is kept transposed (rank x n_samples, C order): the W update then works with
            # (X H^T)^T = H X^T, the fastest layout of that product (about 1.35x faster than
            # X @ H.T for a C-ordered X), and W^T X = Wt @ X costs the same as before.
            self._Wt = np.ascontiguousarray(W.T)
            self._W = self._Wt.T
        # The dense KL and beta kernels run their row blocks in lanes, on threads when X is
        # large (nmfcore._threads); the other kernels are one thread plus BLAS's own.
        lanes = self._kx is None and (self._step == self._step_kl_swept or self.loss == "beta")
        cells = int(np.prod(data.shape))
        chosen = self.opts.get("threads")
        self.threads = (int(chosen) if chosen else _threads.auto_threads(cells)) if lanes else 1

    # Dense X with at most this share of non-zeros runs KL on the sparse kernels: on one core
    # they cost about 8x the dense kernels per entry they touch (swimmer, 5 % non-zeros: 2.5x
    # faster; digits, 51 %: 2.6x slower), so the switch pays below about 12 %.
    SPARSE_KL_BELOW = 0.1
    # Subnormal entries only cost time, so flushing them every few iterations is enough.
    FLUSH_EVERY = 10
    # The updates are scale-equivariant (a rebalanced iterate follows the same path), so scales
    # drift slowly; and a zero-locked component stays dead: checking every few iterations is enough.
    upkeep_every = 10

    def step(self):
        self._count += 1
        out = self._step()
        if self._count % self.FLUSH_EVERY == 0:
            self.flush_subnormals(self._W)
            self.flush_subnormals(self._H)
        return out

    def advance(self):
        """An iteration without the evaluation: the KL and beta sweeps then skip the logs and
        sums of the objective (the updates are the same); the others evaluate anyway."""
        self._evaluate = False
        try:
            self.step()
        finally:
            self._evaluate = True

    _evaluate = True       # read by the sweeps: False inside advance()

    # ---- helpers ---------------------------------------------------------------------------
    def _apply(self, F, numer, denom):
        """``F *= numer / max(denom + l2 F + l1, delta)`` in place (``denom`` is overwritten)."""
        if self.l2:
            denom += self.l2 * F
        if self.l1:
            denom += self.l1
        if denom.min() < self.delta:     # a read-only check is cheaper than rewriting denom
            np.maximum(denom, self.delta, out=denom)
        np.divide(numer, denom, out=denom)
        F *= denom

    # ---- Frobenius --------------------------------------------------------------------------
    def _wtx(self):
        """``W^T X`` (rank, n_features) for the current W: the first of an iteration's products."""
        if self.sparse:
            return (self.X.T @ self._W).T          # X.T is a CSC view: no transposed copy
        X, s = self.dense_x()
        return scaled(self._Wt @ X, s)

    def _start_fro(self):
        """The start's error from ``W^T X``, which the first H update then reuses."""
        W, H = self._W, self._H
        self._WtX, self._WtW = self._wtx(), W.T @ W
        sq = max(self.norm_sq - 2.0 * float(np.vdot(self._WtX, H))
                 + float(np.vdot(self._WtW, H @ H.T)), 0.0)
        return self.objective_from_sq(sq), sq

    def _take_wtx(self):
        WtX, self._WtX = (self._WtX, None) if self._WtX is not None else (self._wtx(), None)
        return WtX

    def _step_fro_dense(self):
        Wt, H = self._Wt, self._H
        X, s = self.dense_x()
        WtW = self._WtW if self._WtW is not None else Wt @ Wt.T
        self._apply(H, self._take_wtx(), WtW @ H)
        HXt = (H * s if s != 1.0 else H) @ X.T     # (s H) X^T == s (H X^T) exactly
        HHt = H @ H.T
        self._apply(Wt, HXt, HHt @ Wt)
        self._WtW = WtW = Wt @ Wt.T
        sq = max(self.norm_sq - 2.0 * float(np.vdot(Wt, HXt)) + float(np.vdot(WtW, HHt)), 0.0)
        return self.objective_from_sq(sq), sq

    def _step_fro_sparse(self):
        return self._step_fro(self._take_wtx())

    def _step_fro(self, WtX):
        """One Frobenius iteration given ``W^T X``: one more product with X, four of size rank."""
        X, W, H = self.X, self._W, self._H
        WtW = self._WtW if self._WtW is not None else W.T @ W
        self._apply(H, WtX, WtW @ H)
        XHt = X @ H.T
        HHt = H @ H.T
        self._apply(W, XHt, W @ HHt)
        self._WtW = WtW = W.T @ W
        sq = losses.sq_error_from_products(self.norm_sq, W, XHt, WtW, HHt)
        return self.objective_from_sq(sq), sq

    def _step_fro_masked(self):
        X, M, W, H = self.X, self.mask, self._W, self._H
        MWH = self._WH if self._WH is not None else (W @ H) * M
        self._apply(H, W.T @ X, W.T @ MWH)
        MWH = W @ H
        MWH *= M
        self._apply(W, X @ H.T, MWH @ H.T)
        MWH = W @ H
        MWH *= M
        self._WH = MWH
        R = X - MWH
        sq = float(np.vdot(R, R))
        return self.objective_from_sq(sq), sq

    # ---- Kullback-Leibler ---------------------------------------------------------------------
    def _ratio(self, WH):
        """``M * X / max(WH, floor)`` into ``WH``'s buffer."""
        np.maximum(WH, self.floor, out=WH)
        np.divide(self.X, WH, out=WH)
        if self.mask is not None:
            WH *= self.mask
        return WH

    # Dense KL without a mask works through blocks of rows small enough that W H, the ratio and
    # the logs of a block stay in cache; W's rows are independent in its update, so a block's
    # rows of W are updated and then evaluated in the same sweep: no m x n temporary at all.
    # X large enough for threads (nmfcore._threads.MIN_CELLS) gets blocks twice as large
    # (fewer hand-offs of the GIL between lanes; on planted, 2000 x 1000, about 10 % faster on
    # one thread and on two), within a 1 MiB L2 cache per core. The size depends on X's shape
    # only, never on the number of threads, so that the result does not either.
    BLOCK_CELLS = 1 << 15

    # X of at most this many cells is one block (its buffers then fit the L2 cache too, and
    # the per-block calls are paid once: on digits, 115,000 cells, KL and beta 5-25 % faster).
    ONE_BLOCK_CELLS = 1 << 17

    def _block_rows(self, m, n):
        """Rows per block of the dense KL and beta kernels."""
        if m * n <= self.ONE_BLOCK_CELLS:
            return m
        cells = self.BLOCK_CELLS * (2 if m * n >= _threads.MIN_CELLS else 1)
        return max(1, min(m, cells // n))

    def _kl_blocks_setup(self):
        X, s = self.dense_x()
        m, n = X.shape
        rows = self._block_rows(m, n)
        blocks = [(a, min(a + rows, m)) for a in range(0, m, rows)]
        self._klanes = [[blocks[i] for i in lane] for lane in _threads.lanes(len(blocks))]
        self._scratch = self._buffers((2, rows, n), X.dtype, len(self._klanes))
        buf = self._scratch.get()
        xlogx = xsum = 0.0
        for a, b in blocks:
            XI, L = np.multiply(X[a:b], s, out=buf[0, :b - a]), buf[1, :b - a]
            np.maximum(XI, self.floor, out=L)
            np.log(L, out=L)                     # 0 * log(floor) = 0 where X is 0
            xlogx += float(np.vdot(XI, L))
            xsum += float(XI.sum())
        self._scratch.put(buf)
        self._xlogx, self._xsum = xlogx, xsum

    def _buffers(self, shape, dtype, n_lanes, first=None):
        """A queue of scratch buffers, one per thread that can run a lane at once (``first``,
        if given, is one of them)."""
        q = queue.SimpleQueue()
        for i in range(max(1, min(self.threads, n_lanes))):
            q.put(first if i == 0 and first is not None else np.empty(shape, dtype=dtype))
        return q

    def _kl_sweep(self, update_w):
        """One pass over the row blocks at the current H: optionally the W update, then the
        objective and squared error at (W, H) and ``W^T (X / WH)`` for the next H update.
        The lanes of blocks run on :attr:`threads` threads; their partial sums are added in
        lane order."""
        H = self._H
        s = self.dense_x()[1]
        evaluate = self._evaluate
        rowsum = H.sum(axis=1)
        self._start_sweep()
        if not update_w or self.l2:      # (with l2 the denominator depends on W: per block)
            Hc = None
        else:   # W <- W o (X / WH) H^T / max(1 H^T + l1, delta), H's rows pre-divided (and s)
            Hc = H * (s / np.maximum(rowsum + self.l1, self.delta))[:, None]
        numer_h, x_wh, x_log_wh = _threads.run_lanes(
            lambda lane: self._kl_lane(lane, update_w, Hc, rowsum[:, None], evaluate),
            self._klanes, self.threads, _add_parts)
        self._numer_h = scaled(numer_h, s)
        return self._kl_objective(s * x_log_wh, s * x_wh) if evaluate else None

    def _kl_lane(self, blocks, update_w, Hc, rowsum, evaluate):
        """:meth:`_kl_sweep` over one lane's blocks: returns that lane's part of
        ``W^T (X / WH)`` and its ``<X, WH>`` and ``<X, log WH>`` (0 unless ``evaluate``).
        With ``update_w``, W's rows are updated first: by H's rows divided by the update's
        denominator (``Hc``) or, when that depends on W (``Hc`` None: an l2 penalty), from the
        column ``rowsum`` of H's row sums. A block's operations on arrays of rank x rows are
        kept to one or two: they hold the GIL, which the lanes share."""
        # X = s * A: the ratio is formed with A and s applied to the small products and sums
        Wt, H = self._Wt, self._H
        A, s = self.dense_x()
        buf = self._scratch.get()
        numer_h, part = np.zeros_like(H), np.empty_like(H)
        x_log_wh = x_wh = 0.0
        try:
            for a, b in blocks:
                XI, WtI = A[a:b], Wt[:, a:b]
                WH, L = buf[0, :b - a], buf[1, :b - a]
                if update_w:
                    self._ratio_block(XI, np.matmul(WtI.T, H, out=WH))
                    if Hc is None:
                        self._apply(WtI, scaled(H @ WH.T, s), np.repeat(rowsum, b - a, axis=1))
                    else:
                        WtI *= Hc @ WH.T
                np.matmul(WtI.T, H, out=WH)
                self._floor_block(WH)
                if not evaluate:
                    pass
                elif b - a == buf.shape[1]:      # <X, WH> and <X, log WH> in one pass over X
                    np.log(WH, out=L)
                    dots = buf.reshape(2, -1) @ XI.ravel()
                    x_wh, x_log_wh = x_wh + float(dots[0]), x_log_wh + float(dots[1])
                else:
                    np.log(WH, out=L)
                    x_wh += float(np.vdot(XI, WH))
                    x_log_wh += float(np.vdot(XI, L))
                np.divide(XI, WH, out=WH)
                numer_h += np.matmul(WtI, WH, out=part)
        finally:
            self._scratch.put(buf)
        return numer_h, x_wh, x_log_wh

    def _floor_block(self, WH, floor=None):
        """Keeps a block of W H at or above ``floor`` (the KL floor by default; 0: none) in
        place, by :func:`_add_floor`. Until some block needed it, a read-only minimum (cheaper
        than rewriting the block) decides whether the pass is needed; from the sweep after one
        did (W H has exact zeros, as with sparse factors) every block is floored without the
        check. The switch waits for the next sweep (:meth:`_start_sweep`) so that whether a
        block is floored never depends on the order in which the lanes run."""
        floor = self.floor if floor is None else floor
        if floor and (self._floor_always or WH.min() < floor):
            self._floor_seen = True
            _add_floor(WH, floor)

    def _start_sweep(self):
        """Before a sweep: floor every block from now on if the last sweep needed it."""
        self._floor_always = self._floor_always or self._floor_seen

    def _ratio_block(self, XI, WH):
        self._floor_block(WH)
        return np.divide(XI, WH, out=WH)

    def start(self):
        if self._step == self._step_beta:
            self._beta_setup()
            return self._beta_sweep(update_w=False)
        if self._step in (self._step_fro_dense, self._step_fro_sparse):
            return self._start_fro()
        if self._step == self._step_kl_swept:
            (self._kl_sparse_setup if self._kx is not None else self._kl_blocks_setup)()
            return self._sweep(update_w=False)
        if self.loss != "kl":                 # masked Frobenius
            return super().start()
        X = self.X                            # masked KL (a mask makes X dense)
        positive = X.ravel() > 0          # missing entries hold 0, so they are left out
        self._pos = None if positive.all() else np.flatnonzero(positive)  # None: no gather needed
        self._xpos = X.ravel() if self._pos is None else X.ravel()[self._pos]
        self._xlogx = float(np.dot(self._xpos, np.log(self._xpos)))
        self._xsum = float(self._xpos.sum())
        return self._kl_dense_eval(self._W @ self._H)

    def evaluate(self):
        """Objective and squared error at the current (W, H) by the fit's own kernel (a sweep
        without updates; upkeep uses it to check a revival), leaving the cached numerators of
        the next H update as they were."""
        if self._step == self._step_beta and hasattr(self, "_bnum"):
            kept = self._bnum, self._bden
            try:
                return self._beta_sweep(update_w=False)
            finally:
                self._bnum, self._bden = kept
        if self._step == self._step_kl_swept and hasattr(self, "_numer_h"):
            kept = self._numer_h
            try:
                return self._sweep(update_w=False)
            finally:
                self._numer_h = kept
        return super().evaluate()

    def refresh(self):
        """Rebuild the cached products of the current (W, H) and evaluate it, as :meth:`start`
        does (the blocked kernels' set-up is kept)."""
        self._WtW = self._WtX = self._WH = None
        if self._step == self._step_beta:
            return self._beta_sweep(update_w=False)
        if self._step in (self._step_fro_dense, self._step_fro_sparse):
            return self._start_fro()
        if self._step == self._step_kl_swept:
            return self._sweep(update_w=False)
        if self.loss != "kl":                 # masked Frobenius
            return super().refresh()
        return self._kl_dense_eval(self._W @ self._H)

    def _kl_dense_eval(self, WH):
        """Objective and squared error at (W, H) given ``WH = W @ H``; leaves ``M * X / WH`` in
        ``self._R`` (in WH's buffer) for the next H update."""
        W, H, X, M = self._W, self._H, self.X, self.mask
        np.maximum(WH, self.floor, out=WH)
        log_wh = np.log(WH.ravel() if self._pos is None else WH.ravel()[self._pos])
        if M is None:
            total = float(W.sum(axis=0) @ H.sum(axis=1))
            sq = self.norm_sq - 2.0 * float(np.vdot(X, WH)) + float(np.vdot(W.T @ W, H @ H.T))
        else:
            total = float(np.vdot(M, WH))
            diff = (X - WH) * M
            sq = float(np.vdot(diff, diff))
        kl = max(self._xlogx - float(np.dot(self._xpos, log_wh)) - self._xsum + total, 0.0)
        self._R = self._ratio(WH)
        return kl + losses.penalty(W, H, self.l1, self.l2), max(sq, 0.0)

    def _step_kl_dense(self):
        W, H, M = self._W, self._H, self.mask
        colsum = (M.T @ W).T if M is not None else np.repeat(W.sum(axis=0)[:, None], H.shape[1], 1)
        self._apply(H, W.T @ self._R, colsum)
        R = self._ratio(W @ H)
        rowsum = M @ H.T if M is not None else np.repeat(H.sum(axis=1)[None, :], W.shape[0], 0)
        self._apply(W, R @ H.T, rowsum)
        return self._kl_dense_eval(W @ H)

    # Sparse KL works on the stored entries only, in blocks of rows holding about BLOCK_NNZ of
    # them. A block's columns of H are gathered once into the data of a block-sparse matrix S
    # (one 1 x rank block per stored entry, in the column of its row), so that W H at the
    # block's non-zeros is the product S @ W[block].ravel(): no repeated rows of W, and both
    # evaluations (before and after the block's W update) reuse the gathered H in cache.
    BLOCK_NNZ = 1 << 12

    def _kl_sparse_setup(self):
        X = self._kx
        x, indptr, rank = X.data, X.indptr, self._H.shape[0]
        counts = np.diff(indptr)
        blocks, a, m, widest = [], 0, X.shape[0], 1
        while a < m:
            b = int(np.searchsorted(indptr, indptr[a] + self.BLOCK_NNZ, side="right")) - 1
            b = min(max(b, a + 1), m)
            p, q = int(indptr[a]), int(indptr[b])
            R = sp.csr_matrix((x[p:q].copy(), X.indices[p:q], indptr[a:b + 1] - p),
                              shape=(b - a, X.shape[1]))   # its .data: the ratio X / WH
            S = sp.bsr_matrix((np.zeros((q - p, 1, rank), dtype=x.dtype),
                               np.repeat(np.arange(b - a, dtype=np.int32), counts[a:b]),
                               np.arange(q - p + 1, dtype=np.int32)),
                              shape=(q - p, (b - a) * rank), blocksize=(1, rank))
            blocks.append((a, b, p, q, R, S))
            widest = max(widest, q - p)
            a = b
        self._sblocks = blocks
        self._gathered = np.empty((widest, 1, rank), dtype=x.dtype)   # shared by every S
        self._kl_ratio = np.empty_like(x)   # X / WH at the non-zeros, in CSR order
        positive = x[x > 0]
        self._xlogx = float(np.dot(positive, np.log(positive)))
        self._xsum = float(positive.sum())

    def _kl_sparse_sweep(self, update_w):
        """Like :meth:`_kl_sweep`, at the non-zeros of a CSR X."""
        X, W, H = self._kx, self._W, self._H
        x, cols, rank = X.data, X.indices, H.shape[0]
        evaluate = self._evaluate
        Ht = np.ascontiguousarray(H.T)
        rowsum = H.sum(axis=1)
        x_log_wh = x_wh = 0.0
        for a, b, p, q, R, S in self._sblocks:
            WI, xI = W[a:b], x[p:q]
            S.data = self._gathered[:q - p]
            np.take(Ht, cols[p:q], axis=0, out=S.data.reshape(q - p, rank), mode="clip")
            if update_w:
                wh = S @ WI.ravel()
                _add_floor(wh, self.floor)
                np.divide(xI, wh, out=R.data)
                self._apply(WI, R @ Ht, np.broadcast_to(rowsum, WI.shape).copy())
            wh = S @ WI.ravel()
            _add_floor(wh, self.floor)
            np.divide(xI, wh, out=self._kl_ratio[p:q])
            if evaluate:
                x_wh += float(np.dot(xI, wh))
                np.log(wh, out=wh)
                x_log_wh += float(np.dot(xI, wh))
        RT = self._RT
        np.take(self._kl_ratio, self._perm, out=RT.data, mode="clip")
        self._numer_h = (RT @ W).T
        return self._kl_objective(x_log_wh, x_wh) if evaluate else None

    def _kl_objective(self, x_log_wh, x_wh):
        """Objective and squared error at (W, H) from a sweep's ``<X, log WH>`` and ``<X, WH>``:
        ``KL = sum X log X - <X, log WH> - sum X + sum WH``, the sums of W H from W's column and
        H's row sums, ``||X - WH||^2 = ||X||^2 - 2 <X, WH> + <W^T W, H H^T>``."""
        W, H = self._W, self._H
        total = float(W.sum(axis=0) @ H.sum(axis=1))
        kl = max(self._xlogx - x_log_wh - self._xsum + total, 0.0)
        sq = max(self.norm_sq - 2.0 * x_wh + float(np.vdot(W.T @ W, H @ H.T)), 0.0)
        return kl + losses.penalty(W, H, self.l1, self.l2), sq

    def _step_kl_swept(self):
        """One KL iteration on the sweep kernels: H from the last sweep's ``W^T (X / WH)``, then
        a sweep (W update and evaluation) at the new H."""
        W, H = self._W, self._H
        self._apply(H, self._numer_h, np.broadcast_to(W.sum(axis=0)[:, None], H.shape).copy())
        return self._sweep(update_w=True)

    # ---- every other beta ---------------------------------------------------------------------
    # One kernel for dense, sparse and masked X, in row blocks like dense KL: a block's X (the
    # caller's rows times the power-of-two scale, or a sparse block densified), its W H and one
    # power of it; W's rows are updated and evaluated in the same sweep, which also gathers
    # H's numerator and denominator for the next H update. No m x n temporary.

    def _beta_setup(self):
        beta = self.beta
        m, n = self._data.shape
        rows = self._block_rows(m, n)
        self._bblocks = [(a, min(a + rows, m)) for a in range(0, m, rows)]
        self._bbuf = np.empty((5 if beta == 0.0 else 4, rows, n), dtype=self._W.dtype)
        n_blocks = len(self._bblocks)
        self._blanes = [[(i, *self._bblocks[i]) for i in lane] for lane in _threads.lanes(n_blocks)]
        self._bscratch = self._buffers(self._bbuf.shape, self._bbuf.dtype, len(self._blanes),
                                       first=self._bbuf)
        self._gamma = losses.mm_exponent(beta)
        self._bfloor = losses.beta_floor(self._W.dtype, beta)
        self._xblocks = [self.X[a:b] for a, b in self._bblocks] if self.sparse else None
        self._bsp = None
        if self._kx is not None:  # per block: a CSR whose .data takes X o WH^(beta-2), X's
            K, self._bsp = self._kx, []           # values, and the cells' flat indices
            # the evaluation writes every block's into one array, which H's numerator takes at
            # once through X^T's CSR (one product per sweep instead of one per block)
            self._bratio = np.zeros_like(K.data)
            self._bRT, self._bperm = self.transpose_csr(K)
            for a, b in self._bblocks:
                p, q = int(K.indptr[a]), int(K.indptr[b])
                ptr = K.indptr[a:b + 1] - p
                R = sp.csr_matrix((K.data[p:q].copy(), K.indices[p:q], ptr), shape=(b - a, n))
                rows_of = np.repeat(np.arange(b - a, dtype=np.int64), np.diff(ptr))
                self._bsp.append((R, K.data[p:q], rows_of * n + K.indices[p:q], p, q))
        const = 0.0              # the part of sum d_beta(X | WH) free of W and H
        for i, (a, b) in enumerate(self._bblocks):
            XI = self._x_block(i, a, b)
            MI = None if self.mask is None else self.mask[a:b]
            src = XI if MI is None else XI + (1.0 - MI)      # missing cells (0) -> 1, then masked
            if beta == 0.0:
                t = np.log(src)
                t += 1.0
                const -= float(t.sum() if MI is None else np.vdot(t, MI))
            else:
                with np.errstate(divide="ignore"):
                    t = np.power(src, beta)
                const += float(t.sum() if MI is None else np.vdot(t, MI)) / (beta * (beta - 1.0))
        self._bconst = const

    def _x_block(self, i, a, b, buf=None):
        """Rows a:b of X at unit scale (a view, or in the first block buffer)."""
        buf = self._bbuf if buf is None else buf
        if self.sparse:
            return self._xblocks[i].toarray(out=buf[0, :b - a])
        if self.X_raw is not None and self.mask is None:
            return np.multiply(self.X_raw[a:b], self.x_scale, out=buf[0, :b - a])
        return self.X[a:b]

    def _beta_block(self, WI, XI, MI, buf, acc=None):
        """For the rows WI of W at the current H: ``Q = M o WH^(beta-1)`` and
        ``R = X o WH^(beta-2)`` (buffers 2 and 3 of ``buf``); with ``acc`` (a list) also adds the
        block's ``<X, WH>``, ``sum M o Q o WH``, ``<X, Q>``, ``sum M log WH`` and masked
        squared error. One power per cell, then products only (beta = 1.5: one square root and
        one division; beta = 0: one reciprocal and two products)."""
        beta, k = self.beta, WI.shape[0]
        Y, Q, R = buf[1, :k], buf[2, :k], buf[3, :k]
        np.matmul(WI, self._H, out=Y)
        self._floor_block(Y, self._bfloor)
        # X is 0 at missing cells: R carries the mask
        if beta == 1.5:                     # Q = sqrt(WH), R = X / Q: two passes
            np.sqrt(Y, out=Q)
            np.divide(XI, Q, out=R)
        elif beta == 0.0:                   # Q = 1 / WH, R = X Q Q: three passes
            _reciprocal(Y, Q)
            np.multiply(XI, Q, out=R)
            R *= Q
        else:
            _power(Y, beta - 2.0, Q)
            np.multiply(XI, Q, out=R)
            Q *= Y
        if acc is not None:
            if MI is None:
                acc[0] += float(np.vdot(XI, Y))
            else:
                D = XI - Y
                D *= MI
                acc[4] += float(np.vdot(D, D))
            acc[2] += float(np.vdot(XI, Q))     # <X, WH^(beta-1)> (X is 0 where missing)
        if MI is not None:
            Q *= MI
        if acc is not None:
            if beta != 0.0:                 # (the beta = 0 divergence has no sum of WH^beta)
                acc[1] += float(np.vdot(Q, Y))
            if beta == 0.0:
                acc[3] += (_sum_log(Y, buf[4, :k]) if MI is None
                           else float(np.vdot(np.log(Y, out=Y), MI)))
        return Q, R

    def _beta_block_sparse(self, i, WI, acc=None, gather=False):
        """:meth:`_beta_block` for X stored sparse (no mask, beta > 0): ``Q = WH^(beta-1)``
        dense (block buffer 2) and R, the block's CSR, holding ``X o WH^(beta-2)`` at X's
        non-zeros, where alone X enters: ``<X, WH>`` and ``<X, Q>`` are sums over them. With
        ``gather`` those values go to the sweep's array instead (for H's numerator)."""
        beta, k = self.beta, WI.shape[0]
        Y, Q = self._bbuf[1, :k], self._bbuf[2, :k]
        R, x, flat, p, q = self._bsp[i]
        out = self._bratio[p:q] if gather else R.data     # gather: into the sweep's array
        np.matmul(WI, self._H, out=Y)
        self._floor_block(Y, self._bfloor)
        if beta == 1.5:
            np.sqrt(Y, out=Q)
        else:
            _power(Y, beta - 1.0, Q)
        qn = np.take(Q.ravel(), flat, mode="clip")
        if beta == 1.5:                     # X WH^(-1/2) = X / Q
            np.divide(x, qn, out=out)
            y = None
        else:                               # X WH^(beta-2), from WH at the non-zeros
            y = np.take(Y.ravel(), flat, mode="clip")
            _power(y, beta - 2.0, out)
            out *= x
        if acc is not None:
            if y is None:
                y = np.take(Y.ravel(), flat, mode="clip")
            acc[0] += float(np.dot(x, y))
            acc[2] += float(np.dot(x, qn))
            acc[1] += float(np.vdot(Q, Y))
        return Q, R

    def _apply_mm(self, F, numer, denom):
        """``F *= (numer / max(denom + l2 F + l1, delta)) ** gamma`` in place."""
        if self.l2:
            denom += self.l2 * F
        if self.l1:
            denom += self.l1
        np.maximum(denom, self.delta, out=denom)
        np.divide(numer, denom, out=denom)
        if self._gamma != 1.0:
            np.power(denom, self._gamma, out=denom)
        F *= denom

    def _beta_sweep(self, update_w):
        """One pass over the row blocks at the current H: optionally the W update, then the
        objective and squared error at (W, H), and H's next numerator and denominator."""
        W, H, M, beta = self._W, self._H, self.mask, self.beta
        # dense X = s * A without a mask: the kernel reads the caller's A and s scales what is
        # linear in X (R's products, <X, WH>, <X, Q>), exactly (s is a power of two)
        raw = self.X_raw is not None and M is None and not self.sparse and self._bsp is None
        evaluate = self._evaluate
        s = self.x_scale if raw else 1.0
        self._start_sweep()
        if self._bsp is not None:             # X at its non-zeros (sparse, or mostly zeros)
            numer_h, denom_h = np.zeros_like(H), np.zeros_like(H)
            acc = [0.0] * 5
            for i, (a, b) in enumerate(self._bblocks):
                WI = W[a:b]
                if update_w:
                    Q, R = self._beta_block_sparse(i, WI)
                    self._apply_mm(WI, R @ H.T, Q @ H.T)
                Q, _ = self._beta_block_sparse(i, WI, acc if evaluate else None, gather=True)
                denom_h += WI.T @ Q
            RT = self._bRT
            np.take(self._bratio, self._bperm, out=RT.data, mode="clip")
            numer_h += (RT @ W).T
        else:                                 # dense blocks, in lanes
            numer_h, denom_h, acc = _threads.run_lanes(
                lambda lane: self._beta_lane(lane, update_w, evaluate, raw, s), self._blanes,
                self.threads, _add_parts)
        self._bnum, self._bden = scaled(numer_h, s), denom_h
        if not evaluate:
            return None
        x_wh, q_wh, x_q, log_wh, masked_sq = acc
        x_wh, x_q = s * x_wh, s * x_q
        if beta == 0.0:
            div = self._bconst + x_q + log_wh
        else:
            div = self._bconst + ((beta - 1.0) * q_wh - beta * x_q) / (beta * (beta - 1.0))
        if M is None:
            sq = self.norm_sq - 2.0 * x_wh + float(np.vdot(W.T @ W, H @ H.T))
        else:
            sq = masked_sq
        return max(div, 0.0) + losses.penalty(W, H, self.l1, self.l2), max(sq, 0.0)

    def _beta_lane(self, blocks, update_w, evaluate, raw, s):
        """The dense part of :meth:`_beta_sweep` over one lane's blocks: returns that lane's
        parts of H's numerator and denominator and of the sweep's sums."""
        W, H, M = self._W, self._H, self.mask
        numer_h, denom_h = np.zeros_like(H), np.zeros_like(H)
        acc = [0.0] * 5
        buf = self._bscratch.get()
        try:
            for i, a, b in blocks:
                XI, WI = (self.X_raw[a:b] if raw else self._x_block(i, a, b, buf)), W[a:b]
                MI = None if M is None else M[a:b]
                if update_w:
                    Q, R = self._beta_block(WI, XI, MI, buf)
                    self._apply_mm(WI, scaled(R @ H.T, s), Q @ H.T)
                Q, R = self._beta_block(WI, XI, MI, buf, acc if evaluate else None)
                numer_h += WI.T @ R
                denom_h += WI.T @ Q
        finally:
            self._bscratch.put(buf)
        return numer_h, denom_h, acc

    def _step_beta(self):
        """H from the last sweep's numerator and denominator, then a sweep (W update and
        evaluation) at the new H."""
        self._apply_mm(self._H, self._bnum, self._bden)
        return self._beta_sweep(update_w=True)


def _add_parts(into: tuple, part: tuple) -> tuple:
    """Two lanes' partial results added (arrays in place into the first; numbers and lists
    of numbers by value)."""
    out = []
    for x, y in zip(into, part):
        if isinstance(x, np.ndarray):
            x += y
        elif isinstance(x, list):
            x = [u + v for u, v in zip(x, y)]
        else:
            x = x + y
        out.append(x)
    return tuple(out)


def _add_floor(Y: np.ndarray, floor: float) -> np.ndarray:
    """``Y += floor`` in place: every cell becomes at least ``floor`` (Y is non-negative), and a
    cell above ``2**53 * floor`` (any value a fit can hold) keeps its exact value. It is the
    model W H plus a constant that no update changes, so every MM update still lowers the
    objective it reports. An addition costs a third of ``np.maximum`` with a scalar here
    (0.16 against 0.50 ns per cell on large blocks)."""
    return np.add(Y, floor, out=Y)


def _sum_log(Y: np.ndarray, scratch: np.ndarray) -> float:
    """``sum(log(Y))`` for a C-contiguous Y at or above the beta = 0 floor (``tiny ** (1/3)``),
    with one log per two cells: the log of the products of the two halves of Y's cells, formed
    in ``scratch`` (one rounding more per pair); about 1.4x faster. No product can underflow;
    one that overflows (W H beyond 1e154) makes the sum infinite, and then the cells' logs are
    summed instead."""
    y, out = Y.ravel(), scratch.ravel()
    h = y.size // 2
    P = np.multiply(y[:h], y[h:2 * h], out=out[:h])
    total = float(np.log(P, out=P).sum())
    if y.size % 2:
        total += float(np.log(y[-1]))
    if not np.isfinite(total):
        total = float(np.log(Y, out=scratch).sum())
    return total


def _reciprocal(Y: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``1 / Y`` into ``out``: the same bits as ``np.reciprocal``, through the division loop,
    which NumPy vectorizes better (0.28 against 0.54 ns per cell on large blocks here)."""
    return np.divide(1.0, Y, out=out)


def _power(Y: np.ndarray, e: float, out: np.ndarray) -> np.ndarray:
    """``Y ** e`` into ``out`` (positive Y), by reciprocals, square roots and products for
    the exponents of the usual betas (0, 0.5, 1.5, 2.5, 3): several times faster than the
    general power, equal to it to round-off."""
    if e == -2.0:                       # Itakura-Saito
        _reciprocal(Y, out)
        out *= out
    elif e == -1.0:
        _reciprocal(Y, out)
    elif e == -0.5:                     # beta = 1.5
        np.sqrt(Y, out=out)
        _reciprocal(out, out)
    elif e == -1.5:                     # beta = 0.5
        np.sqrt(Y, out=out)
        out *= Y
        _reciprocal(out, out)
    elif e == 0.5:
        np.sqrt(Y, out=out)
    elif e == 1.0:
        np.copyto(out, Y)
    else:
        np.power(Y, e, out=out)
    return out
