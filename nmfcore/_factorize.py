"""The front door: :func:`factorize` validates once, initialises, runs the loop, builds the result."""
from __future__ import annotations

import bisect
import time
import warnings
from contextlib import nullcontext
from numbers import Integral

import numpy as np

import scipy.sparse as sp

from . import _validation as v
from ._memory import check_budget, estimate_fit_bytes
from ._parallel import single_blas_thread
from .init import INITS, initialize
from .losses import LOSSES, canonical_loss, kernel_loss, resolve_beta
from .result import (HISTORY_KEYS, STATUS_MESSAGES, ConvergenceWarning, IterationState, NMFResult,
                     freeze_history)
from .solvers import SOLVERS

# A loss this many times the starting loss (or non-finite) means the iteration diverged.
_DIVERGENCE_FACTOR = 1e10
# An objective below this share of the start counts as an exact fit for the quiet test.
_EXACT = 1e-10
# While the loss is quiet, the projected gradient is measured every this many iterations ...
_CHECK_EVERY = 10
# ... and a fit quiet for this many consecutive iterations without reaching gtol has stalled.
_STALL_AFTER = 30
# A fit has converged when the gradient test passes after at least this many consecutive quiet
# iterations and the loss's fall is not speeding up: near a saddle (a revived component still
# growing, one part shared by two components) the loss is quiet and the gradient small for a
# while, but the fall accelerates as the fit leaves it, where at a minimum it shrinks.
_CONFIRM_AFTER = 10


