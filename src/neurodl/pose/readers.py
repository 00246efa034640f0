"""Readers of keypoint files from pose-estimation tools: OpenPose, DeepLabCut, SLEAP.

Every reader maps the tool's keypoint names onto the canonical body
(:data:`neurodl.pose.CANONICAL_KEYPOINTS`) with :func:`canonical_name`, drops keypoints that have no
canonical name (feet, tail, mid-hip), keeps missing points as NaN with confidence 0, and reports a
bad file in one line naming it. Nothing is ever written next to the input.

Several people or animals in one file: the tracked infant is chosen as documented per reader.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.exceptions import DataFormatError, NeurodlError
from neurodl.pose.data import Pose
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS

__all__ = [
    "BODY_25_KEYPOINTS",
    "OptionalDependencyError",
    "canonical_name",
    "read_dlc_csv",
    "read_dlc_h5",
    "read_openpose",
    "read_sleap_h5",
    "read_sleap_slp",
]


class OptionalDependencyError(NeurodlError, ImportError):
    """A format needs a package from an optional extra that is not installed."""


BODY_25_KEYPOINTS: tuple[str, ...] = (
    "nose",
    "neck",
    "right_shoulder",
    "right_elbow",
    "right_wrist",
    "left_shoulder",
    "left_elbow",
    "left_wrist",
    "mid_hip",
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
    "left_big_toe",
    "left_small_toe",
    "left_heel",
    "right_big_toe",
    "right_small_toe",
    "right_heel",
)
_ALIASES = {
    f"{a}{b}": name
    for name in CANONICAL_KEYPOINTS
    for side, part in [name.split("_", 1) if "_" in name else ("", name)]
    for a, b in (
        [(side, part), (part, side), (side[:1], part), (part, side[:1])] if side else [("", part)]
    )
}


def canonical_name(name: str) -> str | None:
    """The canonical keypoint for a tool's name, or None.

    Case, separators and the side's position are ignored: ``LWrist``, ``wrist_l``, ``left-wrist``
    and ``Left Wrist`` all map to ``left_wrist``.

    Examples
    --------
    >>> canonical_name("RAnkle"), canonical_name("wrist_L"), canonical_name("tail")
    ('right_ankle', 'left_wrist', None)
    """
    return _ALIASES.get(re.sub(r"[^a-z]", "", str(name).lower()))


def _assemble(
    names: list[str], xy: NDArray[np.float64], conf: NDArray[np.float64], fps: float, source: str
) -> Pose:
    """A Pose of the canonical keypoints found in ``names`` (order of the canonical body)."""
    found = {canonical_name(n): j for j, n in enumerate(names)}
    keep = [k for k in CANONICAL_KEYPOINTS if k in found]
    if not keep:
        raise DataFormatError(f"{source}: no known keypoint names (got {', '.join(names[:6])}).")
    cols = [found[k] for k in keep]
    xy, conf = xy[:, cols].astype(np.float64), conf[:, cols].astype(np.float64)
    missing = ~np.isfinite(xy).all(axis=2) | (conf <= 0)
    xy[missing] = np.nan
    return Pose(
        xy, np.where(missing, 0.0, conf), keypoints=tuple(keep), fps=fps, meta={"source": source}
    )


def _choose_person(people: list[NDArray[np.float64]], previous: NDArray[np.float64] | None) -> Any:
    """The tracked infant among a frame's skeletons (arrays of (K, 3): x, y, confidence)."""
    if not people:
        return None
    if previous is not None:
        dists = []
        for p in people:
            both = (p[:, 2] > 0) & (previous[:, 2] > 0)
            dists.append(
                np.linalg.norm(p[both, :2] - previous[both, :2], axis=1).mean()
                if both.any()
                else np.inf
            )
        if np.isfinite(min(dists)):
            return people[int(np.argmin(dists))]
    return max(people, key=lambda p: (int((p[:, 2] > 0).sum()), float(p[:, 2].sum())))


