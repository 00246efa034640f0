"""Metrics, figures and sentences of ``run_rsa``."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.results import AnalysisResult

__all__ = ["build_result"]


def _num(x: Any) -> float | None:
    value = float(x)
    return value if np.isfinite(value) else None


def _figures(
    names: list[str],
    similarity: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    ceiling: NDArray[np.float64],
    data_rdm: NDArray[np.float64],
    model_rdms: NDArray[np.float64],
    layer_patterns: dict[str, NDArray[np.float64]],
    cond_theta: NDArray[np.float64],
    quick: bool,
) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from neurodl.plotting.rsa import (
        plot_embedding,
        plot_layer_similarity,
        plot_layer_tuning,
        plot_rdm,
        plot_rdm_rows,
    )

    figures: dict[str, Any] = {}
    fig, axes = plt.subplots(
        1,
        len(names) + 1,
        figsize=(3.6 * (len(names) + 1), 3.2),
        squeeze=False,
        layout="constrained",
    )
    plot_rdm(data_rdm, cond_theta, title="data", ax=axes[0, 0])
    for ax, name, rdm in zip(axes[0, 1:], names, model_rdms, strict=True):
        plot_rdm(rdm, cond_theta, title=name, ax=ax)
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
    )
    figures["layer_similarity"] = ax.figure

    figures["layer_tuning"] = plot_layer_tuning(layer_patterns, cond_theta)

    methods = ["pca"] if quick else ["pca", "mds", "tsne"]
    fig, axes = plt.subplots(
        len(methods),
        len(names),
        figsize=(3.4 * len(names), 3.0 * len(methods)),
        squeeze=False,
        layout="constrained",
    )
    for j, (name, patterns) in enumerate(layer_patterns.items()):
        for i, method in enumerate(methods):
            plot_embedding(patterns, cond_theta, method=method, ax=axes[i, j])
            if i == 0:
                axes[i, j].set_title(name)
    figures["embeddings"] = fig
    return figures


def build_result(
    *,
    names: list[str],
    similarity: NDArray[np.float64],
    low: NDArray[np.float64],
    high: NDArray[np.float64],
    p_values: NDArray[np.float64],
    ceiling: NDArray[np.float64],
    data_rdm: NDArray[np.float64],
    model_rdms: NDArray[np.float64],
    layer_patterns: dict[str, NDArray[np.float64]],
    cond_theta: NDArray[np.float64],
    accuracy: float | None,
    parameters: dict[str, Any],
    quick: bool,
) -> AnalysisResult:
    """Assemble the AnalysisResult of ``run_rsa``."""
    compare = parameters["compare"]
    metrics: dict[str, Any] = {
        "rdm_method": parameters["rdm"],
        "compare_method": compare,
        "task_test_accuracy": accuracy,
        "layers": {
            name: {
                "similarity": _num(similarity[i]),
                "ci_low": _num(low[i]),
                "ci_high": _num(high[i]),
                "p_value": _num(p_values[i]),
            }
            for i, name in enumerate(names)
        },
        "noise_ceiling_lower": _num(ceiling[0]),
        "noise_ceiling_upper": _num(ceiling[1]),
        "n_conditions": parameters["n_conditions"],
        "n_splits": parameters["n_splits"],
    }
    summary: list[str] = []
    if accuracy is not None:
        summary.append(
            f"The tilt CNN classified {100 * accuracy:.1f}% of held-out gratings correctly "
            "(chance 50%)."
        )
    lower, upper = metrics["noise_ceiling_lower"], metrics["noise_ceiling_upper"]
    if lower is not None and upper is not None:
        summary.append(
            f"The data's noise ceiling for {compare} similarity lies between {lower:.3f} (lower) "
            f"and {upper:.3f} (upper): no model can be expected to exceed it."
        )
    for name, entry in metrics["layers"].items():
        sim = entry["similarity"]
        interval = (
            f" (95% CI {entry['ci_low']:.3f} to {entry['ci_high']:.3f})"
            if entry["ci_low"] is not None and entry["ci_high"] is not None
            else ""
        )
        chance = f"permutation p = {entry['p_value']:.3g}; chance level 0"
        ceiling_note = ""
        if sim is not None and lower is not None:
            ceiling_note = (
                ", within the noise ceiling" if sim >= lower else ", below the lower noise ceiling"
            )
        summary.append(
            f"Layer {name} has {compare} similarity {sim:.3f} with the data RDM{interval}; "
            f"{chance}{ceiling_note}."
        )
    figures = _figures(
        names,
        similarity,
        low,
        high,
        ceiling,
        data_rdm,
        model_rdms,
        layer_patterns,
        cond_theta,
        quick,
    )
    return AnalysisResult(metrics=metrics, figures=figures, summary=summary, parameters=parameters)
