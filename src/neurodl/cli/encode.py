"""``neurodl encode``: fit an encoding model and score it on held-out images."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from neurodl.cli import app
from neurodl.cli._common import cli_errors, write_analysis
from neurodl.cli._load_options import LoadOptions, choices_of, with_load_options


def _parse_size(text: str) -> tuple[int, int]:
    """``"48x64"`` -> (48, 64); anything else is a usage error (exit code 2)."""
    parts = text.lower().split("x")
    if len(parts) != 2 or not all(p.strip().isdigit() and int(p) >= 2 for p in parts):
        raise typer.BadParameter(
            f"expected HEIGHTxWIDTH with each >= 2 pixels, like 48x64; got {text!r}.",
            param_hint="--grating-size",
        )
    return int(parts[0]), int(parts[1])


@app.command()
@with_load_options
def encode(
    file: Path = typer.Argument(
        ...,
        help="Recording file with images, or with orientations only (.npz, .h5, .nwb; the "
        "curriculum's resp/stimuli and resp_train/resp_test/stimuli files).",
    ),
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
    grating_size: str | None = typer.Option(
        None,
        "--grating-size",
        help="Files without images: HEIGHTxWIDTH pixels of the gratings rendered from the "
        "orientations [default: 48x64, the curriculum's].",
    ),
    grating_sf: float | None = typer.Option(
        None,
        "--grating-sf",
        help="Files without images: spatial frequency of the rendered gratings in cycles per "
        "image width [default: 3.64, the curriculum's].",
    ),
    grating_phase: float | None = typer.Option(
        None,
        "--grating-phase",
        help="Files without images: grating phase in degrees at the top-left pixel [default: 0].",
    ),
    grating_profile: str | None = typer.Option(
        None,
        "--grating-profile",
        help="Files without images: 'square' or 'sine' bars [default: square].",
    ),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Predict every neuron's response to images; report FEVE against the noise ceiling.

    A file of gratings without images (orientations only) is fitted on full-field gratings
    rendered from its orientations (--grating-* options), a reconstruction of the stimulus.
    """
    from neurodl.encoding import CNNEncoder, run_encoding
    from neurodl.exceptions import NeurodlValueError

    started = time.time()
    given: dict[str, Any] = {
        "grating_size": None if grating_size is None else _parse_size(grating_size),
        "grating_spatial_frequency": grating_sf,
        "grating_phase": grating_phase,
        "grating_profile": grating_profile,
    }
    gratings = {key: value for key, value in given.items() if value is not None}
    with cli_errors():
        if quick and full_network:
            raise NeurodlValueError("choose one of --quick and --full-network, not both.")
        recording = load_options.load(file, allow_pickle=allow_pickle)
        result = run_encoding(
            recording,
            model=model,
            random_state=seed,
            device=device,
            verbose=1,
            quick=quick,
            encoder_params=CNNEncoder().get_params() if full_network else None,
            max_neurons=max_neurons or None,
            **gratings,
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
