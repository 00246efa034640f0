"""Helpers shared by the CLI commands: error handling, atomic outputs, manifests."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import typer

from neurodl.exceptions import NeurodlError
from neurodl.files import (
    save_figure,
    to_jsonable,
    write_json,
    write_manifest,
    write_text_atomic,
)

__all__ = [
    "STATE",
    "cli_errors",
    "output_dir",
    "save_figure",
    "to_jsonable",
    "write_analysis",
    "write_json",
    "write_manifest",
    "write_text_atomic",
]


# Set by the app callback (``neurodl --debug ...``): show tracebacks instead of one-line errors.
STATE: dict[str, Any] = {"debug": False}


def _fail(message: str) -> typer.Exit:
    typer.echo(f"neurodl: error: {message}", err=True)
    return typer.Exit(code=1)


@contextlib.contextmanager
def cli_errors() -> Iterator[None]:
    """Turn bad input into one line on stderr and exit code 1 (a traceback with ``--debug``)."""
    try:
        yield
    except NeurodlError as exc:
        if STATE["debug"]:
            raise
        raise _fail(str(exc)) from None
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        if STATE["debug"]:
            raise
        raise _fail(f"{exc.strerror}: {exc.filename}") from None


def output_dir(path: Path) -> Path:
    """Create the output directory (and parents) and return it; refuse a path that is a file."""
    if path.exists() and not path.is_dir():
        raise _fail(f"output directory {str(path)!r} exists and is not a directory.")
    path.mkdir(parents=True, exist_ok=True)
    return path


def write_analysis(
    output: Path,
    result: Any,
    *,
    command: str,
    file: Path,
    seed: int | None,
    started: float,
    device: str | None,
    loading: Mapping[str, Any] | None = None,
) -> list[str]:
    """Save an ``AnalysisResult`` into ``output`` (see :meth:`AnalysisResult.save`).

    ``loading`` (the choices made reading the file, e.g. NWB table, rows, series) goes into the
    manifest's parameters. Returns the names of the files written.
    """
    if output.exists() and not output.is_dir():
        raise _fail(f"output directory {str(output)!r} exists and is not a directory.")
    return list(
        result.save(
            output,
            command=command,
            inputs={"file": str(file), "loading": loading},
            seed=seed,
            device=device,
            started=started,
        )
    )
