"""Model recovery: simulated recordings from each candidate, and which candidate wins."""

from __future__ import annotations

import copy
import json

import numpy as np
import pytest
import torch

from neurodl.exceptions import DataValueError, NeurodlTypeError, NeurodlValueError
from neurodl.rsa import RecoveryResult, compute_rdm, model_recovery
from neurodl.rsa._utils import rdm_to_vector
from neurodl.rsa.conditions import make_folds, split_half_rdms
from neurodl.rsa.recovery import (
    _batched_rdms,
    _mixing_factor,
    _split_means,
    _split_rdms,
    _split_sizes,
)
from neurodl.stimuli import make_grating

IMAGES = make_grating(np.arange(24) * 15.0, size=(16, 16)).reshape(24, 16, 16)


def _pooled_conv(seed: int) -> torch.nn.Module:
    """Random filters, rectified and averaged over space: phase-invariant, unlike pixels."""
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        return torch.nn.Sequential(
            torch.nn.Conv2d(1, 8, 5), torch.nn.ReLU(), torch.nn.AdaptiveAvgPool2d(1)
        )


@pytest.mark.parametrize("seed", [0, 3])
def test_identical_models_cannot_be_told_apart(seed):
    net = _pooled_conv(seed)
    result = model_recovery(
        {"a": net, "b": copy.deepcopy(net)},
        IMAGES,
        layers="2",
        n_neurons=(20, 100),
        noise_levels=(0.5, 2.0),
        random_state=seed,
    )
    assert result.chance == 0.5
    assert result.confusion.shape == (2, 2, 2, 2)
    assert np.all(result.confusion.sum(axis=3) == 20)
    # identical RDMs tie exactly: wins split at random (seeds 0-9: 0.41-0.59; sd 0.04 at p=.5;
    # bench_models.py --sweep 10)
    assert 0.3 < result.accuracy.mean() < 0.7


@pytest.mark.parametrize("seed", [0, 1])
def test_different_models_are_recovered_at_low_noise_and_not_at_high_noise(seed):
    result = model_recovery(
        {"pixels": IMAGES, "energy": _pooled_conv(seed)},
        IMAGES,
        layers={"energy": "2"},
        n_neurons=(50,),
        noise_levels=(0.5, 5.0, 50.0),
        random_state=seed,
    )
    accuracy = result.accuracy[:, 0]
    # seeds 0-9: 1.0 at noise 0.5, 0.35-0.7 at noise 50 (where the ceiling is ~0)
    assert accuracy[0] >= 0.9
    assert accuracy[-1] <= 0.8
    assert accuracy[0] >= accuracy[-1] + 0.2
    assert result.noise_ceiling[0, 0] > 0.9
    assert abs(result.noise_ceiling[-1, 0]) < 0.1
    assert np.all(result.accuracy_ci_low <= result.accuracy)
    assert np.all(result.accuracy <= result.accuracy_ci_high)


def test_accuracy_interval_is_clopper_pearson():
    from scipy.stats import binomtest

    rng = np.random.default_rng(0)
    models = {"a": rng.standard_normal((10, 30)), "b": rng.standard_normal((10, 30))}
    result = model_recovery(
        models, n_neurons=(5,), noise_levels=(3.0,), n_simulations=15, random_state=0
    )
    hits = int(np.trace(result.confusion[0, 0]))
    interval = binomtest(hits, 30).proportion_ci(0.95, method="exact")
    assert result.accuracy[0, 0] == hits / 30
    assert result.accuracy_ci_low[0, 0] == pytest.approx(interval.low)
    assert result.accuracy_ci_high[0, 0] == pytest.approx(interval.high)


def test_mixing_factor_reproduces_the_gaussian_mix_covariance(rng):
    acts = rng.random((12, 40))
    factor = _mixing_factor("m", acts, "euclidean")
    np.testing.assert_allclose(factor @ factor.T, acts @ acts.T / 40, atol=1e-10)


@pytest.mark.parametrize("method", ["correlation", "euclidean"])
def test_many_noise_free_neurons_give_the_generating_models_rdm(rng, method):
    # rectified units with a large mean: raw mixing would give their cosine geometry instead
    acts = 5.0 + np.maximum(rng.standard_normal((12, 300)), 0.0) * rng.random(300)
    factor = _mixing_factor("m", acts, method)
    means = (factor @ rng.standard_normal((12, 20000)))[None]
    model = rdm_to_vector(compute_rdm(acts, method=method))
    assert np.corrcoef(_batched_rdms(means, method)[0], model)[0, 1] > 0.99
    if method == "correlation":
        raw = _mixing_factor("m", acts, "euclidean") @ rng.standard_normal((12, 20000))
        assert np.corrcoef(_batched_rdms(raw[None], method)[0], model)[0, 1] < 0.9


