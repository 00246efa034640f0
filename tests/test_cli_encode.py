"""``neurodl encode`` on files in tmp_path."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import Recording, save
from neurodl.stimuli import make_noise_images

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # tiny networks (tests/conftest.py)


def _recording(n_neurons: int, n_train: int, n_test: int, n_repeats: int) -> Recording:
    """Noise images and rectified linear neurons; the test images are repeated."""
    rng = np.random.default_rng(0)
    images = make_noise_images(n_train + n_test, size=(16, 20), random_state=rng)
    weights = rng.standard_normal((n_neurons, 16, 20)) / 20
    image_id = np.concatenate(
        [np.arange(n_train), np.repeat(np.arange(n_train, n_train + n_test), n_repeats)]
    )
    rate = np.log1p(np.exp(3 * np.einsum("nhw,ihw->in", weights, images[image_id])))
    return Recording(
        rng.poisson(2 * rate).astype(np.float32),
        stimulus={"image_id": image_id, "test_set": (image_id >= n_train).astype(int)},
        images=images,
    )


def test_encode_writes_metrics_figures_manifest(tmp_path):
    path = tmp_path / "ln.npz"
    save(_recording(6, 300, 20, 4), path)
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
    assert metrics["n_neurons_fitted"] == metrics["n_neurons_recorded"] == 6
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
    no_images = tmp_path / "contrasts.npz"
    save(
        Recording(rng.standard_normal((20, 3)), stimulus={"contrast": np.arange(20.0)}),
        no_images,
    )
    runner = CliRunner()
    result = runner.invoke(app, ["encode", str(no_images), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "encoding needs images" in result.output
    assert "Traceback" not in result.output
    path = tmp_path / "ln.npz"
    save(_recording(2, 40, 4, 2), path)
    result = runner.invoke(app, ["encode", str(path), "-o", str(tmp_path / "o"), "--model", "gru"])
    assert result.exit_code == 1
    assert "model must be one of {'cnn', 'linear'}; got 'gru'" in result.output
    result = runner.invoke(
        app, ["encode", str(path), "-o", str(tmp_path / "o"), "--max-neurons", "-1"]
    )
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    result = runner.invoke(app, ["encode", str(tmp_path / "missing.npz"), "-o", str(tmp_path)])
    assert result.exit_code == 1


def test_encode_full_network(tmp_path):
    path = tmp_path / "ln.npz"
    save(_recording(6, 300, 20, 4), path)
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["encode", str(path), "-o", str(out), "--full-network"])
    assert result.exit_code == 0, result.output
    encoder = json.loads((out / "manifest.json").read_text())["parameters"]["encoder"]
    assert encoder["ensemble_size"] == 2 and encoder["channels"] == [32, 32]
    metrics = json.loads((out / "metrics.json").read_text())
    assert np.isfinite(metrics["feve_mean"])
    both = CliRunner().invoke(
        app, ["encode", str(path), "-o", str(out), "--full-network", "--quick"]
    )
    assert both.exit_code == 1
    assert "choose one of --quick and --full-network" in both.output


@pytest.mark.parametrize("layout", ["split", "one_degree"])
def test_encode_renders_gratings_for_curriculum_files(tmp_path, layout):
    from encoding.conftest import write_curriculum_files

    path = write_curriculum_files(tmp_path)[layout]
    out = tmp_path / "out"
    args = ["encode", str(path), "-o", str(out), "--quick", "--grating-size", "24x32"]
    args += ["--grating-sf", "2.5", "--grating-phase", "90", "--grating-profile", "sine"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["images_rendered"] is True
    assert metrics["grating_size"] == [24, 32]
    assert (metrics["grating_spatial_frequency"], metrics["grating_phase"]) == (2.5, 90.0)
    assert metrics["grating_profile"] == "sine"
    assert metrics["n_orientations"] == (60 if layout == "split" else 360)
    assert metrics["output"] == "shifted_elu"  # the files hold z-scored responses
    assert "reconstruction of the stimulus" in result.output


def test_encode_bad_grating_size_is_a_usage_error(tmp_path):
    from encoding.conftest import write_curriculum_files

    path = write_curriculum_files(tmp_path)["split"]
    args = ["encode", str(path), "-o", str(tmp_path / "o"), "--grating-size", "48by64"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "--grating-size" in result.output and "HEIGHTxWIDTH" in result.output
