"""Helpers shared by the CLI commands: error handling, atomic outputs, manifests."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import typer

from neurodl.exceptions import NeurodlError

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


def _default_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# Outputs get the permissions of an ordinary new file (mkstemp alone would make them 0600).
_FILE_MODE = _default_mode()

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


def to_jsonable(value: Any) -> Any:
    """Convert numpy scalars/arrays, paths and tuples into plain JSON-compatible values.

    Non-finite floats become None so that the file is strict JSON.
    """
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not np.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_text_atomic(path: Path, text: str) -> None:
    """Write text to ``path`` through a temporary file in the same directory, then rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented strict JSON, atomically."""
    text = json.dumps(to_jsonable(data), indent=2, allow_nan=False)
    write_text_atomic(path, text + "\n")


def save_figure(fig: Any, path: Path, *, dpi: int = 110) -> None:
    """Save a matplotlib figure atomically as PNG and close it."""
    import matplotlib.pyplot as plt

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".png")
    os.close(fd)
    try:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    finally:
        plt.close(fig)


def _versions() -> dict[str, str]:
    import importlib.metadata as md

    versions = {"python": platform.python_version()}
    for name in ("neurodl", "numpy", "scipy", "scikit-learn", "torch"):
        try:
            versions[name] = md.version(name)
        except md.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def write_manifest(
    directory: Path,
    *,
    command: str,
    parameters: Mapping[str, Any],
    seed: int | None,
    started: float,
    device: str | None = None,
    outputs: list[str] | None = None,
) -> None:
    """Write ``manifest.json``: command line, resolved parameters, seed, versions, device, time."""
    write_json(
        directory / "manifest.json",
        {
            "command": command,
            "argv": sys.argv,
            "parameters": dict(parameters),
            "seed": seed,
            "device": device,
            "versions": _versions(),
            "platform": platform.platform(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "wall_time_s": round(time.time() - started, 3),
            "outputs": sorted(outputs) if outputs is not None else None,
        },
    )


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
    """Write an ``AnalysisResult`` into ``output``: metrics.json, one PNG per figure, manifest.

    ``loading`` (the choices made reading the file, e.g. NWB table, rows, series) goes into the
    manifest's parameters. Returns the names of the files written.
    """
    directory = output_dir(output)
    write_json(directory / "metrics.json", result.metrics)
    outputs = ["metrics.json", "manifest.json"]
    for stem, figure in result.figures.items():
        save_figure(figure, directory / f"{stem}.png")
        outputs.append(f"{stem}.png")
    write_manifest(
        directory,
        command=command,
        parameters={"file": str(file), "loading": loading, **result.parameters},
        seed=seed,
        started=started,
        device=device,
        outputs=outputs,
    )
    return outputs
