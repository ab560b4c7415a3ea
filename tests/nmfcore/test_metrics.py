"""Clustering and factor measures, cross-checked with scikit-learn (test-only oracle)."""
import numpy as np
import pytest

import nmfcore
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st
from sklearn.metrics import adjusted_rand_score
from sklearn.metrics import silhouette_samples as sk_silhouette_samples
from sklearn.metrics.cluster import contingency_matrix

from nmfcore.metrics import (
    adjusted_rand_index, contingency_table, entropy, explained_variance, hoyer_sparsity,
    purity, relative_error, silhouette_samples, silhouette_score,
)

labelings = st.integers(0, 2**32 - 1).map(
    lambda s: (np.random.default_rng(s).integers(0, 4, 40), np.random.default_rng(s + 7).integers(0, 3, 40)))


@settings(max_examples=40, deadline=None)
@given(labelings)
def test_ari_and_contingency_match_sklearn(pair):
    pred, true = pair
    np.testing.assert_array_equal(contingency_table(pred, true), contingency_matrix(pred, true))
    assert adjusted_rand_index(pred, true) == pytest.approx(adjusted_rand_score(true, pred), abs=1e-12)
    table = contingency_matrix(true, pred)          # classes x clusters
    assert purity(pred, true) == pytest.approx(table.max(axis=0).sum() / len(pred))


def test_ari_extremes():
    a = np.array([0, 0, 1, 1, 2, 2])
    assert adjusted_rand_index(a, 5 - a) == pytest.approx(1.0)
    assert adjusted_rand_index(np.zeros(5), np.zeros(5)) == 1.0
    assert adjusted_rand_index([0, 1, 0, 1], [0, 0, 1, 1]) < 0


def test_purity_and_entropy_hand_computed():
    # clusters: {a,a,b}, {b,b,b,c}; classes a,b,c
    pred = np.array([0, 0, 0, 1, 1, 1, 1])
    true = np.array(["a", "a", "b", "b", "b", "b", "c"])
    assert purity(pred, true) == pytest.approx((2 + 3) / 7)
    h = -(2 * np.log2(2 / 3) + 1 * np.log2(1 / 3) + 3 * np.log2(3 / 4) + 1 * np.log2(1 / 4))
    assert entropy(pred, true) == pytest.approx(h / (7 * np.log2(3)))
    assert purity(true, true) == 1.0
    assert entropy(true, true) == 0.0


@settings(max_examples=30, deadline=None)
@given(labelings)
def test_entropy_matches_sklearn_conditional_entropy(pair):
    # R NMF entropy == H(class | cluster) / log(n_classes)
    from sklearn.metrics import mutual_info_score
    pred, true = pair
    _, ti = np.unique(true, return_counts=True)
    p = ti / ti.sum()
    h_class = -np.sum(p * np.log(p))
    h_cond = h_class - mutual_info_score(true, pred)
    assert entropy(pred, true) == pytest.approx(h_cond / np.log(len(ti)), abs=1e-10)
    assert 0.0 <= entropy(pred, true) <= 1.0


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_silhouette_matches_sklearn_precomputed(seed):
    rng = np.random.default_rng(seed)
    pts = rng.random((25, 3))
    D = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    labels = rng.integers(0, 3, 25)
    labels[:3] = [0, 1, 2]
    labels[3] = 4                      # a singleton cluster gets 0
    np.testing.assert_allclose(silhouette_samples(D, labels),
                               sk_silhouette_samples(D, labels, metric="precomputed"), atol=1e-12)
    assert silhouette_samples(D, labels)[3] == 0.0


def test_silhouette_of_crisp_consensus_is_one():
    labels = np.repeat([0, 1, 2], 4)
    C = (labels[:, None] == labels[None, :]).astype(float)
    assert silhouette_score(1 - C, labels) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="n_clusters"):
        silhouette_score(1 - C, np.zeros(12))


def test_hoyer_sparsity():
    assert hoyer_sparsity([0, 0, 5, 0]) == pytest.approx(1.0)
    assert hoyer_sparsity(np.ones(9)) == pytest.approx(0.0)
    x = np.array([1.0, 2.0, 0.0, 0.0])
    n = 4
    expected = (np.sqrt(n) - 3 / np.sqrt(5)) / (np.sqrt(n) - 1)
    assert hoyer_sparsity(x) == pytest.approx(expected)
    H = np.array([[0, 0, 1.0], [1, 1, 1.0]])
    np.testing.assert_allclose(hoyer_sparsity(H, axis=1), [1.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(hoyer_sparsity(H.T, axis=0), [1.0, 0.0], atol=1e-12)


def test_explained_variance_and_relative_error_dense_sparse_masked():
    rng = np.random.default_rng(5)
    W, H = rng.random((30, 3)), rng.random((3, 20))
    X = W @ H
    assert explained_variance(X, W, H) == pytest.approx(1.0)
    assert relative_error(X, W, H) == pytest.approx(0.0, abs=1e-12)
    Xn = X * (rng.random(X.shape) < 0.3)          # sparse-ish target
    ev = explained_variance(Xn, W, H)
    re = relative_error(Xn, W, H)
    assert ev == pytest.approx(1 - re ** 2)
    assert explained_variance(sp.csr_matrix(Xn), W, H) == pytest.approx(ev, rel=1e-10)
    mask = rng.random(X.shape) < 0.5
    R = (Xn - W @ H)[mask]
    assert relative_error(Xn, W, H, mask=mask) == pytest.approx(
        np.sqrt((R ** 2).sum() / (Xn[mask] ** 2).sum()))
    assert explained_variance(X, np.zeros_like(W), H) == pytest.approx(0.0)


def test_relative_error_of_an_approximation_equals_the_factored_form():
    rng = np.random.default_rng(3)
    X, W, H = rng.random((6, 5)), rng.random((6, 2)), rng.random((2, 5))
    want = np.linalg.norm(X - W @ H) / np.linalg.norm(X)
    assert relative_error(X, W @ H) == pytest.approx(want, rel=1e-12)
    assert relative_error(sp.csr_matrix(X), W @ H) == pytest.approx(want, rel=1e-12)
    assert relative_error(X * 1e-200, W @ H * 1e-200) == pytest.approx(want, rel=1e-12)
    with pytest.raises(ValueError, match="shape of X"):
        relative_error(X, W)


def test_feature_programs_rank_by_weight_and_score_specificity():
    H = np.array([[5.0, 1.0, 1.0, 0.0],
                  [0.0, 1.0, 3.0, 0.0],
                  [0.0, 1.0, 0.0, 2.0]])
    p = nmfcore.feature_programs(H, n_top=2)
    assert p["top"][0][0] == 0 and p["top"][1][0] == 2 and p["top"][2][0] == 3
    # feature 1 is used equally by every component: z-score 0 everywhere
    assert np.all(p["Z"][:, 1] == 0.0)
    # feature 0 marks component 0 only: (5 - 5/3) / std
    col = H[:, 0]
    assert p["Z"][0, 0] == pytest.approx((5 - col.mean()) / col.std())
    assert p["zscore"][0, 0] == pytest.approx(p["Z"][0, 0])
    assert p["weight"][1].tolist() == [3.0, 1.0]
