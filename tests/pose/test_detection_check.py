"""Movement risk on detected vs true keypoints of rendered infants; the detections figure."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.exceptions import DataValueError
from neurodl.pose import simulate_infant_movements
from neurodl.pose.detection_check import (
    BODY_KEYPOINTS,
    compare_risk_on_detections,
    place_in_frame,
)


@pytest.fixture(scope="module")
def poses():
    return simulate_infant_movements(
        10, atypical_fraction=0.3, severity=1.0, duration=2.5, fps=6.0, nuisance=0.0,
        random_state=0,
    )  # fmt: skip


def _idx(name):
    return BODY_KEYPOINTS.index(name)


def test_place_in_frame_scales_turns_mirrors_and_centres():
    rng = np.random.default_rng(0)
    body = np.zeros((5, 14, 2))
    body[:, _idx("neck")] = [0.0, 0.0]
    body[:, [_idx("left_hip"), _idx("right_hip")]] = [[-2.0, 1.0], [-2.0, -1.0]]  # trunk along -x
    body[:, _idx("left_shoulder")], body[:, _idx("right_shoulder")] = [0.0, 1.0], [0.0, -1.0]
    body += rng.normal(0, 1e-9, body.shape)
    out = place_in_frame(body, (100, 200), trunk_fraction=0.25)
    neck, hips = out[:, _idx("neck")], out[:, [_idx("left_hip"), _idx("right_hip")]].mean(axis=1)
    np.testing.assert_allclose(hips - neck, [[0.0, 25.0]] * 5, atol=1e-6)  # down, 0.25 x 100 px
    np.testing.assert_allclose((neck + hips) / 2, [[100.0, 50.0]] * 5, atol=1e-6)
    assert (out[:, _idx("left_shoulder"), 0] > out[:, _idx("right_shoulder"), 0]).all()
    flipped = body.copy()
    flipped[..., 1] *= -1  # the mirror image is put back the right way round
    np.testing.assert_allclose(place_in_frame(flipped, (100, 200), trunk_fraction=0.25), out)
    with pytest.raises(DataValueError, match="neck and hips"):
        place_in_frame(np.full((3, 14, 2), np.nan))


class _Oracle:
    """A 'detector' that returns the true keypoints of each infant in turn."""

    def __init__(self, truths):
        self.truths = list(truths)

    def predict(self, frames):
        points = self.truths.pop(0)
        assert len(points) == len(frames)
        return points, np.ones(points.shape[:2])


def test_a_perfect_detector_gives_the_true_keypoints_auc(poses):
    truths = [place_in_frame(p.positions[:, :14], (64, 64)) for p in poses]
    out = compare_risk_on_detections(
        _Oracle(truths), poses, image_size=(64, 64), n_resamples=50, random_state=0
    )
    assert out["pck"] == 1.0 and out["n_frames"] == sum(len(t) for t in truths)
    assert out["roc_auc_detected"] == out["roc_auc_true"] and out["roc_auc_difference"] == 0.0
    assert out["roc_auc_difference_ci_low"] == out["roc_auc_difference_ci_high"] == 0.0
    assert out["n_infants"] == 10 and out["examples"]["frames"].shape == (4, 64, 64, 3)
    np.testing.assert_array_equal(out["examples"]["y_pred"], out["examples"]["y_true"])


def test_shifted_detections_lower_pck_and_change_the_score(poses):
    truths = [place_in_frame(p.positions[:, :14], (64, 64)) for p in poses]
    rng = np.random.default_rng(1)
    noisy = [t + rng.normal(0, 3.0, t.shape) for t in truths]
    out = compare_risk_on_detections(
        _Oracle(noisy), poses, image_size=(64, 64), n_resamples=50, random_state=0
    )
    assert out["pck"] < 0.9 and out["roc_auc_detected"] != out["roc_auc_true"]


def test_plot_detections_draws_each_frame(poses):
    from neurodl.plotting.pose_video import plot_detections
    from neurodl.pose.skeleton import CANONICAL_SKELETON

    frames = np.zeros((3, 32, 32, 3), np.uint8)
    points = np.random.default_rng(0).uniform(2, 30, (3, 14, 2))
    fig = plot_detections(
        frames, points, points + 1, names=BODY_KEYPOINTS, skeleton=CANONICAL_SKELETON
    )
    axes = fig.axes
    assert len(axes) == 3 and len(axes[0].images) == 1
    assert len(axes[0].collections) == 2  # truth circles and detected crosses
    assert len(axes[0].lines) == sum(
        a in BODY_KEYPOINTS and b in BODY_KEYPOINTS for a, b in CANONICAL_SKELETON
    )