def read_openpose(directory: str | Path, *, fps: float) -> Pose:
    """A directory of OpenPose ``*_keypoints.json`` frames (COCO-18 or BODY_25), in name order.

    Several people in a frame: the tracked infant is the skeleton closest (mean distance over the
    keypoints detected in both) to the infant of the last frame with one; in the first such frame,
    the skeleton with the most detected keypoints (then the highest summed confidence). Frames where
    nobody was detected are missing points.
    """
    folder = Path(directory)
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        raise DataFormatError(f"{folder}: not a directory of OpenPose *_keypoints.json files.")
    frames: list[NDArray[np.float64] | None] = []
    previous = None
    n_values = None
    for file in files:
        try:
            people = json.loads(file.read_text(encoding="utf-8"))["people"]
            arrays = [
                np.asarray(p["pose_keypoints_2d"], dtype=np.float64).reshape(-1, 3) for p in people
            ]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
            raise DataFormatError(f"{file}: not an OpenPose keypoints file ({exc}).") from None
        for a in arrays:
            if a.shape[0] not in (18, 25) or (n_values and a.shape[0] != n_values):
                raise DataFormatError(
                    f"{file}: pose_keypoints_2d has {3 * a.shape[0]} values; expected 54 "
                    "(COCO-18) or 75 (BODY_25), the same in every frame."
                )
            n_values = a.shape[0]
        chosen = _choose_person(arrays, previous)
        previous = chosen if chosen is not None else previous
        frames.append(chosen)
    k = n_values or 18
    data = np.stack([f if f is not None else np.zeros((k, 3)) for f in frames])
    names = list(BODY_25_KEYPOINTS if k == 25 else CANONICAL_KEYPOINTS)
    return _assemble(names, data[..., :2], data[..., 2], fps, str(folder))


def _dlc_columns(header: list[list[str]], source: str) -> tuple[list[str], list[str], list[str]]:
    """(individuals, bodyparts, coords) per data column of a DeepLabCut CSV header."""
    rows = {r[0].strip().lower(): r[1:] for r in header}
    if "bodyparts" not in rows or "coords" not in rows:
        raise DataFormatError(
            f"{source}: not a DeepLabCut CSV (no 'bodyparts' and 'coords' header rows)."
        )
    parts, coords = rows["bodyparts"], rows["coords"]
    individuals = rows.get("individuals", ["single"] * len(parts))
    if not len(parts) == len(coords) == len(individuals):
        raise DataFormatError(f"{source}: DeepLabCut header rows differ in length.")
    return individuals, parts, coords


def _dlc_arrays(
    values: NDArray[np.float64],
    individuals: list[str],
    parts: list[str],
    coords: list[str],
    source: str,
) -> Pose:
    """Pick the individual with the most finite points; build the Pose from x, y, likelihood."""
    names = list(dict.fromkeys(individuals))
    counts = [np.isfinite(values[:, [i == n for i in individuals]]).sum() for n in names]
    who = names[int(np.argmax(counts))]
    bodyparts = list(dict.fromkeys(p for p, i in zip(parts, individuals, strict=True) if i == who))
    index = {
        (i, p, c): j for j, (i, p, c) in enumerate(zip(individuals, parts, coords, strict=True))
    }
    xy = np.full((values.shape[0], len(bodyparts), 2), np.nan)
    conf = np.ones((values.shape[0], len(bodyparts)))
    for b, part in enumerate(bodyparts):
        for c, coord in enumerate(("x", "y")):
            if (who, part, coord) not in index:
                raise DataFormatError(f"{source}: bodypart {part!r} has no {coord!r} column.")
            xy[:, b, c] = values[:, index[(who, part, coord)]]
        if (who, part, "likelihood") in index:
            conf[:, b] = values[:, index[(who, part, "likelihood")]]
    return _assemble(bodyparts, xy, np.nan_to_num(conf), 1.0, source)


def read_dlc_csv(path: str | Path, *, fps: float) -> Pose:
    """A DeepLabCut (or Lightning Pose) CSV: header rows scorer, [individuals,] bodyparts, coords.

    Multi-animal files: the individual with the most tracked points is the infant.
    """
    path = Path(path)
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFormatError(f"{path}: not a readable CSV ({exc}).") from None
    n_header = (
        next((i for i, r in enumerate(rows) if r and r[0].strip().lower() == "coords"), -1) + 1
    )
    individuals, parts, coords = _dlc_columns(rows[:n_header], str(path))
    body = [r[1:] for r in rows[n_header:] if r]
    if not body:
        raise DataFormatError(f"{path}: DeepLabCut CSV has no frames.")
    try:
        values = np.array([[float(v) if v.strip() else np.nan for v in r] for r in body])
    except ValueError as exc:
        raise DataFormatError(
            f"{path}: non-numeric value in the DeepLabCut table ({exc})."
        ) from None
    if values.ndim != 2 or values.shape[1] != len(parts):
        raise DataFormatError(f"{path}: rows have a different number of values than the header.")
    pose = _dlc_arrays(values, individuals, parts, coords, str(path))
    return Pose(pose.positions, pose.confidence, keypoints=pose.keypoints, fps=fps, meta=pose.meta)


