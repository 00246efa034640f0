"""Preprocessing of keypoint trajectories (after Chambers et al. 2020).

Each step is a function ``Pose -> Pose`` that records its parameters in
``pose.meta["preprocessing"]``; :func:`preprocess_pose` runs them in order:

1. :func:`apply_confidence_threshold`: points below a detector confidence become missing.
2. :func:`interpolate_gaps`: linear interpolation across gaps up to ``max_gap`` seconds.
3. :func:`smooth_positions`: a 0.5 s running median, then a 0.5 s running mean.
4. :func:`normalise_body`: the upper body (head, shoulders, arms) is expressed in the shoulder
   line's frame (origin mid-shoulder, ``x`` from the right to the left shoulder, ``y`` towards the
   hips), the lower body (hips, legs) in the hip line's frame (origin mid-hip, ``x`` from the right
   to the left hip, ``y`` away from the shoulders), and everything is
   divided by the median trunk length (mid-shoulder to mid-hip). Camera distance, rotation,
   position, mirroring and body size drop out.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import uniform_filter1d

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.pose.data import REQUIRED_KEYPOINTS, Pose

__all__ = [
    "LOWER_BODY",
    "apply_confidence_threshold",
    "interpolate_gaps",
    "normalise_body",
    "preprocess_pose",
    "smooth_positions",
]

LOWER_BODY = ("right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle")


def _record(pose: Pose, positions: NDArray[np.float64], step: str, **params: Any) -> Pose:
    done = [*pose.meta.get("preprocessing", []), {"step": step, **params}]
    return pose.with_positions(positions, preprocessing=done)


def apply_confidence_threshold(pose: Pose, threshold: float = 0.3) -> Pose:
    """Mark points whose confidence is below ``threshold`` as missing (NaN)."""
    if not 0 <= threshold <= 1:
        raise NeurodlValueError(f"confidence threshold must be in [0, 1]; got {threshold}.")
    assert pose.confidence is not None
    positions = pose.positions.copy()
    low = pose.confidence < threshold
    positions[low] = np.nan
    return _record(
        pose,
        positions,
        "confidence_threshold",
        threshold=threshold,
        fraction_removed=float(low.mean()),
    )


def _fill_runs(series: NDArray[np.float64], max_frames: int | None) -> NDArray[np.float64]:
    """Linear interpolation of NaN runs in a 1-D series (runs longer than ``max_frames`` stay)."""
    missing = np.isnan(series)
    if not missing.any() or missing.all():
        return series
    t = np.arange(series.size)
    filled = np.interp(t, t[~missing], series[~missing])
    if max_frames is not None:
        edges = np.diff(np.concatenate([[0], missing.astype(np.int8), [0]]))
        starts, stops = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
        bad = (stops - starts > max_frames) | (starts == 0) | (stops == series.size)
        mark = np.zeros(series.size + 1)
        np.add.at(mark, starts[bad], 1.0)
        np.add.at(mark, stops[bad], -1.0)
        filled[np.cumsum(mark)[:-1] > 0] = np.nan
    return filled


def interpolate_gaps(pose: Pose, max_gap: float = 0.5) -> Pose:
    """Linearly interpolate missing points across gaps of at most ``max_gap`` seconds.

    Longer gaps, and gaps at the start or end of the video, stay missing.
    """
    if max_gap < 0:
        raise NeurodlValueError(f"max_gap must be >= 0 seconds; got {max_gap}.")
    max_frames = round(max_gap * pose.fps)
    flat = pose.positions.reshape(pose.n_frames, -1).copy()
    for j in range(flat.shape[1]):
        flat[:, j] = _fill_runs(flat[:, j], max_frames)
    positions = flat.reshape(pose.positions.shape)
    return _record(
        pose,
        positions,
        "interpolate_gaps",
        max_gap=max_gap,
        fraction_missing_after=float(np.isnan(positions[..., 0]).mean()),
    )


def _window(seconds: float, fps: float) -> int:
    """Odd number of frames closest to ``seconds`` (at least 1)."""
    frames = max(1, round(seconds * fps))
    return frames if frames % 2 else frames + 1


@numba.njit(cache=True, nogil=True)
def _median_rows(x: NDArray[np.float64], size: int) -> NDArray[np.float64]:  # pragma: no cover
    """Running median along each row, edges repeated: a sorted window updated one step at a time."""
    m, n = x.shape
    half = size // 2
    out = np.empty_like(x)
    window = np.empty(size)
    for j in range(m):
        for i in range(size):  # frames -half .. half, clipped to the ends
            window[i] = x[j, min(max(i - half, 0), n - 1)]
        window.sort()
        out[j, 0] = window[half]
        for t in range(1, n):
            old = x[j, max(t - 1 - half, 0)]
            new = x[j, min(t + half, n - 1)]
            k = 0
            while window[k] != old:
                k += 1
            while k > 0 and window[k - 1] > new:  # shift the larger values up, then insert
                window[k] = window[k - 1]
                k -= 1
            while k < size - 1 and window[k + 1] < new:
                window[k] = window[k + 1]
                k += 1
            window[k] = new
            out[j, t] = window[half]
    return out


def _running_median(x: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Running median over axis 0 of an odd ``size`` (edges repeat the end values).

    Exact, in O(frames × size) per column without copying windows (compiled with numba).
    """
    if size == 1:
        return x.copy()
    return np.asarray(_median_rows(np.ascontiguousarray(x.T, dtype=np.float64), size).T)


