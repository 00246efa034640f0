"""Plots for brain-like networks: model recovery, Dale's-law weights, feedback alignment."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from neurodl.exceptions import NeurodlValueError
from neurodl.plotting._axes import new_axes

__all__ = [
    "plot_alignment_angles",
    "plot_ei_weights",
    "plot_recovery_accuracy",
    "plot_recovery_confusion",
]


def plot_recovery_confusion(
    confusion: ArrayLike,
    model_names: Sequence[str],
    *,
    title: str | None = None,
    colorbar: bool = True,
    ax: Any = None,
) -> Any:
    """Which model the comparison picks (columns) for data simulated from each model (rows).

    Parameters
    ----------
    confusion : array-like of shape (n_models, n_models)
        Counts, ``confusion[g, w]``: simulations from model ``g`` won by model ``w`` (one
        setting of :attr:`neurodl.rsa.RecoveryResult.confusion`). Shown as the fraction of
        each row, with the fraction written in each cell.
    model_names : sequence of str

    Returns
    -------
    matplotlib Axes
    """
    counts = np.asarray(confusion, dtype=np.float64)
    n = len(model_names)
    if counts.shape != (n, n):
        raise NeurodlValueError(
            f"confusion must have shape ({n}, {n}) to match model_names; got {counts.shape}."
        )
    totals = counts.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(totals > 0, counts / totals, np.nan)
    ax = new_axes(ax, (1.1 * n + 2.2, 0.9 * n + 1.6), constrained=True)
    shown = ax.imshow(fraction, cmap="Blues", vmin=0.0, vmax=1.0, interpolation="nearest")
    for g in range(n):
        for w in range(n):
            value = fraction[g, w]
            if np.isfinite(value):
                colour = "white" if value > 0.6 else "black"
                ax.text(w, g, f"{value:.2f}", ha="center", va="center", color=colour)
    ax.set_xticks(np.arange(n), list(model_names), rotation=30, ha="right")
    ax.set_yticks(np.arange(n), list(model_names))
    ax.set_xlabel("Model chosen by the comparison")
    ax.set_ylabel("Model that generated the data")
    if colorbar:
        ax.figure.colorbar(shown, ax=ax, label="Fraction of simulations", fraction=0.046)
    if title:
        ax.set_title(title)
    return ax


def plot_recovery_accuracy(
    noise_levels: Sequence[float],
    n_neurons: Sequence[int],
    accuracy: ArrayLike,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
    *,
    chance: float | None = None,
    ax: Any = None,
) -> Any:
    """Recovery accuracy against noise level, one line per simulated neuron count.

    Parameters
    ----------
    noise_levels : sequence of float
        Single-trial noise SD over signal SD (see :func:`neurodl.rsa.model_recovery`).
    n_neurons : sequence of int
    accuracy, ci_low, ci_high : array-like of shape (n_noise_levels, n_neuron_counts)
    chance : float, optional
        Drawn as a dashed line (1 / number of models).

    Returns
    -------
    matplotlib Axes
    """
    values = np.asarray(accuracy, dtype=np.float64)
    shape = (len(noise_levels), len(n_neurons))
    if values.shape != shape:
        raise NeurodlValueError(
            f"accuracy must have shape {shape} (noise levels, neuron counts); got {values.shape}."
        )
    ax = new_axes(ax, (4.6, 3.2), constrained=True)
    x = np.asarray(noise_levels, dtype=np.float64)
    for j, count in enumerate(n_neurons):
        yerr = None
        if ci_low is not None and ci_high is not None:
            low = np.asarray(ci_low, dtype=np.float64)[:, j]
            high = np.asarray(ci_high, dtype=np.float64)[:, j]
            yerr = np.abs(np.stack([values[:, j] - low, high - values[:, j]]))
        ax.errorbar(x, values[:, j], yerr=yerr, marker="o", capsize=3, label=f"{count} neurons")
    if chance is not None:
        ax.axhline(chance, color="0.4", ls="--", lw=1.0, label="chance")
    if x.size > 1 and np.all(x > 0) and x.max() / x.min() >= 10:
        ax.set_xscale("log")
    ax.set_ylim(0.0, 1.05)
    ax.set_xlabel("Noise level (single-trial noise SD / signal SD)")
    ax.set_ylabel("Recovery accuracy")
    ax.legend(fontsize="small")
    return ax


def plot_ei_weights(
    weights: ArrayLike,
    excitatory: ArrayLike,
    *,
    bins: int = 40,
    title: str | None = None,
    ax: Any = None,
) -> Any:
    """Histograms of the weights leaving excitatory and inhibitory inputs (Dale's law).

    Parameters
    ----------
    weights : array-like of shape (n_outputs, n_inputs, ...)
        Effective weights (for example ``layer.effective_weight()`` of a
        :class:`~neurodl.models.DaleLinear` or :class:`~neurodl.models.DaleConv2d`).
    excitatory : array-like of bool of shape (n_inputs,)
        Which inputs are excitatory (``layer.excitatory``).

    Returns
    -------
    matplotlib Axes
        Two histograms: red for weights from excitatory inputs (>= 0 under Dale's law), blue
        for those from inhibitory inputs (<= 0).
    """
    w = np.asarray(weights, dtype=np.float64)
    mask = np.asarray(excitatory, dtype=bool).reshape(-1)
    if w.ndim < 2 or w.shape[1] != mask.size:
        raise NeurodlValueError(
            f"weights must have shape (n_outputs, {mask.size}, ...) to match excitatory; got "
            f"{w.shape}."
        )
    moved = np.moveaxis(w, 1, 0).reshape(mask.size, -1)
    exc, inh = moved[mask].ravel(), moved[~mask].ravel()
    ax = new_axes(ax, (4.6, 3.2), constrained=True)
    edges = np.histogram_bin_edges(np.concatenate([exc, inh]), bins=bins)
    ax.hist(exc, bins=edges, color="tab:red", alpha=0.7, label=f"from excitatory ({mask.sum()})")
    ax.hist(
        inh, bins=edges, color="tab:blue", alpha=0.7, label=f"from inhibitory ({(~mask).sum()})"
    )
    ax.axvline(0.0, color="k", lw=0.8)
    ax.set_xlabel("Weight")
    ax.set_ylabel("Number of weights")
    ax.legend(fontsize="small")
    if title:
        ax.set_title(title)
    return ax


def plot_alignment_angles(
    angles: Mapping[str, Sequence[float]],
    *,
    ax: Any = None,
) -> Any:
    """Angle between the feedback-alignment update and the true gradient over training.

    Parameters
    ----------
    angles : mapping of str to sequence of float
        Layer name to its angle (degrees) per epoch, epoch 0 being the untrained network (as
        returned by :func:`neurodl.rsa.tilt.train_tilt_network` for ``"fa"`` in
        ``history.alignment_angles``).

    Returns
    -------
    matplotlib Axes
        One line per layer and a dashed line at 90° (below it the update lowers the loss).
    """
    if not angles:
        raise NeurodlValueError("angles must hold at least one layer's angles.")
    ax = new_axes(ax, (4.6, 3.2), constrained=True)
    for name, values in angles.items():
        y = np.asarray(values, dtype=np.float64)
        ax.plot(np.arange(y.size), y, marker="o", ms=3, label=name)
    ax.axhline(90.0, color="0.4", ls="--", lw=1.0, label="90° (orthogonal)")
    ax.set_ylim(0.0, 180.0)
    ax.set_xlabel("Epoch (0: before training)")
    ax.set_ylabel("Angle to the true gradient (°)")
    ax.legend(fontsize="small")
    return ax