@pytest.mark.parametrize("method", ["correlation", "euclidean"])
def test_batched_split_rdms_equal_run_rsas_split_halves(rng, method):
    trials = rng.standard_normal((3, 6, 5, 7))
    vectors = _split_rdms(trials, method)
    index = np.repeat(np.arange(6), 5)
    folds, n_folds = make_folds(index)
    for sim in range(3):
        expected = split_half_rdms(trials[sim].reshape(-1, 7), index, folds, n_folds, method)
        np.testing.assert_allclose(vectors[sim], rdm_to_vector(expected), atol=1e-12)
    means = trials[:, :, 0]
    np.testing.assert_allclose(
        _batched_rdms(means, method)[1], rdm_to_vector(compute_rdm(means[1], method=method))
    )


@pytest.mark.parametrize(("n_repeats", "sizes"), [(10, [5, 5]), (3, [2, 1]), (13, [7, 6])])
def test_split_means_have_run_rsas_halves_and_the_mean_noise(rng, n_repeats, sizes):
    index = np.repeat(np.arange(4), n_repeats)
    folds, _n_folds = make_folds(index)
    halves = np.bincount((folds % 2)[:n_repeats])
    assert _split_sizes(n_repeats).tolist() == halves.tolist() == sizes
    signal = rng.standard_normal((2, 4, 5000))
    scale = np.full((2, 1, 5000), 3.0)
    means = _split_means(signal, scale, n_repeats, rng)
    assert means.shape == (2, 2, 4, 5000)
    for s, size in enumerate(sizes):  # the mean of `size` trials of noise SD 3
        assert np.std(means[:, s] - signal) == pytest.approx(3.0 / np.sqrt(size), rel=0.02)


@pytest.mark.parametrize("compare", ["spearman", "cosine"])
def test_other_rdm_and_compare_methods_run(compare):
    rng = np.random.default_rng(1)
    models = {"a": rng.standard_normal((8, 20)), "b": rng.standard_normal((8, 20))}
    result = model_recovery(
        models,
        rdm="crossnobis",
        compare=compare,
        n_neurons=(30,),
        noise_levels=(0.2,),
        n_simulations=5,
        n_repeats=4,
        random_state=0,
    )
    assert result.settings["model_rdm_method"] == "euclidean"
    assert result.accuracy[0, 0] >= 0.9


def test_same_seed_same_result_and_json_ready():
    rng = np.random.default_rng(2)
    models = {"a": rng.standard_normal((6, 9)), "b": rng.standard_normal((6, 9))}
    kwargs = {"n_neurons": (4,), "noise_levels": (1.0, 3.0), "n_simulations": 6}
    first = model_recovery(models, random_state=5, **kwargs)
    second = model_recovery(models, random_state=5, **kwargs)
    np.testing.assert_array_equal(first.confusion, second.confusion)
    assert isinstance(first, RecoveryResult)
    data = json.loads(json.dumps(first.to_dict()))
    assert data["model_names"] == ["a", "b"]
    assert np.shape(data["confusion"]) == (2, 1, 2, 2)
    assert data["settings"]["random_state"] == 5
    assert "noise" in data["settings"]["noise_level"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"models": {"a": np.eye(4)}}, NeurodlValueError, "at least 2"),
        ({"rdm": "poisson"}, NeurodlValueError, "rdm must be one of"),
        ({"compare": "nope"}, NeurodlValueError, "compare must be one of"),
        ({"n_neurons": (0,)}, NeurodlValueError, "n_neurons"),
        ({"noise_levels": (-1.0,)}, NeurodlValueError, "noise_levels"),
        ({"n_repeats": 1}, NeurodlValueError, "n_repeats must be >= 2"),
        ({"rdm": "crossnobis", "n_repeats": 3}, NeurodlValueError, "n_repeats must be >= 4"),
        ({"n_simulations": 0}, NeurodlValueError, "n_simulations"),
        ({"confidence_level": 1.0}, NeurodlValueError, "confidence_level"),
        ({"models": {"a": np.eye(4), "b": np.eye(5)}}, DataValueError, "one pattern per"),
        ({"models": {"a": np.eye(4), "b": "x"}}, NeurodlTypeError, r"models\['b'\]"),
        ({"models": {"a": np.eye(4), "b": np.ones((4, 3))}}, DataValueError, "same pattern"),
        ({"models": {"a": np.eye(4), "b": torch.nn.Identity()}}, NeurodlValueError, "layers"),
    ],
)
def test_bad_input_is_named(kwargs, error, match):
    arguments = {"models": {"a": np.eye(4), "b": np.eye(4)[::-1].copy()}, "n_simulations": 2}
    arguments.update(kwargs)
    models = arguments.pop("models")
    with pytest.raises(error, match=match):
        model_recovery(models, **arguments)
