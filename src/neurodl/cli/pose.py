"""``neurodl pose``: simulate infants' keypoints and score movement risk from keypoint files.

``pose_app`` is the ``pose`` sub-command group; other modules may add commands to it.
"""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path

import typer

from neurodl.cli import app
from neurodl.cli._common import cli_errors
from neurodl.exceptions import NeurodlValueError

__all__ = ["KeypointFormat", "NormativeModel", "pose_app"]


class NormativeModel(StrEnum):
    """``neurodl pose score --model`` (``neurodl.pose.NORMATIVE_MODELS``)."""

    gaussian = "gaussian"
    shrinkage = "shrinkage"


class KeypointFormat(StrEnum):
    """``neurodl pose simulate --format`` (``neurodl.pose.io.KEYPOINT_FORMATS``)."""

    npz = "npz"
    openpose = "openpose"
    dlc_csv = "dlc_csv"
    dlc_h5 = "dlc_h5"
    sleap = "sleap"
    nwb = "nwb"


pose_app = typer.Typer(
    name="pose",
    help="Infant movement from pose keypoints: simulate, score against reference infants.",
    no_args_is_help=True,
)
app.add_typer(pose_app, name="pose")


@pose_app.command("simulate")
def simulate(
    output: Path = typer.Option(
        ..., "-o", "--output", help="Directory for keypoint files and manifest.csv."
    ),
    infants: int = typer.Option(60, "--infants", min=3, help="Number of infants."),
    atypical_fraction: float = typer.Option(
        0.3, "--atypical-fraction", min=0.0, max=1.0, help="Fraction of atypical movers."
    ),
    severity: float = typer.Option(0.6, "--severity", min=0.0, max=1.0, help="Atypicality (0-1)."),
    duration: float = typer.Option(60.0, "--duration", min=3.0, help="Seconds per video."),
    file_format: KeypointFormat = typer.Option(
        KeypointFormat.npz, "--format", help="Keypoint file format to write."
    ),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Simulate supine infants (typical and atypical movers, camera and tracking nuisances).

    Half of the typical infants form the reference group; the manifest holds every label.
    """
    from neurodl.pose import simulate_infant_movements
    from neurodl.pose.io import write_study

    with cli_errors():
        if output.exists() and not output.is_dir():
            raise NeurodlValueError(f"output {str(output)!r} exists and is not a directory.")
        poses = simulate_infant_movements(
            infants,
            atypical_fraction=atypical_fraction,
            severity=severity,
            duration=duration,
            random_state=seed,
        )
        manifest = write_study(poses, output, file_format=file_format.value)
    typer.echo(f"wrote {len(poses)} videos of {infants} infants and {manifest}")


@pose_app.command("score")
def score(
    manifest: Path = typer.Argument(
        ..., help="manifest.csv: infant, path, group[, age_weeks, fps, label]."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Directory for the outputs."),
    model: NormativeModel = typer.Option(
        NormativeModel.gaussian, "--model", help="Normative model."
    ),
    resamples: int = typer.Option(1000, "--resamples", min=10, help="Bootstrap resamples."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
) -> None:
    """Score each infant's movements against the reference infants (surprise, z, one-sided p)."""
    from neurodl.pose.analysis import run_movement_risk

    started = time.time()
    with cli_errors():
        if output.exists() and not output.is_dir():
            raise NeurodlValueError(f"output {str(output)!r} exists and is not a directory.")
        result = run_movement_risk(
            manifest, model=model.value, n_resamples=resamples, random_state=seed
        )
        result.save(
            output,
            command="pose score",
            inputs={"manifest": str(manifest)},
            seed=seed,
            started=started,
        )
    for line in result.summary:
        typer.echo(line)


# ``neurodl pose train`` and ``neurodl pose detect`` (video -> keypoints) live in pose_video.py.
from neurodl.cli.pose_video import register  # noqa: E402

register(pose_app)
