"""``neurodl pose simulate`` and ``neurodl pose score`` on files in tmp_path."""

from __future__ import annotations

import csv
import json

from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.cli.pose import KeypointFormat, NormativeModel, pose_app
from neurodl.pose import NORMATIVE_MODELS
from neurodl.pose.io import KEYPOINT_FORMATS


def test_simulate_then_score(tmp_path):
    runner = CliRunner()
    data = tmp_path / "study"
    res = runner.invoke(
        app,
        [
            "pose",
            "simulate",
            "-o",
            str(data),
            "--infants",
            "12",
            "--duration",
            "6",
            "--format",
            "dlc_csv",
            "--seed",
            "1",
        ],
    )
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader((data / "manifest.csv").open()))
    assert len(rows) == 12 and rows[0]["path"].endswith(".csv")
    out = tmp_path / "scores"
    res = runner.invoke(
        app,
        [
            "pose",
            "score",
            str(data / "manifest.csv"),
            "-o",
            str(out),
            "--model",
            "gaussian",
            "--resamples",
            "50",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "ROC AUC" in res.output
    for name in ("scores.csv", "features.csv", "metrics.json", "report.html", "manifest.json"):
        assert (out / name).exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "pose score" and manifest["parameters"]["model"] == "gaussian"
    assert pose_app.registered_commands  # importable for other command modules


def test_bad_file_exits_1_with_one_line(tmp_path):
    (tmp_path / "bad.csv").write_text("not,a,dlc\n")
    (tmp_path / "m.csv").write_text("infant,path,group,fps\na,bad.csv,test,30\n")
    res = CliRunner().invoke(
        app, ["pose", "score", str(tmp_path / "m.csv"), "-o", str(tmp_path / "o")]
    )
    assert res.exit_code == 1
    assert (
        "bad.csv: not a DeepLabCut CSV" in res.output and len(res.output.strip().splitlines()) == 1
    )
    assert not (tmp_path / "o").exists()


def test_bad_usage_exits_2(tmp_path):
    res = CliRunner().invoke(
        app, ["pose", "score", str(tmp_path / "m.csv"), "-o", str(tmp_path), "--model", "nope"]
    )
    assert res.exit_code == 2


def test_cli_choices_match_the_library():
    assert sorted(m.value for m in NormativeModel) == sorted(NORMATIVE_MODELS)
    assert sorted(f.value for f in KeypointFormat) == sorted(KEYPOINT_FORMATS)
