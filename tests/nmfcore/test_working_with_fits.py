"""Working with a fit: projection of new samples, default and carried names, the sample map,
topic distances / MDS / relevance, and drop / merge edits, each against a known answer."""
import numpy as np
import pytest
import scipy.sparse as sp

import nmfcore


def _exact(n=40, m=12, r=3, seed=0):
    rng = np.random.default_rng(seed)
    W = rng.random((n, r)) + 0.05
    H = rng.random((r, m))
    H[np.arange(r), np.arange(r)] += 2.0     # separable-ish: a unique exact factorization
    return W, H, W @ H


# ------------------------------------------------------------------ projection
def test_project_of_training_rows_reproduces_W():
    W, H, X = _exact()
    assert np.allclose(nmfcore.project(X, H), W, atol=1e-8)
    assert np.allclose(nmfcore.project(sp.csr_matrix(X), H), W, atol=1e-8)


def test_project_of_a_fit_gives_back_its_W_and_transform_uses_it():
    W0, H0, X = _exact(seed=1)
    res = nmfcore.factorize(X, 3, solver="anls", tol=1e-10, max_iter=400, random_state=0)
    Wp = nmfcore.project(X, res.H)
    assert np.linalg.norm(Wp - res.W) / np.linalg.norm(res.W) < 1e-4
    est = nmfcore.NMF(3, solver="hals", max_iter=300, random_state=0).fit(X)
    assert np.allclose(est.transform(X), nmfcore.project(X, est.components_))


def test_project_known_answer_and_clipping():
    H = np.array([[1.0, 0.0, 1.0], [0.0, 1.0, 0.0]])
    assert np.allclose(nmfcore.project(np.array([[2.0, 3.0, 2.0]]), H), [[2.0, 3.0]])
    # x = (0, 1, 0) minus nothing: the best non-negative weight on C1 is 0, not negative
    W = nmfcore.project(np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]]), H)
    assert np.allclose(W, [[0.0, 1.0], [0.5, 0.0]]) and (W >= 0).all()


def test_project_kl_recovers_weights_and_never_negative():
    W, H, X = _exact(seed=2)
    Wk = nmfcore.project(X, H, loss="kl", n_iter=2000)
    assert (Wk >= 0).all()
    assert np.linalg.norm(Wk @ H - X) / np.linalg.norm(X) < 1e-3


def test_project_any_scale():
    W, H, X = _exact(seed=3)
    assert np.allclose(nmfcore.project(X * 1e200, H * 1e-100), W * 1e300, rtol=1e-6)


@pytest.mark.parametrize("X, H, words", [
    (np.ones((2, 5)), np.ones((2, 4)), ["5 features", "4", "same features"]),
    (-np.ones((2, 4)), np.ones((2, 4)), ["negative"]),
    (np.ones((2, 4)), -np.ones((2, 4)), ["non-negative"]),
    (np.ones((2, 4)), np.ones(4), ["2-D"]),
])
def test_project_refuses_bad_input_with_a_reason(X, H, words):
    with pytest.raises(ValueError) as err:
        nmfcore.project(X, H)
    for w in words:
        assert w in str(err.value)
    with pytest.raises(ValueError, match="loss"):
        nmfcore.project(np.ones((2, 4)), np.ones((2, 4)), loss="nope")


def test_sample_errors():
    H = np.array([[1.0, 0.0], [0.0, 1.0]])
    X = np.array([[3.0, 4.0], [3.0, 4.0], [0.0, 0.0]])
    W = np.array([[3.0, 4.0], [3.0, 0.0], [0.0, 0.0]])
    assert np.allclose(nmfcore.sample_errors(X, W, H), [0.0, 4 / 5, 0.0])


# ------------------------------------------------------------------ names
def test_default_names():
    H = np.array([[0.1, 3.0, 2.0, 0.0], [5.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]])
    terms = ["apple", "pear", "plum", "fig"]
    assert nmfcore.default_names(H, terms, kind="text", n_terms=2) == \
        ["C1 · pear, plum", "C2 · apple", "C3"]
    assert nmfcore.default_names(H, terms) == ["C1 · pear", "C2 · apple", "C3"]
    assert nmfcore.default_names(H) == ["C1", "C2", "C3"]
    assert nmfcore.default_names(H, terms, kind="image") == ["C1", "C2", "C3"]


def test_carry_names_follows_matched_components_only():
    H_old = np.eye(4)[:3]
    H_new = np.array([[0, 0, 2.0, 0], [0, 0, 0, 1.0], [3.0, 0.1, 0, 0]])  # C3 kept, C1 kept, new
    out = nmfcore.carry_names(H_old, ["left arm", None, "leg"], H_new,
                              defaults=["n1", "n2", "n3"])
    assert out == ["leg", "n2", "left arm"]
    # a refit with fewer components keeps the names of those that survive
    assert nmfcore.carry_names(H_old, ["a", "b", "c"], H_old[[1]]) == ["b"]


