"""Plots of a recording: the response raster and tuning curves."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurodl.data.recording import Recording
from neurodl.data.tuning import compute_preferred_orientation, compute_tuning_curves
from neurodl.plotting._axes import new_axes

__all__ = ["plot_raster", "plot_tuning_curves"]


def plot_raster(
    recording: Recording, *, n_bins: int = 120, max_rows: int = 400, ax: Any = None
) -> Any:
    """Responses as an image: neurons sorted by preferred orientation against stimulus orientation.

    Each neuron is z-scored, trials are averaged in ``n_bins`` orientation bins and neurons in
    groups of neighbours so that the image has at most ``max_rows`` rows. A diagonal band means a
    population that tiles orientation.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, (6.0, 4.0))
    z = recording.zscore().responses
    theta = recording.orientation
    preferred, _ = compute_preferred_orientation(z, theta)
    order = np.argsort(preferred)
    _centres, mean, _ = compute_tuning_curves(z[:, order], theta, n_bins=n_bins)
    groups = np.array_split(np.arange(order.size), min(max_rows, order.size))
    starts = np.array([g[0] for g in groups])
    sizes = np.array([g.size for g in groups])
    image = (np.add.reduceat(mean, starts, axis=1) / sizes).T  # NaN where a bin has no trials
    limit = float(np.nanpercentile(np.abs(image), 99)) or 1.0
    shown = ax.imshow(
        image,
        aspect="auto",
        origin="lower",
        cmap="RdBu_r",
        vmin=-limit,
        vmax=limit,
        extent=(0, 360, 0, recording.n_neurons),
        interpolation="nearest",
    )
    ax.figure.colorbar(shown, ax=ax, label="Response (z-score)")
    ax.set_xlabel("Stimulus orientation (°)")
    ax.set_ylabel("Neurons, sorted by preferred orientation")
    ax.set_xticks(np.arange(0, 361, 90))
    ax.set_title(f"{recording.n_neurons} neurons, {recording.n_trials} trials")
    return ax


def plot_tuning_curves(
    recording: Recording, *, n_neurons: int = 6, n_bins: int = 36, ax: Any = None
) -> Any:
    """Measured tuning curves (mean ± s.e.m.) of the most strongly tuned neurons.

    When the recording carries ground-truth tuning (simulated data: ``neurons['tuning']`` on a
    1° grid), the true curve is drawn dashed beside each measured one.

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    ax = new_axes(ax, (6.0, 4.0))
    theta = recording.orientation
    _, strength = compute_preferred_orientation(recording.responses, theta)
    chosen = np.argsort(strength)[::-1][:n_neurons]
    centres, mean, sem = compute_tuning_curves(recording.responses[:, chosen], theta, n_bins=n_bins)
    truth = recording.neurons.get("tuning")
    colours = plt.get_cmap("tab10")
    for k, neuron in enumerate(chosen):
        colour = colours(k % 10)
        ax.errorbar(
            centres,
            mean[:, k],
            yerr=sem[:, k],
            color=colour,
            lw=1.5,
            capsize=0,
            label=f"neuron {neuron}",
        )
        if truth is not None and truth.ndim == 2:
            grid = np.linspace(0, 360, truth.shape[1], endpoint=False)
            ax.plot(grid, truth[neuron], color=colour, ls="--", lw=1)
    ax.set_xlabel("Stimulus orientation (°)")
    ax.set_ylabel("Response (mean ± s.e.m.)")
    ax.set_xticks(np.arange(0, 361, 90))
    title = "Most tuned neurons" + (" (dashed: ground truth)" if truth is not None else "")
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=2, frameon=False)
    return ax
