"""What every solver shares: its constructor, the evaluation of the objective, small helpers.

A solver object is created once per fit by :func:`nmfcore.factorize`, which owns the loop:
it calls :meth:`Solver.start` once and then :meth:`Solver.step` once per iteration; each returns
``(objective, squared Frobenius error)`` of the current iterate. Solvers trust their inputs,
except their own options, which :meth:`Solver.check_options` validates against the class's
declarative :class:`Option` table (the same table documents them and gives the dashboard its
widgets).
"""
from __future__ import annotations

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp

from .. import losses
from . import _upkeep


@dataclass(frozen=True)
class Option:
    """One solver option: its name, default, type, allowed range and a one-line help.

    Parameters
    ----------
    name : str
    default : float, int, bool or None
        ``None`` means "chosen by the solver" (say how in ``auto``).
    type : {float, int, bool}
    low, high : float or None
        Allowed range (None: unbounded); ``low`` is excluded when ``strict``.
    strict : bool
    help : str
        One line, shown as the widget's help and in error messages' context.
    auto : str
        What ``None`` means, e.g. ``"two mini-batches per epoch"`` (options whose default is None).
    expert : bool
        Changes the method itself (teaching or debugging); interfaces may leave it out.
    """

    name: str
    default: object
    type: type = float
    low: float | None = None
    high: float | None = None
    strict: bool = False
    help: str = ""
    auto: str = ""
    expert: bool = False

    def check(self, value):
        """``value`` in the option's type, or an ``NMFInputError`` saying what is allowed."""
        from .._validation import NMFInputError

        if value is None and self.default is None:
            return None
        if self.type is bool:
            if isinstance(value, (bool, np.bool_)):
                return bool(value)
            raise NMFInputError(f"{self.name} must be True or False; got {value!r}.")
        integer = self.type is int
        kind = Integral if integer else Real
        ok = isinstance(value, kind) and not isinstance(value, (bool, np.bool_)) \
            and bool(np.isfinite(value))
        if ok and self.low is not None:
            ok = value > self.low if self.strict else value >= self.low
        if ok and self.high is not None:
            ok = value <= self.high
        if not ok:
            raise NMFInputError(f"{self.name} must be {self.describe()}; got {value!r}.")
        return int(value) if integer else float(value)

    def describe(self) -> str:
        """The allowed values in words, e.g. ``"a finite number > 0"``."""
        what = "an integer" if self.type is int else "a finite number"
        bounds = []
        if self.low is not None:
            bounds.append(f"{'>' if self.strict else '>='} {self.low:g}")
        if self.high is not None:
            bounds.append(f"<= {self.high:g}")
        text = f"{what} {' and '.join(bounds)}".strip()
        return text + (" or None" if self.default is None else "")


def scaled(A: np.ndarray, s: float) -> np.ndarray:
    """``s * A`` in place and returned; ``s`` is the power-of-two scale of
    :meth:`Solver.dense_x`, so this is exact (and skipped when ``s`` is 1)."""
    if s != 1.0:
        A *= s
    return A