# ------------------------------------------------------------------ sample map
def test_sample_map_radial_and_pca():
    W = np.array([[1.0, 0, 0], [0, 2.0, 0], [0, 0, 5.0], [1.0, 1.0, 0]])
    xy = nmfcore.sample_map(W, "radial")
    assert np.allclose(xy[:3], [[1, 0], [-0.5, np.sqrt(3) / 2], [-0.5, -np.sqrt(3) / 2]])
    assert np.allclose(xy[3], (xy[0] + xy[1]) / 2)
    pc = nmfcore.sample_map(W, "pca")
    # distances between memberships are kept exactly (3 simplex corners + a midpoint: 2-D)
    P = nmfcore.memberships(W).P
    dP = np.linalg.norm(P[:, None] - P[None], axis=2)
    assert np.allclose(np.linalg.norm(pc[:, None] - pc[None], axis=2), dP)
    # rank 2: one degree of freedom, so the second axis is 0
    assert np.allclose(nmfcore.sample_map(np.array([[1.0, 0], [0, 1], [1, 1]]))[:, 1], 0)
    assert np.allclose(nmfcore.sample_map(np.ones((3, 1))), 0)
    with pytest.raises(ValueError, match="method"):
        nmfcore.sample_map(W, "tsne")


def test_top_samples():
    W = np.array([[1.0, 1.0], [4.0, 0.0], [2.0, 0.0], [0.0, 3.0]])
    assert nmfcore.top_samples(W, 0, 3).tolist() == [1, 2, 0]    # pure first, heavier first
    assert nmfcore.top_samples(W, 1, 10).tolist() == [3, 0]      # zero weight never listed


