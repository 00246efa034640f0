"""Decoding plots: decoded vs true angle, error by orientation, psychometric curve, error vs
neurons with the Cramér–Rao bound, training curves, sorted weights and hidden-unit tuning.

Every function takes ``ax=None`` (a new figure is made only then) and returns its Axes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import ArrayLike, NDArray

from neurodl.plotting._axes import new_axes

__all__ = [
    "plot_decoded_vs_true",
    "plot_error_vs_orientation",
    "plot_hidden_tuning",
    "plot_loss_curve",
    "plot_neuron_curve",
    "plot_psychometric",
    "plot_sorted_weights",
    "plot_trial_curve",
]


def plot_decoded_vs_true(
    true: ArrayLike, predicted: ArrayLike, *, period: float = 360, ax: Axes | None = None
) -> Axes:
    """Scatter of decoded against true angle (one point per trial), with the identity line.

    Points near the top-left and bottom-right corners are small errors across the 0/period wrap.
    """
    ax = new_axes(ax, (4.5, 4.0))
    t = np.mod(np.asarray(true, dtype=float), period)
    p = np.mod(np.asarray(predicted, dtype=float), period)
    size = max(2.0, min(12.0, 6000.0 / max(t.size, 1)))
    ax.scatter(t, p, color="C0", s=size, alpha=0.5, linewidths=0, label="trial (held out)")
    ax.plot([0, period], [0, period], color="k", lw=0.8, ls="--", label="perfect decoding")
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    ax.set(xlim=(0, period), ylim=(0, period), aspect="equal")
    ax.set_xlabel("True orientation (°)")
    ax.set_ylabel("Decoded orientation (°)")
    return ax


def plot_error_vs_orientation(
    true: ArrayLike,
    predicted: ArrayLike,
    *,
    period: float = 360,
    n_bins: int = 36,
    bound: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Absolute circular error of each trial (log scale) and its median per orientation bin.

    ``bound`` (degrees), when given, is drawn as the Cramér–Rao median with its value. Errors
    below a thirtieth of the median error (about 2 % of trials for Gaussian errors) are drawn at
    that floor, so that near-exact hits stay on the log axis.
    """
    from neurodl.metrics import circular_error, orientation_bins

    ax = new_axes(ax, (5.0, 3.5))
    t = np.mod(np.asarray(true, dtype=float), period)
    err = circular_error(t, predicted, period)
    floor = max(float(np.median(err)) / 30.0, period * 1e-5)
    size = max(2.0, min(10.0, 6000.0 / max(t.size, 1)))
    ax.scatter(
        t, np.maximum(err, floor), color="C0", s=size, alpha=0.45, linewidths=0, label="trial"
    )
    bins = orientation_bins(t, n_bins, period)
    centres = (np.arange(n_bins) + 0.5) * period / n_bins
    medians = np.array(
        [np.median(err[bins == b]) if np.any(bins == b) else np.nan for b in range(n_bins)]
    )
    ax.plot(centres, medians, color="k", lw=1.8, label="median per bin")
    if bound is not None:
        ax.axhline(bound, color="C3", ls="--", lw=1.2, label=f"Cramér–Rao bound {bound:.2f}°")
    ax.set_yscale("log")
    ax.set_ylim(floor / 1.5, period / 2 * 1.5)
    _log_ticks(ax.yaxis, floor, period / 2)
    ax.set_xlim(0, period)
    ax.set_xlabel("True orientation (°)")
    ax.set_ylabel("Absolute error (°)")
    ax.legend(
        frameon=False,
        loc="lower center",
        bbox_to_anchor=(0.5, 1.0),
        fontsize=8,
        ncol=3,
        markerscale=2,
    )
    return ax


