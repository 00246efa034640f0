"""Which sessions a batch runs: manifests, names, subjects and input fingerprints.

Everything here runs on the client except :func:`describe_file` and :func:`fingerprint`, which run
on the workers (they read the recording files, which the client may not even see).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurodl.exceptions import DataFormatError, NeurodlValueError

__all__ = ["Session", "describe_file", "fingerprint", "name_sessions", "read_inputs"]

#: Names a session folder may not take: the batch's own files in the output folder.
RESERVED = frozenset({"summary.csv", "summary.json", "report.html", "manifest.json"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_CHUNK = 4 * 1024 * 1024


@dataclass
class Session:
    """One recording file of a batch.

    Attributes
    ----------
    path : str
        The recording file, as the workers will open it.
    session, subject : str or None
        As given by a manifest; None until read from the file's ``meta`` (or its name).
    groups : dict of str to str
        Any other manifest columns (grouping variables such as ``genotype`` or ``area``).
    name : str
        The session's folder name in the output (filesystem-safe, unique in the batch).
    """

    path: str
    session: str | None = None
    subject: str | None = None
    groups: dict[str, str] = field(default_factory=dict)
    name: str = ""


def _read_manifest(path: Path) -> list[Session]:
    """Read a CSV manifest: a ``path`` column, optional ``session``/``subject``, other groups."""
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            columns = [c.strip() for c in (reader.fieldnames or [])]
    except UnicodeDecodeError as exc:
        raise DataFormatError(f"{path}: manifest is not a UTF-8 CSV file ({exc}).") from None
    if "path" not in columns:
        raise DataFormatError(
            f"{path}: manifest needs a 'path' column (optional: session, subject and grouping "
            f"columns); got columns {columns}."
        )
    if not rows:
        raise DataFormatError(f"{path}: manifest lists no recordings.")
    sessions = []
    for number, row in enumerate(rows, start=2):
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        if not row["path"]:
            raise DataFormatError(f"{path}: line {number} has an empty 'path'.")
        file = Path(row.pop("path")).expanduser()
        if not file.is_absolute():
            file = path.parent / file
        session, subject = row.pop("session", "") or None, row.pop("subject", "") or None
        sessions.append(Session(str(file), session, subject, {k: v for k, v in row.items() if k}))
    given = [s.session for s in sessions if s.session is not None]
    repeated = sorted({s for s in given if given.count(s) > 1})
    if repeated:
        raise DataFormatError(f"{path}: session names must be unique; repeated: {repeated}.")
    return sessions


def read_inputs(paths_or_manifest: str | os.PathLike[str] | Iterable[Any]) -> list[Session]:
    """The sessions of a batch: recording files, and CSV manifests (``.csv``) read row by row.

    Parameters
    ----------
    paths_or_manifest : path or sequence of paths
        Recording files (any format :func:`neurodl.load` reads) and/or CSV manifests with a
        ``path`` column (relative paths are relative to the manifest), optional ``session`` and
        ``subject`` columns, and any further grouping columns.

    Returns
    -------
    list of Session
        In input order; names are not resolved yet (see :func:`name_sessions`).
    """
    if isinstance(paths_or_manifest, (str, os.PathLike)):
        items: list[Any] = [paths_or_manifest]
    else:
        items = list(paths_or_manifest)
    if not items:
        raise NeurodlValueError("paths_or_manifest must name at least one recording or manifest.")
    sessions: list[Session] = []
    for item in items:
        if isinstance(item, Session):
            sessions.append(item)
        elif not isinstance(item, (str, os.PathLike)):
            raise NeurodlValueError(
                f"paths_or_manifest must hold file paths; got {type(item).__name__}."
            )
        elif str(item).lower().endswith(".csv"):
            sessions.extend(_read_manifest(Path(item)))
        else:
            sessions.append(Session(str(item)))
    return sessions


def _safe(text: str) -> str:
    """A folder name from ``text``: letters, digits, '.', '_' and '-' only, no leading dot."""
    return _UNSAFE.sub("_", text).strip("._") or "session"


def name_sessions(sessions: Sequence[Session], described: Mapping[int, Mapping[str, Any]]) -> None:
    """Fill in session, subject and a unique, filesystem-safe folder name for every session.

    Session and subject come from the manifest, else from ``described[i]`` (the file's
    ``meta["session"]``/``meta["subject"]``), else the session is the file name without its
    extension; a session without a subject is its own subject. Names are made safe (other
    characters become ``_``); a name that is taken, or is one of the batch's own files, gets
    ``-2``, ``-3``, ... in input order, so that adding files at the end never renames the earlier
    sessions.
    """
    taken: set[str] = set(RESERVED)
    for i, s in enumerate(sessions):
        meta = described.get(i, {})
        stem = Path(s.path).name.split(".")[0] or Path(s.path).name
        if s.session is None:
            s.session = str(meta.get("session") or stem)
        if s.subject is None:
            s.subject = str(meta.get("subject") or s.session)
        base = _safe(s.session)
        name, k = base, 1
        while name.lower() in taken:
            k += 1
            name = f"{base}-{k}"
        taken.add(name.lower())
        s.name = name


def describe_file(path: str, load_options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read only what names a session: ``meta["session"]`` and ``meta["subject"]`` (on a worker).

    A neurodl ``.npz`` gives its ``meta`` without reading the responses; other formats are read
    through :func:`neurodl.load` (with ``load_options``, e.g. the NWB table and rows) for one
    trial and one neuron (HDF5 and NWB read only that slab). A file that cannot be read gives
    ``{"error": "<one line>"}`` (its session then fails with it).
    """
    try:
        meta = _read_meta(Path(path), dict(load_options or {}))
    except Exception as exc:  # any unreadable file becomes a failed session
        return {"error": one_line(exc)}
    return {
        key: str(meta[key]) for key in ("session", "subject") if meta.get(key) not in (None, "")
    }


def _read_meta(path: Path, load_options: dict[str, Any]) -> dict[str, Any]:
    from neurodl.data import load_meta

    if isinstance(load_options.get("window"), list):  # as read back from JSON
        load_options["window"] = tuple(load_options["window"])
    return load_meta(path, **load_options)


def one_line(exc: BaseException) -> str:
    """An exception as one line: neurodl's own messages as they are, others with their type."""
    from neurodl.exceptions import NeurodlError

    text = " ".join(str(exc).split()) or type(exc).__name__
    if not isinstance(exc, NeurodlError):
        text = f"{type(exc).__name__}: {text}"
    return text if len(text) <= 400 else text[:397] + "..."


def fingerprint(path: str, previous: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Size, modification time and SHA-256 of a file's content, read in 4 MiB chunks.

    When ``previous`` (a fingerprint recorded earlier) has the same size and modification time
    (nanoseconds), its SHA-256 is reused without reading the file: the usual fast path of build
    tools, which only a same-size rewrite that also restores the exact mtime would fool.
    """
    stat = os.stat(path)
    found: dict[str, Any] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    if (
        previous
        and previous.get("size") == found["size"]
        and previous.get("mtime_ns") == found["mtime_ns"]
        and previous.get("sha256")
    ):
        return {**found, "sha256": previous["sha256"]}
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return {**found, "sha256": digest.hexdigest()}
