"""Pose and movement: keypoints from video, kinematic features and normative movement models.

The canonical body (:mod:`neurodl.pose.skeleton`) is shared by every reader, writer and model.
"""

from __future__ import annotations

from neurodl.pose.skeleton import (
    CANONICAL_KEYPOINTS,
    CANONICAL_SKELETON,
    mirror_name,
    mirror_permutation,
)

__all__ = ["CANONICAL_KEYPOINTS", "CANONICAL_SKELETON", "mirror_name", "mirror_permutation"]
