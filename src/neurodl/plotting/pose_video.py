"""Plots of keypoint detection: error by keypoint, detections drawn over frames."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from neurodl.plotting._axes import new_axes

__all__ = ["plot_detections", "plot_keypoint_errors"]

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


def plot_detections(
    frames: np.ndarray,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    *,
    names: Sequence[str],
    skeleton: Sequence[tuple[str, str]] = (),
    fig: Any = None,
) -> Any:
    """Frames side by side with the detected skeleton (lines, crosses) and the truth (circles).

    Parameters
    ----------
    frames : uint8 ndarray of shape (n, H, W, 3)
    y_true, y_pred : ndarray of shape (n, K, 2)
        Keypoints in pixels (x, y); ``y_true`` may be None to draw detections only.
    names : sequence of str
        The K keypoint names (left ones drawn red, right ones blue).
    skeleton : sequence of (name, name)
        Edges drawn between detected keypoints (pairs naming absent keypoints are skipped).
    fig : matplotlib Figure, optional

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    n = len(frames)
    if fig is None:
        fig, axes = plt.subplots(1, n, figsize=(2.2 * n, 2.5), squeeze=False)
        axes = axes[0]
    else:
        axes = fig.subplots(1, n, squeeze=False)[0]
    index = {name: k for k, name in enumerate(names)}
    colors = [
        "#e03c31" if m.startswith("left_") else "#2f6fd6" if m.startswith("right_") else "#f2c94c"
        for m in names
    ]
    edges = [(index[a], index[b]) for a, b in skeleton if a in index and b in index]
    for i, ax in enumerate(axes):
        ax.imshow(frames[i])
        for a, b in edges:
            ax.plot(*y_pred[i, [a, b]].T, color="white", linewidth=1.0, alpha=0.8)
        if y_true is not None:
            ax.scatter(*y_true[i].T, s=28, facecolors="none", edgecolors="black", linewidths=0.8)
        ax.scatter(*y_pred[i].T, s=16, c=colors, marker="x", linewidths=1.2)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"frame {i + 1}", fontsize="small")
    fig.suptitle("Detected keypoints (x; red left, blue right) and truth (o)", fontsize="small")
    return fig
