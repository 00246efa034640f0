"""Plots for representational comparison: RDMs, RDM rows, layer similarity, tuning, embeddings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike

from neurodl.exceptions import NeurodlValueError
from neurodl.plotting._axes import new_axes

__all__ = [
    "plot_embedding",
    "plot_layer_similarity",
    "plot_layer_tuning",
    "plot_model_similarity",
    "plot_rdm",
    "plot_rdm_rows",
]

CYCLIC = "twilight"


def plot_rdm(
    rdm: ArrayLike,
    orientation: ArrayLike | None = None,
    *,
    title: str | None = None,
    rank: bool = False,
    colorbar: bool = True,
    ax: Any = None,
) -> Any:
    """An RDM as an image, conditions in cyclic order of orientation when given.

    Parameters
    ----------
    rdm : array-like of shape (n, n)
    orientation : array-like of shape (n,), optional
        Degrees; conditions are sorted by it and the axes are labelled with it.
    rank : bool
        Show the off-diagonal dissimilarities as percentiles (0-100), so that RDMs on
        different scales share one colour scale.
    colorbar : bool
        Draw a colour bar next to the axes (leave it out to draw one for several panels).

    Returns
    -------
    matplotlib Axes
    """
    d = np.asarray(rdm, dtype=np.float64)
    if d.ndim != 2 or d.shape[0] != d.shape[1]:
        raise NeurodlValueError(f"rdm must be square (n, n); got shape {d.shape}.")
    ax = new_axes(ax, (4.0, 3.6), constrained=True)
    extent = None
    if orientation is not None:
        theta = np.asarray(orientation, dtype=np.float64) % 360
        order = np.argsort(theta)
        d = d[order][:, order]
        extent = (float(theta.min()), float(theta.max()), float(theta.max()), float(theta.min()))
    if rank:
        off = ~np.eye(d.shape[0], dtype=bool)
        ranked = np.zeros_like(d)
        ranked[off] = 100.0 * scipy.stats.rankdata(d[off]) / max(int(off.sum()), 1)
        d = ranked
    shown = ax.imshow(
        d,
        cmap="viridis",
        extent=extent,
        interpolation="nearest",
        vmin=0.0 if rank else None,
        vmax=100.0 if rank else None,
    )
    if colorbar:
        label = "Dissimilarity (percentile)" if rank else "Dissimilarity"
        ax.figure.colorbar(shown, ax=ax, label=label, fraction=0.046)
    label = "Stimulus orientation (°)" if orientation is not None else "Condition"
    ax.set_xlabel(label)
    ax.set_ylabel(label)
    if title:
        ax.set_title(title)
    return ax


def plot_rdm_rows(
    rdm: ArrayLike,
    orientation: ArrayLike,
    *,
    at: Sequence[float] = (0.0, 90.0, 180.0, 270.0),
    ax: Any = None,
) -> Any:
    """Dissimilarity of the conditions nearest to orientations ``at`` to every other condition.

    Returns
    -------
    matplotlib Axes
    """
    d = np.asarray(rdm, dtype=np.float64)
    theta = np.asarray(orientation, dtype=np.float64) % 360
    if d.ndim != 2 or d.shape != (theta.size, theta.size):
        raise NeurodlValueError(
            f"rdm must have shape ({theta.size}, {theta.size}) to match orientation; got {d.shape}."
        )
    ax = new_axes(ax, (5.0, 3.2), constrained=True)
    order = np.argsort(theta)
    import matplotlib

    cmap = matplotlib.colormaps[CYCLIC]
    for target in at:
        gap = np.abs((theta - target + 180) % 360 - 180)
        row = int(np.argmin(gap))
        ax.plot(
            theta[order],
            d[row, order],
            color=cmap((target % 360) / 360),
            label=f"{theta[row]:.0f}°",
        )
    ax.set_xlabel("Stimulus orientation (°)")
    ax.set_ylabel("Dissimilarity")
    ax.legend(title="Row at", fontsize="small")
    return ax


def plot_layer_similarity(
    names: Sequence[str],
    similarity: ArrayLike,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
    noise_ceiling: tuple[float, float] | None = None,
    *,
    ylabel: str = "Similarity to data RDM",
    ax: Any = None,
) -> Any:
    """Bars of each layer's similarity to the data, with intervals and the noise-ceiling band.

    Returns
    -------
    matplotlib Axes
    """
    values = np.asarray(similarity, dtype=np.float64)
    if values.shape != (len(names),):
        raise NeurodlValueError(
            f"similarity must have one value per name ({len(names)}); got shape {values.shape}."
        )
    ax = new_axes(ax, (max(3.0, 0.8 * len(names) + 1.5), 3.2))
    x = np.arange(len(names))
    yerr = None
    if ci_low is not None and ci_high is not None:
        low, high = np.asarray(ci_low, dtype=np.float64), np.asarray(ci_high, dtype=np.float64)
        yerr = np.abs(np.stack([values - low, high - values]))
    if noise_ceiling is not None and np.all(np.isfinite(noise_ceiling)):
        ax.axhspan(
            noise_ceiling[0],
            noise_ceiling[1],
            facecolor="0.85",
            edgecolor="0.45",
            linestyle="--",
            zorder=0,
            label="noise ceiling (lower to upper)",
        )
    ax.bar(x, values, yerr=yerr, color="tab:blue", capsize=4, zorder=2, label="layers (95% CI)")
    ax.axhline(0.0, color="k", lw=0.8)
    ax.set_xticks(x, list(names), rotation=30, ha="right")
    ax.set_ylabel(ylabel)
    ax.legend(fontsize="small")
    return ax


def plot_model_similarity(
    layers: Sequence[str],
    similarity: ArrayLike,
    ci_low: ArrayLike | None = None,
    ci_high: ArrayLike | None = None,
    *,
    untrained: tuple[ArrayLike, ArrayLike, ArrayLike] | None = None,
    controls: Mapping[str, float | None] | None = None,
    noise_ceiling: tuple[float, float] | None = None,
    title: str | None = None,
    ylabel: str = "Similarity to data RDM",
    ax: Any = None,
) -> Any:
    """A network's similarity to the data by layer (or step), beside its untrained twin.

    Parameters
    ----------
    layers : sequence of str
        Layer or ``area@tN`` names, in network order (the x axis).
    similarity, ci_low, ci_high : array-like of shape (n_layers,)
        The trained network's similarity (mean over seeds) and its interval.
    untrained : (mean, low, high), optional
        The untrained twin's mean over initialisations and the band drawn around it (for
        example the minimum and maximum over initialisations).
    controls : mapping of str to float, optional
        Control similarities (pixels, energy model) drawn as horizontal reference lines.
    noise_ceiling : (lower, upper), optional
        Drawn as a grey band.

    Returns
    -------
    matplotlib Axes
    """
    values = np.asarray(similarity, dtype=np.float64)
    if values.shape != (len(layers),):
        raise NeurodlValueError(
            f"similarity must have one value per layer ({len(layers)}); got shape {values.shape}."
        )
    ax = new_axes(ax, (max(3.2, 0.7 * len(layers) + 1.8), 3.4))
    x = np.arange(len(layers))
    if noise_ceiling is not None and np.all(np.isfinite(noise_ceiling)):
        ax.axhspan(
            *noise_ceiling,
            facecolor="0.88",
            edgecolor="0.5",
            ls="--",
            zorder=0,
            label="noise ceiling",
        )
    if untrained is not None:
        mean, low, high = (np.asarray(a, dtype=np.float64) for a in untrained)
        ax.fill_between(x, low, high, color="tab:gray", alpha=0.35, zorder=1)
        ax.plot(x, mean, "o--", color="tab:gray", zorder=2, label="untrained (range over inits)")
    yerr = None
    if ci_low is not None and ci_high is not None:
        low, high = np.asarray(ci_low, dtype=np.float64), np.asarray(ci_high, dtype=np.float64)
        yerr = np.abs(np.stack([values - low, high - values]))
    ax.errorbar(
        x,
        values,
        yerr=yerr,
        fmt="o-",
        color="tab:blue",
        capsize=3,
        zorder=3,
        label="trained (mean over seeds, CI)",
    )
    styles = iter([("tab:red", ":"), ("tab:green", "-."), ("tab:purple", "--")])
    for name, value in (controls or {}).items():
        if value is not None and np.isfinite(value):
            colour, style = next(styles, ("k", ":"))
            ax.axhline(value, color=colour, ls=style, lw=1.2, label=name)
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xticks(x, list(layers), rotation=40, ha="right")
    ax.set_xlabel("Layer (or area@step)")
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.legend(fontsize="x-small")
    return ax


def plot_layer_tuning(
    activations: Mapping[str, ArrayLike],
    orientation: ArrayLike,
    *,
    n_units: int = 50,
    n_bins: int | None = None,
    ax: Any = None,
) -> Any:
    """Mean tuning curve of each layer, units aligned at their preferred orientation.

    For each layer the ``n_units`` most variable units are scaled to [0, 1] (minimum to
    maximum over conditions), their curves are shifted so that each unit's preferred
    (maximal) orientation is at 0°, and the shifted curves are averaged in ``n_bins`` bins
    (default: one per condition, at most 36) centred on multiples of 360°/``n_bins`` of
    orientation relative to the preferred one. Single units of convolutional layers respond to
    one grating phase at one position, so their own curves are jagged; the aligned average
    shows the layer's typical selectivity (a peak at 0° only: direction-like, contrast-polarity
    selective; peaks at 0° and ±180°: orientation selective; flat: untuned).

    Parameters
    ----------
    activations : dict of str to array-like of shape (n_conditions, n_units)
        One entry per line (for example the data's condition means and each layer's).
    orientation : array-like of shape (n_conditions,)
        Degrees.

    Returns
    -------
    matplotlib Axes
    """
    theta = np.asarray(orientation, dtype=np.float64) % 360
    ax = new_axes(ax, (6.5, 3.4), constrained=True)
    n_bins = int(n_bins or min(theta.size, 36))
    width = 360.0 / n_bins
    centres = (np.arange(n_bins) * width + 180.0) % 360.0 - 180.0
    order = np.argsort(centres)
    for name, acts in activations.items():
        a = np.asarray(acts, dtype=np.float64)
        if a.ndim != 2 or a.shape[0] != theta.size:
            raise NeurodlValueError(
                f"activations[{name!r}] must have {theta.size} rows (conditions); got shape "
                f"{a.shape}."
            )
        spread = a.max(axis=0) - a.min(axis=0)
        top = np.argsort(a.var(axis=0))[::-1][:n_units]
        top = top[spread[top] > 0]
        if top.size == 0:
            continue
        scaled = (a[:, top] - a[:, top].min(axis=0)) / spread[top]
        preferred = theta[np.argmax(scaled, axis=0)]
        relative = (theta[:, None] - preferred[None, :] + 180.0) % 360.0 - 180.0
        which = (np.round(relative / width).astype(np.intp) % n_bins).ravel()
        counts = np.bincount(which, minlength=n_bins)
        sums = np.bincount(which, scaled.ravel(), minlength=n_bins)
        mean = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
        ax.plot(centres[order], mean[order], marker=".", label=f"{name} ({top.size} units)")
    ax.set_xlabel("Orientation relative to preferred (°)")
    ax.set_ylabel("Mean activation (0 = min, 1 = max)")
    ax.set_xticks(np.arange(-180, 181, 90))
    ax.set_ylim(-0.02, 1.02)
    ax.legend(fontsize="small", title="Layer", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def plot_embedding(
    patterns: ArrayLike,
    orientation: ArrayLike,
    *,
    method: str = "pca",
    random_state: int = 0,
    colorbar: bool = True,
    ax: Any = None,
) -> Any:
    """Conditions in two dimensions (PCA, metric MDS or t-SNE), coloured by orientation.

    The colour map is cyclic (0° and 360° share a colour); ``colorbar=False`` leaves the
    colour bar out so that several panels can share one.

    Returns
    -------
    matplotlib Axes
    """
    if method not in ("pca", "mds", "tsne"):
        raise NeurodlValueError(f"method must be one of {{'pca', 'mds', 'tsne'}}; got {method!r}.")
    x = np.asarray(patterns, dtype=np.float64)
    theta = np.asarray(orientation, dtype=np.float64) % 360
    if x.ndim != 2 or x.shape[0] != theta.size:
        raise NeurodlValueError(
            f"patterns must have shape ({theta.size}, n_features); got {x.shape}."
        )
    if method == "pca":
        centred = x - x.mean(axis=0, keepdims=True)
        u, s, _ = np.linalg.svd(centred @ centred.T, hermitian=True)
        xy = u[:, :2] * np.sqrt(np.maximum(s[:2], 0.0))
    elif method == "mds":
        from sklearn.manifold import MDS

        xy = MDS(
            n_components=2, random_state=random_state, n_init=1, init="classical_mds"
        ).fit_transform(x)
    else:
        from sklearn.manifold import TSNE

        perplexity = float(min(30.0, max(2.0, (x.shape[0] - 1) / 3)))
        # exact gradients: for the few hundred conditions of an RDM they are faster than
        # Barnes-Hut (whose tree is built anew at every iteration)
        xy = TSNE(
            n_components=2,
            random_state=random_state,
            perplexity=perplexity,
            method="exact" if x.shape[0] <= 300 else "barnes_hut",
            init="pca",
            max_iter=500,
        ).fit_transform(x)
    ax = new_axes(ax, (3.6, 3.2), constrained=True)
    shown = ax.scatter(xy[:, 0], xy[:, 1], c=theta, cmap=CYCLIC, vmin=0, vmax=360, s=18)
    if colorbar:
        ax.figure.colorbar(shown, ax=ax, label="Stimulus orientation (°)", fraction=0.046)
    ax.set_xlabel(f"{method.upper()} 1")
    ax.set_ylabel(f"{method.upper()} 2")
    return ax
