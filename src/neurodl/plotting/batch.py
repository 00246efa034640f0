"""Plots of a batch of sessions: one number across sessions and subjects, and the run itself."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from neurodl.plotting._axes import new_axes

__all__ = ["plot_across_sessions", "plot_session_times"]

_STATUS_COLORS = {"done": "#3a7d44", "skipped": "#7a8699", "failed": "#c0392b"}


def plot_across_sessions(
    values: ArrayLike,
    subjects: Sequence[Any],
    *,
    estimate: float,
    ci: tuple[float, float],
    label: str,
    ax: Any = None,
) -> Any:
    """One number per session, grouped by subject, with the across-session estimate and its CI.

    Parameters
    ----------
    values : array-like of shape (n_sessions,)
        The number for each session (NaN for sessions without it: not drawn).
    subjects : sequence of shape (n_sessions,)
        Subject of each session; one column of points per subject.
    estimate : float
        Across-session estimate (a horizontal line).
    ci : (low, high)
        Its confidence interval (a shaded band; not drawn when NaN).
    label : str
        What the number is, with its unit (the y-axis label).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    y = np.asarray(values, dtype=np.float64).ravel()
    names = list(dict.fromkeys(str(s) for s in subjects))
    ax = new_axes(ax, (max(3.6, 0.6 * len(names) + 2.4), 3.4))
    column = np.array([names.index(str(s)) for s in subjects], dtype=np.float64)
    offsets = np.zeros_like(column)
    for k in range(len(names)):  # spread a subject's sessions evenly across its column
        mine = np.flatnonzero(column == k)
        offsets[mine] = np.linspace(-0.18, 0.18, mine.size) if mine.size > 1 else 0.0
    ok = np.isfinite(y)
    ax.scatter(column[ok] + offsets[ok], y[ok], s=28, color="#2a5db0", zorder=3, label="session")
    if np.isfinite(estimate):
        ax.axhline(estimate, color="#1d2330", lw=1.5, label="across sessions")
    if np.all(np.isfinite(ci)):
        ax.axhspan(ci[0], ci[1], color="#1d2330", alpha=0.12, lw=0, label="CI (subjects, sessions)")
    ax.set_xticks(np.arange(len(names)), names, rotation=30 if len(names) > 6 else 0)
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_xlabel("Subject")
    ax.set_ylabel(label)
    ax.legend(frameon=False, fontsize="small")
    return ax


def plot_session_times(
    sessions: Sequence[str],
    seconds: ArrayLike,
    status: Sequence[str],
    *,
    ax: Any = None,
) -> Any:
    """Wall time of each session's task, coloured by its status (done, skipped, failed).

    Parameters
    ----------
    sessions : sequence of str
        Session (and analysis) labels, one bar each.
    seconds : array-like of shape (n_sessions,)
        Seconds each task took on its worker.
    status : sequence of str
        ``"done"``, ``"skipped"`` or ``"failed"`` for each bar.
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    t = np.asarray(seconds, dtype=np.float64).ravel()
    ax = new_axes(ax, (6.0, max(2.2, 0.28 * len(sessions) + 1.0)))
    rows = np.arange(len(sessions))
    colors = [_STATUS_COLORS.get(s, "#999999") for s in status]
    ax.barh(rows, t, color=colors)
    ax.set_yticks(rows, list(sessions))
    ax.invert_yaxis()
    ax.set_xlabel("Time on its worker (s)")
    for name, color in _STATUS_COLORS.items():
        if name in status:
            ax.bar(0, 0, color=color, label=name)
    ax.legend(frameon=False, fontsize="small", loc="lower right")
    return ax
