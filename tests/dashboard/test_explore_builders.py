"""The Components page's pure parts: figure builders and the new-samples column check."""
import numpy as np
import pytest

from dashboard import plots, uploads
from nmfcore.datasets import Dataset


def test_sample_map_one_trace_per_group_with_row_indices():
    xy = np.array([[0.0, 0.0], [1.0, 1.0], [2.0, 0.5]])
    fig = plots.sample_map(xy, [1, 0, 1], ["A", "B"], row_labels=["r0", "r1", "r2"])
    assert [t.name for t in fig.data] == ["A", "B"]
    assert list(fig.data[1].customdata) == [0, 2] and list(fig.data[1].text) == ["r0", "r2"]
    assert fig.layout.dragmode == "select"
    big = plots.sample_map(np.zeros((4000, 2)), np.zeros(4000, int), ["A"])
    assert big.data[0].type == "scattergl"


def test_topic_map_bubble_area_follows_share_and_marks_the_selected():
    fig = plots.topic_map(np.array([[0.0, 0], [1, 0], [0, 1]]), np.array([0.5, 0.125, 0.375]),
                          ["a", "b", "c"], selected=2)
    size = np.array(fig.data[0].marker.size)
    area = (size - 14) ** 2                     # the part of the diameter that scales
    assert np.allclose(area / area[0], [1, 0.25, 0.75])
    colours = fig.data[0].marker.color
    assert colours[2] != colours[0] and colours[0] == colours[1]
    assert list(fig.data[0].customdata) == [0, 1, 2]


def test_term_bars_most_relevant_on_top_overall_behind():
    fig = plots.term_bars(["x", "y"], np.array([3.0, 1.0]), np.array([4.0, 5.0]),
                          topic_name="T")
    overall, part = fig.data
    assert list(part.y) == ["y", "x"] and list(part.x) == [1.0, 3.0]   # bottom to top
    assert fig.layout.barmode == "overlay" and part.name == "in T"


def _ds(X, cols=None, name="fitted"):
    return Dataset(name=name, X=np.asarray(X, dtype=float), col_labels=cols)


def test_match_features_by_name_reorders_and_refuses_unknown_columns():
    fitted = _ds(np.ones((2, 3)), ("a", "b", "c"))
    new = _ds([[1.0, 2.0, 3.0]], ("c", "a", "b"))
    out, notes = uploads.match_features(new, fitted)
    assert np.allclose(out.X, [[2.0, 3.0, 1.0]]) and out.col_labels == ("a", "b", "c")
    assert "reordered" in notes[0]
    with pytest.raises(uploads.UploadError, match=r"missing 1 .*'c'.*'z'"):
        uploads.match_features(_ds([[1.0, 2.0, 3.0]], ("a", "b", "z")), fitted)


def test_match_features_by_position_needs_the_same_count():
    fitted = _ds(np.ones((2, 3)), ("a", "b", "c"))
    out, notes = uploads.match_features(_ds([[1.0, 2.0, 3.0]]), fitted)
    assert "in the order" in notes[0]
    with pytest.raises(uploads.UploadError, match="4 feature columns but the fit has 3"):
        uploads.match_features(_ds(np.ones((1, 4))), fitted)
