"""End-to-end tests of ``neurodl demo`` and the demo pipeline."""

from __future__ import annotations

import base64
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import Recording, save, simulate_v1
from neurodl.demo import run_demo
from neurodl.exceptions import DataValueError

runner = CliRunner()
SECTIONS = (
    "Data",
    "Decoding",
    "Convolution",
    "Encoding",
    "Comparison",
    "Brain-like networks",
    "Movement",
)


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    result = runner.invoke(app, ["demo", "-o", str(out), "--quick", "--seed", "1"])
    return out, result


def test_demo_quick_writes_a_self_contained_report(quick_run):
    out, result = quick_run
    assert result.exit_code == 0, result.output
    page = (out / "report.html").read_text()
    for section in SECTIONS:
        assert f"<h2>{section}</h2>" in page
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) >= 10
    for encoded in images:
        assert base64.b64decode(encoded, validate=True).startswith(b"\x89PNG")
    assert not re.search(r"""(src|href)=["'](https?:|//)""", page)
    assert "<script" not in page and "@import" not in page
    metrics = json.loads((out / "metrics.json").read_text())
    assert {"decoding", "encoding", "rsa", "brain_like_networks"} <= set(metrics)
    brain = metrics["brain_like_networks"]
    assert list(brain["models"]) == ["tilt-cnn", "tilt-dale", "tilt-fa", "tilt-rcnn"]
    assert set(brain["controls"]) == {"pixels", "energy"}
    assert "untrained" in brain["models"]["tilt-rcnn"] and "model_recovery" in brain
    # the shipped detector finds the keypoints of rendered infants it never saw
    detection = metrics["movement"]["detection"]
    assert detection["n_frames"] == 120 and detection["pck"] > 0.8
    assert "Keypoints detected in rendered frames" in page
    assert (
        metrics["decoding"]["median_abs_error_deg"]
        < metrics["decoding"]["chance_median_abs_error_deg"]
    )
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "demo" and manifest["seed"] == 1
    assert "median error" in result.stdout  # the terminal summary table


def test_same_seed_same_numbers():
    recording = simulate_v1(
        n_neurons=60, n_trials=300, test_images=12, test_repeats=4, random_state=3
    )
    first = run_demo(recording, quick=True, seed=5).metrics
    second = run_demo(recording, quick=True, seed=5).metrics
    headline = {
        "decoding": "median_abs_error_deg",
        "encoding": "feve_mean",
        "rsa": "task_test_accuracy",
    }
    for section, key in headline.items():
        assert first[section][key] is not None
        assert first[section][key] == second[section][key]


def test_broken_data_exits_1_and_writes_nothing(tmp_path):
    bad = tmp_path / "broken.npz"
    bad.write_bytes(b"PK\x03\x04 not really a zip archive")
    out = tmp_path / "out"
    result = runner.invoke(app, ["demo", "-o", str(out), "--data", str(bad)])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert lines[-1].startswith("neurodl: error:") and "broken.npz" in lines[-1]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_data_without_orientation_or_images_is_refused(tmp_path):
    recording = Recording(np.random.default_rng(0).normal(size=(20, 5)))
    with pytest.raises(DataValueError, match="supports no analysis"):
        run_demo(recording, quick=True)
    path = tmp_path / "plain.npz"
    save(recording, path)
    result = runner.invoke(app, ["demo", "-o", str(tmp_path / "o"), "--data", str(path)])
    assert result.exit_code == 1 and "supports no analysis" in result.stderr


def test_orientation_only_data_is_encoded_on_rendered_gratings(tmp_path):
    rng = np.random.default_rng(0)
    theta = np.repeat(np.arange(0, 360, 10.0), 4)
    preferred = rng.uniform(0, 360, 40)
    responses = np.exp(np.cos(np.deg2rad(theta[:, None] - preferred))) + 0.3 * rng.normal(
        size=(theta.size, 40)
    )
    result = run_demo(Recording(responses, stimulus={"orientation": theta}), quick=True)
    assert "encoding" not in result.skipped and "decoding" in result.metrics
    assert result.metrics["encoding"]["images_rendered"] is True
    assert result.metrics["encoding"]["n_orientations"] == 36
    # a user's recording: every analysis, but no Movement section (it needs the simulated demo)
    assert [s.title for s in result.sections] == list(SECTIONS[:-1])
