"""Rendered infants: the generator, the drawing follows the keypoints, files written, errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.pose.labels import read_labels
from neurodl.pose.render import (
    make_rendered_dataset,
    render_infant_frames,
    render_infant_video,
    sample_appearance,
    simulate_supine_keypoints,
)
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS
from neurodl.pose.video import open_video


def test_generator_is_seeded_inside_the_image_and_anatomical():
    a = simulate_supine_keypoints(40, image_size=(96, 128), random_state=3)
    b = simulate_supine_keypoints(40, image_size=(96, 128), random_state=3)
    np.testing.assert_array_equal(a, b)
    assert a.shape == (40, 18, 2)
    assert np.all((a[..., 0] > 0) & (a[..., 0] < 128) & (a[..., 1] > 0) & (a[..., 1] < 96))
    index = {name: i for i, name in enumerate(CANONICAL_KEYPOINTS)}
    # The head is above the hips, and the infant's left shoulder is on the image's right.
    assert np.all(a[:, index["nose"], 1] < a[:, index["left_hip"], 1])
    assert np.mean(a[:, index["left_shoulder"], 0] > a[:, index["right_shoulder"], 0]) > 0.95
    upper = np.linalg.norm(a[:, index["left_elbow"]] - a[:, index["left_shoulder"]], axis=1)
    assert np.ptp(upper) > 0.5  # foreshortening when limbs lift
    with pytest.raises(NeurodlValueError, match="n_frames"):
        simulate_supine_keypoints(0)


def test_drawing_moves_with_the_keypoints():
    look = dataclasses.replace(
        sample_appearance(0),
        background="plain",
        light_strength=0.0,
        blur=0.0,
        noise=0.0,
        occluder_rate=0.0,
        brightness=1.0,
        contrast=1.0,
    )
    points = simulate_supine_keypoints(1, image_size=(64, 64), body_scale=0.2, random_state=1)
    one, _ = render_infant_frames(points, image_size=(64, 64), appearance=look, random_state=0)
    two, _ = render_infant_frames(
        points + np.array([5.0, 3.0]), image_size=(64, 64), appearance=look, random_state=0
    )
    a, b = one[0].astype(int), two[0].astype(int)
    body = np.abs(a - np.median(a, axis=(0, 1))).sum(-1) > 60  # the infant, not the mattress
    body[-3:], body[:, -5:] = False, False
    rows, cols = np.nonzero(body)
    moved = np.abs(b[rows + 3, cols + 5] - a[rows, cols]).mean()
    still = np.abs(b[rows, cols] - a[rows, cols]).mean()
    assert body.sum() > 100
    assert moved < 0.2 * still


def test_render_video_writes_video_frames_and_exact_coco_labels(tmp_path):
    points = simulate_supine_keypoints(5, image_size=(48, 64), random_state=2)
    labels = render_infant_video(
        points,
        tmp_path / "clip.mp4",
        image_size=(48, 64),
        labels_path=tmp_path / "clip.json",
        random_state=0,
    )
    with open_video(tmp_path / "clip.mp4") as video:
        assert (video.n_frames, video.height, video.width) == (5, 48, 64)
    back = read_labels(tmp_path / "clip.json")
    assert back.names == CANONICAL_KEYPOINTS
    np.testing.assert_allclose(back.keypoints, points, atol=1e-3)
    assert back.load_images().shape == (5, 48, 64, 3)
    assert back.visible.shape == labels.visible.shape == (5, 18)


def test_occluders_hide_keypoints_and_dataset_groups_infants():
    look = dataclasses.replace(sample_appearance(5), occluder_rate=1.0)
    points = simulate_supine_keypoints(60, image_size=(64, 64), random_state=4)
    _, visible = render_infant_frames(points, image_size=(64, 64), appearance=look, random_state=1)
    assert visible.shape == (60, 18)
    frames, keypoints, infant = make_rendered_dataset(3, 2, image_size=(32, 32), random_state=0)
    assert frames.shape == (6, 32, 32, 3) and keypoints.shape == (6, 14, 2)
    assert infant.tolist() == [0, 0, 1, 1, 2, 2]


def test_dataset_mixes_in_the_movement_simulators_infants():
    _, supine, _ = make_rendered_dataset(2, 3, image_size=(64, 64), random_state=0)
    frames, mixed, infant = make_rendered_dataset(
        4, 3, image_size=(64, 64), movement_fraction=0.5, random_state=0
    )
    assert frames.shape == (12, 64, 64, 3) and np.isfinite(mixed).all()
    assert infant.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    np.testing.assert_array_equal(mixed[:6], supine)  # the supine infants come first, unchanged
    names = CANONICAL_KEYPOINTS[:14]

    def leg_to_trunk(points):
        neck = points[:, names.index("neck")]
        hips = (points[:, names.index("left_hip")] + points[:, names.index("right_hip")]) / 2
        leg = points[:, names.index("left_ankle")] - points[:, names.index("left_hip")]
        return np.median(np.linalg.norm(leg, axis=1) / np.linalg.norm(hips - neck, axis=1))

    assert leg_to_trunk(mixed[6:]) > leg_to_trunk(supine)  # longer, straighter legs
    with pytest.raises(NeurodlValueError, match="movement_fraction"):
        make_rendered_dataset(2, 1, movement_fraction=1.5)
    with pytest.raises(NeurodlValueError, match="body keypoints"):
        make_rendered_dataset(2, 1, names=CANONICAL_KEYPOINTS, movement_fraction=0.5)


def test_renderer_rejects_bad_keypoints(tmp_path):
    points = simulate_supine_keypoints(2, random_state=0)
    with pytest.raises(DataValueError, match="shape"):
        render_infant_frames(points[:, :5])
    with pytest.raises(DataValueError, match="needs the keypoints"):
        render_infant_frames(points[:, :3], names=("a", "b", "c"))
    bad = points.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(DataValueError, match="finite"):
        render_infant_video(bad, tmp_path / "x.mp4")
    assert not (tmp_path / "x.mp4").exists()
