"""Video I/O: files and image folders read frame by frame, writing, annotation, errors."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError
from neurodl.pose.video import (
    VideoWriter,
    annotate_video,
    iter_batches,
    open_video,
    read_video,
    write_video,
)


def _ramp(n: int, height: int = 32, width: int = 48) -> np.ndarray:
    """Frames whose brightness encodes their index (survives lossy compression)."""
    frames = np.zeros((n, height, width, 3), np.uint8)
    for t in range(n):
        frames[t] = 20 + 20 * t
    return frames


@pytest.mark.parametrize("suffix", [".mp4", ".avi", ".mov"])
def test_video_round_trip_keeps_count_size_rate_and_order(tmp_path, suffix):
    frames = _ramp(6)
    path = tmp_path / f"clip{suffix}"
    write_video(path, frames, fps=25)
    with open_video(path) as video:
        assert (video.n_frames, video.height, video.width) == (6, 32, 48)
        assert video.fps == pytest.approx(25)
        read = np.stack(list(video))
    assert read.shape == frames.shape
    means = read.reshape(6, -1).mean(1)
    np.testing.assert_allclose(means, frames.reshape(6, -1).mean(1), atol=4)
    assert not list(tmp_path.glob(".*"))  # no temporary file left behind


def test_odd_sized_frames_are_padded_to_even_and_read_back(tmp_path):
    write_video(tmp_path / "odd.mp4", np.full((2, 15, 21, 3), 100, np.uint8))
    assert read_video(tmp_path / "odd.mp4").shape == (2, 16, 22, 3)


def test_image_folder_reads_sorted_files_with_given_rate(tmp_path):
    frames = _ramp(3, 8, 10)
    for t, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"img{t:03d}.png")
    (tmp_path / "notes.txt").write_text("not an image")
    with open_video(tmp_path, fps=12) as video:
        assert (video.n_frames, video.fps) == (3, 12.0)
        np.testing.assert_array_equal(np.stack(list(video)), frames)  # PNG is lossless


def test_iter_batches_groups_frames():
    sizes = [len(b) for b in iter_batches(iter(_ramp(7)), 3)]
    assert sizes == [3, 3, 1]


def test_annotate_video_draws_the_keypoints(tmp_path):
    frames = np.full((3, 32, 32, 3), 128, np.uint8)
    write_video(tmp_path / "in.mp4", frames)
    points = np.tile(np.array([[8.0, 8.0], [24.0, 24.0]]), (3, 1, 1))
    annotate_video(tmp_path / "in.mp4", points, tmp_path / "out.mp4", skeleton=[(0, 1)])
    out = read_video(tmp_path / "out.mp4")
    assert out.shape == frames.shape
    # The line between the two points changes the middle pixel; a far corner stays grey.
    assert np.abs(out[0, 16, 16].astype(int) - 128).max() > 30
    assert np.abs(out[0, 2, 29].astype(int) - 128).max() < 10


def test_missing_and_corrupt_videos_raise_one_clear_error(tmp_path):
    with pytest.raises(DataFormatError, match="does not exist"):
        open_video(tmp_path / "nope.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"this is not a video" * 10)
    with pytest.raises(DataFormatError, match="cannot be read"):
        open_video(bad)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DataFormatError, match="holds no images"):
        open_video(empty)


def test_folder_with_mixed_sizes_and_bad_frames_raise(tmp_path):
    Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / "a.png")
    Image.fromarray(np.zeros((9, 8, 3), np.uint8)).save(tmp_path / "b.png")
    with pytest.raises(DataValueError, match="first image"), open_video(tmp_path) as video:
        list(video)
    with pytest.raises(DataValueError, match="uint8"), VideoWriter(tmp_path / "x.mp4", 30) as w:
        w.write(np.zeros((4, 4), np.float32))
    with pytest.raises(NeurodlValueError, match="must end in"):
        VideoWriter(tmp_path / "x.gif", 30)
    assert not (tmp_path / "x.mp4").exists()
