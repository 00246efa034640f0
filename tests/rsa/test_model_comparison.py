"""Comparing several networks with a recording: twins, controls, held-out layers, seed tests."""

from __future__ import annotations

import json

import numpy as np
import pytest
import scipy.stats
import torch
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import save
from neurodl.exceptions import NeurodlValueError
from neurodl.rsa import (
    choose_layer_held_out,
    compute_energy_model,
    compute_rdm,
    rdm_to_vector,
    run_rsa,
    seed_difference_test,
    untrained_twin,
)
from neurodl.rsa.compare import _compare_vectors
from neurodl.rsa.comparison import holm_adjust
from neurodl.stimuli import make_filter_bank, make_grating

from _rsa_data import SmallNet, tuned_recording  # isort: skip

LIGHT = {"n_resamples": 200, "n_permutations": 200, "n_layer_splits": 4, "quick": True}


def _noise_layer_case(seed: int, n: int = 24, n_layers: int = 10) -> tuple[float, float]:
    """Structured data; layers of pure noise. Returns (naive max, held-out score)."""
    rng = np.random.default_rng(seed)
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    signal = np.stack([np.cos(theta), np.sin(theta)], 1) @ rng.standard_normal((2, 40))
    data = np.stack(
        [
            rdm_to_vector(compute_rdm(signal + 0.5 * rng.standard_normal(signal.shape)))
            for _ in range(2)
        ]
    )
    layers = np.stack(
        [rdm_to_vector(compute_rdm(rng.standard_normal((n, 30)))) for _ in range(n_layers)]
    )
    naive = float(_compare_vectors(layers, data, n, "pearson").mean(axis=1).max())
    held = choose_layer_held_out(
        [layers], data, n, method="pearson", counts=np.ones((1, n)), n_splits=10, random_state=seed
    )
    return naive, float(held.scores[0][0])


def test_held_out_choice_is_unbiased_where_the_naive_maximum_is_not():
    # Over 200 datasets: naive 0.084 (sd 0.036), held-out 0.001 (sd 0.043); in blocks of 20
    # the naive mean ranged 0.075-0.098 and the held-out mean -0.009-0.008.
    scores = np.array([_noise_layer_case(seed) for seed in range(20)])
    naive, held = scores[:, 0], scores[:, 1]
    assert naive.mean() > 0.05
    assert scipy.stats.ttest_1samp(naive, 0.0).statistic > 5
    assert abs(held.mean()) < 0.03
    assert held.mean() < naive.mean() - 0.04


def test_held_out_choice_picks_the_informative_layer_and_checks_inputs(rng):
    n = 12
    theta = np.linspace(0, 2 * np.pi, n, endpoint=False)
    signal = np.stack([np.cos(theta), np.sin(theta)], 1) @ rng.standard_normal((2, 20))
    noisy = signal + 0.1 * rng.standard_normal(signal.shape)
    data = np.stack([rdm_to_vector(compute_rdm(noisy, method="euclidean"))])
    layers = np.stack(
        [
            rdm_to_vector(compute_rdm(rng.standard_normal((n, 20)), method="euclidean")),
            rdm_to_vector(compute_rdm(signal, method="euclidean")),
        ]
    )
    held = choose_layer_held_out([layers], data, n, method="spearman", counts=np.ones((1, n)))
    assert np.all(held.choices[0] == 1) and held.scores[0][0] > 0.8
    with pytest.raises(NeurodlValueError, match="at least 6 conditions"):
        choose_layer_held_out(
            [layers[:, :3]], data[:, :3], 3, method="pearson", counts=np.ones((1, 3))
        )


def test_seed_difference_test_is_welch_without_data_noise_and_adds_it():
    a, b = np.array([0.61, 0.64, 0.60, 0.66]), np.array([0.55, 0.52, 0.58])
    constant = lambda x: np.tile(x, (500, 1))  # noqa: E731  no data variance
    result = seed_difference_test(a, b, constant(a), constant(b))
    welch = scipy.stats.ttest_ind(a, b, equal_var=False)
    assert result["difference"] == pytest.approx(a.mean() - b.mean())
    assert result["t"] == pytest.approx(welch.statistic)
    assert result["p_value"] == pytest.approx(welch.pvalue)
    noisy = np.random.default_rng(0).normal(0, 0.05, (500, 1))
    wider = seed_difference_test(a, b, constant(a) + noisy, constant(b))
    assert wider["se"] > result["se"] and wider["p_value"] > result["p_value"]
    assert wider["data_variance"] == pytest.approx(0.05**2, rel=0.2)
    single = seed_difference_test(np.array([0.3]), np.array([0.1]), 0.3 + noisy, 0.1 + 0 * noisy)
    assert single["df"] is None  # no seed variance: a normal test on the bootstrap variance
    assert single["p_value"] == pytest.approx(2 * scipy.stats.norm.sf(0.2 / single["se"]))
    assert holm_adjust([0.01, 0.04, None, 0.03]) == [0.03, 0.06, None, 0.06]


