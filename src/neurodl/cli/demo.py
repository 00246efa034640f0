"""``neurodl demo``: the whole analysis on the embedded recording (or a file) in one report."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from neurodl.cli import app
from neurodl.cli._common import (
    cli_errors,
    output_dir,
    write_json,
    write_manifest,
    write_text_atomic,
)
from neurodl.cli._load_options import LoadOptions, choices_of, with_load_options

_HEADLINES: dict[str, list[tuple[str, str]]] = {
    "decoding": [
        ("median_abs_error_deg", "median error (°)"),
        ("cramer_rao_median_deg", "Cramér–Rao median (°)"),
        ("threshold_deg", "threshold (°)"),
    ],
    "encoding": [("feve_mean", "FEVE mean"), ("corr_to_average_mean", "corr. to average")],
    "rsa": [
        ("task_test_accuracy", "tilt-task accuracy"),
        ("noise_ceiling_lower", "noise ceiling (lower)"),
        ("noise_ceiling_upper", "noise ceiling (upper)"),
    ],
}


def _summary_table(metrics: dict[str, Any], timings: dict[str, float]) -> str:
    lines = [f"{'section':<11} {'quantity':<24} {'value':>10}", "-" * 47]
    for section, keys in _HEADLINES.items():
        for key, label in keys:
            value = metrics.get(section, {}).get(key)
            if isinstance(value, (int, float)):
                lines.append(f"{section:<11} {label:<24} {value:>10.4g}")
        for name, layer in (metrics.get(section, {}).get("layers") or {}).items():
            if isinstance(layer, dict) and isinstance(layer.get("similarity"), (int, float)):
                lines.append(f"{section:<11} {'layer ' + name:<24} {layer['similarity']:>10.4g}")
    lines.append("-" * 47)
    lines.append("time: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return "\n".join(lines)


@app.command()
@with_load_options
def demo(
    output: Path = typer.Option(..., "-o", "--output", help="Directory to write the report into."),
    data: Path | None = typer.Option(
        None, "--data", help="Your recording file (the simulated V1 recording by default)."
    ),
    quick: bool = typer.Option(False, "--quick", help="Small sizes: the whole run in seconds."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    device: str = typer.Option("cpu", "--device", help="'cpu', 'cuda' or 'auto'."),
    allow_pickle: bool = typer.Option(
        False, "--allow-pickle", help="Trust --data and allow pickled content (.npy dicts)."
    ),
    load_options: LoadOptions = LoadOptions(),
) -> None:
    """Decode, convolve, encode and compare on one recording; write report.html."""
    from neurodl.demo import run_demo
    from neurodl.exceptions import NeurodlValueError
    from neurodl.report import render_report

    started = time.time()

    def say(step: str) -> None:
        typer.echo(f"neurodl demo: {step} ...", err=True)

    with cli_errors():
        if data is None and load_options.kwargs():
            raise NeurodlValueError(
                f"--{', --'.join(load_options.kwargs())} choose what to read from --data; "
                "give --data FILE.nwb."
            )
        recording = None if data is None else load_options.load(data, allow_pickle=allow_pickle)
        result = run_demo(recording, quick=quick, seed=seed, device=device, on_step=say)
        source = "simulated V1 recording" if data is None else str(data)
        page = render_report(
            result.sections,
            title="neurodl: decoding, encoding and comparison",
            subtitle=f"Data: {source}. Seed {seed}{', quick run' if quick else ''}.",
        )
    directory = output_dir(output)
    write_text_atomic(directory / "report.html", page)
    metrics = dict(result.metrics)
    metrics["skipped"] = result.skipped
    metrics["timings_s"] = result.timings
    write_json(directory / "metrics.json", metrics)
    write_manifest(
        directory,
        command="demo",
        parameters={
            "data": data,
            "quick": quick,
            "device": device,
            "allow_pickle": allow_pickle,
            "loading": None if recording is None else choices_of(recording),
        },
        seed=seed,
        started=started,
        device=device,
        outputs=["report.html", "metrics.json", "manifest.json"],
    )
    typer.echo(_summary_table(metrics, result.timings))
    typer.echo(f"report: {directory / 'report.html'}")
