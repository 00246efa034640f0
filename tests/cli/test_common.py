"""The CLI's shared behaviour: one-line errors, --debug, output folders."""

from __future__ import annotations

import pytest
import typer
from typer.testing import CliRunner

from neurodl.cli import app
from neurodl.cli._common import STATE, cli_errors, output_dir
from neurodl.exceptions import DataFormatError

runner = CliRunner()


def test_missing_file_is_one_line_and_exit_1(tmp_path):
    result = runner.invoke(app, ["info", str(tmp_path / "nothing.npz")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neurodl: error:")
    assert "nothing.npz" in lines[0] and "Traceback" not in result.output


def test_debug_shows_the_exception(tmp_path):
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    try:
        result = runner.invoke(app, ["--debug", "info", str(broken)])
    finally:
        STATE["debug"] = False
    assert result.exit_code == 1
    assert isinstance(result.exception, DataFormatError)


def test_cli_errors_turns_package_errors_into_exit_1(capsys):
    STATE["debug"] = False
    with pytest.raises(typer.Exit) as info, cli_errors():
        raise DataFormatError("x.npz: key 'responses' is missing.")
    assert info.value.exit_code == 1
    assert capsys.readouterr().err == "neurodl: error: x.npz: key 'responses' is missing.\n"
    with pytest.raises(KeyError), cli_errors():  # a bug is not dressed up as bad input
        raise KeyError("bug")


def test_output_dir_creates_parents_and_refuses_a_file(tmp_path):
    made = output_dir(tmp_path / "a" / "b")
    assert made.is_dir()
    target = tmp_path / "file"
    target.write_text("keep")
    with pytest.raises(typer.Exit):
        output_dir(target)
    assert target.read_text() == "keep"


def test_bad_usage_exits_2():
    result = runner.invoke(app, ["decode"])
    assert result.exit_code == 2


def test_cli_choices_match_the_library():
    from neurodl.cli import _choices
    from neurodl.decoding import DECODERS
    from neurodl.rsa import COMPARE_METHODS, RDM_METHODS

    assert {c.value for c in _choices.Decoder} == set(DECODERS)
    assert {c.value for c in _choices.Compare} == set(COMPARE_METHODS)
    assert {c.value for c in _choices.Rdm} == set(RDM_METHODS) - {"mahalanobis"}
    assert {c.value for c in _choices.Bootstrap} == {"conditions", "neurons"}