def plot_psychometric(result: Mapping[str, Any], *, ax: Axes | None = None) -> Axes:
    """P("clockwise") against Δθ with the logistic fit and the 75 %-correct threshold.

    ``result`` is the dict returned by :func:`neurodl.decoding.discrimination_threshold`.
    """
    ax = new_axes(ax, (4.5, 3.5))
    delta = np.asarray(result["delta_deg"], dtype=float)
    used = np.asarray(result["n_pairs"]) > 0
    ax.plot(
        delta[used], np.asarray(result["p_clockwise"])[used], "o", ms=4, color="C0", label="decoder"
    )
    grid = np.linspace(-result["max_delta_deg"], result["max_delta_deg"], 200)
    fit = 1.0 / (1.0 + np.exp(-(result["bias"] + result["slope"] * grid)))
    ax.plot(grid, fit, color="C1", label="logistic fit")
    threshold = result["threshold_deg"]
    low, high = result["threshold_deg_ci_low"], result["threshold_deg_ci_high"]
    if np.isfinite(threshold):
        for sign in (-1, 1):
            ax.axvline(sign * threshold, color="0.5", lw=0.8, ls="--")
        ax.set_title(f"threshold {threshold:.3g}° (CI {low:.3g}–{high:.3g}°)", fontsize=9)
    ax.axhline(0.5, color="0.8", lw=0.8)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel("Orientation difference Δθ (°)")
    ax.set_ylabel('P(decoder says "clockwise")')
    ax.legend(frameon=False, loc="upper left", fontsize=8)
    return ax


def _nice_ticks(low: float, high: float) -> NDArray[np.float64]:
    """Tick values for a log axis spanning [low, high]: at least two, round in print."""
    decades = np.arange(np.floor(np.log10(low)) - 1, np.ceil(np.log10(high)) + 1)
    candidates = []
    for mantissas in ((1.0, 2.0, 5.0), (1.0,), tuple(np.arange(1.0, 10.0))):
        ticks = np.unique(np.outer(10.0**decades, mantissas).ravel())
        candidates.append(ticks[(ticks >= low * 0.999) & (ticks <= high * 1.001)])
    thirds, decade_ticks, ninths = candidates
    if 3 <= thirds.size <= 9:
        return thirds
    if thirds.size > 9:
        return decade_ticks
    if ninths.size >= 2:
        return ninths
    steps = np.linspace(low, high, 4)  # less than a factor of ~2: two significant digits
    return np.unique(np.array([float(f"{v:.2g}") for v in steps]))


def _log_ticks(axis: Any, low: float, high: float) -> None:
    """Plain-number labels ("0.5", "2", "100") on a log axis, at least two of them."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, NullFormatter

    axis.set_major_locator(FixedLocator(_nice_ticks(low, high).tolist()))
    axis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    axis.set_minor_locator(LogLocator(base=10.0, subs=tuple(np.arange(2.0, 10.0))))
    axis.set_minor_formatter(NullFormatter())


def _log_axes(ax: Axes, x: ArrayLike, y: ArrayLike) -> None:
    """Log-log axes fitted to the data ``x`` and ``y``, with plain numbers as tick labels."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    xs = np.asarray(x, dtype=float)
    ys = np.asarray(y, dtype=float)
    ys = ys[np.isfinite(ys) & (ys > 0)]
    x_low, x_high = float(xs.min()), float(xs.max())
    y_low, y_high = float(ys.min()), float(ys.max())
    ax.set_xlim(x_low / 1.3, x_high * 1.3)
    ax.set_ylim(y_low / 1.4, y_high * 1.4)  # the bound line sits inside, never on the edge
    _log_ticks(ax.xaxis, x_low, x_high)
    _log_ticks(ax.yaxis, y_low / 1.4, y_high * 1.4)


def _curve(ax: Axes, sizes: ArrayLike, errors: ArrayLike, color: str, label: str) -> NDArray[Any]:
    table = np.asarray(errors, dtype=float)
    mean = table.mean(1)
    spread = table.std(1) / np.sqrt(max(table.shape[1], 1))
    ax.errorbar(np.asarray(sizes), mean, yerr=spread, marker="o", ms=4, color=color, label=label)
    return np.r_[mean - spread, mean + spread]


