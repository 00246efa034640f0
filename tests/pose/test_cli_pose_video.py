"""``pose train`` and ``pose detect`` on rendered files in tmp_path (registered on a local app)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import typer
from typer.testing import CliRunner

from neurodl.cli.pose_video import register
from neurodl.pose.labels import read_dlc_predictions
from neurodl.pose.render import render_infant_video, simulate_supine_keypoints
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS

pytestmark = pytest.mark.usefixtures("one_torch_thread")

app = typer.Typer()
register(app)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    folder = tmp_path_factory.mktemp("rendered")
    points = simulate_supine_keypoints(12, image_size=(48, 64), random_state=0)
    render_infant_video(
        points,
        folder / "clip.mp4",
        image_size=(48, 64),
        labels_path=folder / "labels.json",
        random_state=0,
    )
    return folder


@pytest.fixture(scope="module")
def model(rendered):
    out = rendered / "model"
    result = CliRunner().invoke(
        app, ["train", str(rendered / "labels.json"), "-o", str(out), "--epochs", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "held-out PCK@0.2" in result.output
    return out


def test_train_writes_model_metrics_figure_and_manifest(model):
    names = {p.name for p in model.iterdir()}
    assert {"config.json", "weights.pt", "metrics.json", "manifest.json"} <= names
    assert "keypoint_errors.png" in names
    metrics = json.loads((model / "metrics.json").read_text())
    assert metrics["n_held_out"] == 1 and 0 <= metrics["pck"] <= 1
    config = json.loads((model / "config.json").read_text())
    assert config["keypoint_names"] == list(CANONICAL_KEYPOINTS) and config["skeleton"]


def test_detect_writes_one_dlc_csv_per_video_and_annotated_videos(rendered, model, tmp_path):
    out = tmp_path / "detections"
    args = [
        "detect",
        str(rendered / "clip.mp4"),
        str(rendered / "labels_frames"),
        "--model",
        str(model),
        "-o",
        str(out),
        "--annotate",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    keypoints, likelihood, names = read_dlc_predictions(out / "clip.csv")
    assert keypoints.shape == (12, 18, 2) and names == CANONICAL_KEYPOINTS
    assert np.all((likelihood >= 0) & (likelihood <= 1))
    assert (out / "labels_frames.csv").exists() and (out / "clip_annotated.mp4").exists()
    assert json.loads((out / "manifest.json").read_text())["command"] == "pose detect"


def test_bad_inputs_exit_1_with_one_line(rendered, model, tmp_path):
    runner = CliRunner()
    bad_video = tmp_path / "bad.mp4"
    bad_video.write_bytes(b"garbage" * 50)
    cases = [
        (
            ["detect", str(bad_video), "--model", str(model), "-o", str(tmp_path / "o")],
            "cannot be read",
        ),
        (
            [
                "detect",
                str(rendered / "clip.mp4"),
                "--model",
                str(tmp_path),
                "-o",
                str(tmp_path / "o"),
            ],
            "lacks config.json",
        ),
        (["train", str(tmp_path / "none.json"), "-o", str(tmp_path / "m")], "do not exist"),
    ]
    labels = json.loads((rendered / "labels.json").read_text())
    labels["annotations"][0]["image_id"] = 999
    (tmp_path / "unknown.json").write_text(json.dumps(labels))
    cases.append(
        (["train", str(tmp_path / "unknown.json"), "-o", str(tmp_path / "m")], "unknown image")
    )
    labels = json.loads((rendered / "labels.json").read_text())
    (tmp_path / "moved.json").write_text(json.dumps(labels))  # images not beside it
    cases.append(
        (["train", str(tmp_path / "moved.json"), "-o", str(tmp_path / "m")], "labelled image")
    )
    for args, message in cases:
        result = runner.invoke(app, args)
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "m").exists()


def test_usage_errors_exit_2(tmp_path):
    result = CliRunner().invoke(app, ["detect", str(tmp_path / "x.mp4"), "-o", str(tmp_path)])
    assert result.exit_code == 2
