"""``neurodl decode``: decode a stimulus angle from a recording file."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from neurodl.cli import app
from neurodl.cli._choices import Decoder, Period
from neurodl.cli._common import cli_errors, write_analysis
from neurodl.cli._load_options import LoadOptions, choices_of, with_load_options


@app.command()
@with_load_options
def decode(
    file: Path = typer.Argument(..., help="Recording file (.npz, .h5, .nwb, .npy)."),
    output: Path = typer.Option(..., "-o", "--output", help="Directory for the outputs."),
    decoder: Decoder = typer.Option(Decoder.linear, "--decoder", help="Decoder."),
    target: str = typer.Option("orientation", "--target", help="Stimulus variable to decode."),
    folds: int = typer.Option(5, "--folds", help="Cross-validation folds."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("cpu", "--device", help="Torch device: cpu, cuda, mps or auto."),
    period: Period = typer.Option(Period.full, "--period", help="Period of the angle (degrees)."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust the file and allow pickled content (.npy dicts)."
    ),
    quick: bool = typer.Option(False, "--quick", help="Fewer epochs and resamples (seconds)."),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Decode orientation: cross-validated errors, threshold, shuffle control, bound, figures."""
    from neurodl.decoding import run_decoding

    started = time.time()
    with cli_errors():
        recording = load_options.load(file, allow_pickle=allow_pickle)
        result = run_decoding(
            recording,
            decoder=decoder.value,
            target=target,
            folds=folds,
            period=int(period.value),
            random_state=seed,
            device=device,
            quick=quick,
            verbose=1,
        )
        write_analysis(
            output,
            result,
            command="decode",
            file=file,
            seed=seed,
            started=started,
            device=device,
            loading=choices_of(recording),
        )
    for line in result.summary:
        typer.echo(line)
