"""``neurodl batch``: run analyses over many sessions on Dask, with across-session statistics."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from neurodl.cli import app
from neurodl.cli._common import cli_errors, output_dir
from neurodl.cli._load_options import LoadOptions, with_load_options

_ANALYSES = ("decode", "encode", "rsa")
_DECODERS = ("linear", "bayes", "mlp", "curriculum")


def _analyses(value: str) -> str:
    names = [n.strip() for n in value.split(",") if n.strip()]
    bad = [n for n in names if n not in _ANALYSES]
    if not names or bad:
        raise typer.BadParameter(
            f"must be one or more of {', '.join(_ANALYSES)}, comma-separated; got {value!r}."
        )
    return ",".join(dict.fromkeys(names))


def _scheduler(value: str) -> str:
    from neurodl.batch._run import check_scheduler
    from neurodl.exceptions import NeurodlValueError

    try:
        return check_scheduler(value)
    except NeurodlValueError as exc:
        raise typer.BadParameter(str(exc).removeprefix("scheduler ")) from None


def _decoder(value: str) -> str:
    if value not in _DECODERS:
        raise typer.BadParameter(f"must be one of {', '.join(_DECODERS)}; got {value!r}.")
    return value


def _options(**given: Any) -> dict[str, dict[str, Any]]:
    """Options per analysis, as the single commands pass them (the reader's go separately)."""
    common = {"device": given["device"], "quick": given["quick"]}
    return {
        "decode": {
            **common,
            "decoder": given["decoder"],
            "target": given["target"],
            "folds": given["folds"],
            "period": given["period"],
        },
        "encode": {**common, "model": given["encode_model"]},
        "rsa": {**common, "model": given["rsa_model"], "rdm": given["rdm"]},
    }


@app.command()
@with_load_options
def batch(
    inputs: list[Path] = typer.Argument(
        ...,
        metavar="FILES_OR_MANIFEST",
        help="Recording files, or CSV manifests (path, session, subject, grouping columns).",
    ),
    output: Path = typer.Option(..., "-o", "--output", help="Directory for all the outputs."),
    analysis: str = typer.Option(
        "decode", "--analysis", callback=_analyses, help="decode, encode and/or rsa (a,b)."
    ),
    scheduler: str = typer.Option(
        "local",
        "--scheduler",
        callback=_scheduler,
        help="'local' (a LocalCluster on 127.0.0.1) or the address of a running scheduler, "
        "e.g. tcp://10.0.0.5:8786.",
    ),
    workers: int | None = typer.Option(
        None, "--workers", min=1, help="Workers of the local cluster (default: the cores)."
    ),
    threads: int | None = typer.Option(
        None, "--threads", min=1, help="Threads per task (default: cores per local worker)."
    ),
    no_resume: bool = typer.Option(
        False, "--no-resume", help="Recompute every session, even those complete already."
    ),
    seed: int = typer.Option(0, "--seed", min=0, help="Random seed (analyses and bootstrap)."),
    no_figures: bool = typer.Option(
        False, "--no-figures", help="Save each session's numbers and page, not its figures."
    ),
    quick: bool = typer.Option(False, "--quick", help="Each analysis's quick mode (seconds)."),
    decoder: str = typer.Option(
        "linear", "--decoder", callback=_decoder, help="decode: linear, bayes, mlp or curriculum."
    ),
    target: str = typer.Option("orientation", "--target", help="decode: variable to decode."),
    folds: int = typer.Option(5, "--folds", min=2, help="decode: cross-validation folds."),
    period: int = typer.Option(360, "--period", help="decode: period of the angle, 360 or 180."),
    encode_model: str = typer.Option("cnn", "--encode-model", help="encode: cnn or linear."),
    rsa_model: str = typer.Option("tilt-cnn", "--rsa-model", help="rsa: tilt-cnn or a file."),
    rdm: str = typer.Option("correlation", "--rdm", help="rsa: dissimilarity of the data."),
    device: str = typer.Option("cpu", "--device", help="Torch device on the workers."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust the files and allow pickled content (.npy dicts)."
    ),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Run analyses on many sessions (Dask); summary.csv, report.html and across-session CIs.

    Each session's outputs go to DIR/<session>/<analysis>/, as the single command writes them.
    The NWB options (--intervals, --where, ...) apply to every file, as in neurodl decode.
    Exit code 0 when every session succeeded, 1 when any failed (the others are still saved).
    """
    from neurodl.batch import run_batch

    options = _options(**locals())
    reader = {**load_options.kwargs(), **({"allow_pickle": True} if allow_pickle else {})}
    with cli_errors():
        output_dir(output)
        try:
            result = run_batch(
                [str(p) for p in inputs],
                analysis=analysis.split(","),
                options={name: options[name] for name in analysis.split(",")},
                load_options=reader,
                output=output,
                scheduler=scheduler,
                n_workers=workers,
                threads_per_task=threads,
                resume=not no_resume,
                figures=not no_figures,
                random_state=seed,
                verbose=1,
            )
        except OSError as exc:  # e.g. no scheduler at the address given
            message = f"cannot reach the Dask scheduler {scheduler!r}: {exc}"
            raise typer.Exit(_fail_line(message)) from None
        except KeyboardInterrupt:
            message = (
                f"interrupted; the complete session folders in {output} are kept (rerun to resume)"
            )
            raise typer.Exit(_fail_line(message) + 129) from None
        result.save(output)
    for line in result.summary_sentences():
        typer.echo(line)
    for record in result.records:
        if record["status"] == "failed":
            typer.echo(f"failed: {record['session']} ({record['analysis']}): {record['reason']}")
    typer.echo(f"wrote {output / 'summary.csv'} and {output / 'report.html'}")
    if result.n_failed:
        raise typer.Exit(code=1)


def _fail_line(message: str) -> int:
    typer.echo(f"neurodl: error: {message}", err=True)
    return 1
