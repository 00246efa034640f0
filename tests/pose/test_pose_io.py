"""Readers on small files each test writes itself; writers round-trip; errors name the file."""

from __future__ import annotations

import hashlib
import json
import re

import h5py
import numpy as np
import pytest

from neurodl.exceptions import DataFormatError, DataValueError
from neurodl.pose import CANONICAL_KEYPOINTS, REQUIRED_KEYPOINTS, simulate_infant_movements
from neurodl.pose.io import (
    detect_format,
    load_manifest,
    load_pose,
    save_pose,
    to_movement,
    write_study,
)
from neurodl.pose.readers import BODY_25_KEYPOINTS, canonical_name

TOOL = {k: "".join(w.capitalize() for w in k.split("_")) for k in CANONICAL_KEYPOINTS}


@pytest.fixture(scope="module")
def pose():
    return simulate_infant_movements(1, duration=2.5, fps=10.0, random_state=0)[0]


def _digest(path):
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def _person(xy, conf, names):
    index = {k: i for i, k in enumerate(CANONICAL_KEYPOINTS)}
    values = [[*xy[index[n]], conf[index[n]]] if n in index else [0, 0, 0] for n in names]
    return {"pose_keypoints_2d": np.ravel(values).tolist()}


@pytest.mark.parametrize("names", [CANONICAL_KEYPOINTS, BODY_25_KEYPOINTS])
def test_openpose_directory_follows_the_tracked_infant(tmp_path, pose, names):
    folder = tmp_path / "op"
    folder.mkdir()
    adult = pose.positions + 300.0
    for f in range(pose.n_frames):
        people = [_person(pose.positions[f], pose.confidence[f], names)]
        if f >= 3:  # an adult appears, listed first, with more keypoints detected
            people.insert(0, _person(adult[f], np.ones(18), names))
        people = [] if f == 5 else people  # nobody detected in frame 5
        (folder / f"v_{f:012d}_keypoints.json").write_text(json.dumps({"people": people}))
    before = _digest(folder)
    out = load_pose(folder, fps=10.0, infant="a")
    assert detect_format(folder) == "openpose" and out.keypoints == CANONICAL_KEYPOINTS
    ok = np.isfinite(pose.positions).all(axis=2) & (pose.confidence > 0)
    ok[5] = False
    np.testing.assert_allclose(out.positions[ok], pose.positions[ok])
    assert np.isnan(out.positions[5]).all() and (out.confidence[5] == 0).all()
    assert _digest(folder) == before


def test_dlc_csv_multi_animal_picks_the_most_tracked(tmp_path, pose):
    parts = [TOOL[k] for k in CANONICAL_KEYPOINTS]
    header = [
        ["scorer"] + ["DLC"] * 6 * len(parts),
        ["individuals"] + [i for i in ("infant", "parent") for _ in range(3 * len(parts))],
        ["bodyparts"] + [p for _ in range(2) for p in parts for _ in range(3)],
        ["coords"] + ["x", "y", "likelihood"] * 2 * len(parts),
    ]
    lines = [",".join(h) for h in header]
    for f in range(pose.n_frames):
        infant = [v for j in range(18) for v in (*pose.positions[f, j], pose.confidence[f, j])]
        cells = ["" if not np.isfinite(v) else f"{v:.6f}" for v in infant]
        lines.append(",".join([str(f), *cells, *([""] * 3 * len(parts))]))
    path = tmp_path / "v.csv"
    path.write_text("\n".join(lines) + "\n")
    out = load_pose(path, fps=10.0)
    np.testing.assert_allclose(out.positions, pose.positions, atol=1e-5)
    assert out.meta["format"] == "dlc_csv"


def test_dlc_h5_as_deeplabcut_writes_it(tmp_path, pose):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("tables")
    cols = pd.MultiIndex.from_product(
        [["DLC"], [TOOL[k] for k in CANONICAL_KEYPOINTS], ["x", "y", "likelihood"]],
        names=["scorer", "bodyparts", "coords"],
    )
    values = np.concatenate([pose.positions, pose.confidence[..., None]], axis=2)
    path = tmp_path / "v.h5"
    pd.DataFrame(values.reshape(pose.n_frames, -1), columns=cols).to_hdf(
        path, key="df_with_missing", format="table", mode="w"
    )
    out = load_pose(path, fps=10.0)
    assert detect_format(path) == "dlc_h5"
    np.testing.assert_allclose(out.positions, pose.positions)


