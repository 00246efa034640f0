"""A plain-text table of ``run_rsa``'s models, untrained twins and controls (for terminals)."""

from __future__ import annotations

from typing import Any

__all__ = ["format_model_table"]


def _f(x: float | None, fmt: str = ".3f") -> str:
    return "n/a" if x is None else format(x, fmt)


def _row(name: str, entry: dict[str, Any]) -> str:
    acc = entry.get("task_accuracy")
    accuracy = "-"
    if acc is not None:
        accuracy = _f(acc["mean"]) + (f" ± {_f(acc['sd'])}" if acc["sd"] is not None else "")
    spread = entry["held_out_per_instance"]["sd"]
    held = (
        f"{_f(entry['held_out_similarity'])} [{_f(entry['held_out_similarity_ci_low'])}, "
        f"{_f(entry['held_out_similarity_ci_high'])}]"
        + (f" sd {_f(spread)}" if spread is not None else "")
    )
    chosen = f"{entry['chosen_layer']} ({entry['chosen_layer_fraction']:.0%})"
    return (
        f"{name:<24} {entry['role']:<9} {entry['n_instances']:>2} {accuracy:<15} "
        f"{chosen:<18} {held:<32} {_f(entry['naive_best_similarity'])}"
    )


def format_model_table(metrics: dict[str, Any]) -> str:
    """Models, twins and controls: accuracy, chosen layer, held-out score, naive maximum; then
    the pairwise differences of held-out scores with their tests."""
    models = metrics.get("models") or {}
    head = (
        f"{'candidate':<24} {'role':<9} {'n':>2} {'task accuracy':<15} {'chosen layer':<18} "
        f"{'held-out similarity [CI] sd':<32} naive max (biased)"
    )
    lines = [head, "-" * len(head)]
    for name, entry in models.items():
        lines.append(_row(name, entry))
        if entry.get("untrained"):
            lines.append(_row(f"{name} (untrained)", entry["untrained"]))
    for name, entry in (metrics.get("controls") or {}).items():
        lines.append(_row(name, entry))
    lines += [
        "",
        f"{'difference (held-out)':<44} {'diff':>7} {'se':>6} {'df':>7} {'p':>8} {'p Holm':>8}",
    ]
    for name, entry in models.items():
        for other, d in entry["differences"].items():
            label = f"{name} - {other}"
            df = "inf" if d["df"] is None else f"{d['df']:.1f}"
            lines.append(
                f"{label:<44} {_f(d['difference'], '+.3f'):>7} {_f(d['se']):>6} {df:>7} "
                f"{_f(d['p_value'], '.2g'):>8} {_f(d.get('p_value_holm'), '.2g'):>8}"
            )
    return "\n".join(lines)
