"""The batch's HTML page: across-session estimates with their plots, and a row per session."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neurodl.batch._result import BatchResult

__all__ = ["render_batch_report"]


def _label(name: str) -> str:
    """An axis label from a metric name: ``median_abs_error_deg`` → ``median abs error (°)``."""
    unit = " (°)" if name.endswith("_deg") else ""
    return name.removesuffix("_deg").replace("_", " ") + unit


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}" if math.isfinite(value) else "n/a"
    return str(value)


def _across_section(result: BatchResult) -> Any:
    import matplotlib.pyplot as plt

    from neurodl.plotting.batch import plot_across_sessions
    from neurodl.report import ReportSection

    rows, figures = [], {}
    for analysis, metrics in result.estimates.items():
        ok = [r for r in result.records if r["analysis"] == analysis and r["status"] != "failed"]
        for name, e in metrics.items():
            level = f"{e['confidence_level']:.0%}"
            rows.append(
                (
                    f"{analysis}: {name}",
                    f"{_fmt(e['estimate'])} [{_fmt(e['ci_low'])}, {_fmt(e['ci_high'])}]",
                    f"Mean over {e['n_subjects']} subjects of their mean over sessions "
                    f"({e['n_sessions']} sessions); {level} interval of a hierarchical bootstrap "
                    "(subjects resampled, then sessions within each subject).",
                )
            )
            if e["n_sessions"] == 0:
                continue
            ax = plot_across_sessions(
                [r.get(name, math.nan) for r in ok],
                [r["subject"] for r in ok],
                estimate=e["estimate"],
                ci=(e["ci_low"], e["ci_high"]),
                label=_label(name),
            )
            ax.set_title(f"{analysis}: {name}")
            figures[f"{analysis} {name} across sessions"] = ax.figure
    section = ReportSection(
        "Across sessions",
        "What holds across sessions and subjects: each headline number's estimate with a "
        "confidence interval that treats sessions of one subject as related.",
        rows,
        figures,
        result.summary_sentences()[:1],
    )
    section.freeze()
    plt.close("all")
    return section


def _sessions_section(result: BatchResult) -> Any:
    from neurodl.plotting.batch import plot_session_times
    from neurodl.report import ReportSection

    known = set(result.columns()[: 2 + len(result.groups) + 6])
    rows = []
    for r in result.records:
        groups = ", ".join(f"{g}={r.get(g, '')}" for g in result.groups)
        where = f"subject {r['subject']}" + (f", {groups}" if groups else "")
        label = f"{r['session']} · {r['analysis']} ({where})"
        numbers = "; ".join(f"{k} {_fmt(v)}" for k, v in r.items() if k not in known)
        detail = r["reason"] if r["status"] == "failed" else numbers
        rows.append((label, f"{r['status']}, {r['seconds']:.1f} s on {r['worker']}", detail))
    ax = plot_session_times(
        [f"{r['session']} · {r['analysis']}" for r in result.records],
        [r["seconds"] for r in result.records],
        [r["status"] for r in result.records],
    )
    section = ReportSection(
        "Sessions",
        "Each session's status, time and worker, and its headline numbers (the full results "
        "are in <session>/<analysis>/report.html).",
        rows,
        {"Time per session": ax.figure},
    )
    return section.freeze()


def render_batch_report(result: BatchResult) -> str:
    """The batch's ``report.html``: across-session estimates and plots, then every session."""
    from neurodl.report import render_report

    counts = result.counts()
    return render_report(
        [_across_section(result), _sessions_section(result)],
        title="neurodl: batch",
        subtitle=f"{counts['done']} done, {counts['skipped']} skipped, {counts['failed']} failed; "
        f"analyses: {', '.join(result.estimates) or 'none'}.",
    )
