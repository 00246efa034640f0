"""``neurodl rsa``: compare a network's layers with a recording (RSA with inference)."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from neurodl.cli import app
from neurodl.cli._choices import Bootstrap, Compare, Rdm
from neurodl.cli._common import cli_errors, write_analysis
from neurodl.cli._load_options import LoadOptions, choices_of, with_load_options


@app.command()
@with_load_options
def rsa(
    file: Path = typer.Argument(..., help="Recording file."),
    output: Path = typer.Option(..., "-o", "--output", help="Directory to write results into."),
    model: str = typer.Option(
        "tilt-cnn",
        "--model",
        help="'tilt-cnn', 'tilt-dale', 'tilt-fa' or 'tilt-rcnn' (trained here) or a "
        "TorchScript/pickled module file; several comma-separated "
        "(e.g. tilt-cnn,tilt-dale,tilt-rcnn) are compared with each other.",
    ),
    n_seeds: int = typer.Option(
        3, "--n-seeds", min=1, help="Training seeds per built-in model (seed, seed+1, ...)."
    ),
    n_untrained: int = typer.Option(
        3, "--n-untrained", min=0, help="Untrained twins per model (fresh initialisations)."
    ),
    controls: bool = typer.Option(
        True, "--controls/--no-controls", help="Add the pixel and Gabor energy-model controls."
    ),
    recovery: bool = typer.Option(
        False,
        "--recovery",
        help="Also simulate recordings from each model and control and report how often the "
        "comparison picks the one that generated them (model recovery).",
    ),
    layers: str | None = typer.Option(
        None, "--layers", help="Comma-separated layer names (the model's defaults when omitted)."
    ),
    rdm: Rdm = typer.Option(Rdm.correlation, "--rdm", help="Dissimilarity of the data."),
    compare: Compare = typer.Option(Compare.pearson, "--compare", help="RDM comparison."),
    bootstrap: Bootstrap = typer.Option(
        Bootstrap.conditions,
        "--bootstrap",
        help="What the confidence intervals resample: conditions or neurons (neurons needs "
        "--rdm euclidean or correlation).",
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("cpu", "--device", help="'cpu', 'cuda' or 'auto'."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust FILE and the --model file with pickled content."
    ),
    quick: bool = typer.Option(False, "--quick", help="Tiny training and resampling: seconds."),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Train the tilt CNN (or load your network) and compare each layer's RDM with the data's."""
    from neurodl.rsa import run_rsa
    from neurodl.rsa._table import format_model_table

    started = time.time()
    with cli_errors():
        recording = load_options.load(file, allow_pickle=allow_pickle)
        chosen = [name.strip() for name in layers.split(",") if name.strip()] if layers else None
        result = run_rsa(
            recording,
            model=model,
            layers=chosen,
            n_seeds=n_seeds,
            n_untrained=n_untrained,
            controls=controls,
            recovery=recovery,
            rdm=rdm.value,
            compare=compare.value,
            random_state=seed,
            device=device,
            quick=quick,
            allow_pickle=allow_pickle,
            bootstrap=bootstrap.value,
        )
        write_analysis(
            output,
            result,
            command="rsa",
            file=file,
            seed=seed,
            started=started,
            device=device,
            loading=choices_of(recording),
        )
    for sentence in result.summary:
        typer.echo(sentence)
    typer.echo(format_model_table(result.metrics))
