"""The pure figure builders: data in the traces, titles on the axes, legibility rules."""
import numpy as np

from dashboard import plots


def _hist(losses):
    n = len(losses)
    return {"iteration": np.arange(n), "seconds": np.linspace(0, 1, n), "loss": np.array(losses),
            "rel_error": np.array(losses) / 10}


def test_convergence_one_line_per_run_and_log_axes():
    fig = plots.convergence({"a": _hist([4, 2, 1]), "b": _hist([3, 0, 1])}, x="seconds",
                            y="loss", log_y=True)
    assert [t.name for t in fig.data] == ["a", "b"]
    assert list(fig.data[0].y) == [4, 2, 1]
    assert list(fig.data[1].y) == [3, 1]          # a zero cannot sit on a log axis
    assert fig.layout.yaxis.type == "log"
    assert fig.layout.xaxis.title.text == "wall time (s)"
    assert "loss" in fig.layout.yaxis.title.text
    # coinciding curves stay distinguishable: different colour and dash per run
    assert fig.data[0].line.dash != fig.data[1].line.dash
    assert fig.data[0].line.color != fig.data[1].line.color


def test_heatmap_sorts_by_dominant_component_and_aggregates_many_rows():
    rng = np.random.default_rng(0)
    W = rng.random((500, 3))
    W[np.arange(500), rng.integers(0, 3, 500)] += 5
    fig = plots.heatmap(W, x_title="component", y_title="sample", sort_rows=True, max_rows=100)
    z = np.array(fig.data[0].z)
    assert z.shape == (100, 3)
    dom = z.argmax(axis=1)
    assert np.all(np.diff(dom) >= 0)              # grouped by dominant component
    assert "mean of 5" in fig.data[0].y[0]
    assert fig.layout.xaxis.title.text == "component"
    assert fig.data[0].colorbar.title.text == "value"


def test_component_images_one_panel_per_component_with_image_shape():
    H = np.random.default_rng(1).random((5, 12))
    fig = plots.component_grid(H, kind="image", image_shape=(3, 4))
    assert len(fig.data) == 5
    assert np.array(fig.data[0].z).shape == (3, 4)
    assert np.isclose(np.array(fig.data[2].z).max(), 1.0)


def test_top_features_bars_show_heaviest_words():
    H = np.zeros((2, 6))
    H[0, [1, 4]] = [5, 3]
    H[1, 2] = 7
    words = ["a", "b", "c", "d", "e", "f"]
    fig = plots.component_grid(H, kind="text", feature_names=words, n_top=2)
    assert [t.type for t in fig.data] == ["bar", "bar"]
    assert list(fig.data[0].y) == ["e", "b"]      # heaviest at the top of a horizontal bar
    assert fig.data[1].y[-1] == "c"


def test_memberships_stacked_and_sum_to_one():
    M = np.array([[0.2, 0.8], [0.9, 0.1], [0.5, 0.5]])
    fig = plots.memberships(M, row_labels=["x", "y", "z"], classes=[0, 1, 1])
    assert fig.layout.barmode == "stack"
    total = np.array(fig.data[0].y) + np.array(fig.data[1].y)
    assert np.allclose(total, 1)
    assert fig.data[0].x[0].startswith("y")      # the sample dominated by C1 first


def test_small_multiples_baseline_and_marks():
    fig = plots.small_multiples([2, 3, 4], {
        "cophenetic": {"y": [0.9, 0.99, 0.8], "baseline": [0.7, 0.7, 0.7], "mark": 3},
        "error": {"y": [0.5, 0.3, 0.2]}})
    names = [t.name for t in fig.data]
    assert names.count("data") == 2 and "shuffled data (baseline)" in names
    star = [t for t in fig.data if t.name == "suggested rank"][0]
    assert list(star.x) == [3] and list(star.y) == [0.99]


def test_consensus_reorders_and_reconstruction_images():
    C = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1.0]])
    fig = plots.consensus(C, order=[0, 2, 1])
    assert np.array(fig.data[0].z)[0].tolist() == [1, 1, 0]
    rec = plots.reconstruction(np.arange(4.0), np.arange(4.0) + 1, image_shape=(2, 2))
    assert len(rec.data) == 3 and np.allclose(rec.data[2].z, 1)


def test_learn_and_explore_share_one_palette():
    assert plots.teaching.PALETTE is plots.PALETTE
    fig = plots.teaching.lines([0, 1], {"C1": [1, 2], "C2": [2, 3]})
    explore = plots.convergence({"C1": {"iteration": [0, 1], "loss": [2, 1]},
                                 "C2": {"iteration": [0, 1], "loss": [3, 1]}})
    assert [t.line.color for t in fig.data] == [plots.color(0), plots.color(1)]
    assert [t.line.color for t in explore.data][:2] == [plots.color(0), plots.color(1)]
