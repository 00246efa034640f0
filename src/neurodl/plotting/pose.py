"""Movement plots: a skeleton over time, one infant's features against the reference, the ROC with
its confidence interval, and surprise by group.

Every ``plot_*`` function takes ``ax=None`` (a new figure is made only then) and returns its Axes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike, NDArray

from neurodl.plotting._axes import new_axes

__all__ = [
    "movement_figures",
    "plot_features_vs_reference",
    "plot_roc",
    "plot_skeleton_over_time",
    "plot_surprise_by_group",
]


def plot_skeleton_over_time(
    pose: Any, *, n_figures: int = 6, window: float = 4.0, ax: Axes | None = None
) -> Axes:
    """Stick figures at ``n_figures`` moments of the first ``window`` seconds, side by side, with
    the wrist and ankle trajectories (image coordinates, y down; red = infant's left)."""
    ax = new_axes(ax, (8.0, 3.2))
    xy = pose.positions[: max(2, int(window * pose.fps))]
    span = np.nanmax(np.ptp(np.nan_to_num(xy[..., 0]), axis=1), initial=1.0) * 1.3 or 1.0
    frames = np.linspace(0, xy.shape[0] - 1, n_figures).astype(int)
    index = {k: i for i, k in enumerate(pose.keypoints)}
    centre = np.nanmedian(xy[:, :, 0])
    for n, f in enumerate(frames):
        shift = n * span - centre
        for a, b in pose.skeleton:
            seg = xy[f, [index[a], index[b]]]
            side = "C3" if "left" in a + b else ("C0" if "right" in a + b else "0.3")
            ax.plot(seg[:, 0] + shift, seg[:, 1], color=side, lw=1.5)
        for k in ("left_wrist", "right_wrist", "left_ankle", "right_ankle"):
            if k in index:
                trail = xy[max(0, f - int(0.5 * pose.fps)) : f + 1, index[k]]
                ax.plot(
                    trail[:, 0] + shift,
                    trail[:, 1],
                    color="C3" if "left" in k else "C0",
                    lw=0.6,
                    alpha=0.6,
                )
        ax.text(
            shift + centre,
            np.nanmin(xy[..., 1]),
            f"{f / pose.fps:.1f} s",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.invert_yaxis()
    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xticks([])
    ax.set_ylabel("Image y (px)")
    ax.set_title(f"Infant {pose.infant}: stick figures and 0.5 s limb trails", fontsize=9)
    return ax


def plot_features_vs_reference(
    reference: ArrayLike,
    infant: ArrayLike,
    names: Sequence[str],
    *,
    label: str = "infant",
    ax: Axes | None = None,
) -> Axes:
    """Each feature of one infant (dot) against the reference infants' spread (box), as z-scores."""
    ref = np.asarray(reference, dtype=float)
    x = np.asarray(infant, dtype=float)
    mean, sd = ref.mean(axis=0), np.maximum(ref.std(axis=0), 1e-12)
    ax = new_axes(ax, (5.0, 0.22 * len(names) + 1.0))
    ypos = np.arange(len(names))
    ax.boxplot(
        (ref - mean) / sd, positions=ypos, orientation="horizontal", widths=0.6, showfliers=False
    )
    ax.scatter((x - mean) / sd, ypos, color="C3", zorder=3, s=18, label=label)
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_yticks(ypos, list(names), fontsize=6)
    ax.set_xlabel("Feature z against the reference infants")
    ax.legend(frameon=False, fontsize=8, loc="lower left", bbox_to_anchor=(0.0, 1.0))
    return ax


def plot_roc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    auc_ci: tuple[float, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """ROC curve of surprise against labels (1 atypical), with the AUC and its interval."""
    from sklearn.metrics import roc_curve

    from neurodl.pose.validation import roc_auc

    fpr, tpr, _ = roc_curve(np.asarray(y_true), np.asarray(y_score))
    auc = roc_auc(y_true, y_score)
    ax = new_axes(ax, (4.0, 4.0))
    text = f"AUC {auc:.2f}" + (f" [{auc_ci[0]:.2f}, {auc_ci[1]:.2f}]" if auc_ci else "")
    ax.step(fpr, tpr, where="post", color="C0", label=text)
    ax.plot([0, 1], [0, 1], color="0.6", ls="--", lw=0.8, label="chance")
    ax.axvline(0.1, color="0.8", lw=0.8, ls=":", label="90 % specificity")
    ax.set(xlim=(0, 1), ylim=(0, 1.01), aspect="equal")
    ax.set_xlabel("False-positive rate (1 − specificity)")
    ax.set_ylabel("True-positive rate (sensitivity)")
    ax.legend(frameon=False, fontsize=8, loc="lower right")
    return ax


def plot_surprise_by_group(
    surprise: ArrayLike,
    groups: Sequence[str],
    *,
    threshold: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Surprise of each infant (dot) per group, with the group medians; optional threshold line."""
    s = np.asarray(surprise, dtype=float)
    names = list(dict.fromkeys(groups))
    ax = new_axes(ax, (4.5, 3.5))
    rng = np.random.default_rng(0)
    for i, name in enumerate(names):
        values = s[[g == name for g in groups]]
        ax.scatter(
            i + rng.uniform(-0.15, 0.15, values.size), values, s=14, alpha=0.7, color=f"C{i}"
        )
        ax.plot([i - 0.3, i + 0.3], [np.median(values)] * 2, color="k", lw=1.5)
    if threshold is not None:
        ax.axhline(threshold, color="C3", ls="--", lw=0.8, label="reference 95th percentile")
        ax.legend(frameon=False, fontsize=8)
    ax.set_xticks(range(len(names)), names)
    ax.set_ylabel("Surprise (higher = more atypical)")
    return ax


def movement_figures(
    poses: Sequence[Any],
    names: list[str],
    X: NDArray[np.float64],
    ref: NDArray[np.bool_],
    labels: NDArray[np.float64],
    scored: dict[str, Any],
    metrics: dict[str, Any],
) -> dict[str, Any]:
    """The figures of :func:`neurodl.pose.run_movement_risk`, by file stem."""
    from neurodl.pose.features import FEATURE_NAMES

    s = scored["surprise"]
    most = int(np.argmax(np.where(ref, -np.inf, s))) if (~ref).any() else int(np.argmax(s))
    pose = next(p for p in poses if p.infant == names[most])
    figs: dict[str, Any] = {"skeleton": plot_skeleton_over_time(pose).figure}
    figs["features_vs_reference"] = plot_features_vs_reference(
        X[ref], X[most], FEATURE_NAMES, label=f"{names[most]} (most surprising)"
    ).figure
    groups = [
        ("reference" if r else "test") + ("" if np.isnan(y) else (" atypical" if y else " typical"))
        for r, y in zip(ref, labels, strict=True)
    ]
    threshold = float(np.quantile(s[ref], 0.95))
    figs["surprise_by_group"] = plot_surprise_by_group(s, groups, threshold=threshold).figure
    has = np.isfinite(labels)
    if "roc_auc" in metrics:
        figs["roc"] = plot_roc(
            labels[has], s[has], auc_ci=(metrics["roc_auc_ci_low"], metrics["roc_auc_ci_high"])
        ).figure
    for fig in figs.values():
        fig.tight_layout()
    return figs