def test_untrained_twin_is_the_same_architecture_with_fresh_seeded_weights():
    net = SmallNet()
    state = torch.random.get_rng_state()
    twin = untrained_twin(net, net, (24, 32), 1)
    assert torch.equal(state, torch.random.get_rng_state())
    assert [n for n, _ in twin.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert not torch.equal(twin.conv.weight, net.conv.weight)
    torch.testing.assert_close(untrained_twin(net, net, (24, 32), 1).conv.weight, twin.conv.weight)
    assert not torch.equal(untrained_twin(net, net, (24, 32), 2).conv.weight, twin.conv.weight)
    builtin = untrained_twin("tilt-dale", net, (24, 32), 3)
    assert type(builtin).__name__ == "TiltCNN" and hasattr(builtin.fc, "excitatory")


def test_energy_model_is_phase_invariant_and_orientation_selective():
    even, odd = make_filter_bank(9)[2:], make_filter_bank(9, phase=90.0)[2:]
    assert np.allclose(odd, -odd[:, ::-1, ::-1], atol=1e-6)  # odd symmetric
    assert np.allclose(even, even[:, ::-1, ::-1], atol=1e-6)
    size = (32, 32)
    kwargs = {"size": size, "spatial_frequency": 32 / 7.5}  # the 15-pixel Gabors' frequency
    g0 = make_grating([0.0, 0.0, 90.0], phase=0.0, **kwargs)
    g0[1] = make_grating(0.0, phase=90.0, **kwargs)
    energy = compute_energy_model(g0)
    assert energy.shape == (3, 3 * 8 * 4)
    same_orientation = np.corrcoef(energy[0], energy[1])[0, 1]
    other_orientation = np.corrcoef(energy[0], energy[2])[0, 1]
    assert same_orientation > 0.99 and other_orientation < 0.8
    pixels = g0.reshape(3, -1)
    assert np.corrcoef(pixels[0], pixels[1])[0, 1] < 0.1  # pixels are not phase invariant
    with pytest.raises(NeurodlValueError, match="images must have shape"):
        compute_energy_model(np.zeros((4, 4)))


def test_run_rsa_reports_models_twins_controls_and_differences(rng):
    result = run_rsa(
        tuned_recording(rng),
        model=["tilt-cnn", SmallNet()],
        layers=None,
        n_seeds=2,
        n_untrained=2,
        random_state=0,
        figures=False,
        **LIGHT,
    )
    m = result.metrics
    assert list(m["models"]) == ["tilt-cnn", "SmallNet"] and set(m["controls"]) == {
        "pixels",
        "energy",
    }
    cnn = m["models"]["tilt-cnn"]
    assert cnn["n_instances"] == 2 and cnn["seeds"] == [0, 1]
    assert len(cnn["task_accuracy"]["values"]) == 2
    assert m["task_test_accuracy"] == pytest.approx(cnn["task_accuracy"]["mean"])
    assert m["models"]["SmallNet"]["task_accuracy"] is None
    assert cnn["chosen_layer"] in cnn["layers"] and 0 < cnn["chosen_layer_fraction"] <= 1
    assert cnn["naive_best_similarity"] == max(v["similarity"] for v in cnn["layers"].values())
    for entry in (cnn, cnn["untrained"], *m["controls"].values()):
        assert entry["held_out_similarity_ci_low"] <= entry["held_out_similarity_ci_high"]
        for layer in entry["layers"].values():
            assert 0 < layer["p_value"] <= 1
            assert layer["similarity_ci_low"] <= layer["similarity_ci_high"]
    twin = cnn["untrained"]
    assert twin["role"] == "untrained" and twin["n_instances"] == 2
    trained = [v["similarity"] for v in cnn["layers"].values()]
    untrained = [v["similarity"] for v in twin["layers"].values()]
    assert not np.allclose(trained, untrained)
    assert set(cnn["differences"]) == {"SmallNet", "untrained", "pixels", "energy"}
    pair = cnn["differences"]["SmallNet"]
    assert pair["difference"] == pytest.approx(
        -m["models"]["SmallNet"]["differences"]["tilt-cnn"]["difference"]
    )
    assert 0 <= pair["p_value"] <= pair["p_value_holm"] <= 1
    assert m["layers"] == {
        k: {
            key: v[key]
            for key in ("similarity", "similarity_ci_low", "similarity_ci_high", "p_value")
        }
        for k, v in cnn["layers"].items()
    }
    assert any("held-out similarity" in s for s in result.summary)
    assert any("untrained twin" in s for s in result.summary)
    json.dumps(m)  # serialisable as it is


def test_run_rsa_model_options_are_checked(rng):
    rec = tuned_recording(rng)
    with pytest.raises(NeurodlValueError, match="'tilt-xyz' is neither a built-in name"):
        run_rsa(rec, model="tilt-cnn,tilt-xyz", quick=True)
    with pytest.raises(NeurodlValueError, match="n_seeds must be an int >= 1"):
        run_rsa(rec, model=SmallNet(), n_seeds=0, quick=True)
    with pytest.raises(NeurodlValueError, match="at least one network"):
        run_rsa(rec, model=[], quick=True)
    alone = run_rsa(
        rec, model=SmallNet(), n_untrained=0, controls=False, random_state=0, figures=False, **LIGHT
    )
    assert (
        alone.metrics["controls"] == {} and alone.metrics["models"]["SmallNet"]["untrained"] is None
    )


def test_cli_rsa_compares_a_comma_separated_list(tmp_path, rng):
    path = tmp_path / "rec.npz"
    save(tuned_recording(rng), path)
    out = tmp_path / "out"
    args = ["rsa", str(path), "--quick", "--n-seeds", "1", "--n-untrained", "1"]
    result = CliRunner().invoke(app, [*args, "-o", str(out), "--model", "tilt-cnn,tilt-dale"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert list(metrics["models"]) == ["tilt-cnn", "tilt-dale"]
    assert set(metrics["controls"]) == {"pixels", "energy"}
    assert "held-out similarity" in result.output and "tilt-cnn - tilt-dale" in result.output
    png = (out / "model_similarity.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    bad = CliRunner().invoke(
        app, [*args, "-o", str(tmp_path / "bad"), "--model", "tilt-cnn,tilt-xyz"]
    )
    assert bad.exit_code == 1
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "'tilt-xyz'" in lines[0] and "Traceback" not in bad.output
    assert not (tmp_path / "bad").exists()


def test_plot_model_similarity_draws_trained_twin_band_controls_and_ceiling():
    from neurodl.plotting import plot_model_similarity

    ax = plot_model_similarity(
        ["conv", "pool", "fc"],
        [0.2, 0.5, 0.4],
        [0.1, 0.4, 0.3],
        [0.3, 0.6, 0.5],
        untrained=([0.1, 0.2, 0.1], [0.05, 0.15, 0.0], [0.15, 0.25, 0.2]),
        controls={"pixels": -0.1, "energy": 0.7},
        noise_ceiling=(0.8, 0.9),
        title="tilt-cnn",
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert set(labels) == {
        "noise ceiling",
        "untrained (range over inits)",
        "pixels",
        "energy",
        "trained (mean over seeds, CI)",
    }
    assert [t.get_text() for t in ax.get_xticklabels()] == ["conv", "pool", "fc"]
    assert ax.get_title() == "tilt-cnn" and len(ax.collections) >= 1  # the twin's band
    y = {round(line.get_ydata()[0], 3) for line in ax.get_lines() if len(line.get_ydata()) == 2}
    assert {-0.1, 0.7} <= y  # the controls as horizontal lines
    with pytest.raises(NeurodlValueError, match="one value per layer"):
        plot_model_similarity(["a"], [0.1, 0.2])


def test_run_rsa_recovery_simulates_from_each_model_and_control(rng):
    result = run_rsa(
        tuned_recording(rng, repeats=4),
        model=SmallNet(),
        n_untrained=0,
        recovery=True,
        random_state=0,
        figures=False,
        **LIGHT,
    )
    recovery = result.metrics["model_recovery"]
    assert recovery["model_names"] == ["SmallNet", "pixels", "energy"]
    assert (
        recovery["settings"]["layers"]["SmallNet"]
        == (result.metrics["models"]["SmallNet"]["chosen_layer"])
    )
    assert recovery["settings"]["n_repeats"] == 4 and recovery["settings"]["n_simulations"] == 10
    confusion = np.asarray(recovery["confusion"])
    assert confusion.shape[2:] == (3, 3) and np.all(confusion.sum(axis=3) == 10)
    assert any(s.startswith("Model recovery") for s in result.summary)
    none = run_rsa(
        tuned_recording(rng),
        model=SmallNet(),
        n_untrained=0,
        controls=False,
        recovery=True,
        random_state=0,
        figures=False,
        **LIGHT,
    )
    assert "model_recovery" not in none.metrics  # one candidate: nothing to tell apart
    assert any(s.startswith("Model recovery was not run") for s in none.summary)
