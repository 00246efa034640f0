"""Encoding metrics against hand-computed values and independent references."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import (
    FEV_THRESHOLD,
    bootstrap_ci,
    correlation_to_average,
    fev,
    feve,
    oracle_correlation,
    pearson_correlation,
    single_trial_correlation,
    split_half_reliability,
)

# two images x two repeats x one neuron: repeats (1, 3) and (5, 7)
# total variance of [1, 3, 5, 7] (ddof=1) = 20 / 3; noise variance = mean(2, 2) = 2
HAND = np.array([[[1.0], [3.0]], [[5.0], [7.0]]])


def test_fev_hand_computed():
    np.testing.assert_allclose(fev(HAND), [(20 / 3 - 2) / (20 / 3)])


def test_feve_hand_computed():
    # predictions (2, 6): squared errors 1, 1, 1, 1 -> MSE 1
    expected = 1 - (1 - 2) / (20 / 3 - 2)
    np.testing.assert_allclose(feve(HAND, [[2.0], [6.0]]), [expected])
    # predicting the grand mean 4: errors 9, 1, 1, 9 -> MSE 5
    np.testing.assert_allclose(feve(HAND, [[4.0], [4.0]]), [1 - (5 - 2) / (20 / 3 - 2)])


def test_feve_of_noise_free_truth_is_near_one(rng):
    truth = rng.gamma(2.0, 1.0, size=(300, 5))
    repeats = truth[:, None, :] + rng.normal(0, 0.7, size=(300, 8, 5))
    np.testing.assert_allclose(feve(repeats, truth), 1.0, atol=0.05)
    # explained variance of the truth = its variance over total
    expected = truth.var(0, ddof=1) / (truth.var(0, ddof=1) + 0.49)
    np.testing.assert_allclose(fev(repeats), expected, atol=0.05)


def test_missing_repeats_are_ignored():
    padded = np.array([[[1.0], [3.0], [np.nan]], [[5.0], [7.0], [np.nan]]])
    np.testing.assert_allclose(fev(padded), fev(HAND))
    np.testing.assert_allclose(feve(padded, [[2.0], [6.0]]), feve(HAND, [[2.0], [6.0]]))
    np.testing.assert_allclose(
        correlation_to_average(padded, [[2.0], [6.0]]), correlation_to_average(HAND, [[2.0], [6.0]])
    )


def test_pearson_matches_scipy(rng):
    a, b = rng.standard_normal((30, 4)), rng.standard_normal((30, 4))
    expected = [stats.pearsonr(a[:, k], b[:, k])[0] for k in range(4)]
    np.testing.assert_allclose(pearson_correlation(a, b), expected)
    assert np.isnan(pearson_correlation(np.ones(5), np.arange(5.0))[0])


def test_oracle_hand_computed():
    # repeats (1, 3), (5, 7): leave-one-out means are (3, 1), (7, 5)
    expected = stats.pearsonr([1, 3, 5, 7], [3, 1, 7, 5])[0]
    np.testing.assert_allclose(oracle_correlation(HAND), [expected])


def test_single_trial_and_average_correlation_hand_computed():
    prediction = np.array([[2.0], [7.0]])
    np.testing.assert_allclose(
        single_trial_correlation(HAND, prediction), [stats.pearsonr([1, 3, 5, 7], [2, 2, 7, 7])[0]]
    )
    np.testing.assert_allclose(correlation_to_average(HAND, prediction), [1.0])


def test_split_half_spearman_brown(rng):
    # hand case: every split of (1, 3) and (5, 7) gives halves that both increase: r = 1 -> 1
    np.testing.assert_allclose(split_half_reliability(HAND, random_state=0), [1.0])
    # three images, halves fixed up to order: a = (1, 5, 2), b = (3, 7, 9) in some order per image
    three = np.array([[[1.0], [3.0]], [[5.0], [7.0]], [[2.0], [9.0]]])
    values = split_half_reliability(three, n_splits=400, random_state=0)
    candidates = []
    for first in np.ndindex(2, 2, 2):
        a = [three[i, first[i], 0] for i in range(3)]
        b = [three[i, 1 - first[i], 0] for i in range(3)]
        r = stats.pearsonr(a, b)[0]
        candidates.append(2 * r / (1 + r))
    np.testing.assert_allclose(values, [np.mean(candidates)], atol=0.05)
    # with many repeats, reliability approaches the fraction of variance the image drives
    many = rng.standard_normal((400, 1, 2)) + rng.standard_normal((400, 20, 2))
    expected = 1.0 / (1.0 + 1.0 / 20)
    np.testing.assert_allclose(split_half_reliability(many, random_state=0), expected, atol=0.03)


def test_bootstrap_ci_covers_mean_and_is_seeded(rng):
    x = rng.normal(10.0, 1.0, size=200)
    low, high = bootstrap_ci(np.mean, x, n_resamples=500, random_state=1)
    assert low < 10.0 < high
    assert 0.15 < high - low < 0.4  # about 2 * 1.96 / sqrt(200) = 0.28
    again = bootstrap_ci(np.mean, x, n_resamples=500, random_state=1)
    assert (float(low), float(high)) == (float(again[0]), float(again[1]))


def test_threshold_value():
    assert FEV_THRESHOLD == 0.15


def test_errors():
    with pytest.raises(NeurodlValueError, match=r"shape \(n_images, n_repeats, n_neurons\)"):
        fev(np.zeros((2, 2, 2, 2)))
    with pytest.raises(NeurodlValueError, match="at least 2 images with at least 2 repeats"):
        fev(np.zeros((5, 1, 3)))
    with pytest.raises(NeurodlValueError, match="inf"):
        fev(np.full((3, 2, 1), np.inf))
    with pytest.raises(NeurodlValueError, match=r"predictions must have shape .* = \(2, 1\)"):
        feve(HAND, np.zeros((3, 1)))
    with pytest.raises(NeurodlValueError, match="predictions contain NaN"):
        feve(HAND, [[np.nan], [1.0]])
    with pytest.raises(NeurodlValueError, match="same 2-D shape"):
        pearson_correlation(np.zeros((3, 2)), np.zeros((3, 3)))
    with pytest.raises(NeurodlValueError, match="at least 2 samples"):
        pearson_correlation(np.zeros((1, 2)), np.zeros((1, 2)))
    with pytest.raises(NeurodlValueError, match="n_splits must be >= 1"):
        split_half_reliability(HAND, n_splits=0)
    with pytest.raises(NeurodlValueError, match="share their first dimension"):
        bootstrap_ci(np.mean, np.zeros(3), np.zeros(4))
    with pytest.raises(NeurodlValueError, match="confidence_level must lie"):
        bootstrap_ci(np.mean, np.zeros(3), confidence_level=1.5)
    with pytest.raises(NeurodlValueError, match="n_resamples must be an int >= 2"):
        bootstrap_ci(np.mean, np.zeros(3), n_resamples=1)
    with pytest.raises(NeurodlValueError, match="at least one array"):
        bootstrap_ci(np.mean)


def test_inputs_not_modified():
    data = HAND.copy()
    feve(data, [[2.0], [6.0]])
    split_half_reliability(data, n_splits=2, random_state=0)
    np.testing.assert_array_equal(data, HAND)


def _noisy_population(rng, n_images=25, n_repeats=4, n_neurons=30):
    signal = rng.standard_normal((n_images, 1, n_neurons)) * rng.uniform(0, 1.5, n_neurons)
    repeats = signal + rng.standard_normal((n_images, n_repeats, n_neurons))
    repeats[2, 3] = np.nan  # one missing repeat
    prediction = signal[:, 0] + 0.3 * rng.standard_normal((n_images, n_neurons))
    return repeats, prediction


def test_bootstrap_feve_ci_equals_recomputing_fev_and_feve_per_resample(rng):
    from neurodl.metrics import bootstrap_feve_ci

    repeats, prediction = _noisy_population(rng)
    ci = bootstrap_feve_ci(repeats, prediction, n_resamples=200, random_state=3)
    draw = np.random.default_rng(3)
    means, medians = [], []
    for _ in range(200):
        rows = draw.integers(0, repeats.shape[0], size=repeats.shape[0])
        values = feve(repeats[rows], prediction[rows])
        keep = (fev(repeats[rows]) > FEV_THRESHOLD) & np.isfinite(values)
        means.append(values[keep].mean())
        medians.append(np.median(values[keep]))
    np.testing.assert_allclose(ci["mean"], np.percentile(means, [2.5, 97.5]), rtol=1e-9)
    np.testing.assert_allclose(ci["median"], np.percentile(medians, [2.5, 97.5]), rtol=1e-9)
    estimate = np.nanmean(feve(repeats, prediction)[fev(repeats) > FEV_THRESHOLD])
    assert ci["mean"][0] < estimate < ci["mean"][1]


def test_bootstrap_feve_ci_errors(rng):
    from neurodl.metrics import bootstrap_feve_ci

    repeats, prediction = _noisy_population(rng, n_images=5, n_neurons=3)
    with pytest.raises(NeurodlValueError, match="predictions must have shape"):
        bootstrap_feve_ci(repeats, prediction[:, :2])
    with pytest.raises(NeurodlValueError, match="confidence_level must lie"):
        bootstrap_feve_ci(repeats, prediction, confidence_level=0.0)
    with pytest.raises(NeurodlValueError, match="n_resamples must be an int >= 2"):
        bootstrap_feve_ci(repeats, prediction, n_resamples=1)
