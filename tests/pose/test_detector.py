"""The keypoint detector: heatmaps, augmentation geometry and flips, fit/predict, save/load."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from sklearn.base import clone

from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError
from neurodl.models.keypoints import KeypointHeatmapNet, decode_heatmaps, gaussian_heatmaps
from neurodl.pose._augment import _recolour, augment_batch
from neurodl.pose.detector import KeypointDetector

NAMES = ("nose", "left_wrist", "right_wrist")


@pytest.mark.parametrize("stride", [2, 4])
def test_heatmap_peaks_decode_to_sub_pixel_positions(stride):
    points = torch.tensor([[[10.3, 20.7], [33.9, 5.2]]])
    maps, known = gaussian_heatmaps(points, 48 // stride, 48 // stride, stride, sigma=1.0)
    assert known.all() and maps.max() <= 1.0
    decoded, confidence = decode_heatmaps(torch.log(maps + 1e-30), stride)  # logits
    np.testing.assert_allclose(decoded.numpy(), points.numpy(), atol=0.15 * stride)
    assert (confidence > 0.5).all()
    empty, known = gaussian_heatmaps(torch.full((1, 1, 2), float("nan")), 8, 8, stride, 1.0)
    assert not known.any() and empty.abs().sum() == 0


def _blob_images(points: torch.Tensor, size: int) -> torch.Tensor:
    ys, xs = torch.meshgrid(torch.arange(size).float(), torch.arange(size).float(), indexing="ij")
    blob = torch.exp(
        -((xs - points[:, 0, 0, None, None]) ** 2 + (ys - points[:, 0, 1, None, None]) ** 2) / 4
    )
    return blob[:, None].expand(-1, 3, -1, -1).contiguous()


def test_augmentation_moves_images_and_keypoints_together():
    torch.manual_seed(0)
    points = torch.tensor([[[20.0, 12.0]]]).repeat(8, 1, 1)
    images = _blob_images(points, 40)
    out, moved = augment_batch(images, points, None, rotation=90, scale=0.2, shift=0.1, occlusion=0)
    for image, point in zip(out, moved, strict=True):
        if torch.isnan(point).any():
            continue
        row, col = divmod(int(image.mean(0).argmax()), 40)
        assert abs(col - float(point[0, 0])) <= 1.5 and abs(row - float(point[0, 1])) <= 1.5


def test_flips_mirror_the_image_and_swap_left_and_right():
    torch.manual_seed(1)
    points = torch.tensor([[[20.0, 5.0], [10.0, 20.0], [30.0, 20.0]]]).repeat(32, 1, 1)
    images = torch.zeros(32, 3, 24, 40)
    images[..., 5] = 1.0  # a bright column on the left
    out, moved = augment_batch(images, points, [0, 2, 1], rotation=0, scale=0, shift=0, occlusion=0)
    flipped = moved[:, 0, 0] < 19.5
    assert 0 < flipped.sum() < 32
    mirrored = torch.tensor([[19.0, 5.0], [9.0, 20.0], [29.0, 20.0]])
    torch.testing.assert_close(moved[flipped], mirrored.expand(int(flipped.sum()), -1, -1))
    torch.testing.assert_close(moved[~flipped], points[~flipped])
    bright = out.mean(dim=(1, 2)).argmax(dim=-1)
    assert (bright[flipped] == 34).all() and (bright[~flipped] == 5).all()


def test_recolouring_shuffles_channels_or_turns_grey():
    torch.manual_seed(2)
    images = torch.rand(64, 3, 1, 1).expand(-1, -1, 8, 8).contiguous()
    out = _recolour(images, 1.0)
    grey = (out - out.mean(dim=1, keepdim=True)).abs().amax(dim=(1, 2, 3)) < 1e-6
    assert 0 < grey.sum() < 64
    torch.testing.assert_close(out[grey, 0], images[grey].mean(dim=1))
    for before, after in zip(images[~grey, :, 0, 0], out[~grey, :, 0, 0], strict=True):
        torch.testing.assert_close(before.sort().values, after.sort().values)
    torch.testing.assert_close(_recolour(images, 0.0), images)


def test_flip_testing_makes_detections_mirror_exactly(one_torch_thread):
    """Averaged with the mirrored frame, a mirrored frame's detections are the mirrored ones."""
    images, points = _data(size=32)
    det = KeypointDetector(keypoint_names=NAMES, widths=(8, 16), max_iter=1, random_state=0)
    det.fit(images, points)
    found, confidence = det.predict(images)
    found_m, confidence_m = det.predict(images[:, :, ::-1])
    expected = found[:, [0, 2, 1]].copy()
    expected[..., 0] = 31 - expected[..., 0]
    np.testing.assert_allclose(found_m, expected, atol=1e-3)
    np.testing.assert_allclose(confidence_m, confidence[:, [0, 2, 1]], atol=1e-5)
    plain = det.set_params(flip_test=False).predict(images[:, :, ::-1])[0]
    assert np.abs(plain - expected).max() > 1e-2  # without averaging the network is not symmetric


