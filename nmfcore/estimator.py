"""A scikit-learn-style estimator around :func:`nmfcore.factorize` (scikit-learn not required)."""
from __future__ import annotations

import inspect

import numpy as np
import scipy.sparse as sp

from . import _validation as v
from ._factorize import factorize
from .projection import project, project_weights  # noqa: F401  (project_weights: old home)


class NMF:
    """Non-negative matrix factorization ``X ~= W @ H`` as an estimator.

    ``fit_transform(X)`` returns ``W`` (n_samples, n_components); ``components_`` is ``H``
    (n_components, n_features). Every parameter has the meaning it has in :func:`factorize`.

    Parameters
    ----------
    n_components : int, default=2
    solver : str or None, default=None
        A name in :data:`nmfcore.SOLVERS`; None: :func:`nmfcore.default_solver` for the loss.
    loss : {"frobenius", "kl", "itakura-saito", "beta"}, default="frobenius"
    beta : float or None, default=None
        The β of ``loss="beta"`` (see :func:`factorize`).
    init : {"random", "nndsvd", "nndsvda", "nndsvdar"}, default="nndsvda"
    max_iter : int, default=500
    tol : float, default=1e-4
    gtol : float, default=1e-3
    max_time : float or None, default=None
    random_state : int, Generator or None, default=None
    l1, l2 : float, default=0.0
    solver_options : dict or None, default=None
        Passed on to the solver (e.g. ``{"learning_rate": 0.5}`` for ``sgd``).

    Attributes
    ----------
    components_ : ndarray of shape (n_components, n_features)
    reconstruction_err_ : float
        ``||X - W H||_F`` of the training data.
    n_iter_ : int
    n_features_in_ : int
    result_ : NMFResult
        The full result of the fit, with its history.
    """

    def __init__(self, n_components=2, *, solver=None, loss="frobenius", beta=None,
                 init="nndsvda",
                 max_iter=500, tol=1e-4, gtol=1e-3, max_time=None, random_state=None, l1=0.0,
                 l2=0.0, solver_options=None):
        self.n_components = n_components
        self.solver = solver
        self.loss = loss
        self.beta = beta
        self.init = init
        self.max_iter = max_iter
        self.tol = tol
        self.gtol = gtol
        self.max_time = max_time
        self.random_state = random_state
        self.l1 = l1
        self.l2 = l2
        self.solver_options = solver_options

    # -- parameters (the scikit-learn protocol, without importing scikit-learn) ------------------
    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p for p in sig.parameters if p != "self"]

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        valid = self._param_names()
        for key, value in params.items():
            if key not in valid:
                raise ValueError(f"invalid parameter {key!r} for NMF; valid parameters: {valid}.")
            setattr(self, key, value)
        return self

    def __repr__(self):
        changed = {k: val for k, val in self.get_params().items()
                   if val is not inspect.signature(type(self).__init__).parameters[k].default}
        return "NMF(" + ", ".join(f"{k}={val!r}" for k, val in changed.items()) + ")"

    def __sklearn_tags__(self):
        from sklearn.base import BaseEstimator, TransformerMixin

        class _Probe(TransformerMixin, BaseEstimator):
            pass

        tags = _Probe().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.requires_fit = True
        return tags

    # -- fitting ------------------------------------------------------------------------------
    def fit_transform(self, X, y=None, W=None, H=None):
        """Fit and return ``W`` of shape (n_samples, n_components)."""
        if isinstance(self.random_state, np.random.RandomState):
            seed = int(self.random_state.randint(0, 2**31 - 1))
        else:
            seed = self.random_state
        res = factorize(X, self.n_components, solver=self.solver, loss=self.loss, beta=self.beta,
                        init=self.init,
                        W0=W, H0=H, max_iter=self.max_iter, tol=self.tol, gtol=self.gtol,
                        max_time=self.max_time,
                        random_state=seed, l1=self.l1, l2=self.l2,
                        **(self.solver_options or {}))
        self.result_ = res
        self.components_ = res.H
        self.n_components_ = res.rank
        self.n_iter_ = res.n_iter
        self.n_features_in_ = res.H.shape[1]
        W = res.W
        if self.loss == "frobenius":
            # W re-solved exactly for the final components: never a worse fit, and the same
            # weights transform(X) returns.
            W = self.transform(X)
        self.reconstruction_err_ = _residual_norm(X, W, res.H)
        return W

    def fit(self, X, y=None, **params):
        """Fit the model; returns ``self``."""
        self.fit_transform(X, **params)
        return self

    def _check_fitted(self):
        if not hasattr(self, "components_"):
            try:
                from sklearn.exceptions import NotFittedError
            except ImportError:  # scikit-learn absent: a plain error with the same meaning
                NotFittedError = AttributeError
            raise NotFittedError("This NMF instance is not fitted yet; call fit(X) first.")

    def transform(self, X):
        """Weights ``W`` (n_samples, n_components) of new samples for the fitted components
        (:func:`nmfcore.project` with the fit's loss and penalties)."""
        self._check_fitted()
        n_features = v.check_array(X).shape[1]
        if n_features != self.n_features_in_:
            raise v.NMFInputError(f"X has {n_features} features, but NMF is expecting "
                                  f"{self.n_features_in_} features as input (as in fit).")
        return project(X, self.components_, loss=self.loss, beta=self.beta, l1=self.l1,
                       l2=self.l2)

    def inverse_transform(self, X=None, *, Xt=None):
        """``W @ components_``: the data reconstructed from weights of shape (n, n_components)."""
        self._check_fitted()
        W = Xt if X is None else X
        W = W.toarray() if sp.issparse(W) else np.asarray(W)
        if W.ndim != 2 or W.shape[1] != self.components_.shape[0]:
            raise ValueError(f"expected weights of shape (n, {self.components_.shape[0]}); got {W.shape}.")
        return W @ self.components_


def _residual_norm(X, W, H) -> float:
    """``||X - W H||_F`` computed at unit scale (so it is finite whenever the answer is)."""
    data = v.check_array(X)
    k = data.exponent
    Xs = data.X.toarray() if sp.issparse(data.X) else data.X
    WH = np.ldexp(W.astype(np.float64), k // 2) @ np.ldexp(H.astype(np.float64), k - k // 2)
    return float(np.ldexp(np.linalg.norm(Xs - WH), -k))
