"""Keypoint accuracy: per-keypoint errors, PCK against the torso length, RMSE in pixels.

PCK@0.2 counts a predicted keypoint as correct when it lies within 0.2 × the frame's torso length
of the true one. The torso length is the distance from the shoulders' midpoint to the hips'
midpoint in the true keypoints (the trunk length used for infant pose), computed per frame.
Keypoints that are not labelled (NaN in ``y_true``) are left out of every average; a prediction
that is NaN (not detected) counts as an error of infinity (incorrect for PCK, excluded from RMSE
and counted in ``n_missing``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurodl.exceptions import DataValueError

__all__ = ["compute_torso_length", "keypoint_errors", "pck", "pose_error_summary"]


def _pair(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    if y_true.shape != y_pred.shape or y_true.ndim != 3 or y_true.shape[-1] != 2:
        raise DataValueError(
            "y_true and y_pred must share the shape (n_frames, n_keypoints, 2); got "
            f"{y_true.shape} and {y_pred.shape}."
        )
    return y_true, y_pred


def keypoint_errors(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Euclidean error per frame and keypoint, shape (n_frames, n_keypoints), in pixels.

    NaN where the truth is unlabelled; inf where the truth is labelled and the prediction NaN.
    """
    y_true, y_pred = _pair(y_true, y_pred)
    error = np.hypot(*(y_pred - y_true).transpose(2, 0, 1))
    known = np.all(np.isfinite(y_true), axis=-1)
    missing = known & ~np.all(np.isfinite(y_pred), axis=-1)
    error[missing] = np.inf
    error[~known] = np.nan
    return error


def compute_torso_length(keypoints: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """Distance from the shoulders' midpoint to the hips' midpoint per frame, shape (n_frames,).

    ``names`` must include ``left_shoulder``, ``right_shoulder``, ``left_hip`` and ``right_hip``.
    """
    needed = ("left_shoulder", "right_shoulder", "left_hip", "right_hip")
    absent = [name for name in needed if name not in names]
    if absent:
        raise DataValueError(f"the torso length needs the keypoints {absent}; names lack them.")
    keypoints = np.asarray(keypoints, dtype=np.float64)
    idx = [list(names).index(name) for name in needed]
    shoulders = (keypoints[:, idx[0]] + keypoints[:, idx[1]]) / 2
    hips = (keypoints[:, idx[2]] + keypoints[:, idx[3]]) / 2
    return np.hypot(*(shoulders - hips).T)


def pck(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    reference_length: np.ndarray,
    *,
    threshold: float = 0.2,
) -> tuple[float, np.ndarray]:
    """Percentage of correct keypoints: error < ``threshold × reference_length`` of the frame.

    Parameters
    ----------
    y_true, y_pred : ndarray of shape (n_frames, n_keypoints, 2)
    reference_length : ndarray of shape (n_frames,)
        Per-frame normaliser (the torso length: :func:`compute_torso_length`).

    Returns
    -------
    overall : float
        Fraction of labelled keypoints that are correct (frames with no finite reference length
        are left out); NaN when nothing is labelled.
    per_keypoint : ndarray of shape (n_keypoints,)
    """
    errors = keypoint_errors(y_true, y_pred)
    ref = np.asarray(reference_length, dtype=np.float64)
    if ref.shape != errors.shape[:1]:
        raise DataValueError(
            f"reference_length must have shape ({errors.shape[0]},); got {ref.shape}."
        )
    counted = np.isfinite(ref)[:, None] & ~np.isnan(errors)
    correct = (errors < threshold * ref[:, None]) & counted
    with np.errstate(invalid="ignore", divide="ignore"):
        per_keypoint = correct.sum(0) / counted.sum(0)
        overall = correct.sum() / counted.sum() if counted.any() else np.nan
    return float(overall), per_keypoint


def pose_error_summary(
    y_true: np.ndarray,
    y_pred: np.ndarray,
    names: Sequence[str],
    *,
    threshold: float = 0.2,
) -> dict[str, object]:
    """PCK, RMSE and median error overall and per keypoint, as a JSON-able dict.

    Keys: ``pck`` (at ``threshold`` of the torso length), ``rmse_px``, ``median_error_px``,
    ``n_missing`` (labelled keypoints with no prediction), ``torso_length_px`` (median), and
    ``per_keypoint``: ``{name: {"pck", "rmse_px", "median_error_px"}}``.
    """
    errors = keypoint_errors(y_true, y_pred)
    torso = compute_torso_length(y_true, names)
    overall, per_pck = pck(y_true, y_pred, torso, threshold=threshold)
    finite = np.isfinite(errors)
    per: dict[str, dict[str, float]] = {}
    for k, name in enumerate(names):
        e = errors[finite[:, k], k]
        per[name] = {
            "pck": float(per_pck[k]),
            "rmse_px": float(np.sqrt(np.mean(e**2))) if e.size else float("nan"),
            "median_error_px": float(np.median(e)) if e.size else float("nan"),
        }
    e = errors[finite]
    return {
        "pck": overall,
        "pck_threshold": threshold,
        "rmse_px": float(np.sqrt(np.mean(e**2))) if e.size else float("nan"),
        "median_error_px": float(np.median(e)) if e.size else float("nan"),
        "n_missing": int(np.isinf(errors).sum()),
        "torso_length_px": float(np.nanmedian(torso)) if np.isfinite(torso).any() else float("nan"),
        "per_keypoint": per,
    }
