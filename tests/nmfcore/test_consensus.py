"""Consensus matrix and its summaries on hand-built and sampled clusterings."""
import numpy as np
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from nmfcore.consensus import (
    connectivity, consensus_clusters, consensus_matrix, consensus_order,
    cophenetic_correlation, dispersion, hard_assignments, pac,
)


def _crisp_blocks(sizes, shuffle_seed=None):
    labels = np.repeat(np.arange(len(sizes)), sizes)
    if shuffle_seed is not None:
        labels = np.random.default_rng(shuffle_seed).permutation(labels)
    return labels, connectivity(labels)


def test_connectivity_values_and_unassigned():
    M = connectivity([0, 1, 0, -1])
    expected = np.array([[1, 0, 1, 0], [0, 1, 0, 0], [1, 0, 1, 0], [0, 0, 0, 1]], float)
    np.testing.assert_array_equal(M, expected)


def test_hard_assignments_argmax_and_zero_rows():
    W = np.array([[0.1, 0.9], [2.0, 1.0], [0.0, 0.0]])
    np.testing.assert_array_equal(hard_assignments(W), [1, 0, -1])


def test_crisp_block_matrix_gives_1_1_0():
    _, C = _crisp_blocks([4, 5, 3], shuffle_seed=0)
    assert cophenetic_correlation(C) == pytest.approx(1.0, abs=1e-12)
    assert dispersion(C) == pytest.approx(1.0)
    assert pac(C) == 0.0


def test_consensus_is_mean_connectivity_and_label_names_do_not_matter():
    a = np.array([0, 0, 1, 1, 2])
    b = np.array([5, 5, 7, 7, 9])      # same partition, other names
    c = np.array([0, 1, 1, 1, 1])
    C = consensus_matrix([a, b, c])
    np.testing.assert_allclose(C, (2 * connectivity(a) + connectivity(c)) / 3)
    assert C[0, 1] == pytest.approx(2 / 3)
    assert C[1, 2] == pytest.approx(1 / 3)
    np.testing.assert_allclose(C, C.T)
    np.testing.assert_allclose(np.diag(C), 1.0)


def test_ambiguous_consensus_scores_worse():
    rng = np.random.default_rng(1)
    truth = np.repeat(np.arange(3), 10)
    crisp = consensus_matrix([truth] * 20)
    noisy_runs = [np.where(rng.random(30) < 0.4, rng.integers(0, 3, 30), truth) for _ in range(20)]
    noisy = consensus_matrix(noisy_runs)
    random_runs = [rng.integers(0, 3, 30) for _ in range(20)]
    rand = consensus_matrix(random_runs)
    assert dispersion(crisp) > dispersion(noisy) > dispersion(rand)
    assert pac(crisp) < pac(noisy) < pac(rand)
    assert cophenetic_correlation(crisp) > cophenetic_correlation(noisy)
    assert cophenetic_correlation(noisy) > cophenetic_correlation(rand)


def test_dispersion_of_half_is_zero_and_pac_counts_off_diagonal():
    C = np.full((4, 4), 0.5)
    np.fill_diagonal(C, 1.0)
    assert dispersion(C) == pytest.approx(4 / 16)    # only the diagonal is crisp
    assert pac(C) == 1.0
    assert pac(C, lower=0.5, upper=0.9) == 0.0       # open interval


def test_cophenetic_matches_scipy_cophenet():
    rng = np.random.default_rng(2)
    runs = [rng.integers(0, 3, 12) for _ in range(7)]
    C = consensus_matrix(runs)
    D = 1 - C
    np.fill_diagonal(D, 0)
    d = squareform(D)
    expected, _ = hierarchy.cophenet(hierarchy.linkage(d, "average"), d)
    assert cophenetic_correlation(C) == pytest.approx(expected, rel=1e-12)


def test_order_puts_blocks_on_the_diagonal_and_cut_recovers_them():
    labels, C = _crisp_blocks([5, 3, 4], shuffle_seed=3)
    order = consensus_order(C)
    assert sorted(order.tolist()) == list(range(12))
    ordered = labels[order]
    # contiguous runs: the number of label changes along the order is n_blocks - 1
    assert np.count_nonzero(np.diff(ordered)) == 2
    cut = consensus_clusters(C, 3)
    from nmfcore.metrics import adjusted_rand_index
    assert adjusted_rand_index(cut, labels) == pytest.approx(1.0)
    opt = consensus_order(C, optimal=True)
    assert np.count_nonzero(np.diff(labels[opt])) == 2


def test_bad_inputs_raise_clear_errors():
    with pytest.raises(ValueError, match="square"):
        dispersion(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        pac(np.full((2, 2), 2.0))
    with pytest.raises(ValueError, match="at least one"):
        consensus_matrix([])
    with pytest.raises(ValueError, match="same length"):
        consensus_matrix([[0, 1], [0, 1, 2]])
    with pytest.raises(ValueError, match="lower < upper"):
        pac(np.eye(3), lower=0.9, upper=0.1)


def test_summary_equals_separate_functions_and_fast_path_equals_connectivity_mean():
    rng = np.random.default_rng(4)
    runs = [rng.integers(-1, 3, 15) for _ in range(6)]       # includes unassigned samples
    C = consensus_matrix(runs)
    np.testing.assert_array_equal(C, np.mean([connectivity(r) for r in runs], axis=0))
    from nmfcore.consensus import consensus_summary
    s = consensus_summary(C)
    assert s["cophenetic"] == cophenetic_correlation(C)
    assert s["dispersion"] == dispersion(C) and s["pac"] == pac(C)
    np.testing.assert_array_equal(s["order"], consensus_order(C))
