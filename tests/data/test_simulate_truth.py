"""Tests of the V1 simulator's ground truth: Fisher information, bounds, explainable variance."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from scipy import stats

from neurodl.data import _sim_model as model
from neurodl.data import _sim_truth as truth
from neurodl.data._sim_trials import grating_trials
from neurodl.data.simulate import (
    cramer_rao_median,
    fisher_information,
    simulate_trials,
    simulate_v1,
)
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import circular_difference
from neurodl.stimuli import make_grating


@pytest.fixture(scope="module")
def small() -> Any:
    return simulate_v1(60, 300, random_state=0)


def _raw(rec: Any, index: Any = slice(None)) -> tuple[np.ndarray, np.ndarray]:
    scale = rec.neurons["response_scale"][index, None]
    f = rec.neurons["tuning"][index] * scale + rec.neurons["response_offset"][index, None]
    return f.astype(np.float64), (rec.neurons["tuning_derivative"][index] * scale).astype(float)


def _noise(rec: Any) -> dict[str, float]:
    gt = rec.meta["ground_truth"]
    return {
        "fano": gt["fano"],
        "gain_noise": gt["gain_noise"],
        "orientation_jitter": gt["orientation_jitter_deg"],
    }


def test_interpolated_tuning_matches_image_filters(small: Any) -> None:
    """Between grid points the tuning is the image-computed response to the grating."""
    theta = np.array([3.3, 47.81, 133.5, 200.05, 359.7])
    exact = model.image_responses(small.neurons, make_grating(theta, phase=90.0))
    f, df = _raw(small)
    interpolated = model.interpolate_tuning(f.T, df.T, theta)
    span = f.max(1) - f.min(1)
    assert np.max(np.abs(interpolated - exact) / span) < 2e-3
    # the derivative too (central difference of the exact responses at grid points)
    grid = np.array([10.0, 100.0, 250.0])
    step = 0.01
    plus = model.image_responses(small.neurons, make_grating(grid + step, phase=90.0))
    minus = model.image_responses(small.neurons, make_grating(grid - step, phase=90.0))
    slope = (plus.astype(np.float64) - minus) / (2 * step)
    np.testing.assert_allclose(slope, df[:, grid.astype(int)].T, atol=2e-3 * np.abs(df).max())


def _dense_moments(
    f: np.ndarray, df: np.ndarray, theta: float, noise: dict[str, float]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, its slope and covariance at θ by brute-force integration over the jitter."""
    sd = noise["orientation_jitter"]
    delta = np.linspace(-7 * sd, 7 * sd, 2801)
    weight = stats.norm.pdf(delta, scale=sd)
    weight /= weight.sum()
    values = model.interpolate_tuning(f.T, df.T, theta + delta)
    slopes = model.interpolate_tuning(f.T, df.T, theta + delta, slope=True)
    mean = weight @ values
    centred = values - mean
    spread = (centred * weight[:, None]).T @ centred
    s = noise["gain_noise"] ** 2
    cov = np.diag(noise["fano"] * mean) + (1 + s) * spread + s * np.outer(mean, mean)
    return mean, weight @ slopes, cov


def test_fisher_information_matches_dense_covariance(small: Any) -> None:
    index = np.arange(0, 60, 2)
    f, df = _raw(small, index)
    noise = _noise(small)
    grid, fi = fisher_information(small, neurons=index)
    np.testing.assert_array_equal(grid, np.arange(360))
    for theta in (0, 77, 181, 300):
        _, slope, cov = _dense_moments(f, df, float(theta), noise)
        dense = slope @ np.linalg.solve(cov, slope)
        np.testing.assert_allclose(fi[theta], dense, rtol=1e-4)


def test_without_jitter_fisher_information_is_sherman_morrison(small: Any) -> None:
    f, df = _raw(small)
    noise = {**_noise(small), "orientation_jitter": 0.0}
    a = np.sum(df**2 / (noise["fano"] * f), 0)
    b = np.sum(df * f / (noise["fano"] * f), 0)
    c = np.sum(f**2 / (noise["fano"] * f), 0)
    s = noise["gain_noise"] ** 2
    closed = a - s * b**2 / (1 + s * c)
    np.testing.assert_allclose(truth.fisher_information(f, df, **noise), closed, rtol=1e-10)
    np.testing.assert_allclose(small.meta["ground_truth"]["fisher_information_local"], closed)