class Solver:
    """Base class of the solvers in :data:`nmfcore.SOLVERS`.

    Parameters
    ----------
    data : nmfcore._validation.PreparedData
        Validated X, its observation mask (or None) and its squared norm.
    W : ndarray of shape (n_samples, rank)
    H : ndarray of shape (rank, n_features)
        Starting factors, owned (and updated in place) by the solver.
    loss : {"frobenius", "kl", "beta"}
        The kernel of the loss to minimise: the beta-divergences 2 and 1 arrive as
        ``"frobenius"`` and ``"kl"``, every other (Itakura-Saito too) as ``"beta"`` with ``beta``.
    beta : float or None
        The beta of the loss (2 for Frobenius, 1 for KL); stored as ``self.beta``.
    l1, l2 : float
        Penalties on W and H (see :mod:`nmfcore.losses`).
    rng : numpy.random.Generator
        For solvers that draw random numbers (``sgd``).
    **options
        Solver-specific options, declared in ``option_specs`` (checked by :meth:`check_options`).

    Class attributes (what a subclass declares; :func:`nmfcore.register_solver` checks them)
    ----------------------------------------------------------------------------------------
    name : str
        The registry key (``factorize(solver=name)``).
    label : str
        Display name (menus, legends); defaults to ``name.upper()``.
    description : str
        One line: the method.
    losses : tuple of str
        The losses it minimises (names from :data:`nmfcore.LOSSES`).
    supports_mask : bool
        Whether it can leave missing entries out (``mask=``, ``missing="mask"``).
    supports_sparse : bool
        Whether it accepts scipy.sparse X.
    may_diverge : bool
        Whether its loss can grow without bound (the loop then keeps a backup of the iterate
        and stops with status ``"diverged"``).
    masked_fallback : str or None
        For a solver without ``supports_mask``: the solver to use in its place on masked
        (held-out) fits, e.g. rank_sweep's cross-validation. None: the first registered solver
        that supports masks and the loss.
    option_specs : tuple of Option
        Its options; ``options`` (name -> default) is derived from it.
    """

    name = "base"
    label = ""
    description = ""
    losses = ("frobenius",)
    supports_mask = False
    supports_sparse = True
    may_diverge = False
    masked_fallback: str | None = None
    option_specs: tuple = ()
    options: dict = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "options" in cls.__dict__ and "option_specs" not in cls.__dict__:
            # a class written with a plain ``options = {name: default}``: numbers and flags
            cls.option_specs = tuple(
                Option(n, d, bool if isinstance(d, bool) else float, help=n.replace("_", " "),
                       auto="the solver's choice" if d is None else "")
                for n, d in cls.__dict__["options"].items())
        cls.options = {o.name: o.default for o in cls.option_specs}
        if not cls.__dict__.get("label"):
            cls.label = cls.name.upper()

    @classmethod
    def option(cls, name: str) -> Option:
        """The :class:`Option` called ``name``."""
        return next(o for o in cls.option_specs if o.name == name)

    @classmethod
    def check_options(cls, options: dict) -> dict:
        """``options`` validated (unknown names and bad values raise ``NMFInputError``) and
        converted to the declared types; defaults are not filled in."""
        from .._validation import NMFInputError

        known = {o.name: o for o in cls.option_specs}
        unknown = sorted(set(options) - set(known))
        if unknown:
            valid = ", ".join(sorted(known)) or "none"
            raise NMFInputError(f"unknown option(s) {unknown} for solver {cls.name!r}; "
                                f"its options: {valid}.")
        return {k: known[k].check(v) for k, v in options.items()}

    def __init__(self, data, W, H, *, loss, l1, l2, rng, beta=None, **options):
        self._data = data
        self.mask = data.mask
        self.norm_sq = data.norm_sq
        self.sparse = data.raw is None and sp.issparse(data.X)
        # Dense products may use the caller's array: X @ A == scale * (raw @ A), exactly.
        self.X_raw = data.raw
        self.x_scale = data.scale
        self._W, self._H = W, H
        self.loss, self.l1, self.l2, self.rng = loss, l1, l2, rng
        self.beta = float(beta) if beta is not None else {"frobenius": 2.0, "kl": 1.0}.get(loss)
        self.opts = {**self.options, **options}
        self.tiny = np.finfo(W.dtype).tiny
        self._revive_wait = 0
        self._flush_below = float(np.sqrt(self.tiny))

    @property
    def X(self):
        """X at unit scale (for dense input a scaled copy, made on first access)."""
        return self._data.X

    def dense_x(self) -> tuple[np.ndarray, float]:
        """``(A, s)`` with ``X == s * A`` for dense X, without copying X when possible."""
        if self.X_raw is not None:
            return self.X_raw, self.x_scale
        return self.X, 1.0

    @property
    def W(self) -> np.ndarray:
        return self._W

    @property
    def H(self) -> np.ndarray:
        return self._H

    def start(self) -> tuple[float, float]:
        """Objective and squared error at the starting point."""
        return self.evaluate()

    def evaluate(self) -> tuple[float, float]:
        if self.X_raw is not None and self.loss == "frobenius":   # no copy of X for this
            XHt = scaled(self.X_raw @ self.H.T, self.x_scale)
            sq = losses.sq_error_from_products(self.norm_sq, self.W, XHt, self.W.T @ self.W,
                                               self.H @ self.H.T)
            return self.objective_from_sq(sq), sq
        return losses.evaluate(self.X, self.W, self.H, loss=self.loss, l1=self.l1, l2=self.l2,
                               mask=self.mask, norm_sq=self.norm_sq, beta=self.beta)

    def step(self) -> tuple[float, float]:  # pragma: no cover - abstract
        raise NotImplementedError

    #: Iterations per evaluation of the objective (the loop records the loss at iterations
    #: k, 2k, ... and the last, and calls :meth:`advance` in between); a solver that can skip
    #: the evaluation declares a ``loss_every`` option. 1: every iteration.
    loss_every = 1

    def advance(self) -> None:
        """One iteration whose objective is not needed (see ``loss_every``): a solver that can
        skip the evaluation overrides this; by default it is :meth:`step`."""
        self.step()

    # ---- upkeep: scale balance, dead components, stationarity ------------------------------
    #: The shared loop runs :meth:`upkeep` after every this many iterations.
    upkeep_every = 1
    #: After a revival found nothing to take, dead components are left alone this many upkeeps.
    REVIVE_RETRY = 25

    def refresh(self) -> tuple[float, float]:
        """Objective and squared error after the factors were changed from outside
        :meth:`step` (rebalanced or revived); a solver that caches products of W or H across
        iterations rebuilds them here."""
        return self.evaluate()

    def upkeep(self, objective: float):
        """Revive dead components and rebalance split ones, in place.

        Parameters
        ----------
        objective : float
            The objective at the current iterate (what :meth:`step` returned).

        Returns
        -------
        None or (int, float, float)
            None when nothing changed; otherwise the number of components revived (0 when
            only scales were balanced) and the objective and squared error from
            :meth:`refresh`. Neither operation raises the objective: a revival that would (it
            is chosen for the Frobenius objective, so for KL it is checked) is undone.
        """
        W, H = self.W, self.H
        dead, split = _upkeep.health(W, H, float(np.sqrt(self.norm_sq)))
        if self._revive_wait <= 1:
            dead = _upkeep.merge_duplicates(W, H, dead)
        if not (dead.any() or split.any()):
            return None
        revived = 0
        self._revive_wait -= 1
        if dead.any() and self._revive_wait > 0:
            dead[:] = False               # a recent attempt found nothing for them to take
            if not split.any():
                return None
        if dead.any():
            saved = (W.copy(), H.copy()) if self.loss != "frobenius" else None
            revived = _upkeep.revive(self.X, W, H, dead, l1=self.l1, l2=self.l2,
                                     mask=self.mask, objective=objective)
            if revived and saved is not None and self.evaluate()[0] >= objective:
                W[...], H[...] = saved
                revived = 0
            if revived == 0:
                self._revive_wait = self.REVIVE_RETRY
                if not split.any():
                    return None
        _upkeep.balance(W, H, self.l1, self.l2)
        return (revived, *self.refresh())

    def dead_components(self) -> int:
        """How many components carry (almost) nothing (``||w_k|| ||h_k|| <= 1e-10 ||X||``)."""
        return int(_upkeep.health(self.W, self.H, float(np.sqrt(self.norm_sq)))[0].sum())

    def gradient_sq(self) -> float:
        """Squared norm of the projected gradient at the current iterate (two products with X)."""
        if self.mask is None and not self.sparse:
            A, s = self.dense_x()
        else:
            A, s = self.X, 1.0
        return _upkeep.projected_gradient_sq(A, self.W, self.H, loss=self.loss, l1=self.l1,
                                             l2=self.l2, mask=self.mask, x_scale=s,
                                             beta=self.beta)

    def objective_from_sq(self, sq: float) -> float:
        return 0.5 * sq + losses.penalty(self.W, self.H, self.l1, self.l2)

    def flush_subnormals(self, A: np.ndarray) -> None:
        """Set entries below ``sqrt(tiny)`` (1.5e-154 in float64, 1.1e-19 in float32) to 0.

        Multiplicative updates let unused entries decay geometrically. Once an entry, or the
        product of two entries inside ``W @ H``, is a subnormal number, every product touching
        it runs several times slower. Non-negative entries at or above ``sqrt(tiny)`` cannot form
        a subnormal product, and at unit scale (X's largest entry in [0.25, 1)) an entry that
        small contributes below float64's round-off to every product, so zeroing it cannot
        change the loss measurably (and it could not grow back by any practical factor anyway).
        """
        np.putmask(A, A < self._flush_below, 0.0)

    @staticmethod
    def transpose_csr(X: sp.csr_matrix) -> tuple[sp.csr_matrix, np.ndarray]:
        """``X.T`` as CSR, and the permutation with ``XT.data == X.data[perm]``."""
        order = sp.csr_matrix((np.arange(X.nnz, dtype=np.float64), X.indices, X.indptr),
                              shape=X.shape).T.tocsr()
        perm = order.data.astype(np.int64)
        XT = sp.csr_matrix((X.data[perm], order.indices, order.indptr), shape=order.shape)
        return XT, perm