def _data(n: int = 12, size: int = 32) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    images = rng.integers(0, 255, (n, size, size, 3), dtype=np.uint8)
    points = rng.uniform(4, size - 4, (n, 3, 2))
    points[0, 1] = np.nan
    return images, points


def test_fit_predict_shapes_reproducibility_and_clone(one_torch_thread):
    images, points = _data()
    kwargs = {"keypoint_names": NAMES, "widths": (8, 16), "max_iter": 2, "random_state": 0}
    det = KeypointDetector(**kwargs).fit(images, points)
    again = KeypointDetector(**kwargs).fit(images, points)
    assert det.loss_curve_ == again.loss_curve_ and len(det.validation_scores_) == det.n_iter_
    keypoints, confidence = det.predict(images[:5])
    assert keypoints.shape == (5, 3, 2) and confidence.shape == (5, 3)
    assert np.all((confidence >= 0) & (confidence <= 1))
    np.testing.assert_allclose(keypoints, again.predict(images[:5])[0])
    assert clone(det).get_params() == det.get_params()
    odd = det.predict(images[:2, :30, :27].astype(np.float32) / 255)[0]  # padded inside
    assert odd.shape == (2, 3, 2)


def test_save_load_round_trip_without_pickle(tmp_path, one_torch_thread):
    images, points = _data()
    det = KeypointDetector(keypoint_names=NAMES, widths=(8, 16), max_iter=1, random_state=0)
    det.fit(images, points).save(tmp_path / "model")
    config = json.loads((tmp_path / "model" / "config.json").read_text())
    assert config["keypoint_names"] == list(NAMES) and config["image_shape"] == [32, 32]
    loaded = KeypointDetector.load(tmp_path / "model")
    np.testing.assert_allclose(loaded.predict(images)[0], det.predict(images)[0], atol=1e-5)
    assert loaded.keypoint_names_ == NAMES


def test_load_errors(tmp_path, one_torch_thread):
    with pytest.raises(DataFormatError, match=r"lacks config\.json"):
        KeypointDetector.load(tmp_path)
    (tmp_path / "config.json").write_text("{oops")
    with pytest.raises(DataFormatError, match="not valid JSON"):
        KeypointDetector.load(tmp_path)
    (tmp_path / "config.json").write_text('{"format": "other"}')
    with pytest.raises(DataFormatError, match="not a neurodl keypoint detector"):
        KeypointDetector.load(tmp_path)
    images, points = _data()
    KeypointDetector(widths=(8, 16), max_iter=1, random_state=0).fit(images, points).save(tmp_path)
    torch.save(KeypointHeatmapNet(5, widths=(8, 16)).state_dict(), tmp_path / "weights.pt")
    with pytest.raises(DataFormatError, match="does not fit its config"):
        KeypointDetector.load(tmp_path)
    (tmp_path / "weights.pt").unlink()
    with pytest.raises(DataFormatError, match=r"lacks weights\.pt"):
        KeypointDetector.load(tmp_path)


def test_fit_rejects_bad_input():
    images, points = _data()
    det = KeypointDetector(keypoint_names=NAMES)
    with pytest.raises(DataValueError, match=r"shape \(n, height, width, 3\)"):
        det.fit(images[..., 0], points)
    with pytest.raises(DataValueError, match="n_images = 12"):
        det.fit(images, points[:3])
    with pytest.raises(DataValueError, match="keypoint_names has 3"):
        det.fit(images, points[:, :2])
    with pytest.raises(DataValueError, match="no labelled point"):
        det.fit(images, np.full_like(points, np.nan))
    with pytest.raises(NeurodlValueError, match="output_stride"):
        KeypointDetector(output_stride=3).fit(images, points)
    with pytest.raises(DataValueError, match="uint8"):
        det.fit(np.full(images.shape, np.nan), points)
