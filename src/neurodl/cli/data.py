"""``neurodl simulate`` and ``neurodl info``."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from neurodl.cli import app
from neurodl.cli._common import cli_errors, to_jsonable


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


@app.command()
def info(
    file: Path = typer.Argument(..., help="Recording file."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust the file and allow pickled content (.npy dicts)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
) -> None:
    """Describe a recording: trials, neurons, stimulus variables, images, repeats, memory."""
    from neurodl.data import load

    with cli_errors():
        summary = load(file, allow_pickle=allow_pickle).summary()
    if as_json:
        typer.echo(json.dumps(to_jsonable(summary), indent=2))
        return
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
