"""Figure data and plain-language summary sentences of :func:`neurodl.decoding.run_decoding`."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurodl.data.recording import Recording
from neurodl.data.tuning import compute_preferred_orientation
from neurodl.decoding.weights import hidden_unit_tuning, sorted_input_weights

__all__ = ["TORCH_DECODERS", "figure_data", "summary_sentences"]

TORCH_DECODERS = ("mlp", "curriculum")


def figure_data(
    name: str,
    recording: Recording,
    y: np.ndarray,
    cv: dict[str, Any],
    threshold: dict[str, Any],
    curves: tuple[dict[str, Any] | None, dict[str, Any] | None],
    period: float,
) -> dict[str, Any]:
    """The arrays the decoding figures are drawn from (see :func:`neurodl.plotting.figures`)."""
    data: dict[str, Any] = {
        "y_true": y,
        "y_pred": cv["predictions"],
        "period": period,
        "threshold": threshold,
        "neuron_curve": curves[0],
        "trial_curve": curves[1],
    }
    fitted = cv["estimators"][0]
    if name in TORCH_DECODERS:
        data["loss_curve"] = np.asarray(fitted.loss_curve_, dtype=float)
        data["validation_scores"] = np.asarray(fitted.validation_scores_, dtype=float)
        data["hidden_tuning"] = hidden_unit_tuning(fitted, recording.responses, y)
    if name != "bayes":
        if "preferred_orientation" in recording.neurons and period == 360:
            pref = np.mod(np.asarray(recording.neurons["preferred_orientation"], float), period)
        else:
            pref = compute_preferred_orientation(recording.responses, y, period=period)[0]
        weights, order = sorted_input_weights(fitted, pref)
        data["sorted_weights"] = (weights, pref[order])
        data["weights_unit"] = "Von Mises basis function" if name == "linear" else "Hidden unit"
    return data


def _deg(value: float) -> str:
    """Degrees with two significant decimals below 10°, one above."""
    return f"{value:.2f}°" if abs(value) < 10 else f"{value:.1f}°"


def _efficiency(ratio: float) -> str:
    if ratio < 0.9:
        return (
            "below the bound, which only a biased decoder (or sampling noise on few trials) "
            "can reach"
        )
    if ratio <= 1.3:
        return "it uses nearly all the information the population carries"
    if ratio <= 2:
        return "it uses most, not all, of the information the population carries"
    return "much of the information the population carries goes unused"


def summary_sentences(m: dict[str, Any]) -> list[str]:
    """One plain sentence per headline number: what it means, against chance or the bound."""
    error, chance = m["median_abs_error_deg"], m["chance_median_abs_error_deg"]
    low, high = m.get("median_abs_error_deg_ci_low"), m.get("median_abs_error_deg_ci_high")
    unit = "conditions" if m.get("grouped_by_condition") else "trials"
    level = f"{m.get('confidence_level', 0.95):.0%}"
    ci = ""
    if low is not None and high is not None and np.isfinite(low):
        ci = f" ({level} CI {_deg(low)}–{_deg(high)}, bootstrap over {unit})"
    times = chance / error if error > 0 else float("inf")
    lines = [
        f"The {m['decoder']} decoder's median absolute error on held-out trials "
        f"({m['n_folds']}-fold cross-validation) is {_deg(error)}{ci}: half of the "
        f"{m['n_trials']} trials are decoded at least that close to the true {m['target']}, "
        f"{times:.0f} times closer than a guess (median error {_deg(chance)}).",
    ]
    bound = m.get("cramer_rao_median_deg")
    if bound is not None:
        ratio = m["error_to_bound_ratio"]
        lines.append(
            f"No unbiased decoder of these {m['n_neurons']} neurons can do better than "
            f"{_deg(bound)} (the Cramér–Rao bound); this one is at {ratio:.2f} times the "
            f"bound: {_efficiency(ratio)}."
        )
    threshold = m["threshold_deg"]
    t_low, t_high = m["threshold_deg_ci_low"], m["threshold_deg_ci_high"]
    sentence = (
        f"Two stimuli {_deg(threshold)} apart ({level} CI {_deg(t_low)}–{_deg(t_high)}) are told "
        f"apart on 75% of trial pairs"
        if np.isfinite(threshold)
        else "The decoder does not tell nearby stimuli apart (no finite threshold)"
    )
    if bound is not None and np.isfinite(threshold):
        sentence += (
            f"; an efficient decoder with Gaussian errors would reach "
            f"{_deg(np.sqrt(2.0) * bound)} (√2 times the bound)"
        )
    lines.append(sentence + ".")
    shuffled = m["shuffle_median_abs_error_deg"]
    if shuffled >= 0.8 * chance:
        verdict = "at chance, as it must be: no information leaks between training and test trials"
    else:
        verdict = f"well below chance ({_deg(chance)}): check for leaks between folds"
    lines.append(f"With the labels shuffled, the error rises to {_deg(shuffled)}, {verdict}.")
    return lines
