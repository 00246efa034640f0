"""Figures and sentences of :func:`neurodl.encoding.run_encoding`."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data.recording import Recording
from neurodl.encoding.cnn import CNNEncoder
from neurodl.encoding.receptive_fields import (
    compare_tuning,
    compute_gradient_rf,
    compute_readout_masks,
    compute_reverse_correlation,
    compute_tuning_curves,
)
from neurodl.metrics import FEV_THRESHOLD

_NAMES = {"cnn": "CNN", "linear": "linear filter-bank model"}


def _measured_tuning(recording: Recording) -> tuple[NDArray[Any], NDArray[Any], str] | None:
    """Tuning measured from the recording's grating trials, else the simulator's true tuning.

    Returns the orientation grid, curves (n_orientations, n_neurons) and where they came from:
    "measured" (mean response of all trials in 10° bins) or "true (simulator, noise-free)".
    """
    if "orientation" in recording.stimulus:
        from neurodl.data.tuning import compute_tuning_curves as measure

        centres, mean, _ = measure(recording.responses, recording.orientation, n_bins=36)
        if np.all(np.isfinite(mean)):
            return np.asarray(centres), np.asarray(mean, dtype=np.float64), "measured"
    truth = recording.neurons.get("tuning")
    if truth is not None and truth.ndim == 2:
        grid = np.linspace(0.0, 360.0, truth.shape[1], endpoint=False)
        return grid, np.asarray(truth, dtype=np.float64).T, "true (simulator, noise-free)"
    return None


def _grating_settings(recording: Recording) -> dict[str, Any]:
    """Spatial frequency, phase and contrast of the recording's gratings, when it says them.

    The simulator stores them in ``meta['ground_truth']`` (its tuning is measured with
    full-contrast gratings at one phase); otherwise 4 cycles per image, 8 phases averaged and a
    contrast matched to the training images are used.
    """
    settings: dict[str, Any] = {}
    truth = recording.ground_truth or {}
    frequency = truth.get("spatial_frequency", recording.meta.get("spatial_frequency"))
    if isinstance(frequency, (int, float)) and frequency > 0:
        settings["spatial_frequency"] = float(frequency)
    phase = truth.get("grating_phase_deg")
    if isinstance(phase, (int, float)):
        settings["phases"] = [float(phase)]
        settings["contrast"] = 1.0
    return settings


def make_figures(
    recording: Recording,
    encoders: dict[str, Any],
    model: str,
    repeats: NDArray[np.float32],
    predictions: dict[str, NDArray[np.float32]],
    per_neuron: dict[str, Any],
    test_images: NDArray[np.float32],
    seed: int,
    neuron_ids: NDArray[np.intp] | None = None,
) -> dict[str, Any]:
    """Figures by file stem; the key ``_metrics`` carries numbers computed on the way.

    ``neuron_ids`` are the recording's indices of the fitted neurons (titles name those).
    """
    from neurodl.plotting.encoding import (
        plot_feve_histogram,
        plot_feve_vs_fev,
        plot_filter_bank,
        plot_predicted_vs_measured,
        plot_receptive_fields,
        plot_tuning_comparison,
    )

    figures: dict[str, Any] = {}
    extra: dict[str, Any] = {}
    encoder = encoders[model]
    fev = per_neuron.get("fev")
    if fev is not None:
        used = fev > FEV_THRESHOLD
        ax = plot_feve_vs_fev(fev, per_neuron[model]["feve"], label=_NAMES[model])
        figures["feve_vs_fev"] = ax.figure
        ax = plot_feve_histogram({_NAMES[k]: per_neuron[k]["feve"][used] for k in encoders})
        figures["feve_histogram"] = ax.figure
        best = np.argsort(np.where(np.isfinite(fev), -fev, np.inf))[:4]
    else:
        best = np.arange(min(4, recording.n_neurons))
    measured = np.nanmean(repeats, axis=1)
    ids = np.arange(recording.n_neurons) if neuron_ids is None else np.asarray(neuron_ids)
    figures["predicted_vs_measured"] = plot_predicted_vs_measured(
        measured, predictions[model], neurons=[int(k) for k in best], neuron_ids=ids
    )

    tuning = _measured_tuning(recording)
    grid, curves = compute_tuning_curves(encoder, **_grating_settings(recording))
    if tuning is not None:
        m_grid, m_curves, source = tuning
        extra["tuning_reference"] = source
        on_grid = np.stack(
            [np.interp(grid, m_grid, m_curves[:, k], period=360.0) for k in range(curves.shape[1])],
            axis=1,
        )
        r = compare_tuning(curves, on_grid)
        chosen = per_neuron["fev"] > FEV_THRESHOLD if fev is not None else np.ones(r.size, bool)
        extra["tuning_corr_mean"] = float(np.nanmean(r[chosen])) if chosen.any() else None
        figures["tuning_curves"] = plot_tuning_comparison(
            grid,
            curves,
            m_curves,
            measured_orientations=m_grid,
            neurons=[int(k) for k in best],
            measured_label=source,
            neuron_ids=ids,
        )
    else:
        figures["tuning_curves"] = plot_tuning_comparison(
            grid, curves, neurons=[int(k) for k in best], neuron_ids=ids
        )

    if isinstance(encoder, CNNEncoder):
        figures["learned_filters"] = plot_filter_bank(
            encoder.first_layer_filters(), title="Learned first-layer filters (CNN)"
        )
        masks = compute_readout_masks(encoder, best)
        gradients = compute_gradient_rf(encoder, test_images[:16], best)
        sta = compute_reverse_correlation(encoder, n_images=1000, neurons=best, random_state=seed)
        maps = np.concatenate([masks, gradients, sta])
        titles = [f"{kind} {ids[k]}" for kind in ("mask", "gradient", "rev. corr.") for k in best]
    else:
        from neurodl.stimuli import filter_bank_names

        figures["learned_filters"] = plot_filter_bank(
            encoder.filters_,
            names=filter_bank_names(encoder.n_orientations),
            title="Fixed filter bank (linear model)",
        )
        maps = compute_reverse_correlation(encoder, n_images=1000, neurons=best, random_state=seed)
        titles = [f"rev. corr. {ids[k]}" for k in best]
    caption = (
        "rows: readout mask | gradient of the response | reverse correlation with noise"
        if isinstance(encoder, CNNEncoder)
        else "reverse correlation with noise images"
    )
    figures["receptive_fields"] = plot_receptive_fields(
        maps,
        titles=titles,
        n_cols=len(best),
        title=f"Receptive fields ({_NAMES[model]})\n{caption}",
    )
    figures["_metrics"] = extra
    return figures


def _interval(values: Any) -> str:
    low, high = (float(v) for v in values)
    return f"[{low:.2f}, {high:.2f}]" if np.isfinite(low) and np.isfinite(high) else "[n/a]"


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
    low, high = metrics.get("linear_feve_ci95", [np.nan, np.nan])
    text = (
        f"The linear filter-bank baseline explains {linear:.2f} {_interval((low, high))} "
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
        f"{_interval(metrics['feve_ci95'])} of the explainable variance (FEVE; median "
        f"{metrics['feve_median']:.2f} {_interval(metrics['feve_median_ci95'])}), where 1 is the "
        "noise ceiling; brackets are 95% bootstrap intervals over test images, with the scored "
        "neurons reselected in every resample."
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
