"""The command line on archive-style NWB files: ``info`` and the shared reading options."""

from __future__ import annotations

import json
import re
import shlex

import numpy as np
import pytest
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.data import Recording, save

from _nwb_archive import write_ecephys, write_ophys  # isort: skip

pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def ophys(tmp_path_factory):
    return write_ophys(tmp_path_factory.mktemp("cli") / "allen_like.nwb")


def _invoke(args):
    return CliRunner().invoke(app, [str(a) for a in args])


def _suggested(output: str, command: str) -> list[str]:
    """The arguments of the ``neurodl COMMAND ...`` line that ``info`` printed."""
    line = next(
        line for line in output.splitlines() if line.strip().startswith(f"neurodl {command}")
    )
    return shlex.split(line)[1:]


def test_info_describes_an_archive_file(ophys):
    result = _invoke(["info", ophys.path])
    assert result.exit_code == 0, result.output
    out = result.output
    assert re.search(
        r"processing/ophys/dff/traces +\(DfOverF\) \d+ x 15, 10 Hz, unit NA +\[default\]", out
    )
    assert "processing/ophys/corrected_fluorescence/traces  (Fluorescence)" in out
    assert "stimulus_presentations: 444 rows" in out
    assert "stimulus_name: text, 2 distinct: natural_scenes (344), static_gratings (100)" in out
    assert "natural_scenes  ImageSeries 170 x 8 x 10" in out
    assert (
        "--where stimulus_name=natural_scenes --where 'frame!=-1' --images natural_scenes:frame"
        in out
    )
    assert "where={'stimulus_name': 'static_gratings', 'orientation!=': 'nan'}" in out
    assert "not possible: " in out and "spontaneous_presentations, stimulus_presentations." in out


def test_info_json_and_options(ophys):
    result = _invoke(["info", ophys.path, "--json"])
    facts = json.loads(result.output)
    assert facts["nwb"]["default_series"] == "processing/ophys/dff/traces"
    assert "several intervals tables" in facts["load_error"]
    result = _invoke(
        [
            "info",
            ophys.path,
            "--json",
            "--intervals",
            "stimulus_presentations",
            "--where",
            "stimulus_name=natural_scenes",
            "--where",
            "frame!=-1",
        ]
    )
    facts = json.loads(result.output)
    assert facts["n_trials"] == 340 and facts["images"] == [170, 8, 10]
    assert facts["load_error"] is None


def test_suggested_decode_runs_and_records_choices(ophys, tmp_path):
    args = _suggested(_invoke(["info", ophys.path]).output, "decode")
    out = tmp_path / "dec"
    args[args.index("OUT")] = str(out)
    result = _invoke([*args, "--quick", "--folds", "3"])
    assert result.exit_code == 0, result.output
    loading = json.loads((out / "manifest.json").read_text())["parameters"]["loading"]
    assert loading["intervals"] == "stimulus_presentations"
    assert loading["where"] == {"stimulus_name": "static_gratings", "orientation!=": "nan"}
    assert loading["series"] == "processing/ophys/dff/traces"
    assert loading["rows_read"] == 96


def test_suggested_encode_runs_on_template_images(ophys, tmp_path):
    args = _suggested(_invoke(["info", ophys.path]).output, "encode")
    out = tmp_path / "enc"
    args[args.index("OUT")] = str(out)
    # raw fluorescence: the quick CNN's elu+1 output cannot predict negative dF/F
    result = _invoke([*args, "--quick", "--series", "corrected_fluorescence"])
    assert result.exit_code == 0, result.output
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["parameters"]["loading"]["images"]["template"] == "natural_scenes"
    assert json.loads((out / "metrics.json").read_text())["n_neurons_fitted"] == 15


def test_rsa_with_series_and_window(ophys, tmp_path):
    out = tmp_path / "rsa"
    result = _invoke(
        [
            "rsa",
            ophys.path,
            "-o",
            out,
            "--quick",
            "--intervals",
            "stimulus_presentations",
            "--where",
            "stimulus_name=static_gratings",
            "--where",
            "orientation!=nan",
            "--series",
            "corrected_fluorescence",
            "--window",
            "0,0.3",
        ]
    )
    assert result.exit_code == 0, result.output
    loading = json.loads((out / "manifest.json").read_text())["parameters"]["loading"]
    assert loading["series_kind"] == "Fluorescence" and loading["window_s"] == [0.0, 0.3]


def test_units_file_decodes(tmp_path):
    path = tmp_path / "units.nwb"
    write_ecephys(path)
    result = _invoke(
        [
            "decode",
            path,
            "-o",
            tmp_path / "o",
            "--quick",
            "--folds",
            "3",
            "--series",
            "units",
            "--window",
            "0,0.5",
        ]
    )
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (
            ["--intervals", "nope"],
            "(spontaneous_presentations, stimulus_presentations); got 'nope'",
        ),
        (
            ["--intervals", "stimulus_presentations", "--where", "stimulus_name=movie"],
            "values: natural_scenes, static_gratings.",
        ),
        (
            [
                "--intervals",
                "stimulus_presentations",
                "--where",
                "stimulus_name=natural_scenes",
                "--images",
                "x",
            ],
            "(natural_scenes, natural_scenes_images); got 'x'",
        ),
    ],
)
def test_wrong_names_exit_1_with_one_line(ophys, args, fragment):
    result = _invoke(["info", ophys.path, *args])
    assert result.exit_code == 1
    assert fragment in result.output and len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "fragment"),
    [(["--where", "stimulus_name"], "COLUMN=VALUE"), (["--window", "0.1"], "START,STOP")],
)
def test_bad_option_syntax_exits_2(ophys, args, fragment):
    result = _invoke(["info", ophys.path, *args])
    assert result.exit_code == 2 and fragment in result.output


def test_nwb_options_on_other_formats_exit_1(tmp_path):
    path = save(
        Recording(np.ones((4, 2)), stimulus={"orientation": np.arange(4.0)}), tmp_path / "r.npz"
    )
    for command in (
        ["info", path],
        ["decode", path, "-o", tmp_path / "o"],
        ["demo", "-o", tmp_path / "d", "--data", path],
    ):
        result = _invoke([*command, "--series", "dff"])
        assert result.exit_code == 1
        assert "series= (--series) apply only to NWB files" in result.output
    result = _invoke(["demo", "-o", tmp_path / "d", "--series", "dff"])
    assert result.exit_code == 1 and "give --data FILE.nwb" in result.output
