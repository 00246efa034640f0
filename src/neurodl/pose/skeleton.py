"""The canonical body that every keypoint format maps onto.

neurodl names keypoints as COCO-18 (OpenPose's COCO model) does, in that order, with snake-case
names; left and right are the infant's own. Formats with other names (BODY_25, DeepLabCut or SLEAP
projects, COCO-17) are mapped onto these names by their readers.

Examples
--------
>>> CANONICAL_KEYPOINTS[:3]
('nose', 'neck', 'right_shoulder')
>>> mirror_name("left_wrist")
'right_wrist'
"""

from __future__ import annotations

__all__ = [
    "CANONICAL_KEYPOINTS",
    "CANONICAL_SKELETON",
    "mirror_name",
    "mirror_permutation",
]

CANONICAL_KEYPOINTS: tuple[str, ...] = (
    "nose",
    "neck",
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
    "right_eye",
    "left_eye",
    "right_ear",
    "left_ear",
)

# Pairs of keypoint names joined by a limb or a head line (drawing and limb lengths).
CANONICAL_SKELETON: tuple[tuple[str, str], ...] = (
    ("nose", "neck"),
    ("neck", "right_shoulder"),
    ("right_shoulder", "right_elbow"),
    ("right_elbow", "right_wrist"),
    ("neck", "left_shoulder"),
    ("left_shoulder", "left_elbow"),
    ("left_elbow", "left_wrist"),
    ("neck", "right_hip"),
    ("right_hip", "right_knee"),
    ("right_knee", "right_ankle"),
    ("neck", "left_hip"),
    ("left_hip", "left_knee"),
    ("left_knee", "left_ankle"),
    ("nose", "right_eye"),
    ("right_eye", "right_ear"),
    ("nose", "left_eye"),
    ("left_eye", "left_ear"),
)


def mirror_name(name: str) -> str:
    """The keypoint on the other side (``left_*`` ↔ ``right_*``); midline names stay."""
    if name.startswith("left_"):
        return "right_" + name[5:]
    if name.startswith("right_"):
        return "left_" + name[6:]
    return name


def mirror_permutation(names: tuple[str, ...] | list[str]) -> list[int]:
    """Indices that swap left and right keypoints in ``names`` (for left–right flips).

    A name whose mirror is not in ``names`` stays where it is.

    Examples
    --------
    >>> mirror_permutation(["nose", "left_eye", "right_eye"])
    [0, 2, 1]
    """
    index = {name: i for i, name in enumerate(names)}
    return [index.get(mirror_name(name), i) for i, name in enumerate(names)]