def factorize(X, rank, *, solver=None, loss="frobenius", beta=None, init="nndsvda", W0=None,
              H0=None, max_iter=500, tol=1e-4, gtol=1e-3, max_time=None, random_state=None,
              l1=0.0, l2=0.0,
              callback=None, mask=None, missing=None, memory_budget=None,
              **solver_options) -> NMFResult:
    """Factorize a non-negative matrix ``X ~= W @ H``.

    Parameters
    ----------
    X : array-like or scipy.sparse matrix of shape (n_samples, n_features)
        Non-negative data. Sparse input stays sparse; float32 stays float32.
    rank : int
        Number of components, ``1 <= rank <= min(n_samples, n_features)``.
    solver : {"hals", "mu", "sgd", "anls"} or None, default=None
        See :data:`nmfcore.SOLVERS`. None picks :func:`default_solver`: ``"hals"`` for the
        Frobenius loss, ``"mu"`` otherwise. HALS is the default because, on the bench sets
        (planted, digits, text, swimmer), it reaches a stationary point in the least time and
        from the NNDSVD starts it recovers every swimmer part (docs/performance.md).
    loss : {"frobenius", "kl", "itakura-saito", "beta"}, default="frobenius"
        The beta-divergence minimised (see :mod:`nmfcore.losses`): ``"frobenius"`` (beta=2),
        ``"kl"`` (generalized Kullback-Leibler, i.e. Poisson likelihood, beta=1),
        ``"itakura-saito"`` (beta=0, scale invariant: spectrograms) or ``"beta"`` with
        ``beta=``. All but Frobenius need ``solver="mu"``. beta <= 0 cannot fit zeros in X
        (add a small epsilon to X first); beta <= 1 floors W H at a tiny number where X > 0.
    beta : float or None, default=None
        The beta of ``loss="beta"`` (any finite number; 2, 1 and 0 run the same updates as
        the named losses). Optional for the named losses (it must then match them).
    init : {"random", "nndsvd", "nndsvda", "nndsvdar"}, default="nndsvda"
        Ignored when ``W0`` and ``H0`` are given.
    W0 : array-like of shape (n_samples, rank), optional
    H0 : array-like of shape (rank, n_features), optional
        Custom starting point (give both or neither). Copied, never modified.
    max_iter : int, default=500
        Iterations (epochs for ``sgd``); 0 returns the starting point.
    tol : float, default=1e-4
        An iteration is *quiet* when the objective fell by less than ``tol`` times its current
        value. 0 disables the stopping rule (every iteration runs).
    gtol : float, default=1e-3
        At quiet iterations the projected gradient is measured (Lin 2007): the fit has
        ``converged`` when its norm is at most ``gtol`` times its norm at the start, and has
        ``stalled`` when 30 consecutive iterations were quiet with the gradient still above
        that (no progress, and not a stationary point: another start or solver may do better).
        The result's ``message`` and ``gradient_ratio`` say which test stopped the fit.
    max_time : float or None, default=None
        Stop once the solver has used this many seconds.
    random_state : int, numpy.random.Generator or None, default=None
        Seeds the init and the solver. The int seed used is recorded in the result.
    l1, l2 : float, default=0.0
        Penalties ``l1 (|W|_1 + |H|_1) + l2/2 (||W||^2 + ||H||^2)``.
    callback : callable, optional
        ``callback(state: IterationState)`` after the start and after every iteration; a truthy
        return value (or raising ``StopIteration``) stops the fit with status ``"stopped"``.
    mask : array-like of bool of shape (n_samples, n_features), optional
        True where an entry is observed; the loss and the updates use observed entries only.
    missing : {None, "mask"}, default=None
        ``"mask"``: NaN entries of X are missing. Without it NaN is an error.
    memory_budget : int, str or None, default=None
        Refuse (before allocating anything) a fit whose estimated memory exceeds this many bytes
        (``"2GB"`` works too). None: ``$NMFCORE_MEMORY_BUDGET`` or half the machine's RAM.
    **solver_options
        The solver's own options, declared (with defaults, ranges and help) in
        ``nmfcore.SOLVERS[solver].option_specs`` and checked by the solver class, e.g. for
        ``sgd``: ``learning_rate``, ``batch_size``, ``decay``, ``project``; for ``hals``:
        ``n_inner``, ``inner_tol``, ``inner_alpha``; for ``mu``: ``delta`` and ``loss_every``
        (default 1). With ``loss_every=k`` the exact loss is evaluated and recorded at
        iterations 0, k, 2k, ... and the last only (the history holds just those, callbacks
        run at those, ``tol`` compares the loss's fall per iteration over the k iterations,
        ``max_time`` evaluates the iterate it stops at); the iterates are the same, and the
        KL and beta kernels save the logs and sums of the loss in between.

    Returns
    -------
    NMFResult
        Every returned fit is kept healthy by the loop: a component whose scale drifts apart
        between W and H (norms differing by more than 1e3) is rebalanced, and one that
        collapses to zero is re-seeded from the residual; neither changes the objective for
        the worse (``n_revived`` counts the re-seeded ones, ``n_dead`` those the data leave
        nothing for).

    Raises
    ------
    NMFInputError
        (a ``ValueError``) with a message saying what is wrong and how to fix it.

    Examples
    --------
    >>> import numpy as np, nmfcore
    >>> X = np.random.default_rng(0).random((30, 2)) @ np.random.default_rng(1).random((2, 20))
    >>> res = nmfcore.factorize(X, 2, solver="hals", random_state=0, tol=1e-6)
    >>> res.W.shape, res.H.shape, res.rel_error < 1e-3
    ((30, 2), (2, 20), True)
    """
    v.check_choice("loss", loss, LOSSES)
    beta_value = resolve_beta(loss, beta)
    if solver is None:
        solver = default_solver(canonical_loss(beta_value))
    v.check_choice("solver", solver, SOLVERS)
    cls = SOLVERS[solver]
    if not _accepts(cls, loss, beta_value):
        able = [n for n, c in SOLVERS.items() if loss in c.losses]
        raise v.NMFInputError(
            f"loss={loss!r} is not available with solver={solver!r}, which minimises "
            f"{' and '.join(cls.losses)} only; use solver={able[0]!r} for {loss!r} "
            f"(solvers that minimise it: {able}), or loss={cls.losses[0]!r}.")
    solver_options = cls.check_options(solver_options)
    if not hasattr(X, "shape"):
        X = np.asarray(X)
    if getattr(X, "ndim", 2) == 2 and isinstance(rank, Integral) and not isinstance(rank, bool) \
            and rank > 0:
        masked = missing == "mask" or mask is not None
        needed = estimate_fit_bytes(X, rank, loss=loss, masked=masked,
                                    dense_copies=int(masked and sp.issparse(X)))
        check_budget(needed, memory_budget, f"this fit (rank {rank} on {X.shape[0]} x {X.shape[1]})")
    if sp.issparse(X) and not cls.supports_sparse:
        raise v.NMFInputError(f"solver {solver!r} needs dense X; use X.toarray() or one of "
                              f"{sorted(n for n, c in SOLVERS.items() if c.supports_sparse)}.")
    data = v.check_array(X, missing=missing, mask=mask)
    if beta_value <= 0.0:
        _check_no_zeros(data, loss, beta_value)
    if data.mask is not None and not cls.supports_mask:
        masked = sorted(n for n, c in SOLVERS.items() if c.supports_mask)
        raise v.NMFInputError(f"solver {solver!r} cannot leave out missing entries; use one of {masked}.")
    rank = v.check_rank(rank, data.shape)
    max_iter = v.check_number("max_iter", max_iter, integer=True)
    tol = v.check_number("tol", tol)
    gtol = v.check_number("gtol", gtol)
    max_time = v.check_number("max_time", max_time, allow_none=True, strict=True)
    l1, l2 = v.check_number("l1", l1), v.check_number("l2", l2)
    if callback is not None and not callable(callback):
        raise v.NMFInputError("callback must be callable (or None).")
    seed, rng = v.resolve_random_state(random_state)

    kernel = kernel_loss(beta_value)
    root, loss_scale, l1_s, l2_s = _unit_scale(data, kernel, l1, l2, beta=beta_value)

    t0 = time.perf_counter()
    if (W0 is None) != (H0 is None):
        raise v.NMFInputError("give both W0 and H0 for a custom start, or neither.")
    if W0 is not None:
        W = v.check_factor("W0", W0, (data.shape[0], rank), data.dtype) * root
        H = v.check_factor("H0", H0, (rank, data.shape[1]), data.dtype) * root
        init_name = "custom"
    else:
        v.check_choice("init", init, INITS)
        W, H = initialize(data.X, rank, init, rng, mask=data.mask)   # at unit scale already
        init_name = init
    init_seconds = time.perf_counter() - t0

    params = dict(rank=rank, solver=solver, loss=loss, init=init_name, max_iter=max_iter, tol=tol,
                  gtol=gtol, max_time=max_time, random_state=seed, l1=l1, l2=l2, missing=missing,
                  **solver_options)
    if loss == "beta":
        params["beta"] = beta_value
    # Solvers see the loss by its kernel ("frobenius", "kl", or "beta" with engine.beta).
    extra = {"beta": beta_value} if kernel == "beta" else {}
    engine = cls(data, W, H, loss=kernel, l1=l1_s, l2=l2_s, rng=rng, **extra, **solver_options)
    # A solver running threads of its own (engine.threads > 1) has one BLAS thread for the whole
    # fit: BLAS's idle threads spin for a while after each call and would take the solver's cores.
    limit = single_blas_thread() if getattr(engine, "threads", 1) > 1 else nullcontext()
    with limit:
        status, hist, info = _run(engine, data, max_iter, tol, gtol, max_time, callback, root,
                                  loss_scale)
    W_out, H_out = np.array(engine.W / root, order="C"), np.array(engine.H / root, order="C")
    others = [n for n, c in SOLVERS.items() if n != solver and _accepts(c, loss, beta_value)]
    message = _message(status, info, tol, gtol, max_iter, others)
    if status in ("max_iter", "stalled") and tol > 0 and max_iter > 0:
        warnings.warn(f"{solver}: {message}", ConvergenceWarning, stacklevel=2)
    return NMFResult(W=W_out, H=H_out, n_iter=int(hist["iteration"][-1]),
                     converged=status == "converged", status=status,
                     message=message, history=freeze_history(hist),
                     solver=solver, loss=loss, rank=rank, random_state=seed, params=params,
                     init_seconds=init_seconds, gradient_ratio=info["gradient_ratio"],
                     n_revived=info["revived"], n_dead=info["dead"])