# ------------------------------------------------------------------ topics
def test_js_distances_known_values():
    P = np.array([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    D = nmfcore.js_distances(P)
    assert np.allclose(np.diag(D), 0) and np.allclose(D, D.T)
    assert np.isclose(D[0, 1], 1.0)                   # disjoint supports: maximal distance
    # JS((1,0), (.5,.5)) = 1 - 0.75 log2(4/3)... computed in full:
    m = np.array([0.75, 0.25])
    js = 0.5 * (np.log2(1 / m[0]) + 0.5 * np.log2(0.5 / m[0]) + 0.5 * np.log2(0.5 / m[1]))
    assert np.isclose(D[0, 2], np.sqrt(js))


def test_classical_mds_reproduces_euclidean_distances():
    pts = np.array([[0.0, 0], [3, 0], [0, 4], [1, 1]])
    D = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    Y = nmfcore.classical_mds(D, 2)
    assert np.allclose(np.linalg.norm(Y[:, None] - Y[None], axis=2), D)
    assert np.allclose(Y.mean(axis=0), 0)
    assert nmfcore.classical_mds(np.zeros((1, 1))).shape == (1, 2)


def test_topic_shares():
    W = np.array([[1.0, 0.0], [1.0, 3.0]])
    H = np.array([[1.0, 1.0], [0.5, 0.5]])
    # mass: C1 = 2 * 2 = 4, C2 = 3 * 1 = 3
    assert np.allclose(nmfcore.topic_shares(W, H), [4 / 7, 3 / 7])
    assert np.isclose(nmfcore.topic_shares(W, H).sum(), 1)


def test_relevance_at_lambda_one_is_log_weight_and_at_zero_log_lift():
    H = np.array([[3.0, 1.0, 0.0], [1.0, 1.0, 2.0]])
    P = H / H.sum(axis=1, keepdims=True)
    R1 = nmfcore.term_relevance(H, 1.0)
    with np.errstate(divide="ignore"):
        assert np.array_equal(np.isinf(R1), P == 0)
        assert np.allclose(R1[P > 0], np.log(P[P > 0]))
    pw = np.array([0.5, 0.25, 0.25])
    R0 = nmfcore.term_relevance(H, 0.0, pw)
    with np.errstate(divide="ignore"):
        assert np.allclose(R0[P > 0], np.log(P / pw[None, :])[P > 0])
    Rh = nmfcore.term_relevance(H, 0.5, pw)
    assert np.allclose(Rh[P > 0], (0.5 * R1 + 0.5 * R0)[P > 0])
    # the order changes with lambda: at 1 the heavy common term first, at 0 the rare one
    common_first = np.array([0.7, 0.05, 0.25])
    assert nmfcore.top_terms(H, 0, lam=1.0, n=3, term_prob=common_first).tolist() == [0, 1]
    assert nmfcore.top_terms(H, 0, lam=0.0, n=3, term_prob=common_first).tolist() == [1, 0]
    with pytest.raises(ValueError, match="lam"):
        nmfcore.term_relevance(H, 1.5)


def test_top_terms_breaks_equal_lift_by_weight():
    # terms 0..2 only in topic 0: the same lift at lambda 0, so the heavier comes first
    H = np.array([[1.0, 3.0, 2.0, 1.0], [0.0, 0.0, 0.0, 4.0]])
    pw = nmfcore.term_probabilities(W=np.ones((1, 2)), H=H)
    assert nmfcore.top_terms(H, 0, lam=0.0, n=4, term_prob=pw).tolist() == [1, 2, 0, 3]


def test_term_probabilities_and_frequencies():
    X = np.array([[1.0, 3.0], [1.0, 5.0]])
    assert np.allclose(nmfcore.term_probabilities(X), [0.2, 0.8])
    assert np.allclose(nmfcore.term_probabilities(sp.csr_matrix(X)), [0.2, 0.8])
    W = np.array([[1.0, 0.0], [1.0, 2.0]])
    H = np.array([[1.0, 0.0], [0.0, 2.0]])
    in_topic, overall = nmfcore.term_frequencies(W, H, X)
    assert np.allclose(in_topic, [[2.0, 0.0], [0.0, 4.0]]) and np.allclose(overall, [2, 8])
    assert np.allclose(nmfcore.term_frequencies(W, H)[1], [2.0, 4.0])


# ------------------------------------------------------------------ edits
def test_drop_components():
    W, H, _ = _exact()
    Wd, Hd = nmfcore.drop_components(W, H, [1])
    assert np.allclose(Wd @ Hd, W @ H - np.outer(W[:, 1], H[1]))
    with pytest.raises(ValueError, match="keep at least one"):
        nmfcore.drop_components(W, H, [0, 1, 2])


def test_merge_of_a_split_part_is_exact_and_refits_to_the_same_error():
    W, H, X = _exact(r=3, seed=4)
    # the same fit written with 4 components: part 2 split into two proportional rows
    W4 = np.column_stack([W, 0.3 * W[:, 2]])
    W4[:, 2] *= 0.7
    H4 = np.vstack([H, 5.0 * H[2]])
    H4[3] /= 5.0
    H4[3] *= 2.0
    W4[:, 3] /= 2.0
    assert np.allclose(W4 @ H4, X)
    Wm, Hm = nmfcore.merge_components(W4, H4, 2, 3)
    assert Wm.shape == (40, 3) and np.allclose(Wm @ Hm, X)
    res = nmfcore.factorize(X, 3, W0=Wm, H0=Hm, solver="hals", max_iter=50, random_state=0)
    assert res.rel_error < 1e-6
    fresh = nmfcore.factorize(X, 4, W0=W4, H0=H4, solver="hals", max_iter=50, random_state=0)
    assert abs(res.rel_error - fresh.rel_error) < 1e-6


def test_merge_weights_h_by_total_weight():
    W = np.array([[1.0, 3.0]])
    H = np.array([[1.0, 0.0], [0.0, 1.0]])
    Wm, Hm = nmfcore.merge_components(W, H, 0, 1)
    assert np.allclose(Wm, [[4.0]]) and np.allclose(Hm, [[0.25, 0.75]])
    with pytest.raises(ValueError, match="two different"):
        nmfcore.merge_components(W, H, 1, 1)


def test_match_components_with_unequal_ranks():
    H = np.array([[1.0, 0, 0, 0], [0, 1.0, 0, 0], [0, 0, 1.0, 1.0]])
    other = np.array([[0, 0, 2.0, 2.1], [0.0, 0, 0, 1.0], [0.9, 0.1, 0, 0], [0, 3.0, 0, 0]])
    pairs, sim, S = nmfcore.match_components(H, other)
    assert pairs.tolist() == [[0, 2], [1, 3], [2, 0]] and S.shape == (3, 4)
    assert np.allclose(sim, [S[0, 2], 1.0, S[2, 0]]) and sim[2] > 0.99
    back, sim_b, _ = nmfcore.match_components(other, H)     # the other way round: 3 pairs
    assert sorted(map(tuple, back.tolist())) == [(0, 2), (2, 0), (3, 1)]


@pytest.mark.parametrize("loss, beta", [("itakura-saito", None), ("beta", 0.5), ("beta", 1.5),
                                        ("beta", 3.0)])
def test_project_other_beta_divergences_fit_exact_data(loss, beta):
    W, H, X = _exact(seed=5)
    Wb = nmfcore.project(X, H, loss=loss, beta=beta, n_iter=3000)
    assert (Wb >= 0).all()
    assert np.linalg.norm(Wb @ H - X) / np.linalg.norm(X) < 1e-2


def test_project_beta_zero_refuses_zeros():
    W, H, X = _exact(seed=6)
    X[0, 0] = 0.0
    with pytest.raises(ValueError, match="epsilon"):
        nmfcore.project(X, H, loss="itakura-saito")