def read_dlc_h5(path: str | Path, *, fps: float) -> Pose:
    """A DeepLabCut ``.h5`` (pandas/PyTables table, key ``df_with_missing``); needs ``tables``."""
    try:
        import pandas as pd
        import tables  # noqa: F401
    except ImportError:
        raise OptionalDependencyError(
            "reading DeepLabCut .h5 files needs PyTables: pip install 'neurodl[pose]' (or tables)."
        ) from None
    try:
        frame = pd.read_hdf(path)
    except (ValueError, KeyError, OSError, TypeError) as exc:
        raise DataFormatError(f"{path}: not a DeepLabCut .h5 table ({exc}).") from None
    levels = list(frame.columns.names)
    if "bodyparts" not in levels or "coords" not in levels:
        raise DataFormatError(
            f"{path}: DeepLabCut .h5 columns lack 'bodyparts' and 'coords' levels."
        )
    cols = frame.columns
    individuals = (
        list(cols.get_level_values("individuals"))
        if "individuals" in levels
        else ["single"] * len(cols)
    )
    pose = _dlc_arrays(
        frame.to_numpy(dtype=np.float64),
        [str(i) for i in individuals],
        [str(p) for p in cols.get_level_values("bodyparts")],
        [str(c) for c in cols.get_level_values("coords")],
        str(path),
    )
    return Pose(pose.positions, pose.confidence, keypoints=pose.keypoints, fps=fps, meta=pose.meta)


def read_sleap_h5(path: str | Path, *, fps: float) -> Pose:
    """A SLEAP analysis ``.h5``: ``tracks`` (tracks, 2, nodes, frames), ``node_names``, optional
    ``point_scores`` (tracks, nodes, frames). Several tracks: the one with most tracked points."""
    import h5py

    try:
        with h5py.File(path, "r") as f:
            tracks = np.asarray(f["tracks"][()], dtype=np.float64)
            nodes = [n.decode() if isinstance(n, bytes) else str(n) for n in f["node_names"][()]]
            scores = (
                np.asarray(f["point_scores"][()], dtype=np.float64) if "point_scores" in f else None
            )
    except (OSError, KeyError) as exc:
        raise DataFormatError(f"{path}: not a SLEAP analysis file ({exc}).") from None
    if tracks.ndim != 4 or tracks.shape[1] != 2 or tracks.shape[2] != len(nodes):
        raise DataFormatError(
            f"{path}: 'tracks' must have shape (tracks, 2, {len(nodes)} nodes, frames); "
            f"got {tracks.shape}."
        )
    t = int(np.argmax(np.isfinite(tracks).sum(axis=(1, 2, 3))))
    xy = np.transpose(tracks[t], (2, 1, 0))
    conf = np.ones(xy.shape[:2]) if scores is None else scores[t].T
    if conf.shape != xy.shape[:2]:
        raise DataFormatError(f"{path}: 'point_scores' does not match 'tracks'.")
    return _assemble(nodes, xy, np.nan_to_num(conf), fps, str(path))


def _best_track(xy: NDArray[np.float64], source: str) -> int:
    """Index of the track (axis 1 of (frames, tracks, nodes, 2)) with the most tracked points."""
    if xy.ndim != 4 or xy.shape[1] == 0 or xy.shape[0] == 0:
        raise DataFormatError(f"{source}: holds no tracked instance.")
    return int(np.argmax(np.isfinite(xy).all(axis=-1).sum(axis=(0, 2))))


def read_sleap_slp(path: str | Path, *, fps: float) -> Pose:
    """A SLEAP project or predictions file ``.slp``, read with sleap-io (``neurodl[sleap]``).

    The instances of the file's first video, one row per frame from frame 0 to the last labelled
    one (frames without an instance are missing points). Several tracks: the one with most tracked
    points; a file without tracks: its instances in each frame, the first per frame. User-labelled
    instances are preferred over predictions of the same track; the confidence of a point is
    SLEAP's score (1 for user-labelled points).
    """
    try:
        import sleap_io
    except ImportError:
        raise OptionalDependencyError(
            "reading SLEAP .slp files needs sleap-io: pip install 'neurodl[sleap]' (or sleap-io)."
        ) from None
    try:
        labels = sleap_io.load_slp(str(path), open_videos=False)
        untracked = len(labels.tracks) == 0
        data = labels.numpy(untracked=untracked, return_confidence=True) if labels.videos else None
        nodes = list(labels.skeletons[0].node_names) if labels.skeletons else []
    except (OSError, KeyError, ValueError, TypeError, IndexError) as exc:
        raise DataFormatError(f"{path}: not a SLEAP .slp file ({exc}).") from None
    if data is None or not nodes:
        raise DataFormatError(f"{path}: the .slp file holds no video or no skeleton.")
    data = np.asarray(data, dtype=np.float64)
    t = _best_track(data[..., :2], str(path))
    xy, conf = data[:, t, :, :2], data[:, t, :, 2]
    if xy.shape[1] != len(nodes):
        raise DataFormatError(
            f"{path}: instances have {xy.shape[1]} nodes; the skeleton {len(nodes)}."
        )
    return _assemble(nodes, xy, np.nan_to_num(conf, nan=0.0), fps, str(path))
