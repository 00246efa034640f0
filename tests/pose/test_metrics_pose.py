"""Pose metrics against hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.exceptions import DataValueError
from neurodl.metrics.pose import compute_torso_length, keypoint_errors, pck, pose_error_summary

NAMES = ("left_shoulder", "right_shoulder", "left_hip", "right_hip", "nose")


def _truth() -> np.ndarray:
    # Shoulders at y = 0, hips at y = 10: torso length 10 in both frames (20 in the second).
    one = [[1, 0], [-1, 0], [1, 10], [-1, 10], [0, -5]]
    two = [[2, 0], [-2, 0], [2, 20], [-2, 20], [0, -10]]
    return np.array([one, two], dtype=float)


def test_torso_length_is_shoulder_mid_to_hip_mid():
    np.testing.assert_allclose(compute_torso_length(_truth(), NAMES), [10.0, 20.0])
    with pytest.raises(DataValueError, match="torso length needs"):
        compute_torso_length(_truth(), ("a", "b", "c", "d", "e"))


def test_errors_pck_and_rmse_by_hand():
    truth = _truth()
    pred = truth.copy()
    pred[0, 4] += [3, 4]  # error 5 > 0.2 × 10 = 2: wrong
    pred[1, 4] += [0, 3]  # error 3 < 0.2 × 20 = 4: right
    pred[1, 0] += [np.nan, np.nan]  # not detected: wrong
    truth[0, 1] = np.nan  # not labelled: ignored
    errors = keypoint_errors(truth, pred)
    assert np.isnan(errors[0, 1]) and np.isinf(errors[1, 0])
    assert errors[0, 4] == pytest.approx(5.0)
    overall, per = pck(truth, pred, np.array([10.0, 20.0]))
    assert overall == pytest.approx(7 / 9)
    np.testing.assert_allclose(per, [0.5, 1.0, 1.0, 1.0, 0.5])
    summary = pose_error_summary(truth, pred, NAMES)
    # Frame 0 has no torso length (a shoulder is unlabelled), so only frame 1 counts: 4 of 5.
    assert summary["pck"] == pytest.approx(4 / 5)
    assert summary["n_missing"] == 1
    assert summary["rmse_px"] == pytest.approx(np.sqrt((25 + 9) / 8))
    assert summary["per_keypoint"]["nose"]["rmse_px"] == pytest.approx(np.sqrt(17))
    assert summary["per_keypoint"]["nose"]["median_error_px"] == pytest.approx(4.0)


def test_threshold_changes_what_counts():
    truth = _truth()
    pred = truth + 1.5  # error 2.12 everywhere
    assert pck(truth, pred, np.array([10.0, 20.0]), threshold=0.2)[0] == pytest.approx(0.5)
    assert pck(truth, pred, np.array([10.0, 20.0]), threshold=0.1)[0] == 0.0


def test_shape_errors():
    with pytest.raises(DataValueError, match="share the shape"):
        keypoint_errors(np.zeros((2, 3, 2)), np.zeros((2, 4, 2)))
    with pytest.raises(DataValueError, match="reference_length"):
        pck(np.zeros((2, 3, 2)), np.zeros((2, 3, 2)), np.ones(3))


def test_error_plot_has_one_bar_per_keypoint_and_the_threshold_line():
    from neurodl.plotting.pose_video import plot_keypoint_errors

    truth = _truth()
    summary = pose_error_summary(truth, truth + 1.0, NAMES)
    ax = plot_keypoint_errors(summary["per_keypoint"], reference=3.0)
    assert len(ax.patches) == len(NAMES)
    assert [t.get_text() for t in ax.get_yticklabels()] == list(NAMES)
    assert ax.get_xlabel() == "Median error (px)"
    assert ax.lines[0].get_xdata()[0] == 3.0
    widths = [p.get_width() for p in ax.patches]
    np.testing.assert_allclose(widths, np.sqrt(2))
