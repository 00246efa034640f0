"""The figure set of :func:`neurodl.rsa.run_rsa`, drawn from its result's numbers."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import NDArray

__all__ = ["rsa_figures"]


def rsa_figures(data: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures of ``run_rsa`` by file stem: RDMs, rows, layer similarity and tuning,
    embeddings; the model comparison and model recovery when the run had them."""
    from neurodl.rsa._report import METHOD_NAMES

    names = data["names"]
    layers = metrics["layers"]
    compare = metrics["compare_method"]
    method = METHOD_NAMES.get(compare, compare)
    figures = _layer_figures(
        names,
        np.array([_nan(layers[k]["similarity"]) for k in names]),
        np.array([_nan(layers[k]["similarity_ci_low"]) for k in names]),
        np.array([_nan(layers[k]["similarity_ci_high"]) for k in names]),
        np.array([_nan(metrics["noise_ceiling_lower"]), _nan(metrics["noise_ceiling_upper"])]),
        data,
        method,
    )
    recovery = metrics.get("model_recovery")
    if recovery is not None:
        figures.update(_recovery_figures(recovery, data["recovery_setting"]))
    models = metrics.get("models", {})
    if len(models) > 1 or metrics.get("controls") or any(e["untrained"] for e in models.values()):
        figures["model_similarity"] = _model_similarity_figure(metrics, method)
    return figures


def _layer_figures(
    names: list[str],
    similarity: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    ceiling: NDArray[np.float64],
    data: dict[str, Any],
    method: str,
) -> dict[str, Any]:
    """The figures of the first model's layers against the data."""
    from neurodl.plotting.rsa import (
        plot_embedding,
        plot_layer_similarity,
        plot_layer_tuning,
        plot_rdm,
        plot_rdm_rows,
    )

    data_rdm, model_rdms, cond_theta = data["data_rdm"], data["model_rdms"], data["cond_theta"]
    layer_patterns, data_patterns = data["layer_patterns"], data["data_patterns"]
    figures: dict[str, Any] = {}
    n_panels = len(names) + 1
    n_cols = int(np.ceil(np.sqrt(n_panels)))
    n_rows = int(np.ceil(n_panels / n_cols))
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(2.9 * n_cols + 0.8, 2.7 * n_rows),
        squeeze=False,
        layout="constrained",
    )
    panels = [("data", data_rdm), *zip(names, model_rdms, strict=True)]
    for k, ax in enumerate(axes.ravel()):
        if k >= n_panels:
            ax.set_axis_off()
            continue
        title, rdm = panels[k]
        plot_rdm(rdm, cond_theta, title=title, rank=True, colorbar=False, ax=ax)
        if k // n_cols != n_rows - 1 and k + n_cols < n_panels:
            ax.set_xlabel("")
        if k % n_cols:
            ax.set_ylabel("")
    fig.colorbar(
        axes[0, 0].images[0], ax=axes, label="Dissimilarity (percentile within RDM)", shrink=0.8
    )
    figures["rdms"] = fig

    fig, axes = plt.subplots(1, 2, figsize=(9.0, 3.2), layout="constrained")
    plot_rdm_rows(data_rdm, cond_theta, ax=axes[0])
    axes[0].set_title("data")
    best = int(np.nanargmax(similarity)) if np.any(np.isfinite(similarity)) else 0
    plot_rdm_rows(model_rdms[best], cond_theta, ax=axes[1])
    axes[1].set_title(names[best])
    figures["rdm_rows"] = fig

    ax = plot_layer_similarity(
        names,
        similarity,
        low if np.all(np.isfinite(low)) else None,
        high if np.all(np.isfinite(high)) else None,
        (float(ceiling[0]), float(ceiling[1])),
        ylabel=f"{method} similarity to data RDM",
    )
    figures["layer_similarity"] = ax.figure

    ax = plot_layer_tuning({"data": data_patterns, **layer_patterns}, cond_theta)
    ax.set_title("Tuning aligned at each unit's preferred orientation")
    figures["layer_tuning"] = ax.figure

    methods = ["pca"] if data["quick"] else ["pca", "mds", "tsne"]
    patterns_of = {"data": data_patterns, **layer_patterns}
    n_cols = len(patterns_of) if len(methods) > 1 else int(np.ceil(np.sqrt(len(patterns_of))))
    n_rows = len(methods) * int(np.ceil(len(patterns_of) / n_cols))
    fig, axes = plt.subplots(
        n_rows,
        n_cols,
        figsize=(2.7 * n_cols + 0.8, 2.5 * n_rows),
        squeeze=False,
        layout="constrained",
    )
    flat = axes.ravel()
    k = 0
    for method in methods:
        for name, patterns in patterns_of.items():
            plot_embedding(patterns, cond_theta, method=method, colorbar=False, ax=flat[k])
            flat[k].set_title(name if len(methods) == 1 else f"{name} ({method.upper()})")
            k += 1
    for ax in flat[k:]:
        ax.set_axis_off()
    fig.colorbar(flat[0].collections[0], ax=axes, label="Stimulus orientation (°)", shrink=0.8)
    figures["embeddings"] = fig
    return figures


