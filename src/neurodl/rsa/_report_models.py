"""Sentences and the figure of ``run_rsa``'s model comparison (models, twins, controls)."""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["model_sentences", "model_similarity_figure"]


def _f(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _held_text(entry: dict[str, Any], level: float) -> str:
    text = f"held-out similarity {_f(entry['held_out_similarity'])}"
    low, high = entry["held_out_similarity_ci_low"], entry["held_out_similarity_ci_high"]
    if low is not None and high is not None:
        text += f" ({level:.0%} CI {low:.3f} to {high:.3f})"
    spread = entry["held_out_per_instance"]
    if spread["sd"] is not None:
        text += f", sd {spread['sd']:.3f} over {entry['n_instances']}"
    return text


def model_sentences(metrics: dict[str, Any]) -> list[str]:
    """One sentence per model, its untrained twin and each control."""
    level = metrics.get("confidence_level", 0.95)
    out = []
    half = (
        metrics.get("held_out_noise_ceiling_lower"),
        metrics.get("held_out_noise_ceiling_upper"),
    )
    for name, entry in metrics.get("models", {}).items():
        acc = entry["task_accuracy"]
        text = f"{name}: "
        if acc is not None:
            values = ", ".join(f"{v:.3f}" for v in acc["values"] if v is not None)
            text += f"task accuracy {acc['mean']:.3f} (per seed {values}); "
        text += (
            f"layer chosen on half of the conditions: {entry['chosen_layer']} (in "
            f"{entry['chosen_layer_fraction']:.0%} of the halvings), "
            + _held_text(entry, level)
            + f" on the other half; the naive maximum over layers on all the data, "
            f"{_f(entry['naive_best_similarity'])} ({entry['naive_best_layer']}), is biased "
            "upwards."
        )
        twin = entry.get("untrained")
        if twin is not None:
            text += f" Untrained twin ({twin['n_instances']} initialisations): " + _held_text(
                twin, level
            )
        out.append(text + ".")
    for name, entry in metrics.get("controls", {}).items():
        label = "pixel baseline" if name == "pixels" else "Gabor energy model (V1 complex cells)"
        out.append(f"Control {name} ({label}): " + _held_text(entry, level) + ".")
    if metrics.get("models") and half[0] is not None:
        out.append(
            f"Held-out scores use half of the conditions; on a half the data's noise ceiling is "
            f"{_f(half[0])} (lower) to {_f(half[1])} (upper)."
        )
    return out


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


def model_similarity_figure(metrics: dict[str, Any], method: str) -> Any:
    """One panel per model: similarity by layer, its untrained twin, controls, ceiling."""
    import matplotlib.pyplot as plt

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
