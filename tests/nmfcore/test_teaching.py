"""Tests of nmfcore.teaching: the maths behind the Learn lessons, checked against nmfcore and
against closed forms."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import poisson

import nmfcore
from nmfcore import datasets, teaching


@pytest.fixture
def tiny():
    return np.asarray(datasets.load_demo("tiny").X, dtype=float)


def test_storage_counts():
    assert teaching.storage_counts(256, 1024, 17) == {
        "X": 262144, "factors": 17 * 1280, "ratio": 17 * 1280 / 262144}


def test_pca_is_exact_at_full_rank_and_orthonormal():
    rng = np.random.default_rng(0)
    X = rng.random((30, 8))
    d = teaching.pca(X, 8)
    np.testing.assert_allclose(d.reconstruction, X, atol=1e-10)
    np.testing.assert_allclose(d.components @ d.components.T, np.eye(8), atol=1e-10)
    assert d.explained_variance_ratio.sum() == pytest.approx(1.0)
    assert np.all(np.diff(d.explained_variance_ratio) <= 1e-12)
    big = np.argmax(np.abs(d.components), axis=1)
    assert np.all(d.components[np.arange(8), big] > 0)  # sign convention
    d2 = teaching.pca(X, 2)
    assert np.linalg.norm(X - d2.reconstruction) > np.linalg.norm(X - d.reconstruction)


def test_vector_quantization_replaces_samples_by_centroids():
    rng = np.random.default_rng(1)
    X = np.vstack([rng.normal(0, 0.1, (20, 3)), rng.normal(5, 0.1, (20, 3))])
    d = teaching.vector_quantization(X, 2, random_state=0)
    assert set(d.labels[:20]) != set(d.labels[20:])
    np.testing.assert_array_equal(d.reconstruction, d.components[d.labels])
    np.testing.assert_array_equal(d.weights.sum(axis=1), 1.0)
    again = teaching.vector_quantization(X, 2, random_state=0)
    np.testing.assert_array_equal(again.labels, d.labels)


def test_mu_steps_agree_with_nmfcore(tiny):
    W0, H0 = nmfcore.initialize(tiny, 2, "random", random_state=3)
    steps = teaching.mu_trace(tiny, W0, H0, 25, delta=1e-16)
    res = nmfcore.factorize(tiny, 2, solver="mu", W0=W0, H0=H0, max_iter=25, tol=0.0,
                            delta=1e-16)
    np.testing.assert_allclose([s.loss for s in steps], res.history["loss"][1:], rtol=1e-9)
    np.testing.assert_allclose(steps[-1].W, res.W, rtol=1e-8)
    np.testing.assert_allclose(steps[-1].H, res.H, rtol=1e-8)
    assert np.all(np.diff([s.loss for s in steps]) <= 1e-12)


def test_mu_ratios_and_zero_locking(tiny):
    W0, H0 = nmfcore.initialize(tiny, 2, "random", random_state=0)
    H0 = np.array(H0)
    H0[1, 1] = 0.0
    step = teaching.mu_step(tiny, np.array(W0), H0)
    np.testing.assert_allclose(step.H, H0 * step.ratio_H)
    assert np.all(np.isfinite(step.ratio_W))
    last = teaching.mu_trace(tiny, W0, H0, 200)[-1]
    assert last.H[1, 1] == 0.0  # a zero never moves
    free = teaching.mu_trace(tiny, W0, np.array(nmfcore.initialize(tiny, 2, "random",
                                                                   random_state=0)[1]), 200)[-1]
    assert last.loss > 10 * free.loss


def test_delta_prevents_nan_from_a_dead_component(tiny):
    W0, H0 = nmfcore.initialize(tiny, 2, "random", random_state=0)
    W0 = np.array(W0)
    W0[:, 1] = 0.0
    assert np.isnan(teaching.mu_step(tiny, W0, H0, delta=0.0).loss)
    safe = teaching.mu_trace(tiny, W0, H0, 20, delta=1e-12)
    assert np.isfinite(safe[-1].loss)
    assert np.all(safe[-1].W[:, 1] == 0) and np.all(safe[-1].H[1] == 0)  # stays dead


def test_gradient_step_is_the_tutorial_update(tiny):
    rng = np.random.default_rng(0)
    W, H = rng.random((5, 2)), rng.random((2, 6))
    lr, lam = 0.01, 0.1
    R = tiny - W @ H
    W1, H1 = teaching.gradient_step(tiny, W, H, learning_rate=lr, l2=lam, project=False)
    np.testing.assert_allclose(W1, W + lr * (R @ H.T - lam * W))
    np.testing.assert_allclose(H1, H + lr * (W.T @ R - lam * H))
    Wp, Hp = teaching.gradient_step(tiny, W, H, learning_rate=lr, l2=lam, project=True)
    np.testing.assert_allclose(Wp, np.maximum(W1, 0))
    np.testing.assert_allclose(Hp, np.maximum(H1, 0))


def test_gradient_descent_projection_and_divergence(tiny):
    W0, H0 = nmfcore.initialize(tiny, 2, "random", random_state=0)
    free = teaching.gradient_descent(tiny, W0, H0, learning_rate=0.02, l2=0.01, n_epochs=200,
                                     project=False)
    proj = teaching.gradient_descent(tiny, W0, H0, learning_rate=0.02, l2=0.01, n_epochs=200,
                                     project=True)
    assert free.min_entry.min() < 0 and free.negative_fraction[-1] > 0
    assert proj.min_entry.min() >= 0
    assert proj.loss[-1] < 0.01 * proj.loss[0] and not proj.diverged
    blown = teaching.gradient_descent(tiny, W0, H0, learning_rate=0.2, n_epochs=50,
                                      project=False)
    assert blown.diverged and np.isinf(blown.loss[-1]) and np.all(np.isfinite(blown.W))


def test_poisson_log_likelihood_and_kl():
    rng = np.random.default_rng(0)
    X = rng.poisson(2.0, size=(6, 5)).astype(float)
    M = rng.uniform(0.5, 3.0, size=(6, 5))
    assert teaching.poisson_log_likelihood(X, M) == pytest.approx(poisson.logpmf(X, M).sum())
    # KL = saturated log-likelihood - log-likelihood, so the two always sum to a constant
    sat = teaching.poisson_log_likelihood(X, np.where(X > 0, X, 1e-300))
    for M2 in (M, M * 1.3):
        total = teaching.kl_divergence(X, M2) + teaching.poisson_log_likelihood(X, M2)
        assert total == pytest.approx(sat, rel=1e-9)
    assert teaching.kl_divergence(X, np.where(X > 0, X, 1e-300)) == pytest.approx(0, abs=1e-9)


def test_fastica_unmixes_independent_sources():
    rng = np.random.default_rng(0)
    S = np.column_stack([rng.uniform(-1, 1, 2000), rng.laplace(size=2000)])
    A = np.array([[1.0, 0.5, 0.2], [0.3, 1.0, 0.8]])
    S_hat, A_hat = teaching.fastica(S @ A, 2, random_state=0)
    C = np.abs(np.corrcoef(S.T, S_hat.T)[:2, 2:])
    assert np.all(C.max(axis=1) > 0.98)
    assert A_hat.shape == (2, 3)


def test_most_mixed_samples():
    M = np.array([[1.0, 0.0], [0.5, 0.5], [0.8, 0.2], [0.0, 0.0]])
    assert teaching.most_mixed_samples(M, 2).tolist() == [1, 2]
