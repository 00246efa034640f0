import json

import numpy as np
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import save
from neurodl.data.recording import Recording

runner = CliRunner()


def _recording_file(tmp_path, rng):
    theta = rng.uniform(0, 360, 360)
    preferred = rng.uniform(0, 360, 40)
    rate = np.exp(2 * (np.cos(np.deg2rad(theta[:, None] - preferred[None])) - 1))
    rec = Recording(
        (rate + 0.3 * rng.standard_normal(rate.shape)).astype(np.float32),
        stimulus={"orientation": theta},
    )
    path = tmp_path / "rec.npz"
    save(rec, path)
    return path


def test_cli_rsa_quick_writes_metrics_figures_manifest(tmp_path, rng):
    path = _recording_file(tmp_path, rng)
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "rsa",
            str(path),
            "-o",
            str(out),
            "--quick",
            "--layers",
            "relu,fc_relu",
            "--compare",
            "spearman",
            "--bootstrap",
            "neurons",
        ],
    )
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["compare_method"] == "spearman"
    assert set(metrics["layers"]) == {"relu", "fc_relu"}
    assert {"similarity", "similarity_ci_low", "similarity_ci_high", "p_value"} <= set(
        metrics["layers"]["relu"]
    )
    for stem in ("rdms", "rdm_rows", "layer_similarity", "layer_tuning", "embeddings"):
        png = (out / f"{stem}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 5000, stem
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "rsa" and manifest["seed"] == 0
    assert manifest["parameters"]["bootstrap_over"] == "neurons"
    assert "noise ceiling" in result.output


def test_cli_rsa_bad_input_exits_1_with_one_line(tmp_path, rng):
    path = _recording_file(tmp_path, rng)
    for option, value in (("--rdm", "cityblock"), ("--bootstrap", "trials"), ("--compare", "r")):
        result = runner.invoke(app, ["rsa", str(path), "-o", str(tmp_path / "o"), option, value])
        assert result.exit_code == 2, option  # bad usage: a choice outside the list
        assert "Invalid value" in result.output and value in result.output
    result = runner.invoke(
        app, ["rsa", str(path), "-o", str(tmp_path / "o"), "--quick", "--layers", "nope"]
    )
    assert result.exit_code == 1
    assert "it has: conv, relu" in result.output
    result = runner.invoke(app, ["rsa", str(tmp_path / "missing.npz"), "-o", str(tmp_path / "o")])
    assert result.exit_code == 1
    pickled = tmp_path / "m.pt"
    import torch

    torch.save(torch.nn.Sequential(torch.nn.Flatten()), str(pickled))
    result = runner.invoke(
        app, ["rsa", str(path), "-o", str(tmp_path / "o"), "--model", str(pickled)]
    )
    assert result.exit_code == 1
    assert "--allow-pickle" in result.output or "allow_pickle" in result.output
