"""The numbers the encoding figures are drawn from, and the in-silico tuning comparison."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data.recording import Recording
from neurodl.encoding._summary import MODEL_NAMES as _NAMES
from neurodl.encoding.cnn import CNNEncoder
from neurodl.encoding.receptive_fields import (
    compare_tuning,
    compute_gradient_rf,
    compute_readout_masks,
    compute_reverse_correlation,
    compute_tuning_curves,
)
from neurodl.metrics import FEV_THRESHOLD


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


def tuning_comparison(
    recording: Recording, encoder: Any, fev: NDArray[Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """In-silico grating tuning of the model against the recording's (measured or true) tuning.

    Returns the metrics (``tuning_corr_mean`` over the scored neurons, ``tuning_reference``)
    and the curves for the figure.
    """
    grid, curves = compute_tuning_curves(encoder, **_grating_settings(recording))
    data: dict[str, Any] = {"grid": grid, "model": curves}
    tuning = _measured_tuning(recording)
    if tuning is None:
        return {}, data
    m_grid, m_curves, source = tuning
    data.update(measured=m_curves, measured_grid=m_grid, source=source)
    on_grid = np.stack(
        [np.interp(grid, m_grid, m_curves[:, k], period=360.0) for k in range(curves.shape[1])],
        axis=1,
    )
    r = compare_tuning(curves, on_grid)
    chosen = fev > FEV_THRESHOLD if fev is not None else np.ones(r.size, bool)
    metrics = {
        "tuning_reference": source,
        "tuning_corr_mean": float(np.nanmean(r[chosen])) if chosen.any() else None,
    }
    return metrics, data


def figure_data(
    encoders: dict[str, Any],
    model: str,
    repeats: NDArray[np.float32],
    predictions: dict[str, NDArray[np.float32]],
    per_neuron: dict[str, Any],
    test_images: NDArray[np.float32],
    seed: int,
    neuron_ids: NDArray[np.intp],
) -> dict[str, Any]:
    """The arrays of the encoding figures (see :func:`neurodl.plotting.figures.encoding_figures`).

    ``neuron_ids`` are the recording's indices of the fitted neurons (titles name those). The
    tuning curves are added by the caller (:func:`tuning_comparison`).
    """
    encoder = encoders[model]
    fev = per_neuron.get("fev")
    data: dict[str, Any] = {"model_label": _NAMES[model], "neuron_ids": np.asarray(neuron_ids)}
    if fev is not None:
        used = fev > FEV_THRESHOLD
        data.update(
            fev=fev,
            feve=per_neuron[model]["feve"],
            feve_used={_NAMES[k]: per_neuron[k]["feve"][used] for k in encoders},
        )
        best = np.argsort(np.where(np.isfinite(fev), -fev, np.inf))[:4]
    else:
        best = np.arange(min(4, repeats.shape[2]))
    data["best_neurons"] = [int(k) for k in best]
    data["measured"] = np.nanmean(repeats, axis=1)
    data["predicted"] = predictions[model]
    data["filters"], data["receptive_fields"] = _filters_and_fields(
        encoder, model, best, test_images, seed, data["neuron_ids"]
    )
    return data


def _filters_and_fields(
    encoder: Any,
    model: str,
    best: NDArray[np.intp],
    test_images: NDArray[np.float32],
    seed: int,
    ids: NDArray[np.intp],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first-layer filters and the receptive-field maps of the best neurons."""
    if isinstance(encoder, CNNEncoder):
        filters = {
            "weights": encoder.first_layer_filters(),
            "title": "Learned first-layer filters (CNN)",
        }
        masks = compute_readout_masks(encoder, best)
        gradients = compute_gradient_rf(encoder, test_images[:16], best)
        sta = compute_reverse_correlation(encoder, n_images=1000, neurons=best, random_state=seed)
        maps = np.concatenate([masks, gradients, sta])
        titles = [f"{kind} {ids[k]}" for kind in ("mask", "gradient", "rev. corr.") for k in best]
        caption = "rows: readout mask | gradient of the response | reverse correlation with noise"
    else:
        from neurodl.stimuli import filter_bank_names

        filters = {
            "weights": encoder.filters_,
            "names": filter_bank_names(encoder.n_orientations),
            "title": "Fixed filter bank (linear model)",
        }
        maps = compute_reverse_correlation(encoder, n_images=1000, neurons=best, random_state=seed)
        titles = [f"rev. corr. {ids[k]}" for k in best]
        caption = "reverse correlation with noise images"
    fields = {
        "maps": maps,
        "titles": titles,
        "title": f"Receptive fields ({_NAMES[model]})\n{caption}",
    }
    return filters, fields