def test_fisher_information_agrees_with_monte_carlo() -> None:
    """Bias-corrected linear FI (Kanitscheider et al. 2015) from trials at θ ± Δ/2.

    With T trials per condition and N neurons the estimator is unbiased for the discrimination
    information between θ - Δ/2 and θ + Δ/2 (secant slope, mean covariance), whose Gaussian
    sampling SD is sqrt(2 I² / (2T - N - 5) (1 + 4(2T - 3)/(T I Δ²) + 4N(2T - 3)/(T² I² Δ⁴))).
    """
    rec = simulate_v1(30, 10, random_state=3)
    f, df = _raw(rec)
    noise = _noise(rec)
    n, trials, sep = f.shape[0], 20000, 4.0
    for k, theta in enumerate((30.0, 123.0, 250.0)):
        orientation = np.repeat([theta - sep / 2, theta + sep / 2], trials)
        r, _ = grating_trials(f, df, orientation, **noise, random_state=k)
        lo, hi = r[:trials].astype(np.float64), r[trials:].astype(np.float64)
        slope_hat = (hi.mean(0) - lo.mean(0)) / sep
        cov_hat = (np.cov(lo, rowvar=False) + np.cov(hi, rowvar=False)) / 2
        raw = slope_hat @ np.linalg.solve(cov_hat, slope_hat)
        estimate = raw * (2 * trials - n - 3) / (2 * trials - 2) - 2 * n / (trials * sep**2)
        m_lo, _, c_lo = _dense_moments(f, df, theta - sep / 2, noise)
        m_hi, _, c_hi = _dense_moments(f, df, theta + sep / 2, noise)
        secant = (m_hi - m_lo) / sep
        expected = secant @ np.linalg.solve((c_lo + c_hi) / 2, secant)
        t = trials
        var = (2 * expected**2 / (2 * t - n - 5)) * (
            1
            + 4 * (2 * t - 3) / (t * expected * sep**2)
            + 4 * n * (2 * t - 3) / (t**2 * expected**2 * sep**4)
        )
        assert abs(estimate - expected) < 4 * np.sqrt(var), (theta, estimate, expected)
        # and the secant information approaches the stored local information
        local = rec.meta["ground_truth"]["fisher_information"][int(theta)]
        assert abs(expected - local) < 0.1 * local


def _ml_decode(rec: Any) -> np.ndarray:
    """Maximum-likelihood orientation from the true tuning (Gaussian, profiled trial gain).

    A grid search with weights 1/(F mean f) finds the mode; Gauss–Newton steps in (gain, θ)
    with weights 1/(F f(θ̂)) then give the locally efficient estimate.
    """
    f, df = _raw(rec)
    fano = rec.meta["ground_truth"]["fano"]
    r = rec.responses.astype(np.float64)
    w = 1.0 / (fano * f.mean(1))
    score = ((r * w) @ f) ** 2 / (w[:, None] * f**2).sum(0)
    theta = np.argmax(score, axis=1).astype(np.float64)
    weights = 1.0 / (fano * model.interpolate_tuning(f.T, df.T, theta))
    gain = np.ones_like(theta)
    for _ in range(6):
        mu = model.interpolate_tuning(f.T, df.T, theta)
        d_mu = gain[:, None] * model.interpolate_tuning(f.T, df.T, theta, slope=True)
        e = r - gain[:, None] * mu
        a11, a12 = (weights * mu * mu).sum(1), (weights * mu * d_mu).sum(1)
        a22 = (weights * d_mu * d_mu).sum(1)
        b1, b2 = (weights * mu * e).sum(1), (weights * d_mu * e).sum(1)
        det = a11 * a22 - a12**2
        gain = gain + (a22 * b1 - a12 * b2) / det
        theta = theta + np.clip((a11 * b2 - a12 * b1) / det, -3, 3)
    return np.mod(theta, 360.0)


@pytest.mark.parametrize("jitter", [0.5, 1.5])
def test_maximum_likelihood_decoder_reaches_the_bound(jitter: float) -> None:
    # at 0.5 deg the bound depends on the tuning as much as on the jitter; 1.5 is the default
    rec = simulate_v1(2000, 2000, orientation_jitter=jitter, random_state=7)
    gt = rec.meta["ground_truth"]
    assert jitter**2 * np.median(gt["fisher_information_local"]) > 0.3
    error = circular_difference(_ml_decode(rec), rec.orientation)
    ratio = np.median(np.abs(error)) / gt["cramer_rao_median_deg"]
    assert 0.9 < ratio < 1.1
    assert cramer_rao_median(rec) == pytest.approx(gt["cramer_rao_median_deg"])