def _message(status, info, tol, gtol, max_iter, others=()):
    """The result's one-sentence account of why the fit stopped and in what state
    (``others``: the other solvers that minimise this loss, for the advice)."""
    g = info["gradient_ratio"]
    text = STATUS_MESSAGES[status]
    if status == "converged":
        text = ("Converged: the loss stopped decreasing (by less than tol={:g} of itself per "
                "iteration) at a stationary point (projected gradient {:.1e} of its start, "
                "gtol={:g}).".format(tol, g, gtol) if g > 0 else "Converged: exact fit.")
    elif status == "stalled":
        text = ("Stalled: the loss stopped decreasing (by less than tol={:g} of itself per "
                "iteration) away from a stationary point (projected gradient still {:.1e} of its "
                "start, above gtol={:g}); {}.".format(
                    tol, g, gtol, "try another solver, start or restarts" if others else
                    "no other solver minimises this loss: try restarts, or a smaller tol with "
                    "a larger max_iter"))
    elif status == "max_iter":
        text = f"Stopped after max_iter={max_iter} iterations before converging; raise max_iter."
    if info["revived"]:
        text += f" {info['revived']} collapsed component(s) were re-seeded from the residual."
    if info["dead"]:
        text += (f" {info['dead']} component(s) carry nothing: the data leave nothing for them "
                 "(a lower rank fits as well).")
    return text


