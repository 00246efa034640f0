"""Writers of keypoint files in the tools' own formats (for exchange, tests and simulated studies).

Each writes atomically (a temporary name, then a rename). Missing points are written as each tool
writes them: zeros in OpenPose, empty cells in DeepLabCut CSV, NaN in DeepLabCut .h5 and SLEAP.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from neurodl.files import atomic_path, write_text_atomic
from neurodl.pose.data import Pose
from neurodl.pose.readers import BODY_25_KEYPOINTS
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS

__all__ = ["write_dlc_csv", "write_dlc_h5", "write_openpose", "write_sleap_h5"]

_TOOL_NAMES = {k: "".join(w.capitalize() for w in k.split("_")) for k in CANONICAL_KEYPOINTS}


def write_openpose(pose: Pose, directory: str | Path, *, body_25: bool = False) -> None:
    """One ``<infant>_<frame:012d>_keypoints.json`` per frame (COCO-18 or BODY_25 layout)."""
    assert pose.confidence is not None
    names = BODY_25_KEYPOINTS if body_25 else CANONICAL_KEYPOINTS
    index = {k: i for i, k in enumerate(pose.keypoints)}
    folder = Path(directory)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}.", suffix=".tmp"))
    try:
        for f in range(pose.n_frames):
            values = np.zeros((len(names), 3))
            for j, name in enumerate(names):
                if name in index and np.isfinite(pose.positions[f, index[name]]).all():
                    values[j, :2] = pose.positions[f, index[name]]
                    values[j, 2] = pose.confidence[f, index[name]]
            people = [
                {"person_id": [-1], "pose_keypoints_2d": np.round(values, 3).ravel().tolist()}
            ]
            text = json.dumps({"version": 1.3, "people": people if values[:, 2].any() else []})
            (tmp / f"{pose.infant}_{f:012d}_keypoints.json").write_text(text, encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_dlc_csv(pose: Pose, path: str | Path, *, scorer: str = "neurodl") -> None:
    """A single-animal DeepLabCut CSV (scorer, bodyparts, coords header rows; x, y, likelihood)."""
    assert pose.confidence is not None
    parts = [_TOOL_NAMES.get(k, k) for k in pose.keypoints]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scorer"] + [scorer] * (3 * len(parts)))
    writer.writerow(["bodyparts"] + [p for p in parts for _ in range(3)])
    writer.writerow(["coords"] + ["x", "y", "likelihood"] * len(parts))
    for f in range(pose.n_frames):
        row: list[str] = [str(f)]
        for j in range(len(parts)):
            x, y = pose.positions[f, j]
            ok = np.isfinite(x) and np.isfinite(y)
            row += [f"{x:.3f}", f"{y:.3f}", f"{pose.confidence[f, j]:.4f}"] if ok else ["", "", ""]
        writer.writerow(row)
    write_text_atomic(Path(path), buffer.getvalue())


def write_dlc_h5(pose: Pose, path: str | Path, *, scorer: str = "neurodl") -> None:
    """A DeepLabCut ``.h5`` as DeepLabCut writes it (pandas table, key ``df_with_missing``)."""
    import pandas as pd

    assert pose.confidence is not None
    parts = [_TOOL_NAMES.get(k, k) for k in pose.keypoints]
    columns = pd.MultiIndex.from_product(
        [[scorer], parts, ["x", "y", "likelihood"]], names=["scorer", "bodyparts", "coords"]
    )
    values = np.concatenate([pose.positions, pose.confidence[..., None]], axis=2)
    frame = pd.DataFrame(values.reshape(pose.n_frames, -1), columns=columns)
    with atomic_path(Path(path), suffix=".h5") as tmp:
        frame.to_hdf(tmp, key="df_with_missing", format="table", mode="w")


def write_sleap_h5(pose: Pose, path: str | Path) -> None:
    """A SLEAP analysis ``.h5`` with one track (``tracks``, ``point_scores``, ``node_names``)."""
    import h5py

    assert pose.confidence is not None
    tracks = np.transpose(pose.positions, (2, 1, 0))[None]  # (1, 2, nodes, frames)
    with atomic_path(Path(path), suffix=".h5") as tmp, h5py.File(tmp, "w") as f:
        f["tracks"] = tracks
        f["point_scores"] = pose.confidence.T[None]
        f["node_names"] = np.array([k.encode() for k in pose.keypoints])
        f["track_names"] = np.array([b"infant"])
        occupied = np.asarray(np.isfinite(pose.positions).any(axis=(1, 2)))
        f["track_occupancy"] = occupied[:, None].astype(np.uint8)
