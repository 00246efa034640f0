"""Pose and movement: keypoints from video, kinematic features and normative movement models.

The canonical body (:mod:`neurodl.pose.skeleton`) is shared by every reader, writer and model.
Movement risk from keypoints: :class:`Pose` → :func:`preprocess_pose` → :func:`compute_features`
(the 32 features of Chambers et al. 2020) → a normative model (:class:`ShrinkageSurprise`,
:class:`GaussianSurprise`) → surprise, z and one-sided p per infant (:func:`run_movement_risk`).
"""

from __future__ import annotations

from neurodl.pose.data import REQUIRED_KEYPOINTS, Pose
from neurodl.pose.features import (
    FEATURE_NAMES,
    compute_features,
    infant_features,
    joint_angle,
    shannon_entropy,
    transform_features,
)
from neurodl.pose.normative import (
    NORMATIVE_MODELS,
    GaussianSurprise,
    ShrinkageSurprise,
    make_normative_model,
    one_sided_p_values,
    score_against_reference,
)
from neurodl.pose.preprocess import (
    apply_confidence_threshold,
    interpolate_gaps,
    normalise_body,
    preprocess_pose,
    smooth_positions,
)
from neurodl.pose.simulate import ATYPICAL_KINDS, simulate_infant_movements
from neurodl.pose.skeleton import (
    CANONICAL_KEYPOINTS,
    CANONICAL_SKELETON,
    mirror_name,
    mirror_permutation,
)

__all__ = [
    "ATYPICAL_KINDS",
    "CANONICAL_KEYPOINTS",
    "CANONICAL_SKELETON",
    "FEATURE_NAMES",
    "NORMATIVE_MODELS",
    "REQUIRED_KEYPOINTS",
    "GaussianSurprise",
    "Pose",
    "ShrinkageSurprise",
    "apply_confidence_threshold",
    "compute_features",
    "infant_features",
    "interpolate_gaps",
    "joint_angle",
    "make_normative_model",
    "mirror_name",
    "mirror_permutation",
    "normalise_body",
    "one_sided_p_values",
    "preprocess_pose",
    "score_against_reference",
    "shannon_entropy",
    "simulate_infant_movements",
    "smooth_positions",
    "transform_features",
]
