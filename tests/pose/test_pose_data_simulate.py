"""The pose object and the infant simulator."""

from __future__ import annotations

import re

import numpy as np
import pytest

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.pose import CANONICAL_KEYPOINTS, REQUIRED_KEYPOINTS, Pose, simulate_infant_movements


def test_pose_defaults_and_accessors():
    xy = np.zeros((5, 18, 2))
    xy[2, 3] = np.nan
    pose = Pose(xy, keypoints=CANONICAL_KEYPOINTS, fps=10.0, meta={"infant": "a", "age_weeks": 12})
    assert pose.n_frames == 5 and pose.duration == 0.5 and pose.infant == "a"
    assert pose.age_weeks == 12.0
    assert pose.confidence[2, 3] == 0 and pose.confidence[0, 0] == 1
    assert pose.point("left_wrist").shape == (5, 2)
    assert len(pose.skeleton) > 10


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"positions": np.zeros((5, 18))}, "shape"),
        ({"positions": np.zeros((0, 18, 2))}, "no frames"),
        ({"positions": np.zeros((5, 3, 2))}, "3 keypoints but 18"),
        ({"fps": 0.0}, "fps"),
        ({"confidence": np.ones((4, 18))}, "confidence"),
        ({"keypoints": ("nose",) * 18}, "repeated"),
    ],
)
def test_pose_validation_errors(kwargs, match):
    args = {"positions": np.zeros((5, 18, 2)), "keypoints": CANONICAL_KEYPOINTS, "fps": 30.0}
    with pytest.raises(DataValueError, match=match):
        Pose(**{**args, **kwargs})


def test_missing_keypoint_is_named():
    keep = [k for k in CANONICAL_KEYPOINTS if k != "left_knee"]
    pose = Pose(np.zeros((3, 17, 2)), keypoints=tuple(keep), meta={"source": "f.csv"})
    with pytest.raises(DataValueError, match=re.escape("f.csv: keypoint 'left_knee' is missing")):
        pose.require(REQUIRED_KEYPOINTS)


def test_simulator_labels_groups_and_reproducibility():
    poses = simulate_infant_movements(8, atypical_fraction=0.25, duration=4.0, random_state=3)
    assert [p.meta["label"] for p in poses] == [1, 1, 0, 0, 0, 0, 0, 0]
    assert [p.meta["group"] for p in poses].count("reference") == 3
    assert all(p.meta["group"] == "test" for p in poses if p.meta["label"])
    assert {p.meta["kind"] for p in poses[:2]} == {"cramped", "poor_repertoire"}
    again = simulate_infant_movements(8, atypical_fraction=0.25, duration=4.0, random_state=3)
    np.testing.assert_array_equal(poses[5].positions, again[5].positions)
    for p in poses:
        assert p.positions.shape == (round(4.0 * p.fps), 18, 2)
        assert p.keypoints == CANONICAL_KEYPOINTS


def test_simulator_nuisances_off_gives_clean_fixed_camera():
    poses = simulate_infant_movements(3, duration=4.0, nuisance=0.0, random_state=0)
    for p in poses:
        assert p.fps == 30.0 and np.isfinite(p.positions).all()
        assert p.meta["rotation_deg"] == 0.0
    noisy = simulate_infant_movements(3, duration=20.0, nuisance=1.0, random_state=0)
    assert any(np.isnan(p.positions).any() for p in noisy)
    assert any((p.confidence < 0.3).any() for p in noisy)


def test_severity_makes_cramped_limbs_move_together():
    def lr_corr(severity):
        p = simulate_infant_movements(
            1,
            atypical_fraction=1.0,
            severity=severity,
            kinds=("cramped",),
            duration=30.0,
            fps=30.0,
            nuisance=0.0,
            random_state=1,
        )[0]
        left = p.point("left_wrist")[:, 1] - p.point("left_shoulder")[:, 1]
        right = p.point("right_wrist")[:, 1] - p.point("right_shoulder")[:, 1]
        return np.corrcoef(left, right)[0, 1]

    assert lr_corr(1.0) > lr_corr(0.0) + 0.4


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_infants": 0}, "n_infants"),
        ({"atypical_fraction": 1.5}, "atypical_fraction"),
        ({"severity": -0.1}, "severity"),
        ({"duration": 1.0}, "duration"),
        ({"kinds": ("floppy",)}, "kinds"),
    ],
)
def test_simulator_bad_arguments(kwargs, match):
    with pytest.raises(NeurodlValueError, match=match):
        simulate_infant_movements(**{"n_infants": 2, **kwargs})
