import numpy as np
import pytest
import torch

from neurodl.data.recording import Recording
from neurodl.exceptions import (
    DataFormatError,
    DataValueError,
    NeurodlValueError,
    UnsafeFileError,
)
from neurodl.results import AnalysisResult
from neurodl.rsa import make_conditions, run_rsa
from neurodl.rsa._report import _sentences

from _rsa_data import SmallNet, tuned_recording  # isort: skip


def _check_metrics(result: AnalysisResult, layers):
    m = result.metrics
    assert set(m["layers"]) == set(layers)
    for entry in m["layers"].values():
        assert -1 <= entry["similarity"] <= 1
        assert 0 < entry["p_value"] <= 1
    assert m["noise_ceiling_lower"] <= m["noise_ceiling_upper"]


def test_run_rsa_trains_tilt_cnn_quickly(rng):
    result = run_rsa(tuned_recording(rng), quick=True, random_state=0)
    assert result.metrics["rdm_method"] == "correlation"
    assert result.metrics["compare_method"] == "pearson"
    assert 0.5 < result.metrics["task_test_accuracy"] <= 1.0
    _check_metrics(result, ["conv", "relu", "pool", "fc", "fc_relu"])
    for entry in result.metrics["layers"].values():
        assert entry["similarity_ci_low"] <= entry["similarity"] <= entry["similarity_ci_high"]
    assert set(result.figures) == {
        "rdms",
        "rdm_rows",
        "layer_similarity",
        "layer_tuning",
        "embeddings",
        "model_similarity",
    }
    assert any("noise ceiling" in s for s in result.summary)
    assert any("chance" in s for s in result.summary)
    assert len(set(result.summary)) == len(result.summary)
    assert any("Pearson similarity" in s and "permutations" in s for s in result.summary)
    assert result.parameters["conditions"].startswith("orientation in 24 bins")
    pairs = result.metrics["layer_differences"]
    assert len(pairs) == 10 and 0 < pairs["conv - fc"]["p_value"] <= 1


def test_run_rsa_user_module_crossnobis_rank_and_reproducible(rng):
    rec = tuned_recording(rng, repeats=4)
    kwargs = dict(
        model=SmallNet(),
        layers=["act", "head"],
        rdm="crossnobis",
        compare="rho_a",
        n_resamples=50,
        n_permutations=50,
        quick=True,
        random_state=0,
    )
    first = run_rsa(rec, **kwargs)
    second = run_rsa(rec, **kwargs)
    timing = {"wall_seconds"}
    assert {k: v for k, v in first.metrics.items() if k not in timing} == {
        k: v for k, v in second.metrics.items() if k not in timing
    }
    _check_metrics(first, ["act", "head"])
    assert first.metrics["task_test_accuracy"] is None
    assert first.parameters["conditions"] == "24 orientations"
    assert first.parameters["model_rdm_method"] == "euclidean"
    assert first.parameters["n_splits"] == 2


def test_run_rsa_kendall_has_bootstrap_interval(rng):
    result = run_rsa(
        tuned_recording(rng, repeats=3),
        model=SmallNet(),
        layers=["head"],
        compare="kendall_tau_a",
        n_resamples=30,
        n_permutations=20,
        n_untrained=1,
        n_layer_splits=2,
        controls=False,
        quick=True,
    )
    entry = result.metrics["layers"]["head"]
    assert entry["similarity_ci_low"] <= entry["similarity"] <= entry["similarity_ci_high"]
    assert result.metrics["n_resamples"] == 30


def test_run_rsa_bootstrap_over_neurons(rng):
    rec = tuned_recording(rng, repeats=4)
    kwargs = dict(model=SmallNet(), layers=["act", "head"], n_resamples=40, n_permutations=20)
    by_condition = run_rsa(rec, **kwargs)
    by_neuron = run_rsa(rec, bootstrap="neurons", **kwargs)
    assert by_neuron.parameters["bootstrap_over"] == "neurons"
    for layer in ("act", "head"):
        a, b = by_condition.metrics["layers"][layer], by_neuron.metrics["layers"][layer]
        assert a["similarity"] == pytest.approx(b["similarity"], rel=1e-9)
        assert b["similarity_ci_low"] <= b["similarity"] <= b["similarity_ci_high"]
        assert (a["similarity_ci_low"], a["similarity_ci_high"]) != (
            b["similarity_ci_low"],
            b["similarity_ci_high"],
        )
    for key in ("noise_ceiling_lower", "noise_ceiling_upper"):
        assert by_condition.metrics[key] == pytest.approx(by_neuron.metrics[key], rel=1e-9)
    with pytest.raises(NeurodlValueError, match=r"bootstrap 'neurons' .* needs rdm in"):
        run_rsa(rec, bootstrap="neurons", rdm="crossnobis", **kwargs)
    with pytest.raises(NeurodlValueError, match="bootstrap must be one of"):
        run_rsa(rec, bootstrap="trials", **kwargs)


