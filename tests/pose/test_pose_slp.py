"""SLEAP ``.slp`` files written by sleap-io itself, read through ``load_pose``."""

from __future__ import annotations

import builtins

import numpy as np
import pytest

from neurodl.exceptions import DataFormatError
from neurodl.pose import CANONICAL_KEYPOINTS, simulate_infant_movements
from neurodl.pose.io import detect_format, load_pose
from neurodl.pose.readers import OptionalDependencyError, read_sleap_slp

TOOL = {k: "".join(w.capitalize() for w in k.split("_")) for k in CANONICAL_KEYPOINTS}


@pytest.fixture(scope="module")
def pose():
    return simulate_infant_movements(1, duration=2.5, fps=10.0, random_state=1)[0]


def _write_slp(path, tracks_arr):
    sio = pytest.importorskip("sleap_io")
    skeleton = sio.Skeleton([TOOL[k] for k in CANONICAL_KEYPOINTS] + ["tail"])
    video = sio.Video(filename="infant.mp4", open_backend=False)
    labels = sio.Labels.from_numpy(
        tracks_arr, videos=[video], skeletons=skeleton, return_confidence=True
    )
    labels.save(str(path))


def test_slp_written_by_sleap_io_round_trips_the_fullest_track(tmp_path, pose):
    n = pose.n_frames
    arr = np.full((n, 2, 19, 3), np.nan)
    arr[:, 1, :18, :2] = pose.positions
    arr[:, 1, :18, 2] = pose.confidence
    arr[:, 1, 18] = [1.0, 1.0, 0.5]  # a node without a canonical name ("tail") is dropped
    arr[:3, 0, :, :2], arr[:3, 0, :, 2] = 5.0, 1.0  # a short second track
    path = tmp_path / "infant.slp"
    _write_slp(path, arr)
    out = load_pose(path, fps=10.0, infant="a")
    assert detect_format(path) == "slp" and out.keypoints == CANONICAL_KEYPOINTS
    ok = np.isfinite(pose.positions).all(axis=2) & (pose.confidence > 0)
    np.testing.assert_allclose(out.positions[ok], pose.positions[ok], atol=1e-4)
    np.testing.assert_allclose(out.confidence[ok], pose.confidence[ok], atol=1e-6)
    assert np.isnan(out.positions[~ok]).all() and (out.confidence[~ok] == 0).all()
    assert out.infant == "a" and out.fps == 10.0 and out.meta["format"] == "slp"


def test_slp_needs_fps_and_names_a_corrupt_file(tmp_path, pose):
    path = tmp_path / "bad.slp"
    path.write_bytes(b"not an hdf5 file")
    pytest.importorskip("sleap_io")
    with pytest.raises(DataFormatError, match=r"bad\.slp: not a SLEAP \.slp file"):
        load_pose(path, fps=10.0)
    with pytest.raises(ValueError, match="stores no frame rate"):
        load_pose(path)


def test_slp_without_sleap_io_says_what_to_install(tmp_path, monkeypatch):
    real_import = builtins.__import__

    def no_sleap(name, *args, **kwargs):
        if name == "sleap_io" or name.startswith("sleap_io."):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_sleap)
    with pytest.raises(OptionalDependencyError, match=r"pip install 'neurodl\[sleap\]'"):
        read_sleap_slp(tmp_path / "x.slp", fps=10.0)
