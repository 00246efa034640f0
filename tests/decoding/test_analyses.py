"""Cross-validation, shuffle control, threshold, curves, weight analysis and run_decoding."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes

from neurodl.data import Recording
from neurodl.data.tuning import compute_preferred_orientation
from neurodl.decoding import (
    BayesDecoder,
    LinearDecoder,
    MLPDecoder,
    cross_validate_decoder,
    discrimination_threshold,
    fit_psychometric,
    hidden_unit_tuning,
    make_folds,
    neuron_curve,
    run_decoding,
    shuffle_control,
    sorted_input_weights,
    trial_curve,
)
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.plotting import decoding as plots


def test_folds_are_grouped_and_stratified(population_factory):
    _, theta, image_id = population_factory(n_trials=400, repeats=4)
    splits = make_folds(theta, groups=image_id, folds=5, random_state=0)
    assert len(splits) == 5
    seen = np.zeros(theta.size, dtype=int)
    for train, test in splits:
        assert not set(image_id[train]) & set(image_id[test])  # no image on both sides
        seen[test] += 1
        bins = np.bincount((theta[test] // 45).astype(int), minlength=8)
        assert bins.min() > 0  # every fold covers the circle
    np.testing.assert_array_equal(seen, 1)


def test_fold_errors(population):
    _, theta = population
    with pytest.raises(NeurodlValueError, match="folds must be an int >= 2"):
        make_folds(theta, folds=1)
    with pytest.raises(NeurodlValueError, match="more than the 3 conditions"):
        make_folds(theta[:6], groups=[0, 0, 1, 1, 2, 2], folds=5)


def test_cross_validation_and_shuffle_control(population_factory):
    X, theta, image_id = population_factory(n_trials=400, repeats=2)
    cv = cross_validate_decoder(BayesDecoder(), X, theta, groups=image_id, folds=4)
    assert cv["predictions"].shape == theta.shape
    assert len(cv["fold_median_abs_error_deg"]) == 4
    assert cv["median_abs_error_deg"] < 10
    control = shuffle_control("bayes", X, theta, groups=image_id, folds=4)
    assert 70 < control["median_abs_error_deg"] < 110  # chance is 90
    permuted = control["permuted_orientation"]
    for image in np.unique(image_id)[:20]:  # repeats keep a shared (permuted) label
        assert np.unique(permuted[image_id == image]).size == 1


def test_cross_validation_parallel_equals_sequential(population):
    X, theta = population
    from joblib import parallel_config

    one = cross_validate_decoder(LinearDecoder(), X, theta, folds=3, n_jobs=1)
    with parallel_config(backend="threading"):  # the fan-out path, without process start-up
        two = cross_validate_decoder(LinearDecoder(), X, theta, folds=3, n_jobs=2)
    np.testing.assert_allclose(one["predictions"], two["predictions"])


def test_given_splits_are_used_and_checked(population_factory):
    X, theta, image_id = population_factory(n_trials=200, n_neurons=30, repeats=2)
    splits = make_folds(theta, groups=image_id, folds=4, random_state=3)
    cv = cross_validate_decoder("bayes", X, theta, splits=splits)
    made = cross_validate_decoder("bayes", X, theta, groups=image_id, folds=4, random_state=3)
    np.testing.assert_array_equal(cv["predictions"], made["predictions"])
    assert [test.tolist() for _, test in cv["splits"]] == [test.tolist() for _, test in splits]
    control = shuffle_control("bayes", X, theta, groups=image_id, splits=splits)
    np.testing.assert_array_equal(control["fold"], cv["fold"])  # the same folds
    with pytest.raises(NeurodlValueError, match="test sets cover each of the 200 trials"):
        cross_validate_decoder("bayes", X, theta, splits=splits[:2])
    curve = neuron_curve("bayes", X, theta, sizes=[10], splits=splits[:2])
    assert curve["errors"].shape == (1, 2)
    with pytest.raises(NeurodlValueError, match="splits must be"):
        trial_curve("bayes", X, theta, sizes=[20], splits=[(np.arange(2), np.array([500]))])


def test_cross_validation_bad_input(population):
    X, theta = population
    with pytest.raises(NeurodlValueError, match="same number of trials"):
        cross_validate_decoder("linear", X, theta[:-3])
    with pytest.raises(NeurodlTypeError, match="decoder must be a decoder name"):
        cross_validate_decoder(42, X, theta)
    with pytest.raises(NeurodlValueError, match="decoder must be one of"):
        cross_validate_decoder("forest", X, theta)


def test_threshold_tracks_known_noise(rng):
    theta = rng.uniform(0, 360, 3000)
    results = []
    for sigma in (1.0, 3.0):
        decoded = theta + rng.normal(0, sigma, theta.size)
        results.append(discrimination_threshold(theta, decoded, n_resamples=100))
    small, large = results
    # Gaussian errors: 75 % correct at 0.674 * sqrt(2) * sigma (= 0.95 sigma)
    assert small["threshold_deg"] == pytest.approx(0.95, rel=0.2)
    assert not small["extrapolated"]
    assert large["threshold_deg"] == pytest.approx(2.86, rel=0.2)
    low, high = small["threshold_deg_ci_low"], small["threshold_deg_ci_high"]
    assert low < small["threshold_deg"] < high
    assert abs(small["bias"]) < 0.2
    assert np.all(np.diff(small["p_clockwise"][small["n_pairs"] > 50]) > -0.15)


def test_threshold_of_a_blind_decoder_is_huge(rng):
    theta = rng.uniform(0, 360, 1000)
    result = discrimination_threshold(theta, rng.uniform(0, 360, 1000), n_resamples=20)
    assert result["threshold_deg"] > 10 * result["max_delta_deg"] or not np.isfinite(
        result["threshold_deg"]
    )


def test_threshold_of_a_perfect_decoder(rng):
    """Every pair judged right: the outermost bins hold one answer only (empty segments)."""
    theta = rng.uniform(0, 360, 400)
    result = discrimination_threshold(theta, theta, n_resamples=20)
    assert result["threshold_deg"] < result["max_delta_deg"] / 5
    np.testing.assert_array_equal(result["p_clockwise"][result["delta_deg"] > 0], 1.0)
    np.testing.assert_array_equal(result["p_clockwise"][result["delta_deg"] < 0], 0.0)


def test_fit_psychometric_oracle():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    delta = rng.uniform(-3, 3, 5000)
    answer = rng.random(5000) < 1 / (1 + np.exp(-(0.2 + 1.3 * delta)))
    reference = LogisticRegression(C=1e8).fit(delta[:, None], answer)
    bias, slope = fit_psychometric(delta, answer.astype(float), np.ones_like(delta))
    assert slope == pytest.approx(reference.coef_[0, 0], rel=1e-4)
    assert bias == pytest.approx(reference.intercept_[0], rel=1e-3)


def test_threshold_errors(rng):
    theta = rng.uniform(0, 360, 100)
    with pytest.raises(NeurodlValueError, match="at least 10 trials"):
        discrimination_threshold(theta[:5], theta[:5])
    with pytest.raises(NeurodlValueError, match="max_delta must lie"):
        discrimination_threshold(theta, theta, max_delta=400)
    with pytest.raises(NeurodlValueError, match="confidence_level must lie"):
        discrimination_threshold(theta, theta, confidence_level=1.5)
    with pytest.raises(NeurodlValueError, match="period must be one of"):
        discrimination_threshold(theta, theta, period=100)
    with pytest.raises(NeurodlValueError, match="same length"):
        discrimination_threshold(theta, theta[:-1])


def test_neuron_and_trial_curves(population_factory):
    X, theta, _ = population_factory(n_trials=500, n_neurons=80)
    calls = []

    def bound(indices):
        calls.append(indices.size)
        return 1.0 / np.sqrt(indices.size)

    curve = neuron_curve(BayesDecoder(), X, theta, sizes=[5, 20, 80], n_repeats=2, bound=bound)
    assert curve["errors"].shape == (3, 2)
    assert curve["median_abs_error_deg"][0] > 2 * curve["median_abs_error_deg"][-1]
    assert sorted(set(calls)) == [5, 20, 80]
    np.testing.assert_allclose(curve["bound_deg"][:, 0], 1 / np.sqrt([5, 20, 80]))
    trials = trial_curve(LinearDecoder(), X, theta, sizes=[20, 350], n_repeats=2)
    assert trials["median_abs_error_deg"][0] > trials["median_abs_error_deg"][1]
    with pytest.raises(NeurodlValueError, match="sizes must lie in"):
        neuron_curve("bayes", X, theta, sizes=[0, 500])
    with pytest.raises(NeurodlValueError, match="n_repeats"):
        trial_curve("bayes", X, theta, n_repeats=0)


def test_weight_analysis(population):
    X, theta = population
    pref, _ = compute_preferred_orientation(X, theta)
    assert pref.shape == (X.shape[1],) and np.all((pref >= 0) & (pref < 360))
    mlp = MLPDecoder(hidden_layer_sizes=(6,), max_iter=5, random_state=0).fit(X, theta)
    weights, order = sorted_input_weights(mlp, pref)
    assert weights.shape == (X.shape[1], 6)
    assert np.all(np.diff(pref[order]) >= 0)
    centres, tuning = hidden_unit_tuning(mlp, X, theta, n_bins=12)
    assert centres.shape == (12,) and tuning.shape == (12, 6)
    linear = LinearDecoder(kappa=5.0, alphas=[1.0]).fit(X, theta)
    linear_weights, _ = sorted_input_weights(linear, pref)
    assert linear_weights.shape == (X.shape[1], 48)
    with pytest.raises(NeurodlTypeError, match="MLPDecoder or CurriculumDecoder"):
        hidden_unit_tuning(linear, X, theta)
    with pytest.raises(NeurodlValueError, match="one angle per neuron"):
        sorted_input_weights(mlp, pref[:-1])


def _recording(population_factory, **meta):
    X, theta, image_id = population_factory(n_trials=300, n_neurons=40, repeats=2)
    return Recording(X, stimulus={"orientation": theta, "image_id": image_id}, meta=meta)


def test_run_decoding_quick(population_factory):
    recording = _recording(population_factory)
    result = run_decoding(recording, decoder="bayes", quick=True, folds=3, random_state=0)
    m = result.metrics
    for key in (
        "decoder",
        "median_abs_error_deg",
        "rmse_deg",
        "threshold_deg",
        "threshold_deg_ci_low",
        "threshold_deg_ci_high",
        "confidence_level",
        "wall_seconds",
        "n_neurons",
        "n_trials",
        "fold_median_abs_error_deg",
        "shuffle_median_abs_error_deg",
        "chance_median_abs_error_deg",
    ):
        assert key in m
    assert m["grouped_by_condition"] is True
    assert m["median_abs_error_deg"] < 15 < 60 < m["shuffle_median_abs_error_deg"]
    assert "cramer_rao_median_deg" not in m  # no ground truth
    figures = {
        "decoded_vs_true",
        "error_vs_orientation",
        "psychometric",
        "error_vs_neurons",
        "error_vs_trials",
    }
    assert figures <= set(result.figures)
    assert len(result.summary) >= 3 and all(s.endswith(".") for s in result.summary)
    assert result.parameters["random_state"] == 0
    low, high = m["median_abs_error_deg_ci_low"], m["median_abs_error_deg_ci_high"]
    assert low < m["median_abs_error_deg"] < high
    assert f"95% CI {low:.2f}°–{high:.2f}°" in result.summary[0]


def test_run_decoding_confidence_level_and_fresh_seed(population_factory):
    recording = _recording(population_factory)
    options = dict(decoder="linear", quick=True, folds=3, curves=False, figures=False)
    narrow = run_decoding(recording, confidence_level=0.5, random_state=1, **options)
    wide = run_decoding(recording, confidence_level=0.99, random_state=1, **options)
    m50, m99 = narrow.metrics, wide.metrics
    assert m50["confidence_level"] == 0.5 and m99["confidence_level"] == 0.99
    assert m99["median_abs_error_deg_ci_low"] < m50["median_abs_error_deg_ci_low"]
    assert m50["median_abs_error_deg_ci_high"] < m99["median_abs_error_deg_ci_high"]
    assert "50% CI" in narrow.summary[0] and narrow.figures == {}
    unseeded = run_decoding(recording, **options)
    seed = unseeded.parameters["random_state"]
    assert isinstance(seed, int)
    again = run_decoding(recording, random_state=seed, **options)
    assert (
        again.metrics["median_abs_error_deg_ci_low"]
        == unseeded.metrics["median_abs_error_deg_ci_low"]
    )
    with pytest.raises(NeurodlValueError, match="confidence_level must lie in"):
        run_decoding(recording, confidence_level=95)
    with pytest.raises(NeurodlTypeError, match="random_state must be an int or None"):
        run_decoding(recording, random_state="0")


def test_run_decoding_mlp_figures(population_factory):
    recording = _recording(population_factory)
    result = run_decoding(recording, decoder="mlp", quick=True, folds=2, curves=False)
    assert {"loss_curve", "hidden_tuning", "sorted_weights"} <= set(result.figures)


def test_run_decoding_bad_input(population_factory):
    recording = _recording(population_factory)
    with pytest.raises(NeurodlValueError, match="target must be one of"):
        run_decoding(recording, target="contrast")
    with pytest.raises(NeurodlValueError, match="decoder must be one of"):
        run_decoding(recording, decoder="forest")
    with pytest.raises(NeurodlValueError, match="period must be one of"):
        run_decoding(recording, period=90)
    with pytest.raises(NeurodlTypeError, match="Recording"):
        run_decoding(np.zeros((3, 3)))


def test_plots_return_axes(population, rng):
    X, theta = population
    decoded = theta + rng.normal(0, 5, theta.size)
    threshold = discrimination_threshold(theta, decoded, n_resamples=10)
    curve = neuron_curve("bayes", X, theta, sizes=[10, 60], n_repeats=2, bound=lambda idx: 1.0)
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    assert plots.plot_decoded_vs_true(theta, decoded, ax=ax) is ax
    assert ax.get_xlabel() == "True orientation (°)"
    for axes in (
        plots.plot_error_vs_orientation(theta, decoded),
        plots.plot_psychometric(threshold),
        plots.plot_neuron_curve(curve),
        plots.plot_trial_curve(
            {"n_trials": curve["n_neurons"], "errors": curve["errors"]}, bound=1.0
        ),
        plots.plot_loss_curve([3.0, 2.0, 1.0], [-5.0, -4.0, -3.0]),
        plots.plot_sorted_weights(rng.standard_normal((60, 4)), np.sort(theta[:60])),
        plots.plot_hidden_tuning(np.arange(12) * 30.0, rng.random((12, 3))),
    ):
        assert isinstance(axes, Axes)
        assert axes.get_xlabel() and axes.get_ylabel()


def test_run_decoding_with_ground_truth():
    from neurodl.data import simulate_v1

    recording = simulate_v1(120, 300, random_state=3)
    result = run_decoding(recording, decoder="bayes", quick=True, folds=3, random_state=0)
    m = result.metrics
    assert m["cramer_rao_median_deg"] == pytest.approx(
        recording.ground_truth["cramer_rao_median_deg"]
    )
    assert m["error_to_bound_ratio"] > 0.7  # no decoder beats the bound by much
    bounds = m["neuron_curve"]["cramer_rao_median_deg"]
    assert np.all(np.diff(bounds) < 0)  # more neurons, lower bound
    assert any("Cramér–Rao" in line for line in result.summary)


def test_run_decoding_curves_in_metrics(population_factory):
    result = run_decoding(_recording(population_factory), decoder="linear", quick=True, folds=3)
    neurons = result.metrics["neuron_curve"]
    trials = result.metrics["trial_curve"]
    assert neurons["n_neurons"][-1] == 40
    assert neurons["median_abs_error_deg"][0] > neurons["median_abs_error_deg"][-1]
    assert trials["median_abs_error_deg"][0] > trials["median_abs_error_deg"][-1]
    # the last point of each curve is the cross-validation fit on the first two folds
    top = np.mean(result.metrics["fold_median_abs_error_deg"][:2])
    assert neurons["median_abs_error_deg"][-1] == pytest.approx(top)
    assert trials["median_abs_error_deg"][-1] == pytest.approx(top)
    assert np.all(np.diff(trials["n_train_trials"]) > 0)
    # the shuffle control reuses the penalty and width chosen on the real labels: at chance
    assert 60 < result.metrics["shuffle_median_abs_error_deg"] < 120


def test_log_ticks_always_label_the_axis():
    from neurodl.plotting.decoding import _nice_ticks

    for low, high in [(1.0, 1.3), (1.1, 48.0), (20.0, 720.0), (0.03, 180.0), (2.0, 2.2)]:
        ticks = _nice_ticks(low, high)
        assert ticks.size >= 2, (low, high)
        assert np.all((ticks >= low * 0.999) & (ticks <= high * 1.001))
    assert _nice_ticks(20.0, 720.0).tolist() == [20, 50, 100, 200, 500]