def _accepts(cls, loss: str, beta: float) -> bool:
    """Whether solver class ``cls`` minimises ``loss`` (with its ``beta``): by the name given,
    by the canonical name of that beta (``loss="beta", beta=2`` is Frobenius), or because it
    minimises every beta (``"beta"`` in its losses)."""
    return loss in cls.losses or canonical_loss(beta) in cls.losses or "beta" in cls.losses


def _check_no_zeros(data, loss: str, beta: float) -> None:
    """beta <= 0: ``d_beta(0 | y)`` is infinite, so no observed entry of X may be 0."""
    X = data.X if data.raw is None else data.raw
    if sp.issparse(X):
        zeros = X.shape[0] * X.shape[1] - X.nnz + int(np.count_nonzero(X.data == 0))
    elif data.mask is not None:
        zeros = int(np.count_nonzero((X == 0) & (data.mask > 0)))
    else:
        zeros = int(X.size - np.count_nonzero(X))
    if zeros:
        name = "Itakura-Saito" if loss == "itakura-saito" else f"beta={beta:g}"
        raise v.NMFInputError(
            f"the {name} divergence cannot fit zeros: d(x | y) is infinite at x = 0 for "
            f"beta <= 0, and X has {zeros} zero entries (of {X.shape[0] * X.shape[1]}). Add a "
            "small epsilon to every entry first (e.g. X + 1e-6 * X.max(); on the Data page the "
            "remedy 'Add a small epsilon'), or use a loss with beta > 0 (e.g. loss='kl').")


def default_solver(loss: str = "frobenius") -> str:
    """The solver :func:`factorize` uses when none is named: ``"hals"`` for the Frobenius loss
    (on the bench sets it reaches a stationary point fastest, and from NNDSVD starts it
    recovers all 17 swimmer parts), ``"mu"`` for the others (the only solver for them)."""
    return "hals" if loss == "frobenius" else "mu"


