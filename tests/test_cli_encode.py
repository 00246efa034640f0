"""``neurodl encode`` on files in tmp_path."""

from __future__ import annotations

import json

import numpy as np
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import Recording, save
from tests.encoding.conftest import ln_recording, make_ln_data


def test_encode_writes_metrics_figures_manifest(tmp_path):
    path = tmp_path / "ln.npz"
    save(ln_recording(make_ln_data(n_neurons=6, n_train=300, n_test=20, n_repeats=4)), path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["encode", str(path), "-o", str(out), "--quick"])
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    for key in (
        "model",
        "feve_mean",
        "feve_median",
        "fev_mean",
        "corr_to_average_mean",
        "n_neurons_used",
        "n_train_images",
        "n_test_images",
    ):
        assert key in metrics
    assert metrics["n_test_images"] == 20
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "encode"
    assert manifest["seed"] == 0
    for stem in (
        "feve_vs_fev",
        "feve_histogram",
        "predicted_vs_measured",
        "tuning_curves",
        "learned_filters",
        "receptive_fields",
    ):
        assert (out / f"{stem}.png").stat().st_size > 0
    assert "explainable variance" in result.output


def test_encode_bad_input_exits_1(tmp_path, rng):
    no_images = tmp_path / "gratings.npz"
    save(
        Recording(rng.standard_normal((20, 3)), stimulus={"orientation": np.arange(20.0)}),
        no_images,
    )
    runner = CliRunner()
    result = runner.invoke(app, ["encode", str(no_images), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "encoding needs images" in result.output
    assert "Traceback" not in result.output
    path = tmp_path / "ln.npz"
    save(ln_recording(make_ln_data(n_neurons=2, n_train=40, n_test=4, n_repeats=2)), path)
    result = runner.invoke(app, ["encode", str(path), "-o", str(tmp_path / "o"), "--model", "gru"])
    assert result.exit_code == 1
    assert "model must be one of {'cnn', 'linear'}; got 'gru'" in result.output
    result = runner.invoke(app, ["encode", str(tmp_path / "missing.npz"), "-o", str(tmp_path)])
    assert result.exit_code == 1