def test_sleap_analysis_h5_picks_the_fullest_track(tmp_path, pose):
    path = tmp_path / "v.h5"
    tracks = np.full((2, 2, 18, pose.n_frames), np.nan)
    tracks[1] = np.transpose(pose.positions, (2, 1, 0))
    tracks[0, :, :, :3] = 5.0  # a short second track
    with h5py.File(path, "w") as f:
        f["tracks"] = tracks
        f["point_scores"] = np.stack([np.ones((18, pose.n_frames)), pose.confidence.T])
        f["node_names"] = np.array([TOOL[k].encode() for k in CANONICAL_KEYPOINTS])
    out = load_pose(path, fps=10.0)
    assert detect_format(path) == "sleap"
    np.testing.assert_allclose(out.positions, pose.positions)


@pytest.mark.parametrize("fmt", ["npz", "nwb", "openpose", "dlc_csv", "dlc_h5", "sleap"])
def test_writers_and_manifest_round_trip(tmp_path, pose, fmt):
    if fmt == "dlc_h5":
        pytest.importorskip("tables")
    manifest = write_study([pose], tmp_path / fmt, file_format=fmt)
    (back,) = load_manifest(manifest)
    np.testing.assert_allclose(back.positions, pose.positions, atol=1e-3)
    assert back.fps == pose.fps and back.infant == pose.infant
    assert back.meta["group"] == pose.meta["group"] and back.meta["label"] == pose.meta["label"]


def test_movement_export_layout(pose):
    pytest.importorskip("xarray")
    ds = to_movement(pose)
    assert ds["position"].dims == ("time", "space", "keypoint", "individual")
    assert ds["position"].shape == (pose.n_frames, 2, 18, 1)
    np.testing.assert_allclose(
        ds["position"].sel(keypoint="left_wrist", space="y").values[:, 0],
        pose.point("left_wrist")[:, 1],
    )
    assert ds.attrs["fps"] == pose.fps


def test_name_mapping():
    assert canonical_name("LWrist") == canonical_name("wrist_l") == "left_wrist"
    assert canonical_name("Right Knee") == canonical_name("rknee") == "right_knee"
    assert canonical_name("MidHip") is None and canonical_name("Neck") == "neck"


def test_reader_errors_name_the_file(tmp_path, pose):
    bad = tmp_path / "op"
    bad.mkdir()
    (bad / "a_000000000000_keypoints.json").write_text("{not json")
    with pytest.raises(
        DataFormatError, match=re.escape("a_000000000000_keypoints.json: not an OpenPose")
    ):
        load_pose(bad, fps=10.0)
    (bad / "a_000000000000_keypoints.json").write_text(
        '{"people": [{"pose_keypoints_2d": [1, 2, 3]}]}'
    )
    with pytest.raises(DataFormatError, match="3 values; expected 54"):
        load_pose(bad, fps=10.0)
    with pytest.raises(DataValueError, match="stores no frame rate"):
        load_pose(bad)
    (tmp_path / "x.txt").write_text("hello")
    with pytest.raises(DataFormatError, match=re.escape("unknown keypoint format '.txt'")):
        load_pose(tmp_path / "x.txt")
    (tmp_path / "c.csv").write_text("a,b\n1,2\n")
    with pytest.raises(DataFormatError, match=re.escape("c.csv: not a DeepLabCut CSV")):
        load_pose(tmp_path / "c.csv", fps=10.0)
    np.savez(tmp_path / "p.npz", positions=np.zeros((3, 18, 2)))
    with pytest.raises(DataFormatError, match=re.escape("p.npz: missing key 'keypoints'")):
        load_pose(tmp_path / "p.npz")
    (tmp_path / "broken.h5").write_bytes(b"not hdf5")
    with pytest.raises(DataFormatError, match=re.escape("broken.h5: not an HDF5")):
        load_pose(tmp_path / "broken.h5", fps=10.0)


def test_missing_needed_keypoint_is_named(tmp_path, pose):
    keep = [j for j, k in enumerate(pose.keypoints) if k != "left_ankle"]
    part = pose.with_positions(pose.positions)
    part.positions, part.confidence = pose.positions[:, keep], pose.confidence[:, keep]
    part.keypoints = tuple(pose.keypoints[j] for j in keep)
    save_pose(part, tmp_path / "p.npz")
    with pytest.raises(DataValueError, match=re.escape("p.npz: keypoint 'left_ankle' is missing")):
        load_pose(tmp_path / "p.npz")
    assert "left_ankle" in REQUIRED_KEYPOINTS


def test_manifest_errors(tmp_path, pose):
    save_pose(pose, tmp_path / "p.npz")
    cases = {
        "infant,path\na,p.npz\n": "lacks the column 'group'",
        "infant,path,group\na,p.npz,control\n": "line 2: group must be 'reference' or 'test'",
        "infant,path,group,label\na,p.npz,test,2\n": "label must be 0 or 1",
        "infant,path,group,fps\na,p.npz,test,fast\n": "fps must be a number",
    }
    for text, match in cases.items():
        (tmp_path / "m.csv").write_text(text)
        with pytest.raises((DataFormatError, DataValueError), match=match):
            load_manifest(tmp_path / "m.csv")
