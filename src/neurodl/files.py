"""Writing outputs safely: atomic files and folders, strict JSON, figures and run manifests.

Every output neurodl writes goes through this module: a file is written under a temporary name in
its own folder and renamed over the target, so a crash or Ctrl-C never leaves half a file, and a
new output folder appears only once everything in it is complete.

Examples
--------
>>> import tempfile, json, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> write_json(folder / "metrics.json", {"error_deg": float("nan"), "n": np.int64(3)})
>>> json.loads((folder / "metrics.json").read_text())
{'error_deg': None, 'n': 3}
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

__all__ = [
    "atomic_directory",
    "atomic_path",
    "figure_png",
    "save_figure",
    "to_jsonable",
    "versions",
    "write_json",
    "write_manifest",
    "write_text_atomic",
]


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask


# Outputs get the permissions of an ordinary new file or folder (mkstemp alone gives 0600).
_UMASK = _umask()
_FILE_MODE = 0o666 & ~_UMASK
_DIR_MODE = 0o777 & ~_UMASK


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    The temporary file lies in the same folder (so the rename is atomic) and is removed when the
    block raises. The final file gets the permissions of an ordinary new file.
    """
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, _FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def atomic_directory(path: Path) -> Iterator[Path]:
    """Yield the folder to write outputs into; a new folder appears at ``path`` only when complete.

    When ``path`` does not exist yet, files go into a hidden sibling folder that is renamed to
    ``path`` when the block ends without error (and removed otherwise). When ``path`` already
    exists, the files are written into it directly, each one atomically by the writers here.
    """
    path = Path(path)
    if path.exists():
        if not path.is_dir():
            raise NotADirectoryError(20, "output exists and is not a directory", str(path))
        yield path
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"))
    try:
        yield tmp
        os.chmod(tmp, _DIR_MODE)
        os.replace(tmp, path)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
    with atomic_path(Path(path)) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: Path, data: Mapping[str, Any]) -> None:
    """Write ``data`` as indented strict JSON (NaN and inf become null), atomically."""
    text = json.dumps(to_jsonable(data), indent=2, allow_nan=False)
    write_text_atomic(path, text + "\n")


def figure_png(fig: Any, *, dpi: int = 110) -> bytes:
    """A matplotlib figure rendered once as PNG bytes (for a file and an HTML page alike)."""
    import io

    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return buffer.getvalue()


def save_figure(fig: Any, path: Path, *, dpi: int = 110, close: bool = True) -> None:
    """Save a matplotlib figure atomically as PNG (and close it unless ``close=False``)."""
    with atomic_path(Path(path), suffix=".png") as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight", format="png")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)


def versions() -> dict[str, str]:
    """Versions of Python, neurodl and the numerical libraries it ran with."""
    import importlib.metadata as md

    found = {"python": platform.python_version()}
    for name in ("neurodl", "numpy", "scipy", "scikit-learn", "torch"):
        try:
            found[name] = md.version(name)
        except md.PackageNotFoundError:
            found[name] = "not installed"
    return found


def write_manifest(
    directory: Path,
    *,
    command: str,
    parameters: Mapping[str, Any],
    seed: int | None,
    started: float,
    device: str | None = None,
    outputs: list[str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> None:
    """Write ``manifest.json``: command line, resolved parameters, seed, versions, device, time."""
    write_json(
        Path(directory) / "manifest.json",
        {
            "command": command,
            "argv": sys.argv,
            "parameters": dict(parameters),
            "seed": seed,
            "device": device,
            "versions": versions(),
            "platform": platform.platform(),
            "started_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "wall_seconds": round(time.time() - started, 3),
            "outputs": sorted(outputs) if outputs is not None else None,
            **dict(extra or {}),
        },
    )
