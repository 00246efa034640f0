"""``neurodl encode``: fit an encoding model and score it on held-out images."""

from __future__ import annotations

import time
from pathlib import Path

import typer

from neurodl.cli import app
from neurodl.cli._common import cli_errors, write_analysis
from neurodl.cli._load_options import LoadOptions, choices_of, with_load_options


@app.command()
@with_load_options
def encode(
    file: Path = typer.Argument(..., help="Recording file with images (.npz, .h5, .nwb)."),
    output: Path = typer.Option(..., "-o", "--output", help="Directory for the results."),
    model: str = typer.Option("cnn", "--model", help="Encoding model: 'cnn' or 'linear'."),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed."),
    device: str = typer.Option("cpu", "--device", help="'cpu', 'cuda', 'cuda:N', 'mps' or 'auto'."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust the file and allow pickled content (.npy dicts)."
    ),
    quick: bool = typer.Option(
        False, "--quick", help="Small network, few epochs, at most 100 neurons (seconds)."
    ),
    full_network: bool = typer.Option(
        False,
        "--full-network",
        help="Train CNNEncoder's default network (two 2-layer CNNs averaged; about 2 minutes "
        "for 1,000 neurons x 4,000 images on 2 CPU cores) instead of the small one-layer one.",
    ),
    max_neurons: int = typer.Option(
        300,
        "--max-neurons",
        min=0,
        help="Fit a random subset of this many neurons (bounds the run time); 0 fits all.",
    ),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Predict every neuron's response to images; report FEVE against the noise ceiling."""
    from neurodl.encoding import CNNEncoder, run_encoding
    from neurodl.exceptions import NeurodlValueError

    started = time.time()
    with cli_errors():
        if quick and full_network:
            raise NeurodlValueError("choose one of --quick and --full-network, not both.")
        recording = load_options.load(file, allow_pickle=allow_pickle)
        result = run_encoding(
            recording,
            model=model,
            seed=seed,
            device=device,
            quick=quick,
            encoder_params=CNNEncoder().get_params() if full_network else None,
            max_neurons=max_neurons or None,
        )
        outputs = write_analysis(
            output,
            result,
            command="encode",
            file=file,
            seed=seed,
            started=started,
            device=device,
            loading=choices_of(recording),
        )
    for line in result.summary:
        typer.echo(line)
    typer.echo(f"wrote {len(outputs)} files to {output}")
