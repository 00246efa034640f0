"""Convolution tools against scipy."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from neurodl.encoding import compute_filter_features, compute_filter_responses
from neurodl.exceptions import NeurodlValueError
from neurodl.stimuli import make_filter_bank, make_grating


def test_responses_match_scipy_correlate(rng):
    images = rng.standard_normal((3, 12, 15)).astype(np.float32)
    bank = make_filter_bank(5)
    out = compute_filter_responses(images, bank)
    assert out.shape == (3, 6, 12, 15)
    for i in range(3):
        for f in range(6):
            expected = signal.correlate2d(images[i], bank[f], mode="same", boundary="fill")
            np.testing.assert_allclose(out[i, f], expected, atol=1e-5)
    valid = compute_filter_responses(images, bank, padding="valid", stride=2)
    expected = signal.correlate2d(images[0], bank[2], mode="valid")[::2, ::2]
    np.testing.assert_allclose(valid[0, 2], expected, atol=1e-5)


def test_gabor_prefers_its_orientation():
    bank = make_filter_bank(9, n_orientations=4)
    gratings = make_grating([0.0, 90.0], size=(32, 32), spatial_frequency=32 / (2.5 * 9 / 5))
    energy = (compute_filter_responses(gratings, bank)[:, 2:, 8:-8, 8:-8] ** 2).mean(axis=(2, 3))
    assert np.argmax(energy[0]) == 0  # gabor 0° answers the 0° grating most
    assert np.argmax(energy[1]) == 2  # gabor 90° answers the 90° grating most


def test_features_shape_and_rectification(rng):
    images = rng.standard_normal((4, 16, 20)).astype(np.float32)
    bank = make_filter_bank(5)
    features = compute_filter_features(images, bank, pool=4)
    assert features.shape == (4, 6 * 2 * 4 * 5)
    assert features.min() >= 0
    plain = compute_filter_features(images, bank, pool=1, rectify=False)
    np.testing.assert_allclose(
        plain.reshape(4, 6, 16, 20), compute_filter_responses(images, bank), atol=1e-6
    )


def test_inputs_not_modified(rng):
    images = rng.standard_normal((2, 8, 8)).astype(np.float32)
    copy = images.copy()
    compute_filter_responses(images, make_filter_bank(3))
    np.testing.assert_array_equal(images, copy)


def test_errors(rng):
    images = rng.standard_normal((2, 8, 8))
    with pytest.raises(NeurodlValueError, match="filters must have shape"):
        compute_filter_responses(images, np.zeros((2, 2, 3, 3)))
    with pytest.raises(NeurodlValueError, match="padding must be one of"):
        compute_filter_responses(images, make_filter_bank(3), padding="full")
    with pytest.raises(NeurodlValueError, match="larger than the images"):
        compute_filter_responses(images, make_filter_bank(11), padding="valid")
    with pytest.raises(NeurodlValueError, match="images must be 3-D"):
        compute_filter_responses(images[0], make_filter_bank(3))
    with pytest.raises(NeurodlValueError, match="stride must be an integer > 0"):
        compute_filter_responses(images, make_filter_bank(3), stride=0)
    with pytest.raises(NeurodlValueError, match="filters contain NaN"):
        compute_filter_responses(images, np.full((1, 3, 3), np.nan))
    with pytest.raises(NeurodlValueError, match="pool must be an integer > 0"):
        compute_filter_features(images, make_filter_bank(3), pool=0)
