"""``neurodl decode`` end to end on files in tmp_path."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import Recording, save


@pytest.fixture
def recording_file(tmp_path, rng):
    n_trials, n_neurons = 240, 30
    theta = rng.uniform(0, 360, n_trials)
    preferred = rng.uniform(0, 360, n_neurons)
    mean = np.exp(2 * (np.cos(np.deg2rad(theta[:, None] - preferred)) - 1)) * 2
    responses = mean + 0.4 * rng.standard_normal(mean.shape)
    path = tmp_path / "rec.npz"
    save(Recording(responses, stimulus={"orientation": theta}), path)
    return path


def test_decode_writes_metrics_figures_manifest(recording_file, tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app,
        [
            "decode",
            str(recording_file),
            "-o",
            str(out),
            "--decoder",
            "bayes",
            "--quick",
            "--folds",
            "3",
            "--seed",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["decoder"] == "bayes"
    assert metrics["n_trials"] == 240 and metrics["n_neurons"] == 30
    assert len(metrics["fold_median_abs_error_deg"]) == 3
    assert metrics["median_abs_error_deg"] < 20
    assert (
        metrics["threshold_deg_ci_low"]
        <= metrics["threshold_deg"]
        <= metrics["threshold_deg_ci_high"]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "decode" and manifest["seed"] == 4
    for stem in ("decoded_vs_true", "error_vs_orientation", "psychometric", "error_vs_neurons"):
        assert (out / f"{stem}.png").stat().st_size > 1000
    assert "median absolute error" in result.output


@pytest.mark.parametrize(
    "args",
    [["--decoder", "lin"], ["--period", "90"]],
)
def test_decode_bad_choices_are_bad_usage(recording_file, tmp_path, args):
    result = CliRunner().invoke(
        app, ["decode", str(recording_file), "-o", str(tmp_path / "o"), "--quick", *args]
    )
    assert result.exit_code == 2
    assert "Invalid value" in result.output and args[1] in result.output
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["--target", "contrast"], "target must be one of"),
        (["--folds", "1"], "folds must be an int >= 2"),
    ],
)
def test_decode_bad_options_exit_1(recording_file, tmp_path, args, message):
    result = CliRunner().invoke(
        app, ["decode", str(recording_file), "-o", str(tmp_path / "o"), "--quick", *args]
    )
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_decode_missing_file_exit_1(tmp_path):
    result = CliRunner().invoke(app, ["decode", str(tmp_path / "none.npz"), "-o", str(tmp_path)])
    assert result.exit_code == 1


def test_decode_unavailable_device_exit_1(recording_file, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    result = CliRunner().invoke(
        app,
        [
            "decode",
            str(recording_file),
            "-o",
            str(tmp_path / "o"),
            "--decoder",
            "mlp",
            "--device",
            "cuda",
            "--quick",
        ],
    )
    assert result.exit_code == 1
    assert "CUDA is not available" in result.output
