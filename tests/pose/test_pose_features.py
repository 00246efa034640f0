"""Each of the 32 features against a hand-computed case."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.exceptions import DataValueError
from neurodl.pose import (
    CANONICAL_KEYPOINTS,
    FEATURE_NAMES,
    Pose,
    compute_features,
    infant_features,
    joint_angle,
    shannon_entropy,
    transform_features,
)

FPS = 10.0
N = 41  # frames
T = np.arange(N, dtype=float)


def _hand_pose():
    """Left limbs move at 1 unit/s (wrists) and 2°/frame (elbow); right limbs at twice that.

    Window 0.1 s at 10 fps = one frame: velocities are plain differences times fps.
    Wrists: x = s * 0.1 * t, y = 0 (s = 1 left, 2 right; the right moves towards -x).
    Ankles: fixed at (0.6, 0.8) on the left and (-0.3, 0.4) on the right.
    Elbow: shoulder (0, 0) and elbow (1, 0) fixed; forearm direction phi = 10° + s * 2° * t, so
    the interior angle is 180° - phi. Knees: straight on the left (180°), 90° on the right.
    """
    xy = np.zeros((N, 18, 2))
    k = {name: i for i, name in enumerate(CANONICAL_KEYPOINTS)}
    for side, s, sign in (("left", 1.0, 1.0), ("right", 2.0, -1.0)):
        xy[:, k[f"{side}_wrist"], 0] = sign * s * 0.1 * T
        xy[:, k[f"{side}_shoulder"]] = [0.0, 0.0]
    xy[:, k["left_elbow"]] = [1.0, 0.0]
    xy[:, k["right_elbow"]] = [1.0, 0.0]
    xy[:, k["left_ankle"]] = [0.6, 0.8]
    xy[:, k["right_ankle"]] = [-0.3, 0.4]
    for side, x in (("left", 0.3), ("right", -0.3)):  # bent knees: hip above the knee
        xy[:, k[f"{side}_hip"]], xy[:, k[f"{side}_knee"]] = [x, -1.0], [x + 0.5, 0.0]
    return xy, k


def test_point_features_of_moving_wrists_and_still_ankles():
    xy, _ = _hand_pose()
    f = dict(zip(FEATURE_NAMES, compute_features(Pose(xy, fps=FPS), window=0.1), strict=True))
    # d = 0.1 s t: medians 2.0 (left) and 4.0 (right) -> 3.0; IQR 0.1 s (30 - 10) = 2 s -> 3.0
    assert f["wrist_median_distance"] == pytest.approx(3.0)
    assert f["wrist_iqr_distance"] == pytest.approx(3.0)
    # speed = s * 0.1 * fps = 1 and 2 -> 1.5; constant: IQR 0
    assert f["wrist_median_speed"] == pytest.approx(1.5)
    assert f["wrist_iqr_speed"] == pytest.approx(0.0, abs=1e-12)
    # |v_x| = 1 or 2, v_y = 0: mean over x and y of the medians = (1.5 + 0) / 2
    assert f["wrist_median_velocity"] == pytest.approx(0.75)
    assert f["wrist_iqr_velocity"] == pytest.approx(0.0, abs=1e-12)
    assert f["wrist_iqr_acceleration"] == pytest.approx(0.0, abs=1e-12)
    # x takes 41 distinct 0.01-bins, y one bin: (log 41 + 0) / 2
    assert f["wrist_entropy"] == pytest.approx(np.log(41) / 2)
    assert f["wrist_lr_corr"] == pytest.approx(1.0)  # both distances grow linearly
    # ankles: d = 1.0 (left) and 0.5 (right) -> 0.75; no movement; one bin each
    assert f["ankle_median_distance"] == pytest.approx(0.75)
    for name in ("iqr_distance", "median_speed", "iqr_speed", "median_velocity", "entropy"):
        assert f[f"ankle_{name}"] == pytest.approx(0.0, abs=1e-12)
    assert np.isnan(f["ankle_lr_corr"])  # constant series: undefined


def test_angle_features_of_a_steadily_closing_elbow():
    xy, k = _hand_pose()
    for side, s in (("left", 1.0), ("right", 2.0)):
        phi = np.radians(10.0 + s * 2.0 * T)
        xy[:, k[f"{side}_wrist"]] = np.stack([1 + np.cos(phi), np.sin(phi)], axis=1)
    f = dict(zip(FEATURE_NAMES, compute_features(Pose(xy, fps=FPS), window=0.1), strict=True))
    theta = {s: 170.0 - s * 2.0 * T for s in (1.0, 2.0)}  # interior angle, degrees
    assert f["elbow_mean_angle"] == pytest.approx((170 - 40 + 170 - 80) / 2)
    assert f["elbow_sd_angle"] == pytest.approx((np.std(theta[1.0]) + np.std(theta[2.0])) / 2)
    # |omega| = 2 s degrees per frame * 10 fps = 20 and 40 deg/s -> 30; constant: IQR 0
    assert f["elbow_median_angular_velocity"] == pytest.approx(30.0)
    assert f["elbow_iqr_angular_velocity"] == pytest.approx(0.0, abs=1e-9)
    assert f["elbow_iqr_angular_acceleration"] == pytest.approx(0.0, abs=1e-9)
    # 41 distinct whole degrees (left: step 2°; right: step 4°) -> log 41
    assert f["elbow_entropy"] == pytest.approx(np.log(41), rel=1e-6)
    assert f["elbow_lr_corr"] == pytest.approx(1.0)


def test_knee_angle_and_missing_limb():
    xy, k = _hand_pose()
    xy[:, k["left_hip"]], xy[:, k["left_knee"]], xy[:, k["left_ankle"]] = [0, 0], [0, 1], [0, 2]
    xy[:, k["right_hip"]], xy[:, k["right_knee"]], xy[:, k["right_ankle"]] = [0, 0], [0, 1], [1, 1]
    f = dict(zip(FEATURE_NAMES, compute_features(Pose(xy, fps=FPS), window=0.1), strict=True))
    assert f["knee_mean_angle"] == pytest.approx((180.0 + 90.0) / 2)
    assert f["knee_sd_angle"] == pytest.approx(0.0, abs=1e-9)
    xy[:, k["right_knee"]] = np.nan  # right knee never tracked: the left one alone
    f = dict(zip(FEATURE_NAMES, compute_features(Pose(xy, fps=FPS), window=0.1), strict=True))
    assert f["knee_mean_angle"] == pytest.approx(180.0)


def test_helpers_against_closed_forms():
    assert shannon_entropy(np.array([0.0, 0.0, 1.0, 1.0, np.nan]), 1.0) == pytest.approx(np.log(2))
    a, b, c = np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]), np.array([[0.0, 2.0]])
    assert joint_angle(a, b, c)[0] == pytest.approx(90.0)
    assert len(FEATURE_NAMES) == 32 and len(set(FEATURE_NAMES)) == 32
    x = np.ones((1, 32))
    x[0, FEATURE_NAMES.index("wrist_lr_corr")] = 0.0
    x[0, FEATURE_NAMES.index("wrist_iqr_speed")] = np.e
    out = transform_features(x)
    assert out[0, FEATURE_NAMES.index("wrist_lr_corr")] == 0.0
    assert out[0, FEATURE_NAMES.index("wrist_iqr_speed")] == pytest.approx(1.0)
    assert out[0, FEATURE_NAMES.index("elbow_mean_angle")] == 1.0  # untouched


def test_infant_aggregation_averages_videos_and_names_gaps():
    feats = np.arange(3 * 32, dtype=float).reshape(3, 32)
    names, X = infant_features(feats, ["a", "b", "a"])
    assert names == ["a", "b"]
    np.testing.assert_allclose(X[0], (feats[0] + feats[2]) / 2)
    feats[1, 5] = np.nan
    with pytest.raises(DataValueError, match="infant 'b': feature 'wrist_iqr_velocity'"):
        infant_features(feats, ["a", "b", "a"])
