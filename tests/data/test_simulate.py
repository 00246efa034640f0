"""Tests of the V1 simulator and its ground truth."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from neurodl.data import _sim_model as model
from neurodl.data.simulate import (
    cramer_rao_median,
    fisher_information,
    simulate_v1,
)
from neurodl.exceptions import NeurodlValueError
from neurodl.stimuli import make_grating

TRUTH_KEYS = {
    "orientation_grid",
    "fisher_information",
    "fisher_information_local",
    "cramer_rao_sd_deg",
    "cramer_rao_median_deg",
    "cramer_rao_rms_deg",
    "fano",
    "gain_noise",
    "orientation_jitter_deg",
    "trial_gain",
    "trial_jitter_deg",
}


@pytest.fixture(scope="module")
def small() -> Any:
    return simulate_v1(60, 300, random_state=0)


# ----------------------------------------------------------------------------- structure


def test_shapes_types_and_keys(small: Any) -> None:
    rec = small
    assert rec.responses.shape == (300, 60) and rec.responses.dtype == np.float32
    assert rec.images is not None and rec.images.shape == (300, 48, 64)
    assert rec.images.dtype == np.float32
    assert set(rec.stimulus) == {"orientation", "image_id"}
    assert np.all((rec.orientation >= 0) & (rec.orientation < 360))
    assert rec.neurons["tuning"].shape == (60, 360)
    assert rec.neurons["tuning_derivative"].shape == (60, 360)
    assert rec.neurons["position"].shape == (60, 2)
    assert set(np.unique(rec.neurons["cell_type"])) <= {"simple", "complex", "untuned"}
    ev = rec.neurons["explainable_variance"]
    assert np.all((ev >= 0) & (ev <= 1))
    pref = rec.neurons["preferred_orientation"]
    assert np.all((pref >= 0) & (pref < 360))
    np.testing.assert_array_equal(pref, np.argmax(rec.neurons["tuning"], axis=1))
    assert rec.meta["source"] == "neurodl.simulate_v1"
    assert {"units", "preprocessing", "parameters", "ground_truth"} <= set(rec.meta)
    gt = rec.meta["ground_truth"]
    assert TRUTH_KEYS <= set(gt)
    assert gt["fisher_information"].shape == (360,)
    np.testing.assert_allclose(gt["cramer_rao_sd_deg"], gt["fisher_information"] ** -0.5)
    assert gt["fisher_information"].mean() < gt["fisher_information_local"].mean()
    assert gt["trial_gain"].shape == (300,)
    assert np.all(rec.responses >= 0)


def test_meta_is_json_or_arrays(small: Any) -> None:
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items()}
        return None if isinstance(value, np.ndarray) else value

    json.dumps(strip(small.meta))


def test_images_are_the_gratings_shown(small: Any) -> None:
    rec = small
    first = np.unique(rec.stimulus["image_id"], return_index=True)[1][:5]
    for trial in first:
        expected = make_grating(rec.orientation[trial], spatial_frequency=4.0, phase=90.0)
        np.testing.assert_allclose(rec.images[rec.stimulus["image_id"][trial]], expected)
    # θ and θ + 180 are contrast-inverted images
    a, b = make_grating([30.0, 210.0], phase=90.0)
    np.testing.assert_allclose(a, -b, atol=1e-6)


def test_repeats_and_test_set() -> None:
    rec = simulate_v1(20, 200, repeats=3, test_images=5, test_repeats=10, random_state=1)
    ids, test = rec.stimulus["image_id"], rec.stimulus["test_set"]
    assert rec.images is not None and rec.images.shape[0] == 55
    counts = np.bincount(ids)
    np.testing.assert_array_equal(counts[:50], 3)
    np.testing.assert_array_equal(counts[50:], 10)
    np.testing.assert_array_equal(test, (ids >= 50).astype(int))
    assert test.sum() == 50
    for image in range(55):
        assert np.unique(rec.orientation[ids == image]).size == 1
    assert not np.all(np.diff(ids) >= 0)  # the trial order is shuffled


def test_uneven_repeats_fill_all_trials() -> None:
    rec = simulate_v1(10, 100, repeats=3, random_state=2)
    counts = np.bincount(rec.stimulus["image_id"])
    assert counts.size == 34 and counts.sum() == 100 and sorted(counts)[0] == 1


def test_noise_stimulus() -> None:
    rec = simulate_v1(
        30, 120, repeats=2, test_images=2, test_repeats=5, stimulus="noise", random_state=3
    )
    assert "orientation" not in rec.stimulus
    assert set(rec.stimulus) == {"image_id", "test_set"}
    assert rec.images is not None and rec.images.shape == (57, 48, 64)
    np.testing.assert_allclose(rec.images.mean(axis=(1, 2)), 0, atol=1e-5)
    assert rec.neurons["tuning"].shape == (30, 360)
    assert "fisher_information" not in rec.meta["ground_truth"]
    # trial means follow the image-computed responses: responses to one image vary less
    exact = model.image_responses(rec.neurons, rec.images)
    per_trial = exact[rec.stimulus["image_id"]]
    corr = np.corrcoef(per_trial.ravel(), rec.responses.ravel())[0, 1]
    assert corr > 0.3
    with pytest.raises(NeurodlValueError, match="stimulus='gratings'"):
        fisher_information(rec)


def test_same_seed_same_output_different_seed_differs() -> None:
    a = simulate_v1(15, 40, random_state=5)
    b = simulate_v1(15, 40, random_state=5)
    c = simulate_v1(15, 40, random_state=6)
    np.testing.assert_array_equal(a.responses, b.responses)
    np.testing.assert_array_equal(a.orientation, b.orientation)
    np.testing.assert_array_equal(a.neurons["tuning"], b.neurons["tuning"])
    assert not np.array_equal(a.responses, c.responses)
    assert not np.array_equal(a.neurons["tuning"], c.neurons["tuning"])
    g = simulate_v1(15, 40, random_state=np.random.default_rng(5))
    assert g.responses.shape == (40, 15)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"n_neurons": 0}, "n_neurons must be an integer >= 1; got 0"),
        ({"n_trials": 2.5}, "n_trials must be an integer >= 1"),
        ({"repeats": 0}, "repeats must be an integer >= 1"),
        ({"test_repeats": 0}, "test_repeats must be an integer >= 1"),
        ({"test_images": -1}, "test_images must be an integer >= 0"),
        ({"test_images": 11, "test_repeats": 10}, r"must not exceed n_trials; got 11 \* 10"),
        ({"stimulus": "movies"}, r"stimulus must be one of \{'gratings', 'noise'\}"),
        ({"image_size": (4, 64)}, "image_size must be"),
        ({"image_size": ("a", 64)}, "image_size must be"),
        ({"fraction_complex": 1.5}, r"fraction_complex must lie in \[0, 1\]"),
        ({"fraction_untuned": -0.1}, r"fraction_untuned must lie in \[0, 1\]"),
        ({"fraction_complex": 0.7, "fraction_untuned": 0.5}, "must be <= 1"),
        ({"orientation_jitter": -1.0}, "orientation_jitter must be >= 0"),
        ({"gain_noise": float("nan")}, "gain_noise must be >= 0"),
        ({"fano": 0.0}, "fano must be > 0"),
        ({"spatial_frequency": -2.0}, "spatial_frequency must be > 0"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    params: dict[str, Any] = {"n_neurons": 5, "n_trials": 100, **kwargs}
    with pytest.raises(NeurodlValueError, match=match):
        simulate_v1(**params)


def test_fisher_information_rejects_bad_input(small: Any) -> None:
    from neurodl.data import Recording

    with pytest.raises(NeurodlValueError, match="must come from simulate_v1"):
        fisher_information(Recording(np.ones((3, 2))))
    with pytest.raises(NeurodlValueError, match="at least one neuron"):
        fisher_information(small, neurons=np.array([], dtype=int))
    with pytest.raises(NeurodlValueError, match="out of range"):
        cramer_rao_median(small, neurons=np.array([0, 99]))


def test_ground_truth_survives_a_file_round_trip(small: Any, tmp_path: Any) -> None:
    from neurodl.data import load, save

    path = save(small, tmp_path / "sim.npz")
    back = load(path)
    np.testing.assert_array_equal(back.responses, small.responses)
    np.testing.assert_allclose(
        fisher_information(back)[1], small.meta["ground_truth"]["fisher_information"]
    )
    assert cramer_rao_median(back) == pytest.approx(cramer_rao_median(small))
