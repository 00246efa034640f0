"""run_encoding end to end on synthetic LN neurons, and the choice of test images."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.data import Recording
from neurodl.encoding import choose_test_images, run_encoding
from neurodl.exceptions import DataValueError, NeurodlValueError

from .conftest import ln_recording, make_ln_data


@pytest.fixture(scope="module")
def recording(ln_data):
    return ln_recording(ln_data)


def test_run_encoding_quick(recording):
    result = run_encoding(recording, quick=True, random_state=0)
    m = result.metrics
    for key in (
        "model",
        "feve_mean",
        "feve_median",
        "fev_mean",
        "corr_to_average_mean",
        "n_neurons_used",
        "n_train_images",
        "n_test_images",
        "linear_feve_mean",
    ):
        assert key in m
    assert m["model"] == "cnn"
    assert m["test_images_chosen_by"] == "test_set"
    assert (m["n_train_images"], m["n_test_images"]) == (600, 40)
    assert 0.0 < m["fev_mean"] < 1.0
    assert m["feve_mean_ci_low"] <= m["feve_mean"] <= m["feve_mean_ci_high"] + 1e-9
    assert m["confidence_level"] == 0.95
    assert set(result.figures) >= {
        "feve_vs_fev",
        "feve_histogram",
        "predicted_vs_measured",
        "tuning_curves",
        "learned_filters",
        "receptive_fields",
    }
    assert len(result.summary) >= 4
    assert result.parameters["encoder"]["max_iter"] == 20
    # 20 x 24 images: a map of about 16 pixels across the larger side
    assert result.parameters["encoder"]["downsample"] == 2
    assert result.metrics["output"] == "elu1" and result.metrics["loss"] == "poisson"
    assert result.metrics["linear_output"] == "relu"
    assert result.metrics["images_rendered"] is False


def test_run_encoding_with_an_ensemble(recording):
    result = run_encoding(
        recording, quick=True, random_state=0, encoder_params={"ensemble_size": 2}
    )
    assert result.parameters["encoder"]["ensemble_size"] == 2
    assert result.metrics["epochs"] >= 2  # summed over the two members
    assert {"learned_filters", "receptive_fields", "tuning_curves"} <= set(result.figures)
    assert np.isfinite(result.metrics["feve_mean"])


def test_run_encoding_linear_without_test_set(ln_data):
    data = make_ln_data(n_neurons=4, n_train=150, n_test=20, n_repeats=3, seed=1)
    rec = ln_recording(data)
    rec = Recording(
        rec.responses, stimulus={"image_id": rec.stimulus["image_id"]}, images=rec.images
    )
    result = run_encoding(rec, model="linear", quick=True, random_state=0)
    assert result.metrics["model"] == "linear"
    assert result.metrics["test_images_chosen_by"] == "most_repeats"
    assert result.metrics["n_test_images"] == 17  # 10% of 170 images, all repeated ones
    assert "cnn" not in result.parameters["encoder"]
    assert np.isfinite(result.metrics["feve_mean"])


def test_choose_test_images_random_without_repeats(rng):
    images = rng.standard_normal((30, 8, 8)).astype(np.float32)
    rec = Recording(
        rng.standard_normal((30, 3)), stimulus={"image_id": np.arange(30)}, images=images
    )
    ids, how = choose_test_images(rec, test_fraction=0.2, random_state=0)
    assert how == "random"
    assert ids.size == 6
    again, _ = choose_test_images(rec, test_fraction=0.2, random_state=0)
    np.testing.assert_array_equal(ids, again)
    result = run_encoding(rec, model="linear", quick=True, test_fraction=0.2, random_state=0)
    assert result.metrics["feve_mean"] is None
    assert "no noise ceiling" in " ".join(result.summary)


def test_errors(recording, rng):
    with pytest.raises(NeurodlValueError, match=r"model must be one of \{'cnn', 'linear'\}"):
        run_encoding(recording, model="gabor")
    with pytest.raises(NeurodlValueError, match="test_fraction must lie"):
        run_encoding(recording, test_fraction=0.0)
    no_images = Recording(rng.standard_normal((10, 2)), stimulus={"contrast": np.arange(10)})
    with pytest.raises(DataValueError, match=r"encoding needs images.*no 'orientation'"):
        run_encoding(no_images)
    few = Recording(
        rng.standard_normal((3, 2)), stimulus={"image_id": np.arange(3)}, images=np.zeros((3, 4, 4))
    )
    with pytest.raises(DataValueError, match="at least 4 distinct images"):
        run_encoding(few)


def test_run_encoding_on_simulated_gratings_matches_true_tuning():
    from neurodl.data import simulate_v1

    rec = simulate_v1(40, 900, test_images=30, test_repeats=5, image_size=(24, 32), random_state=0)
    result = run_encoding(rec, quick=True, random_state=0)
    assert result.metrics["test_images_chosen_by"] == "test_set"
    # in-silico tuning on the simulator's gratings follows the ground-truth tuning curves;
    # thresholds from benchmarks/seed_sweep.py (seeds 0-9: tuning r 0.960-0.973, FEVE
    # 0.765-0.806)
    assert result.metrics["tuning_corr_mean"] > 0.9
    assert result.metrics["feve_mean"] > 0.65


def test_training_set_averages_repeats_and_leaves_out_test_images(rng):
    from neurodl.encoding.analysis import _test_repeats, _train_set

    ids = rng.integers(0, 10, 60)
    responses = rng.standard_normal((60, 3)).astype(np.float32)
    rec = Recording(responses, stimulus={"image_id": ids}, images=rng.standard_normal((10, 4, 4)))
    images, averaged = _train_set(rec, np.array([2, 5]))
    kept = [i for i in range(10) if i not in (2, 5) and (ids == i).any()]
    expected = np.stack([responses[ids == i].mean(0) for i in kept])
    np.testing.assert_allclose(averaged, expected, atol=1e-6)
    np.testing.assert_array_equal(images, rec.images[kept])
    stacked = _test_repeats(rec, np.array([2, 5]))
    assert stacked.shape == (2, max(np.sum(ids == 2), np.sum(ids == 5)), 3)
    np.testing.assert_allclose(np.nanmean(stacked[0], axis=0), responses[ids == 2].mean(0))


def test_run_encoding_fits_a_seeded_random_subset_and_says_so():
    rec = ln_recording(make_ln_data(n_neurons=8, n_train=150, n_test=20, n_repeats=3, seed=1))
    result = run_encoding(rec, model="linear", max_neurons=5, random_state=2)
    m = result.metrics
    assert (m["n_neurons_recorded"], m["n_neurons_fitted"], m["n_neurons"]) == (8, 5, 5)
    assert m["neurons_fitted"] == "random_subset"
    indices = result.parameters["neuron_indices"]
    assert len(indices) == 5 and indices == sorted(indices)
    assert (
        indices
        == run_encoding(rec, model="linear", max_neurons=5, random_state=2).parameters[
            "neuron_indices"
        ]
    )
    assert "random subset of 5 of the 8 recorded neurons" in " ".join(result.summary)
    whole = run_encoding(rec, model="linear", max_neurons=None, random_state=0)
    assert whole.metrics["neurons_fitted"] == "all"
    assert "subset" not in " ".join(whole.summary)
    with pytest.raises(NeurodlValueError, match="max_neurons"):
        run_encoding(rec, model="linear", max_neurons=0)


def test_summary_says_when_the_baseline_wins():
    from neurodl.encoding._summary import summarise

    metrics = {
        "model": "cnn",
        "n_train_images": 600,
        "n_test_images": 30,
        "test_images_chosen_by": "test_set",
        "n_neurons": 100,
        "n_neurons_fitted": 100,
        "n_neurons_recorded": 300,
        "fev_mean": 0.2,
        "n_neurons_used": 45,
        "feve_mean": 0.69,
        "feve_mean_ci_low": 0.6,
        "feve_mean_ci_high": 0.75,
        "feve_median": 0.8,
        "feve_median_ci_low": 0.7,
        "feve_median_ci_high": 0.85,
        "linear_feve_mean": 0.78,
        "linear_feve_mean_ci_low": 0.7,
        "linear_feve_mean_ci_high": 0.83,
        "corr_to_average_mean": 0.7,
        "single_trial_corr_mean": 0.5,
        "oracle_corr_mean": 0.45,
    }
    text = " ".join(summarise(metrics, True))
    assert "the baseline beats the CNN (0.69)" in text
    assert "few training images (600)" in text
    assert "gratings" not in text
    metrics["grating_stimuli"] = True
    assert "vary only in orientation" in " ".join(summarise(metrics, True))
    assert "mean 0.69 [0.60, 0.75]" in text and "median 0.80 [0.70, 0.85]" in text
    assert "100 of the 300 recorded neurons" in text
    metrics["linear_feve_mean"] = 0.3
    assert "less than the CNN's 0.69" in " ".join(summarise(metrics, True))


def test_measured_tuning_comes_from_trials_not_the_simulators_truth(rng):
    from neurodl.encoding._figure_data import _measured_tuning

    orientation = np.repeat(np.arange(0.0, 360.0, 10.0), 4)
    responses = rng.poisson(3.0, (orientation.size, 2)).astype(np.float32)
    truth = np.zeros((2, 360))
    rec = Recording(
        responses,
        stimulus={"orientation": orientation},
        neurons={"tuning": truth},
    )
    _grid, curves, source = _measured_tuning(rec)
    assert source == "measured"
    np.testing.assert_allclose(curves[0], responses[:4].mean(0), rtol=1e-6)
    no_trials = Recording(
        responses, stimulus={"image_id": np.arange(orientation.size)}, neurons={"tuning": truth}
    )
    assert _measured_tuning(no_trials)[2].startswith("true")


def test_encoder_params_replace_run_encodings_network(recording):
    from neurodl.encoding import CNNEncoder

    other = CNNEncoder(
        channels=(4,), kernel_sizes=(5,), downsample=2, max_iter=1, ensemble_size=1, random_state=99
    )
    result = run_encoding(recording, quick=True, random_state=3, encoder_params=other.get_params())
    encoder = result.parameters["encoder"]
    assert encoder["channels"] == (4,) and encoder["downsample"] == 2
    assert encoder["random_state"] == 3  # seed wins over the dict's random_state
    assert result.metrics["epochs"] == 1
