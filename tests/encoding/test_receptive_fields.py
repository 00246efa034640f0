"""Receptive fields and tuning of fitted encoders."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.encoding import (
    CNNEncoder,
    LinearEncoder,
    compare_tuning,
    compute_gradient_rf,
    compute_readout_masks,
    compute_reverse_correlation,
    compute_tuning_curves,
)
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError


@pytest.fixture(scope="module")
def fitted(ln_data):
    model = CNNEncoder(channels=(4,), kernel_sizes=(5,), max_iter=4, batch_size=32, random_state=0)
    return model.fit(ln_data.train_images[:300], ln_data.train_responses[:300])


def test_readout_masks_peak_near_true_position(ln_data, trained_cnn):
    masks = compute_readout_masks(trained_cnn)
    assert masks.shape == (ln_data.filters.shape[0], 20, 24)
    envelope = np.abs(ln_data.filters)
    errors = []
    for k in range(masks.shape[0]):
        peak = np.unravel_index(np.argmax(np.abs(masks[k])), masks[k].shape)
        true = np.unravel_index(np.argmax(envelope[k]), envelope[k].shape)
        errors.append(np.hypot(peak[0] - true[0], peak[1] - true[1]))
    assert np.median(errors) < 2.5  # 0.5-1.0 pixels over seeds 0-9 (seed_sweep.py)


def test_reverse_correlation_recovers_ln_filters(ln_data, trained_cnn):
    # for a linear-nonlinear neuron driven by Gaussian noise the spike-triggered average is
    # proportional to the linear filter (Bussgang)
    sta = compute_reverse_correlation(trained_cnn, n_images=3000, random_state=0)
    assert sta.shape == ln_data.filters.shape
    r = [np.corrcoef(sta[k].ravel(), ln_data.filters[k].ravel())[0, 1] for k in range(len(sta))]
    assert np.median(r) > 0.8  # 0.890-0.900 over seeds 0-9 (seed_sweep.py)
    linear = LinearEncoder(pool=4).fit(ln_data.train_images[:100], ln_data.train_responses[:100])
    assert compute_reverse_correlation(linear, n_images=10, neurons=[1]).shape == (1, 20, 24)


def test_gradient_shapes_and_selection(fitted):
    grey = compute_gradient_rf(fitted, neurons=[0, 2])
    assert grey.shape == (2, 20, 24)
    assert np.all(np.isfinite(grey))
    full = compute_gradient_rf(fitted, batch_size=5)
    np.testing.assert_allclose(full[[0, 2]], grey, rtol=1e-4, atol=1e-6)


def test_tuning_curves_and_comparison(fitted):
    grid, curves = compute_tuning_curves(fitted, np.arange(0, 360, 30.0), n_phases=4)
    assert grid.shape == (12,)
    assert curves.shape == (12, fitted.n_neurons_)
    assert np.all(curves >= 0)  # ELU + 1 output
    r = compare_tuning(curves, curves + 1.0)
    np.testing.assert_allclose(r[np.isfinite(r)], 1.0)


def test_errors(fitted, ln_data):
    linear = LinearEncoder(pool=4).fit(ln_data.train_images[:50], ln_data.train_responses[:50])
    with pytest.raises(NeurodlTypeError, match="needs a fitted CNNEncoder; got LinearEncoder"):
        compute_readout_masks(linear)
    with pytest.raises(NeurodlValueError, match=r"neurons must be indices in \[0, 12\)"):
        compute_gradient_rf(fitted, neurons=[12])
    with pytest.raises(NeurodlValueError, match="neurons must be a 1-D array of ints"):
        compute_readout_masks(fitted, neurons=[0.5])
    with pytest.raises(NeurodlValueError, match="orientations must be a non-empty"):
        compute_tuning_curves(fitted, [])
    with pytest.raises(NeurodlValueError, match="n_images must be an integer > 0"):
        compute_reverse_correlation(fitted, n_images=0)
