"""Circular decoding metrics against closed forms and simulation."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import (
    chance_median_abs_error,
    chance_rmse,
    circular_error,
    circular_rmse,
    fraction_correct,
    median_abs_error,
    median_abs_error_ci,
    orientation_bins,
)


def test_circular_error_wraps():
    np.testing.assert_allclose(circular_error([359, 10, 180], [1, 350, 0]), [2, 20, 180])
    np.testing.assert_allclose(circular_error([179], [1], period=180), [2])


def test_errors_match_brute_force(rng):
    a, b = rng.uniform(-720, 720, 500), rng.uniform(0, 360, 500)
    candidates = np.abs(a[:, None] - b[:, None] + 360 * np.arange(-4, 5)[None, :])
    brute = candidates.min(1)
    np.testing.assert_allclose(circular_error(a, b), brute, atol=1e-9)
    assert median_abs_error(a, b) == pytest.approx(np.median(brute))
    assert circular_rmse(a, b) == pytest.approx(np.sqrt(np.mean(brute**2)))


@pytest.mark.parametrize("period", [180, 360])
def test_chance_levels_match_random_guesses(rng, period):
    truth, guess = rng.uniform(0, period, 200_000), rng.uniform(0, period, 200_000)
    assert median_abs_error(guess, truth, period) == pytest.approx(
        chance_median_abs_error(period), rel=0.01
    )
    assert circular_rmse(guess, truth, period) == pytest.approx(chance_rmse(period), rel=0.01)
    assert fraction_correct(guess, truth, 36, period) == pytest.approx(1 / 36, abs=0.003)


def test_bins_and_fraction_correct():
    assert orientation_bins([0, 9.99, 10, 359.9, 360], 36).tolist() == [0, 0, 1, 35, 0]
    assert fraction_correct([1, 11, 21], [2, 12, 35], 36) == pytest.approx(2 / 3)


def test_metric_errors():
    with pytest.raises(NeurodlValueError, match="same length"):
        circular_error([1, 2], [1])
    with pytest.raises(NeurodlValueError, match="not be empty"):
        median_abs_error([], [])
    with pytest.raises(NeurodlValueError, match="finite"):
        circular_rmse([np.nan], [0])
    with pytest.raises(NeurodlValueError, match="period must be a positive"):
        circular_error([1], [1], period=0)
    with pytest.raises(NeurodlValueError, match="n_bins must be an int >= 2"):
        orientation_bins([1], 1)


@pytest.mark.parametrize("grouped", [False, True])
def test_median_error_ci_matches_explicit_resampling(rng, grouped):
    """Oracle: the same draws, resampled explicitly and the median taken with numpy."""
    truth = rng.uniform(0, 360, 301)
    predicted = truth + rng.normal(0, 4, 301)
    groups = np.arange(301) // 3 if grouped else None
    low, high = median_abs_error_ci(
        truth, predicted, groups=groups, n_resamples=200, confidence_level=0.9
    )
    errors = circular_error(predicted, truth)
    units = np.arange(301) // 3 if grouped else np.arange(301)
    n_units = units.max() + 1
    draws = np.random.default_rng(0)
    medians = []
    for _ in range(200):
        counts = np.bincount(draws.integers(0, n_units, n_units), minlength=n_units)
        medians.append(np.median(np.repeat(errors, counts[units])))
    np.testing.assert_allclose([low, high], np.percentile(medians, [5, 95]))
    assert low < median_abs_error(predicted, truth) < high


def test_median_error_ci_covers_the_true_median(rng):
    """Gaussian errors of s.d. 2: the population median absolute error is 0.674 x 2."""
    hits = 0
    for seed in range(40):
        truth = rng.uniform(0, 360, 400)
        low, high = median_abs_error_ci(
            truth, truth + rng.normal(0, 2, 400), n_resamples=200, random_state=seed
        )
        hits += low <= 0.6745 * 2 <= high
    assert hits >= 33  # 95 % nominal: 38 of 40 expected


def test_median_error_ci_errors():
    with pytest.raises(NeurodlValueError, match="n_resamples must be an int >= 10"):
        median_abs_error_ci([1, 2], [1, 2], n_resamples=5)
    with pytest.raises(NeurodlValueError, match="confidence_level must lie in"):
        median_abs_error_ci([1, 2], [1, 2], confidence_level=2)
    with pytest.raises(NeurodlValueError, match="one label per trial"):
        median_abs_error_ci([1, 2], [1, 2], groups=[0])
