"""The pose object: keypoint trajectories of one video of one infant.

Positions are in the file's units (pixels for detector output), image convention (``y`` grows
downwards). Missing points are NaN with confidence 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import DataValueError
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS, CANONICAL_SKELETON

__all__ = ["REQUIRED_KEYPOINTS", "Pose"]

# What the movement features need; eyes, ears and nose are optional.
REQUIRED_KEYPOINTS: tuple[str, ...] = (
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "right_hip",
    "right_knee",
    "right_ankle",
    "left_hip",
    "left_knee",
    "left_ankle",
)


@dataclass
class Pose:
    """Keypoint trajectories of one video.

    Parameters
    ----------
    positions : ndarray of shape (n_frames, n_keypoints, 2)
        ``x, y`` per frame and keypoint; NaN where a point is missing.
    confidence : ndarray of shape (n_frames, n_keypoints), optional
        Detector confidence in [0, 1]; by default 1 where a position is finite, else 0.
    keypoints : tuple of str
        Canonical names (see :data:`neurodl.pose.CANONICAL_KEYPOINTS`), one per keypoint.
    fps : float
        Frames per second.
    skeleton : tuple of (str, str)
        Pairs of keypoint names joined by a limb (for drawing).
    meta : dict
        ``infant`` (str), ``age_weeks`` (float or None), ``source`` (file or "simulated") and,
        for simulated infants, ``label`` and the ground truth.

    Examples
    --------
    >>> import numpy as np
    >>> pose = Pose(np.zeros((10, 18, 2)), keypoints=CANONICAL_KEYPOINTS, fps=30.0)
    >>> pose.n_frames, pose.duration
    (10, 0.3333333333333333)
    """

    positions: NDArray[np.float64]
    confidence: NDArray[np.float64] | None = None
    keypoints: tuple[str, ...] = CANONICAL_KEYPOINTS
    fps: float = 30.0
    skeleton: tuple[tuple[str, str], ...] = CANONICAL_SKELETON
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        where = f" ({self.meta['source']})" if self.meta.get("source") else ""
        self.positions = np.asarray(self.positions, dtype=np.float64)
        if self.positions.ndim != 3 or self.positions.shape[2] != 2:
            raise DataValueError(
                f"pose positions{where} must have shape (frames, keypoints, 2); "
                f"got {self.positions.shape}."
            )
        if self.positions.shape[0] < 1:
            raise DataValueError(f"pose{where} has no frames.")
        self.keypoints = tuple(str(k) for k in self.keypoints)
        if len(self.keypoints) != self.positions.shape[1]:
            raise DataValueError(
                f"pose{where} has {self.positions.shape[1]} keypoints but "
                f"{len(self.keypoints)} keypoint names."
            )
        if len(set(self.keypoints)) != len(self.keypoints):
            raise DataValueError(f"pose{where} has repeated keypoint names.")
        if not np.isfinite(self.fps) or self.fps <= 0:
            raise DataValueError(f"pose fps{where} must be a positive number; got {self.fps}.")
        self.fps = float(self.fps)
        self.positions[np.isinf(self.positions)] = np.nan
        self.confidence = self._checked_confidence(where)
        self.skeleton = tuple(
            (a, b) for a, b in self.skeleton if a in self.keypoints and b in self.keypoints
        )
        self.meta = dict(self.meta)
        self.meta.setdefault("infant", "infant")
        self.meta.setdefault("age_weeks", None)
        self.meta.setdefault("source", "")

    def _checked_confidence(self, where: str) -> NDArray[np.float64]:
        finite = np.asarray(np.isfinite(self.positions).all(axis=2))
        if self.confidence is None:
            return finite.astype(np.float64)
        conf = np.asarray(self.confidence, dtype=np.float64)
        if conf.shape != self.positions.shape[:2]:
            raise DataValueError(
                f"pose confidence{where} must have shape {self.positions.shape[:2]}; "
                f"got {conf.shape}."
            )
        conf = np.where(np.isfinite(conf) & finite, conf, 0.0)
        return np.clip(conf, 0.0, 1.0)

    @property
    def n_frames(self) -> int:
        """Number of frames."""
        return int(self.positions.shape[0])

    @property
    def duration(self) -> float:
        """Length of the video in seconds."""
        return self.n_frames / self.fps

    @property
    def infant(self) -> str:
        """The infant's identifier."""
        return str(self.meta["infant"])

    @property
    def age_weeks(self) -> float | None:
        """Age in weeks (corrected for preterm birth), or None when unknown."""
        age = self.meta.get("age_weeks")
        return None if age is None or not np.isfinite(float(age)) else float(age)

    def index(self, name: str) -> int:
        """Column of keypoint ``name``."""
        try:
            return self.keypoints.index(name)
        except ValueError:
            where = self.meta.get("source") or self.infant
            raise DataValueError(
                f"{where}: keypoint {name!r} is missing (has {', '.join(self.keypoints)})."
            ) from None

    def point(self, name: str) -> NDArray[np.float64]:
        """Positions of keypoint ``name``, shape (n_frames, 2)."""
        return self.positions[:, self.index(name)]

    def require(self, names: tuple[str, ...] = REQUIRED_KEYPOINTS) -> None:
        """Raise one clear error naming the first of ``names`` that this pose lacks."""
        for name in names:
            self.index(name)

    def with_positions(self, positions: ArrayLike, **meta: Any) -> Pose:
        """A copy with new positions of the same shape (same keypoints) and extra metadata.

        Confidence is kept, and set to 0 where the new positions are missing.
        """
        xy = np.asarray(positions, dtype=np.float64)
        if xy.shape != self.positions.shape:
            raise DataValueError(
                f"new positions have shape {xy.shape}; expected {self.positions.shape}."
            )
        assert self.confidence is not None
        new = object.__new__(Pose)  # already validated: skip the checks of __init__
        new.positions, new.keypoints, new.fps, new.skeleton = (
            xy,
            self.keypoints,
            self.fps,
            self.skeleton,
        )
        new.confidence = np.where(np.isnan(xy[..., 0]), 0.0, self.confidence)
        new.meta = {**self.meta, **meta}
        return new

    def select(self, names: tuple[str, ...]) -> Pose:
        """A copy with only the keypoints ``names`` (in that order; each must exist)."""
        cols = [self.index(name) for name in names]
        assert self.confidence is not None
        return Pose(
            self.positions[:, cols],
            self.confidence[:, cols],
            keypoints=tuple(names),
            fps=self.fps,
            skeleton=self.skeleton,
            meta=dict(self.meta),
        )
