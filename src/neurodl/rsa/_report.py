"""Metrics, sentences and figure data of ``run_rsa`` (the figures: neurodl.plotting)."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.results import AnalysisResult
from neurodl.rsa._compare_models import Scored, build_sections, layer_entries
from neurodl.rsa._recovery_section import closest_setting, recovery_sentence
from neurodl.rsa._report_models import model_sentences
from neurodl.rsa.comparison import HeldOutChoice
from neurodl.rsa.inference import pairwise_bootstrap_test

__all__ = ["build_result"]


def _num(x: Any) -> float | None:
    value = float(x)
    return value if np.isfinite(value) else None


METHOD_NAMES = {
    "pearson": "Pearson",
    "spearman": "Spearman",
    "kendall_tau_a": "Kendall's tau-a",
    "rho_a": "Spearman's rho-a",
    "cosine": "cosine",
    "whitened_cosine": "whitened cosine",
    "whitened_pearson": "whitened Pearson",
}


def layer_verdict(layer: dict[str, Any], lower: float | None) -> str:
    """What a layer's similarity says, against zero and the lower noise ceiling ("" if nothing).

    ``layer`` holds ``similarity`` and its ``similarity_ci_low``/``_ci_high``; pass ``lower``
    None when the ceiling is too noisy to judge by.
    """
    sim, low, high = layer["similarity"], layer["similarity_ci_low"], layer["similarity_ci_high"]
    has_ci = low is not None and high is not None
    if has_ci and low <= 0 <= high:
        return "not distinguishable from zero (its interval contains 0)"
    if has_ci and high < 0:
        return "below zero (the layer's dissimilarities run against the data's)"
    if lower is None or sim is None:
        return ""
    if sim >= lower:
        return (
            f"reaches the lower noise ceiling ({lower:.3f}): as similar as the data's noise allows"
        )
    return f"below the lower noise ceiling ({lower:.3f}): part of the data's geometry is missing"


def _p_text(p: float | None, n_permutations: int) -> str:
    if p is None:
        return "no permutation p-value"
    floor = 1.0 / (n_permutations + 1)
    if p <= floor:
        return (
            f"permutation p = {p:.2g}, the smallest value {n_permutations:,} permutations can give"
        )
    return f"permutation p = {p:.2g} ({n_permutations:,} permutations)"


def _sentences(metrics: dict[str, Any], compare: str, n_permutations: int) -> list[str]:
    """One plain sentence per number, without repeats."""
    name = METHOD_NAMES.get(compare, compare)
    summary: list[str] = []
    accuracy = metrics["task_test_accuracy"]
    if accuracy is not None and len(metrics.get("models", {})) <= 1:
        summary.append(
            f"The tilt CNN classified {100 * accuracy:.1f}% of held-out gratings correctly "
            "(chance 50%)."
        )
    lower, upper = metrics["noise_ceiling_lower"], metrics["noise_ceiling_upper"]
    noisy = lower is not None and lower <= 0
    if lower is not None and upper is not None:
        verdict = (
            "the split halves of the data hardly agree, so the data are too noisy for a "
            "conclusion about any layer"
            if noisy
            else "a perfect model of these data would score between them"
        )
        summary.append(
            f"The data's noise ceiling of the {name} similarity is {lower:.3f} (lower) to "
            f"{upper:.3f} (upper): {verdict}."
        )
    models = list(metrics.get("models", {}))
    prefix = f"{models[0]} layer" if len(models) > 1 else "Layer"
    for layer, entry in metrics["layers"].items():
        sim, low, high = (
            entry["similarity"],
            entry["similarity_ci_low"],
            entry["similarity_ci_high"],
        )
        if sim is None:
            summary.append(f"{prefix} {layer}: the {name} similarity is undefined.")
            continue
        has_ci = low is not None and high is not None
        level = f"{metrics.get('confidence_level', 0.95):.0%}"
        interval = f" ({level} CI {low:.3f} to {high:.3f})" if has_ci else ""
        text = f"{prefix} {layer}: {name} similarity {sim:.3f}{interval}, "
        text += _p_text(entry["p_value"], n_permutations)
        verdict = layer_verdict(entry, None if noisy else lower)
        summary.append(text + (f"; {verdict}" if verdict else "") + ".")
    return list(dict.fromkeys(summary))


def build_result(
    *,
    scored: list[Scored],
    held: HeldOutChoice,
    ceiling: NDArray[np.float64],
    data_rdm: NDArray[np.float64],
    model_rdms: NDArray[np.float64],
    layer_patterns: dict[str, NDArray[np.float64]],
    data_patterns: NDArray[np.float64],
    cond_theta: NDArray[np.float64],
    parameters: dict[str, Any],
    quick: bool,
    recovery: dict[str, Any] | None = None,
    figures: bool = True,
    started: float | None = None,
) -> AnalysisResult:
    """Assemble the AnalysisResult of ``run_rsa``.

    The top-level keys describe the first model (its layers averaged over its training
    seeds); ``models`` and ``controls`` describe every candidate (see
    :func:`neurodl.rsa._compare_models.build_sections`). ``layer_differences`` holds, for each
    pair of the first model's layers, the mean bootstrap difference of their similarities and
    its two-sided bootstrap p-value (same resamples for both layers).
    """
    compare = parameters["compare"]
    level = parameters["confidence_level"]
    first = scored[0]
    names = first.layers
    layers = layer_entries(first, level)
    samples = np.nanmean(first.samples, axis=1)
    pairwise = pairwise_bootstrap_test(samples) if len(names) > 1 else None
    models, controls, verdicts = build_sections(scored, held, level)
    accuracy = models[first.candidate.name]["task_accuracy"]
    metrics: dict[str, Any] = {
        "rdm_method": parameters["rdm"],
        "compare_method": compare,
        "task_test_accuracy": accuracy["mean"] if accuracy else None,
        "layers": {
            k: {
                key: v[key]
                for key in ("similarity", "similarity_ci_low", "similarity_ci_high", "p_value")
            }
            for k, v in layers.items()
        },
        "noise_ceiling_lower": _num(ceiling[0]),
        "noise_ceiling_upper": _num(ceiling[1]),
        "held_out_noise_ceiling_lower": _num(held.half_ceiling[0]),
        "held_out_noise_ceiling_upper": _num(held.half_ceiling[1]),
        "layer_differences": {
            f"{a} - {b}": {
                "difference": _num(pairwise[0][i, j]),
                "p_value": _num(pairwise[1][i, j]),
            }
            for i, a in enumerate(names)
            for j, b in enumerate(names)
            if pairwise is not None and i < j
        },
        "models": models,
        "controls": controls,
        **({"model_recovery": recovery} if recovery is not None else {}),
        "n_conditions": parameters["n_conditions"],
        "n_splits": parameters["n_splits"],
        "n_layer_splits": held.n_splits,
        "conditions": parameters["conditions"],
        "n_permutations": parameters["n_permutations"],
        "n_resamples": parameters["n_resamples"],
        "confidence_level": level,
    }
    summary = _sentences(metrics, compare, parameters.get("n_permutations", 0))
    summary += model_sentences(metrics) + verdicts
    if recovery is not None:
        summary.append(recovery_sentence(recovery, metrics["noise_ceiling_lower"]))
    elif parameters.get("recovery"):
        summary.append("Model recovery was not run: it needs at least two models or controls.")
    if started is not None:
        metrics["wall_seconds"] = round(time.perf_counter() - started, 3)
    result = AnalysisResult(
        metrics=metrics,
        summary=summary,
        parameters=parameters,
        title="Comparison (RSA)",
        kind="rsa",
        data={
            "names": names,
            "data_rdm": data_rdm,
            "model_rdms": model_rdms,
            "layer_patterns": layer_patterns,
            "data_patterns": data_patterns,
            "cond_theta": cond_theta,
            "quick": quick,
            **(
                {"recovery_setting": closest_setting(recovery, metrics["noise_ceiling_lower"])}
                if recovery is not None
                else {}
            ),
        },
    )
    if figures:
        result.draw()
    return result


def _nan(x: float | None) -> float:
    return np.nan if x is None else float(x)
