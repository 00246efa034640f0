"""The plain-language sentences of :func:`neurodl.encoding.run_encoding`, from its metrics."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurodl.metrics import FEV_THRESHOLD

#: How the sentences and figures name each model.
MODEL_NAMES = {"cnn": "CNN", "linear": "linear filter-bank model"}
_NAMES = MODEL_NAMES


def _interval(metrics: dict[str, Any], name: str) -> str:
    """``[low, high]`` of metric ``name`` (its ``_ci_low``/``_ci_high`` keys), or ``[n/a]``."""
    low = metrics.get(f"{name}_ci_low")
    high = metrics.get(f"{name}_ci_high")
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        return "[n/a]"
    return f"[{low:.2f}, {high:.2f}]"


def _subset_sentence(metrics: dict[str, Any]) -> str | None:
    fitted, recorded = metrics.get("n_neurons_fitted"), metrics.get("n_neurons_recorded")
    if fitted is None or recorded is None or fitted >= recorded:
        return None
    return (
        f"To bound the run time, the models were fitted to a random subset of {fitted} of the "
        f"{recorded} recorded neurons (max_neurons; pass max_neurons=None to fit all); every "
        "number below refers to that subset."
    )


def _comparison_sentence(metrics: dict[str, Any]) -> str:
    cnn, linear = metrics["feve_mean"], metrics["linear_feve_mean"]
    text = (
        f"The linear filter-bank baseline explains {linear:.2f} "
        f"{_interval(metrics, 'linear_feve_mean')} "
        "(mean FEVE, same neurons and images)"
    )
    if linear < cnn:
        return text + f", less than the CNN's {cnn:.2f}."
    reasons = []
    if metrics["n_train_images"] < 1000:
        reasons.append(
            f"with few training images ({metrics['n_train_images']}) fixed filters and a "
            "closed-form ridge readout can beat a network that must learn its filters"
        )
    if metrics.get("grating_stimuli"):
        reasons.append(
            "the images are gratings that vary only in orientation, which the baseline's fixed "
            "oriented filters already capture"
        )
    reasons.append(
        "the CNN is run_encoding's small, briefly trained network (encoder_params enlarges it)"
    )
    reason = "; ".join(reasons)
    return (
        text + f": the baseline beats the CNN ({cnn:.2f}) on this recording. Likely reasons: "
        f"{reason}."
    )


def summarise(metrics: dict[str, Any], has_ceiling: bool) -> list[str]:
    """One plain sentence per headline number, each with its ceiling or reference."""
    name = _NAMES[metrics["model"]]
    lines = [
        f"Models were trained on {metrics['n_train_images']} images and tested on "
        f"{metrics['n_test_images']} held-out images never seen in training (chosen by "
        f"{metrics['test_images_chosen_by'].replace('_', ' ')})."
    ]
    if metrics.get("images_rendered"):
        height, width = metrics["grating_size"]
        lines.append(
            f"The file holds no images: the model saw full-field {metrics['grating_profile']}-wave "
            f"gratings rendered from the {metrics['n_orientations']} orientations ({height} x "
            f"{width} pixels, {metrics['grating_spatial_frequency']:.3g} cycles per image width, "
            f"phase {metrics['grating_phase']:g}°): a reconstruction of the stimulus, not the "
            "images shown, and full-field gratings cannot locate receptive fields."
        )
    subset = _subset_sentence(metrics)
    if subset is not None:
        lines.append(subset)
    if not has_ceiling:
        lines.append(
            f"The {name} predictions correlate r = {metrics['corr_to_average_mean']:.2f} with the "
            "held-out responses (mean over neurons); the test images have no repeats, so no noise "
            "ceiling or FEVE can be given."
        )
        return lines
    lines.append(
        f"On average {metrics['fev_mean']:.0%} of a neuron's response variance is driven by the "
        f"image (FEV; the rest is trial-to-trial noise); {metrics['n_neurons_used']} of the "
        f"{metrics['n_neurons']} fitted neurons pass the field's FEV > {FEV_THRESHOLD} criterion "
        "and are scored."
    )
    lines.append(
        f"The {name} explains a mean {metrics['feve_mean']:.2f} "
        f"{_interval(metrics, 'feve_mean')} of the explainable variance (FEVE; median "
        f"{metrics['feve_median']:.2f} {_interval(metrics, 'feve_median')}), where 1 is the "
        f"noise ceiling; brackets are {metrics.get('confidence_level', 0.95):.0%} bootstrap "
        "intervals over test images, with the scored neurons reselected in every resample."
    )
    if metrics["model"] != "linear":
        lines.append(_comparison_sentence(metrics))
    lines.append(
        f"Predictions correlate r = {metrics['corr_to_average_mean']:.2f} with the repeat-averaged "
        f"responses; on single trials r = {metrics['single_trial_corr_mean']:.2f}, against an "
        f"oracle (each trial against the mean of the other repeats) of "
        f"{metrics['oracle_corr_mean']:.2f}."
    )
    if metrics.get("tuning_corr_mean") is not None:
        source = metrics.get("tuning_reference", "measured")
        lines.append(
            "In-silico orientation tuning on gratings correlates r = "
            f"{metrics['tuning_corr_mean']:.2f} with the {source} tuning of the scored neurons "
            "(1 = identical shape)."
        )
    if metrics["model"] == "cnn":
        lines.append(
            "Receptive fields, one column per neuron: 'mask' is the neuron's learned spatial "
            "readout weights over the CNN's feature map, 'gradient' the change of its predicted "
            "response per pixel averaged over test images, and 'rev. corr.' the response-"
            "weighted average of random noise images shown to the model (reverse correlation)."
        )
    return lines
