"""Scaling and permutation ambiguity: normalisation and Hungarian alignment."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nmfcore.alignment import align_components, align_fit, component_similarity, normalize_factors


def _fit(seed, n=20, m=15, r=4):
    rng = np.random.default_rng(seed)
    return rng.random((n, r)), rng.random((r, m))


def test_normalize_keeps_product_and_unit_rows():
    W, H = _fit(0)
    Wn, Hn = normalize_factors(W, H)
    np.testing.assert_allclose(Wn @ Hn, W @ H, rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(Hn, axis=1), 1.0)
    W1, H1 = normalize_factors(W, H, norm="l1")
    np.testing.assert_allclose(H1.sum(axis=1), 1.0)
    np.testing.assert_allclose(W1 @ H1, W @ H, rtol=1e-12)
    assert not np.shares_memory(Wn, W)


def test_normalize_leaves_zero_component_alone():
    W, H = _fit(1)
    H[2] = 0.0
    Wn, Hn = normalize_factors(W, H)
    np.testing.assert_array_equal(Hn[2], 0.0)
    np.testing.assert_array_equal(Wn[:, 2], W[:, 2])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_permuted_rescaled_copy_aligns_back_exactly(seed):
    W, H = _fit(seed)
    rng = np.random.default_rng(seed + 1)
    perm = rng.permutation(4)
    d = rng.uniform(0.01, 100.0, 4)
    W2, H2 = W[:, perm] / d, d[:, None] * H[perm]      # same product, other labels/scales
    Wr, Hr, _, _ = align_fit(W, H)
    Wa, Ha, p, sim = align_fit(W2, H2, Hr)
    np.testing.assert_allclose(sim, 1.0, atol=1e-12)
    np.testing.assert_allclose(Ha, Hr, atol=1e-12)
    np.testing.assert_allclose(Wa, Wr, rtol=1e-10)
    np.testing.assert_array_equal(perm[p], np.arange(4))


def test_hungarian_beats_greedy():
    # greedy matching of ref row 0 first would take column 0 (0.9) and leave row 1 with 0.1
    H_ref = np.array([[1.0, 0.0, 0.0], [0.6, 0.8, 0.0]])
    H = np.array([[0.9, 0.436, 0.0], [1.0, 0.0, 0.0]])
    S = component_similarity(H_ref, H)
    perm, sim = align_components(H_ref, H)
    assert perm.tolist() == [1, 0]
    assert sim.sum() == pytest.approx(S[0, 1] + S[1, 0])
    assert sim.sum() > S[0, 0] + S[1, 1]


def test_similarity_matrix_is_cosine():
    H_ref = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 0.0]])
    H = np.array([[0.0, 2.0], [3.0, 3.0]])
    S = component_similarity(H_ref, H)
    np.testing.assert_allclose(S, [[0, 1 / np.sqrt(2)], [1 / np.sqrt(2), 1], [0, 0]])


def test_more_components_than_reference_and_errors():
    H_ref = np.eye(3)[:2]
    H = np.eye(3)[::-1]
    perm, sim = align_components(H_ref, H)
    assert perm.tolist() == [2, 1]
    np.testing.assert_allclose(sim, 1.0)
    with pytest.raises(ValueError, match="at least as many"):
        align_components(H, H_ref)
    with pytest.raises(ValueError, match="same number of features"):
        component_similarity(np.eye(3), np.eye(4))
    with pytest.raises(ValueError, match="norm must be"):
        normalize_factors(np.eye(2), np.eye(2), norm="max")
