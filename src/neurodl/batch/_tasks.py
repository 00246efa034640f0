"""What a worker does for one (session, analysis): the one adapter to the analyses, and the task.

:data:`ANALYSES` is the only place that calls :func:`neurodl.decoding.run_decoding`,
:func:`neurodl.encoding.run_encoding` and :func:`neurodl.rsa.run_rsa` for a batch: each entry
loads the recording by path (on the worker) and runs the analysis with the batch's options.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neurodl.batch._sessions import fingerprint, one_line

__all__ = [
    "ANALYSES",
    "Analysis",
    "load_session",
    "parameters_hash",
    "read_complete",
    "run_session",
]

#: Options of the file reader (keyword arguments of :func:`neurodl.load`), taken out of the
#: analysis options: the trust flag and the NWB choices (table, rows, series, window, images).
LOAD_OPTIONS = ("allow_pickle", "intervals", "where", "series", "window", "images")


@dataclass(frozen=True)
class Analysis:
    """One analysis a batch can run.

    Attributes
    ----------
    run : callable
        ``run(recording, options, random_state, figures) -> AnalysisResult``: analyse the
        recording (with its figures only when ``figures``); ``options`` are the analysis's own
        (the reader's were used to load the recording; ``allow_pickle`` stays, as RSA's model
        files need the same trust).
    headline : callable
        ``headline(metrics) -> dict`` of the numbers compared across sessions (floats).
    """

    run: Callable[[str, dict[str, Any], int, bool], Any]
    headline: Callable[[Mapping[str, Any]], dict[str, float]]


def load_session(path: str, options: dict[str, Any]) -> Any:
    """Read one session's recording with the reader's options, removed from ``options``."""
    from neurodl.data import load

    reader = {k: options.pop(k) for k in LOAD_OPTIONS if k in options}
    if reader.get("allow_pickle"):
        options["allow_pickle"] = True  # RSA's model file: the same trust as the data file
    if isinstance(reader.get("window"), list):  # a window read back from JSON
        reader["window"] = tuple(reader["window"])
    return load(path, **reader)


def _decode(recording: Any, options: dict[str, Any], random_state: int, figures: bool) -> Any:
    from neurodl.decoding import run_decoding

    options.pop("allow_pickle", None)
    return run_decoding(recording, random_state=random_state, n_jobs=1, figures=figures, **options)


def _encode(recording: Any, options: dict[str, Any], random_state: int, figures: bool) -> Any:
    from neurodl.encoding import run_encoding

    options.pop("allow_pickle", None)
    return run_encoding(recording, random_state=random_state, figures=figures, **options)


def _rsa(recording: Any, options: dict[str, Any], random_state: int, figures: bool) -> Any:
    from neurodl.rsa import run_rsa

    return run_rsa(recording, random_state=random_state, figures=figures, **options)


def _number(value: Any) -> float:
    return (
        float(value)
        if isinstance(value, (int, float)) and not isinstance(value, bool)
        else math.nan
    )


def _pick(*names: str) -> Callable[[Mapping[str, Any]], dict[str, float]]:
    def headline(metrics: Mapping[str, Any]) -> dict[str, float]:
        return {name: _number(metrics.get(name)) for name in names}

    return headline


def _rsa_headline(metrics: Mapping[str, Any]) -> dict[str, float]:
    found = {"noise_ceiling_lower": _number(metrics.get("noise_ceiling_lower"))}
    for layer, entry in dict(metrics.get("layers") or {}).items():
        found[f"similarity_{layer}"] = _number(dict(entry).get("similarity"))
    return found


#: The analyses a batch runs, by name: the one adapter between the batch and the analyses.
ANALYSES: dict[str, Analysis] = {
    "decode": Analysis(_decode, _pick("median_abs_error_deg", "threshold_deg")),
    "encode": Analysis(_encode, _pick("feve_mean", "corr_to_average_mean")),
    "rsa": Analysis(_rsa, _rsa_headline),
}


def parameters_hash(
    analysis: str, options: Mapping[str, Any], random_state: int, figures: bool = True
) -> str:
    """SHA-256 of what decides an analysis's outputs: its name, options, seed and figures."""
    from neurodl.files import to_jsonable

    given = {"analysis": analysis, "options": dict(options), "random_state": random_state}
    if not figures:
        given["figures"] = False
    text = json.dumps(to_jsonable(given), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def read_complete(folder: Path) -> dict[str, Any] | None:
    """The manifest of a complete batch output folder, else None.

    Complete means: ``manifest.json`` (written last) parses, was written by a batch, and every
    output it lists exists.
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    batch = dict(manifest.get("parameters") or {}).get("batch")
    outputs = manifest.get("outputs") or []
    if not isinstance(batch, dict) or not all((folder / name).is_file() for name in outputs):
        return None
    return manifest


def _worker_name() -> str:
    try:
        from distributed import get_worker

        worker = get_worker()
        return str(worker.name if worker.name is not None else worker.address)
    except (ImportError, ValueError):
        return f"local-{os.getpid()}"


def _headline_of(folder: Path, analysis: str) -> dict[str, float]:
    try:
        metrics = json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return ANALYSES[analysis].headline(metrics)


def _compute(spec: Mapping[str, Any], target: Path, batch: dict[str, Any]) -> dict[str, float]:
    """Run the analysis with bounded thread pools and save it where the single command would."""
    if spec["figures"] and "matplotlib.pyplot" not in sys.modules:  # on a headless worker
        import matplotlib

        matplotlib.use("Agg")
    import torch
    from threadpoolctl import threadpool_limits

    started = time.time()
    threads = int(spec["threads"])
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads)
    options = dict(spec["options"])
    try:
        with threadpool_limits(limits=threads):
            recording = load_session(spec["path"], options)
            loading = recording.meta.get("nwb")  # the reader's choices, as the CLI records them
            result = ANALYSES[spec["analysis"]].run(
                recording, options, int(spec["random_state"]), spec["figures"]
            )
    finally:
        torch.set_num_threads(previous_threads)
    if target.exists():  # stale outputs of other inputs or parameters: replaced, never mixed
        shutil.rmtree(target)
    for partial in target.parent.glob(f".{target.name}.*.tmp"):  # a worker died writing them
        shutil.rmtree(partial, ignore_errors=True)
    result.save(
        target,
        command=f"batch {spec['analysis']}",
        inputs={
            "file": spec["path"],
            "loading": dict(loading) if isinstance(loading, Mapping) else None,
            "batch": batch,
        },
        seed=int(spec["random_state"]),
        started=started,
    )
    return ANALYSES[spec["analysis"]].headline(result.metrics)


def run_session(spec: Mapping[str, Any]) -> dict[str, Any]:
    """Run one analysis of one session on a worker; return a small record (never the data).

    ``spec`` holds ``path``, ``name``, ``session``, ``subject``, ``groups``, ``analysis``,
    ``options``, ``random_state``, ``figures``, ``output``, ``resume`` and ``threads``. Outputs go
    to ``output/<name>/<analysis>/`` through :meth:`AnalysisResult.save`; the manifest's
    ``parameters.batch`` records the worker, the input fingerprint and the parameters hash.
    Any error becomes ``status="failed"`` with a one-line ``reason``.
    """
    tic, cpu = time.perf_counter(), time.process_time()
    record: dict[str, Any] = {
        "session": spec["name"],
        "subject": spec["subject"],
        **dict(spec["groups"]),
        "analysis": spec["analysis"],
        "status": "failed",
        "reason": spec.get("error", ""),
        "seconds": 0.0,
        "cpu_seconds": 0.0,
        "worker": _worker_name(),
        "file": spec["path"],
    }
    if record["reason"]:
        return record
    target = Path(spec["output"]) / spec["name"] / spec["analysis"]
    try:
        previous = read_complete(target)
        old = dict(dict(previous["parameters"])["batch"]) if previous else {}
        fp = fingerprint(spec["path"], old.get("input"))
        params = parameters_hash(
            spec["analysis"], spec["options"], spec["random_state"], spec["figures"]
        )
        if spec["resume"] and old.get("input") == fp and old.get("parameters_sha256") == params:
            headline = _headline_of(target, spec["analysis"])
            record.update(status="skipped", worker=old.get("worker", ""), **headline)
        else:
            batch = {
                "session": spec["name"],
                "subject": spec["subject"],
                "groups": dict(spec["groups"]),
                "worker": record["worker"],
                "input": fp,
                "parameters_sha256": params,
                "options": dict(spec["options"]),
            }
            record.update(status="done", **_compute(spec, target, batch))
    except Exception as exc:  # fault isolation: one session's error is its own
        record["reason"] = one_line(exc)
    record["seconds"] = round(time.perf_counter() - tic, 3)
    record["cpu_seconds"] = round(time.process_time() - cpu, 3)  # the whole worker process
    return record
