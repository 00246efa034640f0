"""Plots of encoding models: filters, activations, FEVE, predictions, receptive fields, tuning."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import FEV_THRESHOLD
from neurodl.plotting._axes import new_axes

__all__ = [
    "plot_activation_grid",
    "plot_feve_histogram",
    "plot_feve_vs_fev",
    "plot_filter_bank",
    "plot_predicted_vs_measured",
    "plot_receptive_fields",
    "plot_tuning_comparison",
]


def _image_grid(
    maps: np.ndarray,
    titles: Sequence[str] | None,
    *,
    n_cols: int,
    cmap: str,
    symmetric: bool,
    suptitle: str,
    fig: Any,
    panel: float = 1.4,
) -> Any:
    import matplotlib.pyplot as plt

    n = maps.shape[0]
    n_cols = max(1, min(n_cols, n))
    n_rows = -(-n // n_cols)
    aspect = maps.shape[1] / maps.shape[2]
    if fig is None:
        fig = plt.figure(figsize=(panel * n_cols, panel * aspect * n_rows + 0.6))
    axes = fig.subplots(n_rows, n_cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if k >= n:
            ax.set_axis_off()
            continue
        image = maps[k]
        limit = float(np.abs(image).max()) or 1.0
        kwargs = {"vmin": -limit, "vmax": limit} if symmetric else {}
        ax.imshow(image, cmap=cmap, interpolation="nearest", **kwargs)
        if titles is not None:
            ax.set_title(titles[k], fontsize=7)
    fig.suptitle(suptitle, fontsize=10)
    return fig


def plot_filter_bank(
    filters: ArrayLike,
    *,
    names: Sequence[str] | None = None,
    title: str = "Filter bank",
    n_cols: int = 8,
    fig: Any = None,
) -> Any:
    """Show each filter of a bank (or the learned first-layer filters of a model) as an image.

    Parameters
    ----------
    filters : array-like of shape (n_filters, k, k)
        For example :func:`neurodl.stimuli.make_filter_bank`, or the learned filters from
        ``CNNEncoder.first_layer_filters()``.
    names : sequence of str, optional
        Panel titles (:func:`neurodl.stimuli.filter_bank_names`).
    fig : matplotlib Figure, optional
        An empty figure to draw into.

    Returns
    -------
    matplotlib Figure
        Diverging colours: red positive, blue negative weights, each panel scaled to its maximum.
    """
    bank = np.asarray(filters, dtype=np.float64)
    if bank.ndim != 3:
        raise NeurodlValueError(f"filters must have shape (n_filters, k, k); got {bank.shape}.")
    if names is not None and len(names) != bank.shape[0]:
        raise NeurodlValueError(
            f"names must have one entry per filter ({bank.shape[0]}); got {len(names)}."
        )
    return _image_grid(
        bank, names, n_cols=n_cols, cmap="RdBu_r", symmetric=True, suptitle=title, fig=fig
    )


def plot_activation_grid(
    images: ArrayLike,
    activations: ArrayLike,
    *,
    channel_names: Sequence[str] | None = None,
    max_images: int = 6,
    fig: Any = None,
) -> Any:
    """The convolution lesson's grid: each stimulus (rows) and its response in each channel.

    Parameters
    ----------
    images : array-like of shape (n_images, H, W)
    activations : array-like of shape (n_images, n_channels, H', W')
        For example from :func:`neurodl.encoding.compute_filter_responses`.
    channel_names : sequence of str, optional
    max_images : int
        Rows shown.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    stimuli = np.asarray(images, dtype=np.float64)
    acts = np.asarray(activations, dtype=np.float64)
    if stimuli.ndim != 3 or acts.ndim != 4 or acts.shape[0] != stimuli.shape[0]:
        raise NeurodlValueError(
            "images must be (n_images, H, W) and activations (n_images, n_channels, H', W') with "
            f"the same n_images; got {stimuli.shape} and {acts.shape}."
        )
    n = min(int(max_images), stimuli.shape[0])
    n_channels = acts.shape[1]
    if fig is None:
        fig = plt.figure(figsize=(1.5 * (n_channels + 1), 1.3 * n + 0.6))
    axes = fig.subplots(n, n_channels + 1, squeeze=False)
    limit = float(np.abs(acts[:n]).max()) or 1.0
    for i in range(n):
        axes[i, 0].imshow(stimuli[i], cmap="gray", interpolation="nearest")
        for c in range(n_channels):
            axes[i, c + 1].imshow(
                acts[i, c], cmap="RdBu_r", vmin=-limit, vmax=limit, interpolation="nearest"
            )
        for ax in axes[i]:
            ax.set_xticks([])
            ax.set_yticks([])
    axes[0, 0].set_title("stimulus", fontsize=7)
    for c in range(n_channels):
        name = channel_names[c] if channel_names is not None else f"channel {c}"
        axes[0, c + 1].set_title(name, fontsize=7)
    fig.suptitle("Filter responses (red +, blue −; common scale)", fontsize=10)
    return fig


