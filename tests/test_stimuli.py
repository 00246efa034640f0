"""Tests of gratings, noise images and the filter bank."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.exceptions import NeurodlValueError
from neurodl.stimuli import filter_bank_names, make_filter_bank, make_grating, make_noise_images


def test_zero_degrees_is_vertical_bars():
    g = make_grating(0.0, size=(32, 32))
    # vertical bars: constant down each column, varying along a row
    np.testing.assert_allclose(g.std(axis=0), 0, atol=1e-6)
    assert g.std(axis=1).min() > 0.1
    h = make_grating(90.0, size=(32, 32))
    np.testing.assert_allclose(h.std(axis=1), 0, atol=1e-6)


def test_positive_angle_tilts_top_to_the_right():
    g = make_grating(30.0, size=(64, 64), spatial_frequency=1.0, phase=90.0)
    # follow the zero crossing through the centre upward: it moves right
    top, bottom = g[21], g[42]
    assert np.argmin(np.abs(top[20:44])) > np.argmin(np.abs(bottom[20:44]))


def test_opposite_directions_differ_only_with_phase():
    same = make_grating([10.0, 190.0], size=(31, 31), phase=0.0)
    np.testing.assert_allclose(same[0], same[1], atol=1e-5)
    diff = make_grating([10.0, 190.0], size=(31, 31), phase=90.0)
    np.testing.assert_allclose(diff[0], -diff[1], atol=1e-5)


def test_grating_options():
    g = make_grating([0.0, 45.0, 90.0], size=(20, 30), contrast=0.5, profile="square")
    assert g.shape == (3, 20, 30) and g.dtype == np.float32
    assert set(np.unique(np.abs(g))) <= {0.0, 0.5}
    patch = make_grating(0.0, size=(40, 40), mask="circle", radius=0.25)
    assert patch[0, 0] == 0 and np.abs(patch[15:25, 15:25]).max() > 0
    # spatial frequency in cycles per image width: 4 cycles -> 4 sign changes pairs across a row
    row = make_grating(0.0, size=(8, 400), spatial_frequency=4.0, phase=90.0)[0]
    assert np.sum(np.diff(np.sign(row)) != 0) in (7, 8, 9)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"profile": "triangle"}, "profile must be one of"),
        ({"mask": "square"}, "mask must be one of"),
        ({"spatial_frequency": 0}, "spatial_frequency must be > 0"),
        ({"size": (1, 5)}, "size must be"),
    ],
)
def test_grating_errors(kwargs, match):
    with pytest.raises(NeurodlValueError, match=match):
        make_grating(0.0, **kwargs)
    with pytest.raises(NeurodlValueError, match="finite"):
        make_grating(np.nan)


def test_noise_images_spectrum(rng):
    images = make_noise_images(20, size=(32, 32), exponent=1.0, random_state=0)
    assert images.shape == (20, 32, 32)
    np.testing.assert_allclose(images.mean(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(images.std(axis=(1, 2)), 0.5, rtol=1e-4)
    power = np.mean(np.abs(np.fft.fft2(images)) ** 2, axis=0)
    assert power[1, 0] > 5 * power[8, 0]  # 1/f: low frequencies dominate
    white = make_noise_images(20, size=(32, 32), exponent=0.0, random_state=0)
    pw = np.mean(np.abs(np.fft.fft2(white)) ** 2, axis=0)
    assert pw[1, 0] < 3 * pw[8, 0]
    np.testing.assert_array_equal(images, make_noise_images(20, size=(32, 32), random_state=0))
    with pytest.raises(NeurodlValueError, match="n_images must be >= 1"):
        make_noise_images(0)


def test_filter_bank():
    bank = make_filter_bank(7)
    assert bank.shape == (6, 7, 7) and bank.dtype == np.float32
    np.testing.assert_allclose(bank.sum(axis=(1, 2)), 0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(bank, axis=(1, 2)), 1, rtol=1e-5)
    np.testing.assert_allclose(bank[0], -bank[1])
    assert bank[0, 3, 3] > 0 > bank[1, 3, 3]  # on-centre, off-centre
    names = filter_bank_names(4)
    assert names[:2] == ["centre-surround on", "centre-surround off"] and len(names) == 6
    # the 0° Gabor responds most to a vertical grating of matching frequency
    vertical = make_grating(0.0, size=(7, 7), spatial_frequency=7 / (2.5 * 7 / 5), phase=0)
    horizontal = make_grating(90.0, size=(7, 7), spatial_frequency=7 / (2.5 * 7 / 5), phase=0)
    g0 = bank[2]
    assert abs((g0 * vertical).sum()) > abs((g0 * horizontal).sum()) + 0.5
    with pytest.raises(NeurodlValueError, match="kernel_size must be >= 3"):
        make_filter_bank(2)
    with pytest.raises(NeurodlValueError, match="n_orientations must be >= 1"):
        make_filter_bank(7, n_orientations=0)
    with pytest.raises(NeurodlValueError, match="sigma must be > 0"):
        make_filter_bank(7, sigma=-1)