def _layer_arrays(entry: dict[str, Any], key_low: str, key_high: str) -> tuple[Any, ...]:
    layers = list(entry["layers"])
    mean = np.array([_nan(entry["layers"][k]["similarity"]) for k in layers])
    low = np.array([_nan(entry["layers"][k][key_low]) for k in layers])
    high = np.array([_nan(entry["layers"][k][key_high]) for k in layers])
    return layers, mean, low, high


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)


def _band(entry: dict[str, Any]) -> tuple[Any, Any]:
    """Minimum and maximum over instances per layer."""
    values = np.array(
        [[_nan(v) for v in layer["similarity_per_instance"]] for layer in entry["layers"].values()]
    )
    return values.min(axis=1), values.max(axis=1)


def _model_similarity_figure(metrics: dict[str, Any], method: str) -> Any:
    """One panel per model: similarity by layer, its untrained twin, controls, ceiling."""
    from neurodl.plotting.rsa import plot_model_similarity

    models = metrics["models"]
    controls = {
        name: entry["layers"][name]["similarity"] for name, entry in metrics["controls"].items()
    }
    ceiling = (metrics["noise_ceiling_lower"], metrics["noise_ceiling_upper"])
    n = len(models)
    fig, axes = plt.subplots(
        1, n, figsize=(3.6 * n + 0.6, 3.4), squeeze=False, layout="constrained", sharey=True
    )
    for ax, (name, entry) in zip(axes[0], models.items(), strict=True):
        layers, mean, low, high = _layer_arrays(entry, "similarity_ci_low", "similarity_ci_high")
        twin = entry.get("untrained")
        untrained = None
        if twin is not None:
            t_low, t_high = _band(twin)
            untrained = (
                _layer_arrays(twin, "similarity_ci_low", "similarity_ci_high")[1],
                t_low,
                t_high,
            )
        plot_model_similarity(
            layers,
            mean,
            low,
            high,
            untrained=untrained,
            controls=controls,
            noise_ceiling=ceiling if None not in ceiling else None,
            title=name,
            ylabel=f"{method} similarity to data RDM",
            ax=ax,
        )
        if ax is not axes[0, 0]:
            ax.set_ylabel("")
            ax.get_legend().remove()
    return fig


def _recovery_figures(rec: dict[str, Any], setting: tuple[int, int]) -> dict[str, Any]:
    """The confusion matrix at the setting most like the data, and accuracy by setting."""
    from neurodl.plotting.brain import plot_recovery_accuracy, plot_recovery_confusion

    i, j = setting
    confusion = plot_recovery_confusion(
        np.asarray(rec["confusion"])[i, j],
        rec["model_names"],
        title=f"noise {rec['noise_levels'][i]:g}, {rec['n_neurons'][j]} neurons",
    )
    accuracy = plot_recovery_accuracy(
        rec["noise_levels"],
        rec["n_neurons"],
        rec["accuracy"],
        rec["accuracy_ci_low"],
        rec["accuracy_ci_high"],
        chance=rec["chance"],
    )
    return {"recovery_confusion": confusion.figure, "recovery_accuracy": accuracy.figure}