def test_explainable_variance_matches_repeats() -> None:
    rec = simulate_v1(200, 6000, repeats=20, random_state=11)
    stacked, _ = rec.stack_repeats()  # (300 images, 20 repeats, neurons)
    noise_var = stacked.var(axis=1, ddof=1).mean(0)
    signal_var = stacked.mean(axis=1).var(axis=0, ddof=1) - noise_var / stacked.shape[1]
    empirical = signal_var / (signal_var + noise_var)
    ev = rec.neurons["explainable_variance"]
    assert np.corrcoef(ev, empirical)[0, 1] > 0.95
    assert np.median(np.abs(ev - empirical)) < 0.02


def test_zscore_keeps_fisher_information_and_units() -> None:
    raw = simulate_v1(40, 500, random_state=4)
    z = simulate_v1(40, 500, zscore=True, random_state=4)
    np.testing.assert_allclose(z.responses.mean(0), 0, atol=1e-4)
    np.testing.assert_allclose(z.responses.std(0), 1, atol=1e-4)
    assert z.meta["preprocessing"] == ["zscore"] and z.meta["units"] == "z-score"
    np.testing.assert_allclose(fisher_information(z)[1], fisher_information(raw)[1], rtol=1e-4)
    np.testing.assert_allclose(
        z.meta["ground_truth"]["fisher_information"], raw.meta["ground_truth"]["fisher_information"]
    )
    np.testing.assert_allclose(
        z.neurons["explainable_variance"], raw.neurons["explainable_variance"]
    )
    # the z-scored tuning maps trial responses the same way as in raw units
    scale, offset = z.neurons["response_scale"], z.neurons["response_offset"]
    np.testing.assert_allclose(
        z.neurons["tuning"] * scale[:, None] + offset[:, None],
        raw.neurons["tuning"],
        rtol=1e-4,
        atol=1e-5,
    )


def test_subsets_of_neurons(small: Any) -> None:
    index = np.arange(30)
    _, fi_half = fisher_information(small, neurons=index)
    _, fi_all = fisher_information(small)
    np.testing.assert_allclose(fi_all, small.meta["ground_truth"]["fisher_information"])
    assert np.all(fi_half <= fi_all * (1 + 1e-9))
    assert cramer_rao_median(small, neurons=index) > cramer_rao_median(small)
    subset = small.select(neurons=index)
    np.testing.assert_allclose(fisher_information(subset)[1], fi_half)
    mask = np.zeros(60, dtype=bool)
    mask[index] = True
    np.testing.assert_allclose(fisher_information(small, neurons=mask)[1], fi_half)


def test_cramer_rao_summaries_closed_form() -> None:
    info = np.full(360, 4.0)  # SD 0.5 deg everywhere: |error| is half-normal
    assert truth.cramer_rao_median(info) == pytest.approx(stats.halfnorm.median(scale=0.5))
    assert truth.cramer_rao_rms(info) == pytest.approx(0.5)
    mixed = np.r_[np.full(180, 1.0), np.full(180, 0.25)]  # SD 1 and 2 deg, half the time each
    m = truth.cramer_rao_median(mixed)
    assert 0.5 * (stats.halfnorm.cdf(m, scale=1) + stats.halfnorm.cdf(m, scale=2)) == (
        pytest.approx(0.5)
    )


def test_simulate_trials_follow_the_recording() -> None:
    raw = simulate_v1(25, 400, random_state=9)
    z = simulate_v1(25, 400, zscore=True, random_state=9)
    theta = np.full(4000, 75.0)
    new_raw = simulate_trials(raw, theta, random_state=1)
    new_z = simulate_trials(z, theta, random_state=1)
    assert new_raw.shape == (4000, 25) and new_raw.dtype == np.float32
    scale, offset = z.neurons["response_scale"], z.neurons["response_offset"]
    np.testing.assert_allclose(new_z * scale + offset, new_raw, rtol=1e-4, atol=1e-4)
    # the trial mean is the tuning smoothed by the jitter: close to the tuning at 75 deg
    mean, _, _ = _dense_moments(*_raw(raw), 75.0, _noise(raw))
    sem = new_raw.std(0) / np.sqrt(theta.size)
    assert np.all(np.abs(new_raw.mean(0) - mean) < 5 * sem)
    sub = simulate_trials(raw.select(neurons=np.arange(5)), theta[:3], random_state=1)
    assert sub.shape == (3, 5)
    with pytest.raises(NeurodlValueError, match="orientation must be finite"):
        simulate_trials(raw, [np.nan])
