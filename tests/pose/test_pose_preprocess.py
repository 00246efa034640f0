"""Preprocessing steps, each on a hand-made case."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.pose import (
    CANONICAL_KEYPOINTS,
    Pose,
    apply_confidence_threshold,
    interpolate_gaps,
    normalise_body,
    preprocess_pose,
    simulate_infant_movements,
    smooth_positions,
)


def _line_pose(n=20, fps=10.0):
    xy = np.zeros((n, 18, 2))
    xy[:, :, 0] = np.arange(n, dtype=float)[:, None]
    return Pose(xy, keypoints=CANONICAL_KEYPOINTS, fps=fps)


def test_confidence_threshold_removes_low_points_and_records_itself():
    pose = _line_pose()
    pose.confidence[3, 4] = 0.1
    out = apply_confidence_threshold(pose, 0.3)
    assert np.isnan(out.positions[3, 4]).all() and np.isfinite(out.positions[3, 5]).all()
    assert out.meta["preprocessing"][0]["threshold"] == 0.3
    assert np.isfinite(pose.positions).all()  # input untouched
    with pytest.raises(NeurodlValueError, match="threshold"):
        apply_confidence_threshold(pose, 2.0)


def test_interpolation_fills_short_interior_gaps_only():
    pose = _line_pose(n=20, fps=10.0)
    xy = pose.positions.copy()
    xy[2:5, 0] = np.nan  # 3 frames = 0.3 s: filled
    xy[8:15, 1] = np.nan  # 7 frames = 0.7 s: stays
    xy[0:2, 2] = np.nan  # at the start: stays
    out = interpolate_gaps(pose.with_positions(xy), max_gap=0.5)
    np.testing.assert_allclose(out.positions[2:5, 0, 0], [2.0, 3.0, 4.0])
    assert np.isnan(out.positions[8:15, 1]).all() and np.isnan(out.positions[0:2, 2]).all()


def test_smoothing_median_removes_a_spike_and_mean_keeps_a_line():
    pose = _line_pose(n=30, fps=10.0)
    xy = pose.positions.copy()
    xy[15, 0, 1] = 100.0
    out = smooth_positions(pose.with_positions(xy), median_window=0.5, mean_window=0.5)
    assert abs(out.positions[15, 0, 1]) < 1e-12  # the 5-frame median ignores one spike
    np.testing.assert_allclose(out.positions[5:25, 0, 0], np.arange(5, 25))  # linear: unchanged


def _body(rng, n=15):
    xy = rng.normal(0, 0.2, size=(n, 18, 2))
    xy[:, CANONICAL_KEYPOINTS.index("right_shoulder")] = [-0.5, 0.0]
    xy[:, CANONICAL_KEYPOINTS.index("left_shoulder")] = [0.5, 0.0]
    xy[:, CANONICAL_KEYPOINTS.index("right_hip")] = [-0.3, 2.0]
    xy[:, CANONICAL_KEYPOINTS.index("left_hip")] = [0.3, 2.0]
    return xy


def test_normalisation_removes_rotation_scale_shift_and_mirroring(rng):
    xy = _body(rng)
    base = normalise_body(Pose(xy, keypoints=CANONICAL_KEYPOINTS))
    a = np.radians(37)
    rot = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
    moved = (xy @ rot.T) * 3.5 + [100.0, -40.0]
    mirrored = moved * [-1.0, 1.0]
    for other in (moved, mirrored):
        out = normalise_body(Pose(other, keypoints=CANONICAL_KEYPOINTS))
        np.testing.assert_allclose(out.positions, base.positions, atol=1e-9)
    # trunk = 2 (mid-shoulder to mid-hip); left wrist relative to mid-shoulder, in trunk units
    wrist = CANONICAL_KEYPOINTS.index("left_wrist")
    np.testing.assert_allclose(base.positions[:, wrist], xy[:, wrist] / 2.0)
    ankle = CANONICAL_KEYPOINTS.index("left_ankle")
    np.testing.assert_allclose(base.positions[:, ankle], (xy[:, ankle] - [0, 2.0]) / 2.0)
    assert base.meta["preprocessing"][-1]["trunk_length"] == pytest.approx(2.0)


def test_normalisation_needs_shoulders_and_hips():
    xy = np.full((5, 18, 2), np.nan)
    with pytest.raises(DataValueError, match="never tracked together"):
        normalise_body(Pose(xy, keypoints=CANONICAL_KEYPOINTS, meta={"source": "x.json"}))


def test_pipeline_records_every_step():
    pose = simulate_infant_movements(1, duration=5.0, random_state=0)[0]
    out = preprocess_pose(pose, confidence_threshold=0.5, max_gap=0.2)
    steps = out.meta["preprocessing"]
    assert [s["step"] for s in steps] == [
        "confidence_threshold",
        "interpolate_gaps",
        "smooth",
        "normalise_body",
    ]
    assert steps[0]["threshold"] == 0.5 and steps[1]["max_gap"] == 0.2


@pytest.mark.parametrize(("n", "size"), [(40, 1), (40, 3), (200, 15), (5, 9), (1, 3)])
def test_running_median_equals_numpy_median_of_edge_padded_windows(n, size):
    from numpy.lib.stride_tricks import sliding_window_view

    from neurodl.pose.preprocess import _running_median

    rng = np.random.default_rng(size)
    x = np.round(rng.normal(size=(n, 4)), 1)  # rounded: ties in the windows
    half = size // 2
    padded = np.pad(x, ((half, half), (0, 0)), mode="edge")
    expected = np.median(sliding_window_view(padded, size, axis=0), axis=-1)
    np.testing.assert_array_equal(_running_median(x, size), expected)