def smooth_positions(pose: Pose, median_window: float = 0.5, mean_window: float = 0.5) -> Pose:
    """A running median, then a running mean, over windows given in seconds.

    Missing points are bridged for filtering and stay missing in the output.
    """
    if median_window < 0 or mean_window < 0:
        raise NeurodlValueError("smoothing windows must be >= 0 seconds.")
    flat = pose.positions.reshape(pose.n_frames, -1)
    missing = np.isnan(flat)
    bridged = np.column_stack([_fill_runs(flat[:, j], None) for j in range(flat.shape[1])])
    bridged = np.nan_to_num(bridged)
    out = _running_median(bridged, _window(median_window, pose.fps))
    out = uniform_filter1d(out, _window(mean_window, pose.fps), axis=0, mode="nearest")
    out[missing] = np.nan
    return _record(
        pose,
        out.reshape(pose.positions.shape),
        "smooth",
        median_window=median_window,
        mean_window=mean_window,
    )


def _frame(a: NDArray[np.float64], b: NDArray[np.float64], towards: NDArray[np.float64]) -> Any:
    """Origin and axes of the line from ``a`` (right) to ``b`` (left), ``y`` towards ``towards``."""
    origin = (a + b) / 2
    x = b - a
    x = x / np.linalg.norm(x, axis=1, keepdims=True)
    y = np.stack([-x[:, 1], x[:, 0]], axis=1)
    sign = np.sign(np.einsum("ij,ij->i", towards - origin, y))
    sign = np.where(sign == 0, 1.0, sign)
    return origin, x, y * sign[:, None]


def normalise_body(pose: Pose) -> Pose:
    """Rotate the upper body to the shoulder line, the lower body to the hip line; scale by trunk.

    The output is in trunk lengths; see the module docstring for the frames.
    """
    pose.require(("right_shoulder", "left_shoulder", "right_hip", "left_hip"))
    rs, ls = pose.point("right_shoulder"), pose.point("left_shoulder")
    rh, lh = pose.point("right_hip"), pose.point("left_hip")
    mid_s, mid_h = (rs + ls) / 2, (rh + lh) / 2
    lengths = np.linalg.norm(mid_h - mid_s, axis=1)
    trunk = (
        float(np.median(lengths[np.isfinite(lengths)])) if np.isfinite(lengths).any() else np.nan
    )
    if not np.isfinite(trunk) or trunk <= 0:
        where = pose.meta.get("source") or pose.infant
        raise DataValueError(f"{where}: shoulders and hips are never tracked together.")
    upper = _frame(rs, ls, mid_h)
    lower = _frame(rh, lh, 2 * mid_h - mid_s)  # y away from the shoulders, as above
    out = np.empty_like(pose.positions)
    is_lower = np.array([name in LOWER_BODY for name in pose.keypoints])
    for frame, cols in ((lower, is_lower), (upper, ~is_lower)):
        origin, x, y = frame
        rel = pose.positions[:, cols] - origin[:, None]
        out[:, cols, 0] = np.einsum("tkc,tc->tk", rel, x / trunk)
        out[:, cols, 1] = np.einsum("tkc,tc->tk", rel, y / trunk)
    return _record(pose, out, "normalise_body", trunk_length=trunk)


def preprocess_pose(
    pose: Pose,
    *,
    confidence_threshold: float = 0.3,
    max_gap: float = 0.5,
    median_window: float = 0.5,
    mean_window: float = 0.5,
    keypoints: tuple[str, ...] | None = REQUIRED_KEYPOINTS,
) -> Pose:
    """All steps in order: confidence threshold, gap interpolation, filters, normalisation.

    ``keypoints``: the keypoints kept (by default those the movement features need, which makes
    preprocessing faster; None keeps all).

    Examples
    --------
    >>> from neurodl.pose import simulate_infant_movements
    >>> pose = preprocess_pose(simulate_infant_movements(1, duration=5.0, random_state=0)[0])
    >>> [step["step"] for step in pose.meta["preprocessing"]]
    ['confidence_threshold', 'interpolate_gaps', 'smooth', 'normalise_body']
    """
    if keypoints is not None:
        pose = pose.select(keypoints)
    pose = apply_confidence_threshold(pose, confidence_threshold)
    pose = interpolate_gaps(pose, max_gap)
    pose = smooth_positions(pose, median_window, mean_window)
    return normalise_body(pose)