def plot_neuron_curve(curve: Mapping[str, Any], *, ax: Axes | None = None) -> Axes:
    """Median absolute error against number of neurons (log-log), with the Cramér–Rao bound.

    ``curve`` is the dict returned by :func:`neurodl.decoding.neuron_curve`. Error bars are the
    standard error over repeats; the bound of each subset is labelled with its value for all
    the neurons.
    """
    ax = new_axes(ax, (4.5, 3.5))
    sizes = np.asarray(curve["n_neurons"])
    values = _curve(ax, sizes, curve["errors"], "C0", "decoder (held out)")
    if curve.get("bound_deg") is not None:
        bound = np.asarray(curve["bound_deg"], dtype=float).mean(1)
        label = f"Cramér–Rao bound ({bound[-1]:.2f}° with {sizes[-1]} neurons)"
        ax.plot(sizes, bound, color="k", ls="--", label=label)
        values = np.r_[values, bound]
    _log_axes(ax, sizes, values)
    ax.set_xlabel("Number of neurons")
    ax.set_ylabel("Median absolute error (°)")
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_trial_curve(
    curve: Mapping[str, Any], *, bound: float | None = None, ax: Axes | None = None
) -> Axes:
    """Median absolute error against number of training trials (log-log), optional bound line.

    ``bound`` (degrees) is drawn as a horizontal line labelled with its value.
    """
    ax = new_axes(ax, (4.5, 3.5))
    sizes = np.asarray(curve["n_trials"])
    values = _curve(ax, sizes, curve["errors"], "C2", "decoder (held out)")
    if bound is not None:
        label = f"Cramér–Rao bound {bound:.2f}° (all neurons)"
        ax.axhline(bound, color="k", ls="--", label=label)
        values = np.r_[values, bound]
    _log_axes(ax, sizes, values)
    ax.set_xlabel("Number of training trials")
    ax.set_ylabel("Median absolute error (°)")
    ax.legend(frameon=False, fontsize=8)
    return ax


def plot_loss_curve(
    loss_curve: ArrayLike, validation_scores: ArrayLike | None = None, *, ax: Axes | None = None
) -> Axes:
    """Training loss per epoch (log scale) and, on a twin axis, the validation error."""
    ax = new_axes(ax, (5.0, 3.5))
    loss = np.asarray(loss_curve, dtype=float)
    ax.plot(np.arange(1, loss.size + 1), loss, color="C0", label="training loss")
    ax.set_yscale("log")
    ax.set_xlabel("Epoch")
    ax.set_ylabel("Training loss", color="C0")
    if validation_scores is not None and np.size(validation_scores):
        twin = ax.twinx()
        error = -np.asarray(validation_scores, dtype=float)
        twin.plot(np.arange(1, error.size + 1), error, color="C3", label="validation error")
        twin.set_ylabel("Validation mean abs. error (°)", color="C3")
    return ax


def plot_sorted_weights(
    weights: ArrayLike,
    preferred_sorted: ArrayLike | None = None,
    *,
    unit_label: str = "Hidden unit",
    ax: Axes | None = None,
) -> Axes:
    """Input weights (neurons sorted by preferred orientation x units), diverging colour map."""
    ax = new_axes(ax, (5.0, 4.0))
    w = np.asarray(weights, dtype=float)
    limit = float(np.percentile(np.abs(w), 99)) or 1.0
    extent = None
    if preferred_sorted is not None:
        pref = np.asarray(preferred_sorted, dtype=float)
        extent = (-0.5, w.shape[1] - 0.5, float(pref[-1]), float(pref[0]))
    image = ax.imshow(
        w,
        aspect="auto",
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        interpolation="nearest",
        extent=extent,
    )
    ax.figure.colorbar(image, ax=ax, label="Input weight")
    ax.set_xlabel(unit_label)
    ax.set_ylabel("Neuron preferred orientation (°)" if extent else "Neuron (sorted)")
    return ax


def plot_hidden_tuning(centres: ArrayLike, tuning: ArrayLike, *, ax: Axes | None = None) -> Axes:
    """Tuning curve (mean activity per orientation bin) of each hidden unit."""
    ax = new_axes(ax, (5.0, 3.5))
    table = np.asarray(tuning, dtype=float)
    colours = plt.get_cmap("tab10" if table.shape[1] <= 10 else "viridis")(
        np.linspace(0, 1, table.shape[1]) if table.shape[1] > 10 else np.arange(table.shape[1])
    )
    for unit in range(table.shape[1]):
        ax.plot(np.asarray(centres), table[:, unit], color=colours[unit], lw=1)
    ax.set_xlabel("Stimulus orientation (°)")
    ax.set_ylabel("Hidden unit activity (a.u.)")
    return ax
