"""Movement risk on detected keypoints versus the true keypoints of the same rendered infants.

:func:`compare_risk_on_detections` closes the loop of the pose pipeline on simulated infants:
the movement simulator's infants (:func:`neurodl.pose.simulate_infant_movements`, without camera
or tracking nuisances) are placed in the frame as the detector's training infants are (trunk
about a quarter of the image side, head up, the infant's left on the image's right), rendered
(:func:`neurodl.pose.render.render_infant_frames`), tracked by a :class:`KeypointDetector`, and
scored by :func:`neurodl.pose.analysis.run_movement_risk` twice: on the detections and on the
true keypoints. The ROC AUCs of the two runs on the same infants show what detection costs.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.exceptions import DataValueError
from neurodl.metrics.pose import compute_torso_length, pck
from neurodl.pose.data import Pose
from neurodl.pose.render import render_infant_frames
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS
from neurodl.pose.validation import paired_roc_auc_difference

__all__ = ["compare_risk_on_detections", "place_in_frame"]

BODY_KEYPOINTS = CANONICAL_KEYPOINTS[:14]


def _point(positions: NDArray[np.float64], name: str) -> NDArray[np.float64]:
    return positions[:, BODY_KEYPOINTS.index(name)]


def place_in_frame(
    positions: NDArray[np.float64],
    image_size: tuple[int, int] = (128, 128),
    *,
    trunk_fraction: float = 0.23,
) -> NDArray[np.float64]:
    """Pixel keypoints of one infant, placed as the renderer's infants are.

    Parameters
    ----------
    positions : ndarray of shape (n_frames, 14, 2)
        The 14 body keypoints (``CANONICAL_KEYPOINTS[:14]`` order) in any units.
    image_size : (height, width)
    trunk_fraction : float
        Median neck-to-mid-hip length as a fraction of the smaller image side.

    Returns
    -------
    ndarray of shape (n_frames, 14, 2)
        Scaled and turned so that the median trunk points down the image (head up), mirrored if
        needed so that the infant's left is on the image's right (a supine infant seen from
        above), and centred on the image centre.
    """
    p = np.asarray(positions, dtype=np.float64)
    neck = _point(p, "neck")
    hips = (_point(p, "left_hip") + _point(p, "right_hip")) / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: the error below
        trunk = np.nanmedian(hips - neck, axis=0)
    length = float(np.hypot(*trunk))
    if not np.isfinite(length) or length <= 0:
        raise DataValueError("place_in_frame: neck and hips are never tracked together.")
    angle = np.pi / 2 - np.arctan2(trunk[1], trunk[0])  # turn the trunk onto +y (down)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    centre = np.nanmedian((neck + hips) / 2, axis=0)
    out = (p - centre) @ rotation.T
    shoulders = _point(out, "left_shoulder")[:, 0] - _point(out, "right_shoulder")[:, 0]
    if np.nanmedian(shoulders) < 0:
        out[..., 0] = -out[..., 0]
    height, width = image_size
    out *= trunk_fraction * min(height, width) / length
    return np.asarray(out + np.array([width / 2, height / 2]))


def _detected_pose(pose: Pose, points: NDArray[np.float64], confidence: Any) -> Pose:
    conf = np.ones(points.shape[:2]) if confidence is None else confidence
    return Pose(points, conf, keypoints=BODY_KEYPOINTS, fps=pose.fps, meta=dict(pose.meta))


def compare_risk_on_detections(
    detector: Any,
    poses: Sequence[Pose],
    *,
    image_size: tuple[int, int] = (128, 128),
    n_examples: int = 4,
    confidence_threshold: float = 0.3,
    n_resamples: int = 1000,
    random_state: int | None = None,
) -> dict[str, Any]:
    """Render the infants, detect their keypoints, score movement risk on both.

    Parameters
    ----------
    detector : KeypointDetector
        Fitted, with the 14 body keypoints in ``CANONICAL_KEYPOINTS`` order.
    poses : sequence of Pose
        Simulated infants with ``group`` and ``label`` in their meta (nuisance-free:
        ``simulate_infant_movements(..., nuisance=0.0)``).
    image_size : (height, width)
    n_examples : int
        First frames of this many infants are kept for figures.
    confidence_threshold : float
        Detections below this confidence are missing points (the preprocessing default).
    n_resamples : int
        Bootstrap resamples of each AUC.
    random_state : int, optional
        Seeds the rendering (appearance of each infant) and the bootstraps.

    Returns
    -------
    dict
        ``roc_auc_true`` and ``roc_auc_detected`` with ``_ci_low``/``_ci_high``,
        ``roc_auc_difference`` (detected minus true) with a paired bootstrap interval
        (``roc_auc_difference_ci_low``/``_ci_high``), ``pck`` (PCK@0.2 of the torso length over
        all frames), ``n_frames``, ``n_infants``, ``wall_seconds``, and ``examples``: ``frames``
        (n, H, W, 3) uint8, ``y_true`` and ``y_pred`` (n, 14, 2).
    """
    from neurodl.pose.analysis import run_movement_risk

    start = time.perf_counter()
    rng = np.random.default_rng(random_state)
    truth: list[Pose] = []
    detected: list[Pose] = []
    all_true: list[NDArray[np.float64]] = []
    all_pred: list[NDArray[np.float64]] = []
    examples: list[tuple[Any, Any, Any]] = []
    for pose in poses:
        points = place_in_frame(pose.positions[:, : len(BODY_KEYPOINTS)], image_size)
        frames, _ = render_infant_frames(
            points, names=BODY_KEYPOINTS, image_size=image_size, random_state=rng
        )
        predicted, confidence = detector.predict(frames)
        truth.append(_detected_pose(pose, points, None))
        detected.append(_detected_pose(pose, predicted, confidence))
        all_true.append(points)
        all_pred.append(predicted)
        if len(examples) < n_examples:
            examples.append((frames[0], points[0], predicted[0]))
    y_true, y_pred = np.concatenate(all_true), np.concatenate(all_pred)
    overall, _ = pck(y_true, y_pred, compute_torso_length(y_true, BODY_KEYPOINTS))
    seed = int(rng.integers(2**31))
    out: dict[str, Any] = {}
    surprise: dict[str, list[float]] = {}
    for tag, group in (("true", truth), ("detected", detected)):
        m = run_movement_risk(
            group,
            confidence_threshold=confidence_threshold,
            n_resamples=n_resamples,
            random_state=seed,
            figures=False,
        )
        for key in ("roc_auc", "roc_auc_ci_low", "roc_auc_ci_high"):
            out[key.replace("roc_auc", f"roc_auc_{tag}")] = float(m.metrics[key])
        surprise[tag] = [row["surprise"] for row in m.scores]
        labels = [row["label"] for row in m.scores]
    diff = paired_roc_auc_difference(
        labels, surprise["detected"], surprise["true"], n_resamples=n_resamples, random_state=seed
    )
    keys = ("roc_auc_difference", "roc_auc_difference_ci_low", "roc_auc_difference_ci_high")
    out.update(zip(keys, diff, strict=True))
    out.update(pck=float(overall), n_frames=len(y_true), n_infants=len(poses))
    out["examples"] = {
        "frames": np.stack([e[0] for e in examples]),
        "y_true": np.stack([e[1] for e in examples]),
        "y_pred": np.stack([e[2] for e in examples]),
    }
    out["wall_seconds"] = time.perf_counter() - start
    return out