def test_run_rsa_loads_torchscript_and_guards_pickles(rng, tmp_path):
    rec = tuned_recording(rng, repeats=3)
    scripted = tmp_path / "net.pt"
    with pytest.warns(DeprecationWarning):
        torch.jit.script(SmallNet()).save(str(scripted))
    from_script = run_rsa(
        rec,
        model=scripted,
        layers=["act", "head"],
        n_resamples=20,
        n_permutations=20,
        random_state=0,
    )
    from_python = run_rsa(
        rec,
        model=SmallNet(),
        layers=["act", "head"],
        n_resamples=20,
        n_permutations=20,
        random_state=0,
    )
    for layer in ("act", "head"):
        assert from_script.metrics["layers"][layer]["similarity"] == pytest.approx(
            from_python.metrics["layers"][layer]["similarity"], rel=1e-6
        )
    pickled = tmp_path / "pickled.pt"
    torch.save(SmallNet(), str(pickled))
    with pytest.raises(UnsafeFileError, match="allow_pickle"):
        run_rsa(rec, model=pickled)
    result = run_rsa(rec, model=pickled, allow_pickle=True, layers=["head"], quick=True)
    assert "head" in result.metrics["layers"]
    weights = tmp_path / "weights.pt"
    torch.save(SmallNet().state_dict(), str(weights))
    with pytest.raises(DataFormatError, match=r"not a torch\.nn\.Module"):
        run_rsa(rec, model=weights, allow_pickle=True)
    with pytest.raises(DataFormatError, match="does not exist"):
        run_rsa(rec, model=tmp_path / "missing.pt")


def test_make_conditions_prefers_repeats_then_bins(rng):
    rec = tuned_recording(rng, repeats=3)
    trials, theta, index, description = make_conditions(rec)
    assert theta.size == 24 and np.all(np.diff(theta) > 0)
    np.testing.assert_allclose(theta[index], rec.orientation[trials] % 360, atol=1e-6)
    trials, theta, index, description = make_conditions(tuned_recording(rng), n_bins=12)
    assert theta.size == 12 and "12 bins" in description
    assert np.array_equal(np.sort(trials), np.arange(trials.size))  # every trial in a bin
    assert np.array_equal(np.unique(index), np.arange(12))
    test_set = np.zeros(72, int)
    test_set[:36] = 1
    ids = np.r_[np.repeat(np.arange(12), 3), np.arange(12, 48)]
    stim = {
        "orientation": np.r_[np.repeat(np.arange(12) * 30.0, 3), rng.uniform(0, 360, 36)],
        "image_id": ids,
        "test_set": test_set,
    }
    rec2 = Recording(rng.standard_normal((72, 5)), stimulus=stim, images=np.zeros((48, 8, 8)))
    trials, theta, index, description = make_conditions(rec2, conditions="stimuli")
    np.testing.assert_array_equal(np.sort(trials), np.arange(36))
    assert description == "12 repeated stimuli"
    trials, theta, index, description = make_conditions(rec2, n_bins=12)
    assert trials.size == 72 and "12 bins" in description
    assert np.all(np.diff(index) >= 0)
    with pytest.raises(NeurodlValueError, match="conditions must be one of"):
        make_conditions(rec2, conditions="images")


def test_run_rsa_noise_ceiling_with_shuffled_trials(rng):
    """Split RDMs must number conditions alike whatever the trial order (regression)."""
    rec = tuned_recording(rng, n_trials=720)
    result = run_rsa(rec, model=SmallNet(), layers=["head"], n_resamples=20, n_permutations=20)
    assert result.metrics["noise_ceiling_lower"] > 0.8
    assert not any("too noisy" in s for s in result.summary)


def test_summary_sentences_flag_noise_zero_and_resolution():
    layer = {
        "similarity": 0.02,
        "similarity_ci_low": -0.05,
        "similarity_ci_high": 0.09,
        "p_value": 1 / 101,
    }
    metrics = {
        "task_test_accuracy": None,
        "noise_ceiling_lower": -0.01,
        "noise_ceiling_upper": 0.3,
        "layers": {"a": layer, "b": dict(layer)},
    }
    text = _sentences(metrics, "pearson", 100)
    assert "too noisy for a conclusion" in text[0] and "Pearson" in text[0]
    assert all("not distinguishable from zero" in s for s in text[1:])
    assert "smallest value 100 permutations can give" in text[1]
    metrics["noise_ceiling_lower"] = 0.5
    metrics["layers"] = {
        "a": {**layer, "similarity_ci_low": 0.01, "similarity": 0.6, "p_value": 0.3}
    }
    text = _sentences(metrics, "rho_a", 1000)
    assert "reaches the lower noise ceiling" in text[1] and "(1,000 permutations)" in text[1]
    assert len(set(text)) == len(text)


def test_run_rsa_errors(rng):
    rec = tuned_recording(rng, repeats=3)
    with pytest.raises(NeurodlValueError, match="rdm must be one of"):
        run_rsa(rec, rdm="cosine")
    with pytest.raises(NeurodlValueError, match="compare must be one of"):
        run_rsa(rec, compare="corr")
    with pytest.raises(NeurodlValueError, match="needs a noise precision"):
        run_rsa(rec, rdm="mahalanobis")
    with pytest.raises(NeurodlValueError, match="not found in SmallNet; it has: conv, act"):
        run_rsa(rec, model=SmallNet(), layers=["fc"])
    no_theta = Recording(np.ones((4, 3)), stimulus={"contrast": np.ones(4)})
    with pytest.raises(DataValueError, match="no 'orientation'"):
        run_rsa(no_theta)
    few = Recording(
        rng.standard_normal((4, 3)), stimulus={"orientation": np.array([0.0, 90, 180, 270])}
    )
    with pytest.raises(DataValueError, match="at least 3 conditions with 2 or more"):
        run_rsa(few)