def _unit_scale(data, loss, l1, l2, beta=None):
    """Conversions between the caller's units and the solvers' (X times ``s = 2**k``, exact).

    Factors scale by ``sqrt(s)``, the Frobenius objective by ``s**2`` (KL: ``s``; the
    beta-divergence by ``s**beta``, so Itakura-Saito not at all); penalties are converted so
    the scaled objective is ``loss_scale`` times the caller's (exactly when ``k beta`` is an
    integer).

    Returns
    -------
    root, loss_scale, l1_scaled, l2_scaled : float
    """
    k = data.exponent
    if loss == "frobenius" and abs(k) > 510:
        raise v.NMFInputError(
            f"X's largest entry is about 2**{-k}: its squared error is not representable in "
            "floating point. Divide X by a constant first (e.g. X / X.max(): the factors simply "
            "scale with it), or use loss='kl'.")
    if loss == "kl" and not np.isfinite(float(data.raw.sum()) if data.raw is not None
                                        else np.ldexp(float(data.X.sum()), -k)):
        raise v.NMFInputError(
            "X's entries sum to more than the largest floating-point number, so its KL "
            "divergence is not representable. Divide X by a constant first (e.g. X / X.max()).")
    root = float(np.ldexp(1.0, k // 2))
    if loss == "beta":
        with np.errstate(over="ignore"):
            loss_scale = float(2.0 ** (k * beta))
            l1_s = float(l1 * 2.0 ** (k * (beta - 0.5)))
            l2_s = float(l2 * 2.0 ** (k * (beta - 1.0)))
        if not (np.isfinite(loss_scale) and loss_scale > 0):
            raise v.NMFInputError(
                f"X's largest entry is about 2**{-k}: its beta={beta:g} divergence is not "
                "representable in floating point. Divide X by a constant first (e.g. X / X.max(): "
                "the factors simply scale with it).")
        if not (np.isfinite(l1_s) and np.isfinite(l2_s)):
            raise v.NMFInputError("l1/l2 are too large for the scale of X; use smaller penalties.")
        return root, loss_scale, l1_s, l2_s
    loss_scale = float(np.ldexp(1.0, 2 * k if loss == "frobenius" else k))
    with np.errstate(over="ignore"):
        l1_s = float(np.ldexp(l1, 3 * k // 2 if loss == "frobenius" else k // 2))
        l2_s = float(np.ldexp(l2, k if loss == "frobenius" else 0))
    if not (np.isfinite(l1_s) and np.isfinite(l2_s)):
        raise v.NMFInputError("l1/l2 are too large for the scale of X; use smaller penalties.")
    return root, loss_scale, l1_s, l2_s


def _readonly(A, root):
    view = A.view() if root == 1.0 else A / root
    view.flags.writeable = False
    return view


def _speeding_up(hist: dict, tol: float) -> bool:
    """Whether the loss's fall per iteration has grown over the last three records, to more
    than 1.5 times its smallest over the last ``_CONFIRM_AFTER`` iterations (and to more than
    a thousandth of what the quiet test allows, so round-off does not count): a fit leaving a
    saddle. At a minimum the fall shrinks."""
    its, loss = hist["iteration"], hist["loss"]
    first = max(0, bisect.bisect_left(its, its[-1] - _CONFIRM_AFTER) - 1)
    falls = [(loss[i - 1] - loss[i]) / (its[i] - its[i - 1]) for i in range(first + 1, len(its))]
    if len(falls) < 4:
        return False
    last = falls[-1]
    rising = falls[-3] < falls[-2] < last
    return rising and last > 1.5 * max(min(falls), 0.0) and last > 1e-3 * tol * abs(loss[-1])


def _run(engine, data, max_iter, tol, gtol, max_time, callback, root, loss_scale):
    """The one iteration loop shared by every solver (losses reported in the caller's units).

    Stopping rule: an iteration is *quiet* when the objective fell by less than ``tol`` times
    the starting objective (with ``engine.loss_every = k > 1`` the objective is known every k
    iterations: the fall over those k is compared with k times that, and they count as k
    quiet iterations). At the first quiet iteration, and every ``_CHECK_EVERY`` quiet
    iterations after it, the projected gradient is measured: the fit has converged when its
    norm is at most ``gtol`` times its norm at the start (a stationary point, Lin 2007) after
    at least ``_CONFIRM_AFTER`` consecutive quiet iterations over which the loss's fall is not
    speeding up (:func:`_speeding_up`: a saddle being left; a gradient under gtol earlier is
    checked again once the streak is that long), and it has stalled when ``_STALL_AFTER``
    consecutive iterations were quiet while the gradient is still above that (no progress,
    yet not at a stationary point). An all but exact fit (objective under ``_EXACT`` of the
    start) converges at once. Quiet iterations cost nothing extra; each check costs about one
    iteration.

    Returns
    -------
    status : str
    hist : dict of lists
    info : dict
        ``gradient_ratio`` (last measured ``||P grad|| / ||P grad_0||``; at the end when no
        stopping test measured it; NaN when ``tol=0`` or ``max_iter=0``), ``revived`` (components re-seeded) and ``dead`` (left dead at the end).
    """
    norm = np.sqrt(data.norm_sq)
    hist = {key: [] for key in HISTORY_KEYS}
    may_diverge = engine.may_diverge
    info = {"gradient_ratio": float("nan"), "revived": 0, "dead": 0}

    def record(it, seconds, obj, sq):
        hist["iteration"].append(it)
        hist["seconds"].append(seconds)
        hist["loss"].append(obj / loss_scale)
        hist["rel_error"].append(np.sqrt(max(sq, 0.0)) / norm)
        if callback is None:
            return False
        state = IterationState(it, seconds, hist["loss"][-1], hist["rel_error"][-1],
                               _readonly(engine.W, root), _readonly(engine.H, root))
        try:
            return bool(callback(state))
        except StopIteration:
            return True

    def finish(status):
        info["dead"] = engine.dead_components()
        if g0 is not None and np.isnan(info["gradient_ratio"]) and status != "diverged":
            # stopped by max_iter, max_time or the callback: say how far from stationary
            with np.errstate(over="ignore", invalid="ignore"):
                g = engine.gradient_sq()
            info["gradient_ratio"] = float(np.sqrt(g / g0)) if g0 > 0 else 0.0
        return status, hist, info

    g0 = None

    with np.errstate(over="ignore", invalid="ignore"):
        obj, sq = engine.start()   # evaluating the start is not solver progress: seconds start at 0
    if not (np.isfinite(obj) and np.isfinite(obj / loss_scale)):
        raise v.NMFInputError(
            "the starting point's loss is not representable: W0 @ H0 is far outside the scale of "
            "X. Rescale W0 and H0 (e.g. to sqrt(X.mean() / rank)), or use a named init.")
    elapsed = 0.0
    first = obj
    if record(0, elapsed, obj, sq):
        return finish("stopped")
    if max_iter == 0:
        return finish("max_iter")
    if tol > 0:                        # the scale of the stationarity test (not solver time)
        with np.errstate(over="ignore", invalid="ignore"):
            g0 = engine.gradient_sq()
    status = "max_iter"
    quiet, next_check = 0, 0
    every = max(1, int(getattr(engine, "upkeep_every", 1)))
    # The objective is evaluated (and recorded, and tested) every loss_every iterations and at
    # the last; the iterations in between only advance. gap: iterations since the last record.
    loss_every = max(1, int(getattr(engine, "loss_every", 1)))
    last = 0
    for it in range(1, max_iter + 1):
        backup = (engine.W.copy(), engine.H.copy()) if may_diverge else None
        if it % loss_every and it != max_iter:
            t = time.perf_counter()
            engine.advance()
            elapsed += time.perf_counter() - t
            if max_time is None or elapsed < max_time:
                continue
            t = time.perf_counter()          # out of time: evaluate this iterate, record it
            with np.errstate(over="ignore", invalid="ignore"):
                new, sq = engine.refresh()
        else:
            t = time.perf_counter()
            new, sq = engine.step()
        gap, last = it - last, it
        scheduled = it // every > (it - gap) // every     # an upkeep was due since the last
        revived = 0
        if scheduled and np.isfinite(new):
            kept = engine.upkeep(new)
            if kept is not None:
                revived, new, sq = kept
                info["revived"] += revived
        elapsed += time.perf_counter() - t
        if may_diverge and (not np.isfinite(new) or new > _DIVERGENCE_FACTOR * max(first, 1e-300)):
            engine.W[...], engine.H[...] = backup
            return finish("diverged")
        prev, obj = obj, new
        # quiet: the objective fell by less than tol of itself per iteration (over the gap)
        still = prev - obj < gap * tol * max(obj, _EXACT * first)
        if not revived and not scheduled and tol > 0 and still:
            # about to test for convergence between two scheduled upkeeps: upkeep first, so
            # a dead or duplicated component is not called converged
            t = time.perf_counter()
            kept = engine.upkeep(obj)
            elapsed += time.perf_counter() - t
            if kept is not None:
                revived, obj, sq = kept
                info["revived"] += revived
        if record(it, elapsed, obj, sq):
            status = "stopped"
            break
        if obj == 0.0:
            status = "converged"
            info["gradient_ratio"] = 0.0
            break
        if tol > 0:
            still = prev - obj < gap * tol * max(obj, _EXACT * first)
            quiet = quiet + gap if still and not revived else 0
            if quiet and it >= next_check:
                t = time.perf_counter()
                g = engine.gradient_sq()
                elapsed += time.perf_counter() - t
                ratio = float(np.sqrt(g / g0)) if g0 > 0 else 0.0
                info["gradient_ratio"] = ratio
                # (an all but exact fit is a global minimum: no saddle to confirm it is not)
                confirmed = quiet >= _CONFIRM_AFTER or obj <= _EXACT * first
                leaving = ratio <= gtol and confirmed and _speeding_up(hist, tol)
                if ratio <= gtol and confirmed and not leaving:
                    status = "converged"
                    break
                if quiet >= _STALL_AFTER and not leaving:
                    status = "stalled"
                    break
                # stationary but quiet for too short a time, or leaving a saddle: check again
                # later (the quiet streak ends, and the checks with it, once the loss falls)
                short = ratio <= gtol and not confirmed
                next_check = it + (_CONFIRM_AFTER - quiet if short else _CHECK_EVERY)
            elif not quiet:
                next_check = 0
        if max_time is not None and elapsed >= max_time:
            status = "max_time"
            break
    return finish(status)
