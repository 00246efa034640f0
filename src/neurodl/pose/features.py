"""The 32 kinematic features of Chambers et al. (2020), per video and per infant.

Computed on a preprocessed pose (:func:`neurodl.pose.preprocess_pose`: trunk-length units, upper
body in the shoulder frame, lower body in the hip frame). Velocity and acceleration are finite
differences (times fps) smoothed by a 0.25 s running mean; angles are the interior angles at the
elbow (shoulder–elbow–wrist) and the knee (hip–knee–ankle), in degrees. Every feature is computed
for the left and the right limb and the two are averaged, except the left–right correlations.

=============================== ====================================================================
feature (× ``wrist``, ``ankle``) definition (``d``: distance of the point from the mid-shoulder or
                                mid-hip origin, trunk lengths; ``v``, ``a``: velocity (trunk/s) and
                                acceleration (trunk/s²) of ``x`` and ``y``; ``|v|``: speed)
=============================== ====================================================================
``median_distance``             median of ``d``
``iqr_distance``                interquartile range (IQR) of ``d``
``median_speed``                median of ``|v|``
``iqr_speed``                   IQR of ``|v|``
``median_velocity``             mean over ``x``, ``y`` of the median of ``|v_x|``, ``|v_y|``
``iqr_velocity``                mean over ``x``, ``y`` of the IQR of ``v_x``, ``v_y``
``iqr_acceleration``            mean over ``x``, ``y`` of the IQR of ``a_x``, ``a_y``
``entropy``                     mean over ``x``, ``y`` of the Shannon entropy (nats) of the values
                                rounded to 0.01 trunk lengths
``lr_corr``                     Pearson r of the left and the right ``d`` over frames
=============================== ====================================================================

=============================== ====================================================================
feature (× ``elbow``, ``knee``) definition (``θ``: interior joint angle, degrees; ``ω``, ``α``:
                                angular velocity (°/s) and acceleration (°/s²))
=============================== ====================================================================
``mean_angle``                  mean of ``θ``
``sd_angle``                    standard deviation of ``θ``
``median_angular_velocity``     median of ``|ω|``
``iqr_angular_velocity``        IQR of ``ω``
``iqr_angular_acceleration``    IQR of ``α``
``entropy``                     Shannon entropy (nats) of ``θ`` rounded to 1°
``lr_corr``                     Pearson r of the left and the right ``θ`` over frames
=============================== ====================================================================

Names are ``<part>_<feature>`` (``wrist_iqr_velocity``, ``knee_lr_corr``), in
:data:`FEATURE_NAMES` order. Differences from the paper's code: means and SDs of angles are plain
(the interior angle lies in [0°, 180°]); the acceleration IQR is the mean over ``x`` and ``y``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray
from scipy.ndimage import uniform_filter1d

from neurodl.exceptions import DataValueError
from neurodl.pose.data import Pose

__all__ = [
    "FEATURE_NAMES",
    "compute_features",
    "infant_features",
    "joint_angle",
    "shannon_entropy",
    "transform_features",
]

_POINT_FEATURES = (
    "median_distance",
    "iqr_distance",
    "median_speed",
    "iqr_speed",
    "median_velocity",
    "iqr_velocity",
    "iqr_acceleration",
    "entropy",
    "lr_corr",
)
_ANGLE_FEATURES = (
    "mean_angle",
    "sd_angle",
    "median_angular_velocity",
    "iqr_angular_velocity",
    "iqr_angular_acceleration",
    "entropy",
    "lr_corr",
)
FEATURE_NAMES: tuple[str, ...] = (
    *(f"{p}_{f}" for p in ("wrist", "ankle") for f in _POINT_FEATURES),
    *(f"{p}_{f}" for p in ("elbow", "knee") for f in _ANGLE_FEATURES),
)
_ANGLES = {"elbow": ("shoulder", "elbow", "wrist"), "knee": ("hip", "knee", "ankle")}
_MIN_FRAMES = 10


def shannon_entropy(values: NDArray[np.float64], resolution: float) -> float:
    """Entropy (nats) of the distribution of ``values`` rounded to ``resolution`` (NaN ignored)."""
    v = values[np.isfinite(values)]
    if v.size == 0:
        return float("nan")
    _, counts = np.unique(np.round(v / resolution), return_counts=True)
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def joint_angle(
    a: NDArray[np.float64], b: NDArray[np.float64], c: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Interior angle at ``b`` between ``b→a`` and ``b→c``, degrees in [0, 180], per frame."""
    u, w = a - b, c - b
    with np.errstate(invalid="ignore", divide="ignore"):
        cos = np.einsum("ij,ij->i", u, w) / (np.linalg.norm(u, axis=1) * np.linalg.norm(w, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def _derivative(x: NDArray[np.float64], fps: float, window: float) -> NDArray[np.float64]:
    """Finite difference times fps, then a running mean over ``window`` seconds (NaN kept)."""
    d = np.diff(x, axis=0) * fps
    size = max(1, round(window * fps))
    if size == 1 or d.shape[0] == 0:
        return d
    missing = np.isnan(d)
    out = uniform_filter1d(np.nan_to_num(d), size, axis=0, mode="nearest")
    out[missing] = np.nan
    return out


def _finite(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """Rows (frames) of ``x`` without NaN."""
    return x[np.isfinite(x)] if x.ndim == 1 else x[np.isfinite(x).all(axis=1)]


def _quartiles(x: NDArray[np.float64]) -> NDArray[np.float64]:
    """25th, 50th and 75th percentiles over frames of finite rows, shape (3, ...)."""
    return np.asarray(np.percentile(x, [25, 50, 75], axis=0))


def _corr(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < _MIN_FRAMES or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def _point_features(xy: NDArray[np.float64], fps: float, window: float) -> list[float]:
    """The first eight point features of one limb; ``xy`` has shape (n_frames, 2)."""
    vel = _derivative(xy, fps, window)
    a = _finite(_derivative(vel, fps, window))
    v = _finite(vel)
    if a.shape[0] < 2:  # no two consecutive tracked frames
        return [np.nan] * 8
    qd = _quartiles(_finite(np.linalg.norm(xy, axis=1)))
    qs = _quartiles(np.linalg.norm(v, axis=1))
    qv, qa = _quartiles(v), _quartiles(a)
    return [
        float(qd[1]),
        float(qd[2] - qd[0]),
        float(qs[1]),
        float(qs[2] - qs[0]),
        float(np.mean(np.median(np.abs(v), axis=0))),
        float(np.mean(qv[2] - qv[0])),
        float(np.mean(qa[2] - qa[0])),
        (shannon_entropy(xy[:, 0], 0.01) + shannon_entropy(xy[:, 1], 0.01)) / 2,
    ]


def _angle_features(theta: NDArray[np.float64], fps: float, window: float) -> list[float]:
    """The first six angle features of one joint; ``theta`` has shape (n_frames,)."""
    w = _derivative(theta, fps, window)
    a = _finite(_derivative(w, fps, window))
    w = _finite(w)
    if a.shape[0] < 2:
        return [np.nan] * 6
    t = _finite(theta)
    qw, qa = _quartiles(w), _quartiles(a)
    return [
        float(np.mean(t)),
        float(np.std(t)),
        float(np.median(np.abs(w))),
        float(qw[2] - qw[0]),
        float(qa[2] - qa[0]),
        shannon_entropy(t, 1.0),
    ]


def compute_features(pose: Pose, *, window: float = 0.25) -> NDArray[np.float64]:
    """The 32 features of one preprocessed video, in :data:`FEATURE_NAMES` order.

    Parameters
    ----------
    pose : Pose
        Output of :func:`neurodl.pose.preprocess_pose` (trunk units, body frames).
    window : float
        Seconds of the running mean applied to velocity and acceleration.

    Returns
    -------
    ndarray of shape (32,)
        NaN where a limb was tracked in fewer than 10 frames.
    """
    pose.require()
    out: list[float] = []
    for part in ("wrist", "ankle"):
        sides = [pose.point(f"{side}_{part}") for side in ("left", "right")]
        per_side = [
            _point_features(xy, pose.fps, window)
            if np.isfinite(xy).all(axis=1).sum() >= _MIN_FRAMES
            else [np.nan] * 8
            for xy in sides
        ]
        out += (
            list(np.nanmean(np.array(per_side), axis=0))
            if np.isfinite(per_side).any()
            else [np.nan] * 8
        )
        out.append(_corr(*(np.linalg.norm(xy, axis=1) for xy in sides)))
    for root, mid, tip in _ANGLES.values():
        thetas = [
            joint_angle(*(pose.point(f"{side}_{k}") for k in (root, mid, tip)))
            for side in ("left", "right")
        ]
        per_side = [
            _angle_features(t, pose.fps, window)
            if np.isfinite(t).sum() >= _MIN_FRAMES
            else [np.nan] * 6
            for t in thetas
        ]
        out += (
            list(np.nanmean(np.array(per_side), axis=0))
            if np.isfinite(per_side).any()
            else [np.nan] * 6
        )
        out.append(_corr(*thetas))
    return np.asarray(out, dtype=np.float64)


def infant_features(
    features: NDArray[np.float64], infants: Sequence[str]
) -> tuple[list[str], NDArray[np.float64]]:
    """Average video features per infant (NaN-aware), infants in order of first appearance.

    Raises one clear error naming the infant and feature when no video of an infant has it.
    """
    infants = [str(i) for i in infants]
    order = list(dict.fromkeys(infants))
    rows = []
    for infant in order:
        block = features[[i == infant for i in infants]]
        bad = np.flatnonzero(~np.isfinite(block).any(axis=0))
        if bad.size:
            raise DataValueError(
                f"infant {infant!r}: feature {FEATURE_NAMES[bad[0]]!r} could not be computed "
                "(too few tracked frames of that limb)."
            )
        rows.append(np.nanmean(block, axis=0))
    return order, np.array(rows)


def transform_features(features: NDArray[np.float64]) -> NDArray[np.float64]:
    """Make features closer to Gaussian: log of spreads and speeds, Fisher z of correlations.

    ``features`` has shape (n, 32) in :data:`FEATURE_NAMES` order; returns a new array.
    """
    out = np.array(features, dtype=np.float64)
    for j, name in enumerate(FEATURE_NAMES):
        if name.endswith("lr_corr"):
            out[:, j] = np.arctanh(np.clip(out[:, j], -0.999, 0.999))
        elif any(k in name for k in ("iqr_", "sd_", "speed", "velocity")):
            out[:, j] = np.log(np.maximum(out[:, j], 1e-6))
    return out
