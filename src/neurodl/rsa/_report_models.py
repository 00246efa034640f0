"""Sentences of ``run_rsa``'s model comparison (models, twins, controls)."""

from __future__ import annotations

from typing import Any

__all__ = ["model_sentences"]


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
