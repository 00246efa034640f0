"""Plots of keypoint detection: error by keypoint."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from neurodl.plotting._axes import new_axes

__all__ = ["plot_keypoint_errors"]

_LABELS = {
    "rmse_px": "RMSE (px)",
    "median_error_px": "Median error (px)",
    "pck": "PCK (fraction correct)",
}


def plot_keypoint_errors(
    per_keypoint: Mapping[str, Mapping[str, float]],
    *,
    metric: str = "median_error_px",
    reference: float | None = None,
    reference_label: str = "PCK threshold",
    ax: Any = None,
) -> Any:
    """Horizontal bars: one keypoint's error per bar (from :func:`pose_error_summary`).

    Parameters
    ----------
    per_keypoint : mapping of name to mapping of metric to value
        ``pose_error_summary(...)["per_keypoint"]``.
    metric : {"median_error_px", "rmse_px", "pck"}
    reference : float, optional
        A vertical line (for errors: the PCK threshold in pixels, 0.2 × the torso length).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, (5.0, 0.25 * len(per_keypoint) + 1.2))
    names = list(per_keypoint)
    values = np.array([per_keypoint[name][metric] for name in names], dtype=float)
    positions = np.arange(len(names))
    colors = [
        "#c0504d" if n.startswith("left_") else "#4f81bd" if n.startswith("right_") else "#7f7f7f"
        for n in names
    ]
    ax.barh(positions, values, color=colors)
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlabel(_LABELS.get(metric, metric))
    if reference is not None:
        ax.axvline(reference, color="k", linestyle="--", linewidth=1, label=reference_label)
        ax.legend(loc="lower right", fontsize="small")
    ax.set_title("Keypoint error by keypoint (red: left, blue: right)")
    return ax