def plot_feve_vs_fev(
    fev: ArrayLike,
    feve: ArrayLike,
    *,
    threshold: float = FEV_THRESHOLD,
    label: str | None = None,
    ax: Any = None,
) -> Any:
    """Each neuron's FEVE against its explainable variance (FEV), with the FEV threshold.

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, (5.0, 4.0))
    x = np.asarray(fev, dtype=np.float64)
    y = np.asarray(feve, dtype=np.float64)
    if x.shape != y.shape:
        raise NeurodlValueError(f"fev and feve must have the same shape; got {x.shape}, {y.shape}.")
    used = x > threshold
    # the axis spans the FEVEs between -0.5 and 2 (the ceiling's neighbourhood, where scored
    # neurons lie); values beyond (neurons with almost no explainable variance, whose FEVE is
    # a ratio of noise) are drawn on the edge as open triangles and counted in the legend
    finite = y[np.isfinite(y)]
    floor, ceiling = -0.5, 2.0
    top = min(ceiling, max(1.1, float(finite.max(initial=1.0)) + 0.05))
    bottom = max(floor, min(-0.05, float(finite.min(initial=0.0)) - 0.05))
    below, above = y < bottom, y > top
    inside = ~(below | above)
    span = top - bottom
    for mask, colour, text in (
        (~used, "0.7", f"FEV ≤ {threshold:g} (not scored)"),
        (used, "C0", label or f"FEV > {threshold:g}"),
    ):
        ax.scatter(x[mask & inside], y[mask & inside], s=6, color=colour, label=text)
        for edge, marker, where in (
            (below, "v", bottom + 0.02 * span),
            (above, "^", top - 0.02 * span),
        ):
            if np.any(mask & edge):
                ax.scatter(
                    x[mask & edge],
                    np.full(int(np.sum(mask & edge)), where),
                    s=16,
                    marker=marker,
                    facecolors="none",
                    edgecolors=colour,
                )
    outside = int(np.sum(below | above))
    if outside:
        ax.scatter(
            [],
            [],
            s=16,
            marker="^",
            facecolors="none",
            edgecolors="0.3",
            label=f"{outside} outside [{bottom:.2g}, {top:.2g}] (drawn at the edge)",
        )
    ax.axvline(threshold, color="0.4", ls=":", lw=1)
    ax.axhline(1.0, color="0.4", ls="--", lw=1)
    ax.set_xlabel("Fraction of explainable variance, FEV")
    ax.set_ylabel("Fraction of explainable variance explained, FEVE")
    ax.set_ylim(bottom, top)
    ax.legend(fontsize=7, frameon=False, loc="lower right")
    return ax


def plot_feve_histogram(
    feves: dict[str, ArrayLike] | ArrayLike, *, bins: int = 30, ax: Any = None
) -> Any:
    """Histogram of FEVE over neurons, one outline per model (dict of name to values).

    Returns
    -------
    matplotlib Axes
    """
    ax = new_axes(ax, (5.0, 3.5))
    groups = feves if isinstance(feves, dict) else {"model": feves}
    values = [np.asarray(v, dtype=np.float64) for v in groups.values()]
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    low = max(-0.5, float(finite.min())) if finite.size else 0.0
    edges = np.linspace(low, max(1.05, float(finite.max()) if finite.size else 1.0), bins + 1)
    for name, v in zip(groups, values, strict=True):
        v = v[np.isfinite(v)]
        # the legend's mean is the reported mean (of the unclipped values); only the drawing
        # puts values below the axis into its first bin
        mean = f"{v.mean():.2f}" if v.size else "n/a"
        ax.hist(
            np.clip(v, edges[0], edges[-1]),
            bins=edges,
            histtype="step",
            lw=1.5,
            label=f"{name} (mean {mean})",
        )
    ax.axvline(1.0, color="0.4", ls="--", lw=1)
    clipped = int(sum(np.sum(v[np.isfinite(v)] < edges[0]) for v in values))
    ax.set_xlabel("FEVE (1 = noise ceiling)")
    if clipped:
        ax.text(
            0.98,
            0.97,
            f"{clipped} below {edges[0]:.2g}: drawn in the first bin",
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7,
        )
    ax.set_ylabel("Neurons")
    ax.legend(fontsize=8, frameon=False, loc="center left")
    return ax


def plot_predicted_vs_measured(
    measured: ArrayLike,
    predicted: ArrayLike,
    *,
    neurons: Sequence[int] | None = None,
    n_neurons: int = 4,
    neuron_ids: Sequence[int] | ArrayLike | None = None,
    fig: Any = None,
) -> Any:
    """Measured (repeat-averaged) against predicted responses to held-out images, per neuron.

    Parameters
    ----------
    measured, predicted : array-like of shape (n_images, n_neurons)
    neurons : sequence of int, optional
        Which neurons (columns); the first ``n_neurons`` by default.
    neuron_ids : sequence of int, optional
        The recording's index of every column, for the titles (when the columns are a subset).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    m = np.asarray(measured, dtype=np.float64)
    p = np.asarray(predicted, dtype=np.float64)
    if m.shape != p.shape or m.ndim != 2:
        raise NeurodlValueError(
            f"measured and predicted must share a 2-D shape; got {m.shape} and {p.shape}."
        )
    chosen = list(range(min(n_neurons, m.shape[1]))) if neurons is None else list(neurons)
    if fig is None:
        fig = plt.figure(figsize=(2.6 * len(chosen), 2.8))
    axes = fig.subplots(1, len(chosen), squeeze=False)[0]
    for ax, k in zip(axes, chosen, strict=True):
        ax.scatter(p[:, k], m[:, k], s=6, alpha=0.6)
        low = min(p[:, k].min(), m[:, k].min())
        high = max(p[:, k].max(), m[:, k].max())
        ax.plot([low, high], [low, high], color="0.4", ls="--", lw=1)
        r = np.corrcoef(p[:, k], m[:, k])[0, 1] if np.std(p[:, k]) > 0 else np.nan
        name = k if neuron_ids is None else int(np.asarray(neuron_ids)[k])
        ax.set_title(f"neuron {name}: r = {r:.2f}", fontsize=8)
        ax.set_xlabel("Predicted response")
    axes[0].set_ylabel("Measured (mean over repeats)")
    fig.suptitle("Held-out images", fontsize=10)
    fig.tight_layout()
    return fig


