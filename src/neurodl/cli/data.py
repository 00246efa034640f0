"""``neurodl simulate`` and ``neurodl info``."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import typer

from neurodl.cli import app
from neurodl.cli._common import cli_errors, to_jsonable
from neurodl.cli._load_options import LoadOptions, cli_arguments, load_call, with_load_options
from neurodl.exceptions import NeurodlError


@app.command()
def simulate(
    output: Path = typer.Option(..., "-o", "--output", help="File to write (.npz, .h5 or .nwb)."),
    neurons: int = typer.Option(2000, "--neurons", min=1, help="Number of neurons."),
    trials: int = typer.Option(4000, "--trials", min=1, help="Number of trials."),
    repeats: int = typer.Option(1, "--repeats", min=1, help="Trials per distinct image."),
    test_images: int = typer.Option(
        0, "--test-images", min=0, help="Extra images shown --test-repeats times (a test set)."
    ),
    test_repeats: int = typer.Option(10, "--test-repeats", min=2, help="Repeats of test images."),
    stimulus: str = typer.Option("gratings", "--stimulus", help="'gratings' or 'noise'."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    zscore: bool = typer.Option(False, "--zscore", help="Z-score each neuron's responses."),
) -> None:
    """Simulate a mouse V1 recording with ground truth and write it to a file."""
    from neurodl.data import save, simulate_v1
    from neurodl.data.io import check_destination

    with cli_errors():
        check_destination(output)
        recording = simulate_v1(
            n_neurons=neurons,
            n_trials=trials,
            repeats=repeats,
            test_images=test_images,
            test_repeats=test_repeats,
            stimulus=stimulus,  # type: ignore[arg-type]
            zscore=zscore,
            random_state=seed,
        )
        path = save(recording, output)
    typer.echo(f"wrote {recording!r} to {path}")


def _print_summary(file: Path, summary: dict[str, Any]) -> None:
    typer.echo(f"file:        {file}")
    typer.echo(f"source:      {summary['source']}")
    typer.echo(f"trials:      {summary['n_trials']}")
    typer.echo(f"neurons:     {summary['n_neurons']}")
    typer.echo(
        f"conditions:  {summary['n_conditions']} "
        f"(repeats {summary['repeats_min']}-{summary['repeats_max']})"
    )
    images = summary["images"]
    typer.echo("images:      " + ("none" if images is None else " x ".join(map(str, images))))
    for name, facts in summary["stimulus"].items():
        if "min" in facts:
            typer.echo(
                f"  {name}: {facts['min']:g} to {facts['max']:g} ({facts['n_unique']} distinct)"
            )
        else:
            typer.echo(f"  {name}: {facts['n_unique']} distinct values")
    if summary["neuron_variables"]:
        typer.echo("per neuron:  " + ", ".join(summary["neuron_variables"]))
    typer.echo(f"ground truth: {'yes' if summary['has_ground_truth'] else 'no'}")
    typer.echo(f"memory:      {summary['memory_mb']} MB")


def _shape(shape: Any) -> str:
    return "no data" if shape is None else " x ".join(map(str, shape))


def _print_series(facts: dict[str, Any]) -> None:
    typer.echo("response series (--series NAME):")
    if not facts["series"]:
        typer.echo("  none (no RoiResponseSeries, no units table)")
    for series in facts["series"]:
        mark = "  [default]" if series["path"] == facts["default_series"] else ""
        if series["kind"] == "units":
            columns = ", ".join(series["columns"]) or "none"
            what = f"{series['shape'][0]} units, {series['n_spikes']} spikes; columns: {columns}"
        else:
            rate = "" if series["rate_hz"] is None else f"{series['rate_hz']:.4g} Hz, "
            what = f"{_shape(series['shape'])}, {rate}unit {series['unit']}"
        typer.echo(f"  {series['path']}  ({series['kind']}) {what}{mark}")
    if facts["series_error"]:
        typer.echo("  no default: name one with --series")


def _column_line(name: str, column: dict[str, Any]) -> str:
    if column["kind"] == "text":
        values = ", ".join(f"{v} ({n})" for v, n in column["values"].items())
        more = len(column["values"]) < column["n_distinct"]
        return (
            f"    {name}: text, {column['n_distinct']} distinct: {values}{', ...' if more else ''}"
        )
    if column["kind"] == "number":
        if column["min"] is None:
            return f"    {name}: numbers, all NaN"
        nan = f", {column['n_nan']} NaN" if column["n_nan"] else ""
        return (
            f"    {name}: numbers {column['min']:g} to {column['max']:g} "
            f"({column['n_distinct']} distinct{nan})"
        )
    return f"    {name}: {column['kind']} (not read)"


def _print_nwb(file: Path, facts: dict[str, Any]) -> None:
    typer.echo(f"file:        {file}")
    typer.echo(f"session:     {facts['session_description']}")
    _print_series(facts)
    typer.echo("intervals tables (--intervals NAME; keep rows with --where COLUMN=VALUE):")
    for table in facts["intervals"]:
        typer.echo(f"  {table['name']}: {table['n_rows']} row{'' if table['n_rows'] == 1 else 's'}")
        for name, column in table["columns"].items():
            typer.echo(_column_line(name, column))
    typer.echo("stimulus templates (--images TEMPLATE[:COLUMN]):")
    for template in facts["templates"]:
        typer.echo(f"  {template['name']}  {template['type']} {_shape(template['shape'])}")
    if not facts["templates"]:
        typer.echo("  none")
    typer.echo("to analyse:")
    for suggestion in facts["suggestions"]:
        options = suggestion["options"]
        name = options.get("where", {}).get("stimulus_name")
        which = f" (stimulus_name={name})" if name else ""
        rows = f"{suggestion['n_rows']} row{'' if suggestion['n_rows'] == 1 else 's'}"
        typer.echo(f"  {options['intervals']}{which}, {rows}:")
        if suggestion["command"]:
            extra = "".join(f" --{k} {v}" for k, v in suggestion["command_options"].items())
            command = f"neurodl {suggestion['command']} {shlex.quote(str(file))} -o OUT"
            typer.echo(f"    {command} {cli_arguments(options)}{extra}")
        typer.echo(f"    {load_call(str(file), options)}")


@app.command()
@with_load_options
def info(
    file: Path = typer.Argument(..., help="Recording file."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust the file and allow pickled content (.npy dicts)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Describe a recording: trials, neurons, stimulus variables, images, repeats, memory.

    For an NWB file, also everything in it neurodl can read (response series, intervals
    tables, stimulus templates) and the command that analyses each stimulus table.
    """
    from neurodl.data import describe_nwb
    from neurodl.data.io import format_of

    facts: dict[str, Any] | None = None
    error = None
    with cli_errors():
        if format_of(file) == "nwb":
            facts = describe_nwb(file)
        try:
            summary = load_options.load(file, allow_pickle=allow_pickle).summary()
        except NeurodlError as exc:
            if facts is None or load_options.kwargs():
                raise
            summary, error = None, str(exc)
    if as_json:
        extra = {} if facts is None else {"nwb": facts, "load_error": error}
        typer.echo(json.dumps(to_jsonable({**(summary or {}), **extra}), indent=2))
        return
    if facts is not None:
        _print_nwb(file, facts)
        typer.echo("read with these options:" if load_options.kwargs() else "read by default:")
        if summary is None:
            typer.echo(f"  not possible: {error}")
            return
    assert summary is not None
    _print_summary(file, summary)
