"""``neurodl simulate`` and ``neurodl info`` driven through the real typer app."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import load

runner = CliRunner()


def _one_line_error(result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("neurodl: error: ")
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_simulate_then_info(tmp_path, suffix):
    path = tmp_path / f"x{suffix}"
    result = runner.invoke(
        app, ["simulate", "-o", str(path), "--neurons", "50", "--trials", "100", "--seed", "3"]
    )
    assert result.exit_code == 0, result.output
    recording = load(path)
    assert (recording.n_trials, recording.n_neurons) == (100, 50)
    assert "orientation" in recording.stimulus

    result = runner.invoke(app, ["info", str(path)])
    assert result.exit_code == 0, result.output
    assert "trials:      100" in result.stdout
    assert "neurons:     50" in result.stdout
    assert "orientation:" in result.stdout


def test_simulate_is_reproducible(tmp_path):
    args = ["simulate", "--neurons", "20", "--trials", "30", "--seed", "7", "-o"]
    assert runner.invoke(app, [*args, str(tmp_path / "a.npz")]).exit_code == 0
    assert runner.invoke(app, [*args, str(tmp_path / "b.npz")]).exit_code == 0
    np.testing.assert_array_equal(
        load(tmp_path / "a.npz").responses, load(tmp_path / "b.npz").responses
    )


def test_simulate_test_set_and_noise(tmp_path):
    path = tmp_path / "t.npz"
    args = ["simulate", "-o", str(path), "--neurons", "20", "--trials", "80"]
    extra = ["--test-images", "5", "--test-repeats", "4", "--stimulus", "noise", "--repeats", "2"]
    result = runner.invoke(app, [*args, *extra])
    assert result.exit_code == 0, result.output
    recording = load(path)
    assert "orientation" not in recording.stimulus
    assert int(recording.stimulus["test_set"].sum()) == 20
    assert recording.images is not None and recording.images.shape[0] == 5 + 30
    bad = runner.invoke(app, [*args, "--test-images", "30", "--test-repeats", "10"])
    assert bad.exit_code == 1 and "Traceback" not in bad.output


def test_info_json(tmp_path, rng):
    np.savez(tmp_path / "c.npz", resp=rng.normal(size=(360, 8)), stimuli=np.arange(360))
    result = runner.invoke(app, ["info", str(tmp_path / "c.npz"), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["n_trials"] == 360 and summary["n_neurons"] == 8
    assert summary["stimulus"]["orientation"]["max"] == 359.0


def test_info_npy_needs_allow_pickle(tmp_path, rng):
    path = tmp_path / "s.npy"
    np.save(path, {"sresp": rng.normal(size=(4, 6)), "istim": rng.uniform(0, 6, 6)})
    _one_line_error(runner.invoke(app, ["info", str(path)]), "s.npy", "--allow-pickle")
    result = runner.invoke(app, ["info", str(path), "--allow-pickle"])
    assert result.exit_code == 0, result.output
    assert "neurons:     4" in result.stdout


def _text_npz(tmp_path):
    path = tmp_path / "bad.npz"
    path.write_text("not a zip")
    return path


def _truncated_npz(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, responses=np.zeros((100, 50)))
    path.write_bytes(path.read_bytes()[:3000])
    return path


def _npz_with(**arrays):
    def make(tmp_path):
        path = tmp_path / "bad.npz"
        np.savez(path, **arrays)
        return path

    return make


def _truncated_h5(tmp_path):
    import h5py

    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("responses", data=np.zeros((100, 50)))
    path.write_bytes(path.read_bytes()[:1500])
    return path


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (lambda tmp_path: tmp_path / "missing.npz", "no such file"),
        (lambda tmp_path: (tmp_path / "x.csv").touch() or tmp_path / "x.csv", "extension"),
        (_text_npz, "not an .npz archive"),
        (_truncated_npz, "truncated or corrupt"),
        (_truncated_h5, "truncated or corrupt"),
        (_npz_with(orientation=np.zeros(3)), "missing array 'responses'"),
        (_npz_with(responses=np.zeros(3)), "must be 2-D"),
        (_npz_with(responses=np.zeros((3, 2)), orientation=np.zeros(4)), "shape (3,)"),
        (_npz_with(responses=np.full((3, 2), np.nan)), "NaN or inf"),
        (_npz_with(responses=np.zeros((0, 2))), "at least one trial"),
        (_npz_with(responses=np.array([["a"]])), "must be numeric"),
        (_npz_with(responses=np.zeros((1, 1)), x=np.array([None], dtype=object)), "--allow-pickle"),
    ],
)
def test_info_bad_file_exits_1_with_one_line(tmp_path, make, fragment):
    path = make(tmp_path)
    _one_line_error(runner.invoke(app, ["info", str(path)]), path.name, fragment)


def test_debug_shows_traceback_instead(tmp_path):
    result = runner.invoke(app, ["--debug", "info", str(_text_npz(tmp_path))])
    assert result.exit_code != 0 and result.exception is not None


def test_simulate_bad_output_directory(tmp_path):
    result = runner.invoke(
        app, ["simulate", "-o", str(tmp_path / "no" / "x.npz"), "--neurons", "5", "--trials", "5"]
    )
    _one_line_error(result, "does not exist")


def test_simulate_checks_destination_before_simulating(tmp_path, monkeypatch):
    import neurodl.data

    def fail(**kwargs):
        raise AssertionError("simulated although the destination is bad")

    monkeypatch.setattr(neurodl.data, "simulate_v1", fail)
    result = runner.invoke(app, ["simulate", "-o", str(tmp_path / "x.csv"), "--trials", "5"])
    _one_line_error(result, "x.csv", "supported extensions")


def test_simulate_bad_extension(tmp_path):
    result = runner.invoke(
        app, ["simulate", "-o", str(tmp_path / "x.txt"), "--neurons", "5", "--trials", "5"]
    )
    _one_line_error(result, "x.txt", ".npz")
    assert not (tmp_path / "x.txt").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["info"],
        ["info", "a.npz", "--bogus"],
        ["simulate"],
        ["simulate", "-o", "x.npz", "--neurons", "0"],
        ["simulate", "-o", "x.npz", "--trials", "many"],
    ],
)
def test_bad_usage_exits_2(tmp_path, args):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
