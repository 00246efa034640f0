"""The result of a batch: one record per (session, analysis), across-session estimates, save()."""

from __future__ import annotations

import csv
import io
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neurodl.batch._stats import hierarchical_bootstrap

__all__ = ["BatchResult", "estimate_across_sessions"]

#: Columns of ``summary.csv`` before the grouping columns and headline numbers.
FIRST_COLUMNS = (
    "session",
    "subject",
    "analysis",
    "status",
    "reason",
    "seconds",
    "cpu_seconds",
    "worker",
    "file",
)


def _headline_names(records: list[dict[str, Any]], analysis: str, known: set[str]) -> list[str]:
    names: dict[str, None] = {}
    for record in records:
        if record["analysis"] == analysis:
            names.update((k, None) for k, v in record.items() if k not in known and _is_number(v))
    return list(names)


def _is_number(value: Any) -> bool:
    return isinstance(value, float) or (isinstance(value, int) and not isinstance(value, bool))


def estimate_across_sessions(
    records: list[dict[str, Any]],
    *,
    groups: tuple[str, ...] = (),
    n_resamples: int = 10000,
    confidence_level: float = 0.95,
    random_state: int | None = 0,
) -> dict[str, dict[str, dict[str, Any]]]:
    """Hierarchical-bootstrap estimate of every headline number, per analysis.

    Sessions that are ``done`` or ``skipped`` (complete earlier) count; failed ones do not.
    Returns ``{analysis: {metric: hierarchical_bootstrap(...) output}}``.
    """
    known = set(FIRST_COLUMNS) | set(groups)
    out: dict[str, dict[str, dict[str, Any]]] = {}
    for analysis in dict.fromkeys(r["analysis"] for r in records):
        ok = [r for r in records if r["analysis"] == analysis and r["status"] != "failed"]
        out[analysis] = {
            name: hierarchical_bootstrap(
                [r.get(name, math.nan) for r in ok],
                [r["subject"] for r in ok],
                n_resamples=n_resamples,
                confidence_level=confidence_level,
                random_state=random_state,
            )
            for name in _headline_names(ok, analysis, known)
        }
    return out


@dataclass
class BatchResult:
    """What :func:`neurodl.batch.run_batch` returns.

    Attributes
    ----------
    records : list of dict
        One per (session, analysis): ``session``, ``subject``, grouping columns, ``analysis``,
        ``status`` (``done``, ``skipped`` or ``failed``), ``reason`` (one line when failed),
        ``seconds`` (wall), ``cpu_seconds`` (CPU time of the worker process during the task),
        ``worker``, ``file`` and the analysis's headline numbers.
    estimates : dict
        ``{analysis: {metric: {estimate, ci_low, ci_high, confidence_level, n_sessions,
        n_subjects}}}``: see :func:`neurodl.batch.hierarchical_bootstrap`.
    parameters : dict
        The resolved parameters of the batch.
    output : Path
        Where the per-session outputs were written (the default folder of :meth:`save`).
    groups : tuple of str
        Grouping columns given by the manifest.
    """

    records: list[dict[str, Any]]
    estimates: dict[str, dict[str, dict[str, Any]]]
    parameters: dict[str, Any] = field(default_factory=dict)
    output: Path = Path(".")
    groups: tuple[str, ...] = ()
    started: float = field(default_factory=time.time)

    @property
    def n_failed(self) -> int:
        """Number of (session, analysis) tasks that failed."""
        return sum(r["status"] == "failed" for r in self.records)

    def counts(self) -> dict[str, int]:
        """Tasks by status: ``{"done": ..., "skipped": ..., "failed": ...}``."""
        return {
            s: sum(r["status"] == s for r in self.records) for s in ("done", "skipped", "failed")
        }

    def columns(self) -> list[str]:
        """The columns of ``summary.csv``."""
        known = set(FIRST_COLUMNS) | set(self.groups)
        extra: dict[str, None] = {}
        for analysis in dict.fromkeys(r["analysis"] for r in self.records):
            extra.update((n, None) for n in _headline_names(self.records, analysis, known))
        return [*FIRST_COLUMNS[:2], *self.groups, *FIRST_COLUMNS[2:], *extra]

    def to_csv(self) -> str:
        """``summary.csv`` as text: one row per (session, analysis)."""
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=self.columns(), extrasaction="ignore")
        writer.writeheader()
        for record in self.records:
            writer.writerow(
                {
                    k: ("" if _is_number(v) and not math.isfinite(v) else v)
                    for k, v in record.items()
                }
            )
        return buffer.getvalue()

    def summary_sentences(self) -> list[str]:
        """One line per headline number across sessions, and the counts."""
        counts = self.counts()
        lines = [
            f"{len(self.records)} tasks: {counts['done']} done, {counts['skipped']} skipped "
            f"(complete already), {counts['failed']} failed."
        ]
        for analysis, metrics in self.estimates.items():
            for name, e in metrics.items():
                value = f"{e['estimate']:.4g} [{e['ci_low']:.4g}, {e['ci_high']:.4g}]"
                lines.append(
                    f"{analysis} {name}: {value}"
                    f" ({e['confidence_level']:.0%} CI over {e['n_subjects']} subjects, "
                    f"{e['n_sessions']} sessions)"
                )
        return lines

    def save(self, directory: str | Path | None = None) -> list[str]:
        """Write ``summary.csv``, ``summary.json``, ``report.html`` and ``manifest.json``.

        Each file is replaced atomically (``manifest.json`` last); the per-session folders were
        written by the workers already. ``directory`` defaults to the batch's output folder.

        Returns
        -------
        list of str
            The names of the files written.
        """
        from neurodl.batch._report import render_batch_report
        from neurodl.files import write_json, write_manifest, write_text_atomic

        folder = Path(directory) if directory is not None else self.output
        folder.mkdir(parents=True, exist_ok=True)
        write_text_atomic(folder / "summary.csv", self.to_csv())
        write_json(
            folder / "summary.json",
            {
                "counts": self.counts(),
                "sessions": self.records,
                "across_sessions": self.estimates,
            },
        )
        write_text_atomic(folder / "report.html", render_batch_report(self))
        outputs = ["summary.csv", "summary.json", "report.html", "manifest.json"]
        write_manifest(
            folder,
            command="batch",
            parameters=self.parameters,
            seed=self.parameters.get("random_state"),
            started=self.started,
            outputs=outputs,
        )
        return outputs