def plot_receptive_fields(
    maps: ArrayLike,
    *,
    titles: Sequence[str] | None = None,
    title: str = "Receptive fields",
    n_cols: int = 6,
    fig: Any = None,
) -> Any:
    """Receptive-field maps (readout masks, gradients or reverse correlation), one per neuron.

    Parameters
    ----------
    maps : array-like of shape (n_neurons, H, W)

    Returns
    -------
    matplotlib Figure
        Diverging colours centred on zero, each panel scaled to its maximum.
    """
    data = np.asarray(maps, dtype=np.float64)
    if data.ndim != 3:
        raise NeurodlValueError(f"maps must have shape (n_neurons, H, W); got {data.shape}.")
    return _image_grid(
        data,
        titles,
        n_cols=n_cols,
        cmap="RdBu_r",
        symmetric=True,
        suptitle=title,
        fig=fig,
        panel=1.8,
    )


def plot_tuning_comparison(
    orientations: ArrayLike,
    predicted: ArrayLike,
    measured: ArrayLike | None = None,
    *,
    measured_orientations: ArrayLike | None = None,
    neurons: Sequence[int] | None = None,
    n_neurons: int = 4,
    measured_label: str = "measured",
    neuron_ids: Sequence[int] | ArrayLike | None = None,
    fig: Any = None,
) -> Any:
    """Model tuning curves (in-silico gratings) beside measured ones, one panel per neuron.

    Parameters
    ----------
    orientations : array-like of shape (n_orientations,)
        Degrees at which ``predicted`` was computed.
    predicted : array-like of shape (n_orientations, n_neurons)
    measured : array-like of shape (n_measured, n_neurons), optional
    measured_orientations : array-like of shape (n_measured,), optional
        Degrees of ``measured``; evenly spaced over 360° by default.
    measured_label : str
        What ``measured`` is, for the legend (for example "measured" for trial averages, or
        "true (simulator, noise-free)").
    neuron_ids : sequence of int, optional
        The recording's index of every column, for the titles (when the columns are a subset).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    grid = np.asarray(orientations, dtype=np.float64)
    pred = np.asarray(predicted, dtype=np.float64)
    if pred.ndim != 2 or pred.shape[0] != grid.size:
        raise NeurodlValueError(
            f"predicted must have shape ({grid.size}, n_neurons); got {pred.shape}."
        )
    chosen = list(range(min(n_neurons, pred.shape[1]))) if neurons is None else list(neurons)
    if fig is None:
        fig = plt.figure(figsize=(2.6 * len(chosen), 3.0))
    axes = fig.subplots(1, len(chosen), squeeze=False)[0]
    meas = None if measured is None else np.asarray(measured, dtype=np.float64)
    if meas is not None:
        m_grid = (
            np.linspace(0, 360, meas.shape[0], endpoint=False)
            if measured_orientations is None
            else np.asarray(measured_orientations, dtype=np.float64)
        )
    for ax, k in zip(axes, chosen, strict=True):
        ax.plot(grid, pred[:, k], color="C1", lw=1.5, label="model (in-silico gratings)")
        if meas is not None:
            ax.plot(m_grid, meas[:, k], color="k", lw=1, ls="--", label=measured_label)
        ax.set_title(
            f"neuron {k if neuron_ids is None else int(np.asarray(neuron_ids)[k])}", fontsize=8
        )
        ax.set_xlabel("Stimulus orientation (°)")
        ax.set_xticks(np.arange(0, 361, 90))
    axes[0].set_ylabel("Response")
    handles, labels = axes[0].get_legend_handles_labels()
    # one legend for all panels, above them, where it hides no curve
    fig.legend(handles, labels, loc="upper center", ncol=len(labels), fontsize=9, frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.88))
    return fig
