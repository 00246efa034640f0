"""The whole encoding analysis of a recording, shared by ``neurodl encode`` and the demo."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data.recording import Recording
from neurodl.encoding._run_settings import GRATING_DEFAULTS, network_params, render_gratings
from neurodl.encoding._validation import check_positive
from neurodl.encoding.cnn import CNNEncoder
from neurodl.encoding.linear import LinearEncoder
from neurodl.exceptions import DataValueError, NeurodlValueError, check_option, check_resampling
from neurodl.metrics import (
    FEV_THRESHOLD,
    bootstrap_feve_ci,
    correlation_to_average,
    fev,
    feve,
    oracle_correlation,
    pearson_correlation,
    single_trial_correlation,
)
from neurodl.results import AnalysisResult, resolve_seed

__all__ = ["choose_test_images", "run_encoding"]

logger = logging.getLogger(__name__)

_MODELS = ("cnn", "linear")
_QUICK_NEURONS = 100
_MAX_NEURONS = 300


def choose_test_images(
    recording: Recording, *, test_fraction: float = 0.1, random_state: int | None = 0
) -> tuple[NDArray[np.intp], str]:
    """Pick the held-out test images of a recording.

    In order of preference: the trials the recording marks as its test set (stimulus variable
    ``test_set``, as the simulator writes), else the images shown most often (at least twice:
    their repeats give the noise ceiling), else a random ``test_fraction`` of the images.

    Returns
    -------
    image_ids : ndarray of int
        The test images.
    how : {"test_set", "most_repeats", "random"}
    """
    if recording.images is None or "image_id" not in recording.stimulus:
        raise DataValueError(
            "encoding needs images: the recording has no 'images' array with an 'image_id' per "
            "trial, and no 'orientation' per trial to render gratings from."
        )
    ids = recording.stimulus["image_id"]
    shown = np.unique(ids)
    if shown.size < 4:
        raise DataValueError(f"encoding needs at least 4 distinct images; got {shown.size}.")
    if "test_set" in recording.stimulus:
        marked = np.unique(ids[recording.stimulus["test_set"].astype(bool)])
        if 2 <= marked.size < shown.size:
            return marked.astype(np.intp), "test_set"
    n_test = min(max(2, round(test_fraction * shown.size)), shown.size - 2)
    counts = np.bincount(ids, minlength=int(ids.max()) + 1)[shown]
    rng = np.random.default_rng(random_state)
    if np.sum(counts >= 2) >= 2:
        order = np.lexsort((rng.random(shown.size), -counts))
        chosen = shown[order[:n_test]]
        chosen = chosen[counts[order[:n_test]] >= 2]
        return np.sort(chosen).astype(np.intp), "most_repeats"
    return np.sort(rng.choice(shown, n_test, replace=False)).astype(np.intp), "random"


def _test_repeats(recording: Recording, test_ids: NDArray[np.intp]) -> NDArray[np.float32]:
    """(n_test_images, max_repeats, n_neurons) responses with NaN padding, in ``test_ids`` order."""
    ids = recording.stimulus["image_id"]
    rows = [np.flatnonzero(ids == i) for i in test_ids]
    depth = max(r.size for r in rows)
    out = np.full((test_ids.size, depth, recording.n_neurons), np.nan, dtype=np.float32)
    for k, r in enumerate(rows):
        out[k, : r.size] = recording.responses[r]
    return out


def _train_set(
    recording: Recording, test_ids: NDArray[np.intp]
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Training images and their repeat-averaged responses (one row per image)."""
    from scipy.sparse import csr_matrix

    ids = recording.stimulus["image_id"]
    rows = np.flatnonzero(~np.isin(ids, test_ids))
    train_ids, inverse = np.unique(ids[rows], return_inverse=True)
    counts = np.bincount(inverse, minlength=train_ids.size)
    # averaging matrix (n_train_images, n_trials): one sparse product, no dense copies
    average = csr_matrix(
        (1.0 / counts[inverse], (inverse, rows)), shape=(train_ids.size, recording.n_trials)
    )
    assert recording.images is not None
    return recording.images[train_ids], np.asarray(average @ recording.responses, np.float32)


def _score(
    repeats: NDArray[np.float32],
    prediction: NDArray[np.float32],
    resampling: tuple[int, float, int],
) -> dict[str, Any]:
    """Per-neuron scores and the bootstrap intervals of the mean and median FEVE."""
    n_resamples, confidence_level, seed = resampling
    per_feve = feve(repeats, prediction)
    scores: dict[str, Any] = {
        "feve": per_feve,
        "corr_to_average": correlation_to_average(repeats, prediction),
        "single_trial_corr": single_trial_correlation(repeats, prediction),
    }
    # the interval of the statistic as reported: the FEV > threshold selection is redone in
    # every resample of the test images (see bootstrap_feve_ci)
    ci = bootstrap_feve_ci(
        repeats,
        prediction,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        random_state=seed,
    )
    scores["feve_ci"] = ci["mean"]
    scores["feve_median_ci"] = ci["median"]
    return scores


def _select_neurons(
    recording: Recording, max_neurons: int | None, quick: bool, seed: int
) -> tuple[Recording, NDArray[np.intp], str]:
    """The recording restricted to a seeded random subset of neurons, when capped."""
    n_recorded = recording.n_neurons
    if max_neurons is not None:
        check_positive("max_neurons", max_neurons, integer=True)
    caps = [int(c) for c in (max_neurons, _QUICK_NEURONS if quick else None) if c is not None]
    limit = min(caps) if caps else None
    if limit is None or limit >= n_recorded:
        return recording, np.arange(n_recorded), "all"
    # a random subset (seeded, in recording order): the neurons' order in a file often
    # follows depth, cell type or preference, which the first N would inherit
    chosen = np.sort(np.random.default_rng(seed).choice(n_recorded, limit, replace=False))
    return recording.select(neurons=chosen), chosen, "random_subset"


def _ceiling_metrics(
    repeats: NDArray[np.float32],
    predictions: dict[str, NDArray[np.float32]],
    model: str,
    resampling: tuple[int, float, int],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """FEV, FEVE (with intervals) and correlations of each model, over the reliable neurons."""
    per_fev = fev(repeats)
    used = per_fev > FEV_THRESHOLD
    if not used.any():
        raise DataValueError(
            f"no neuron has FEV > {FEV_THRESHOLD} on the test images: the responses are "
            "too noisy to judge an encoding model."
        )
    metrics: dict[str, Any] = {
        "fev_mean": float(np.nanmean(per_fev)),
        "n_neurons_used": int(used.sum()),
        "oracle_corr_mean": float(np.nanmean(oracle_correlation(repeats)[used])),
        "test_repeats_mean": float(np.mean(np.sum(~np.isnan(repeats[:, :, 0]), axis=1))),
    }
    per_neuron: dict[str, Any] = {"fev": per_fev}
    for name, prediction in predictions.items():
        s = _score(repeats, prediction, resampling)
        per_neuron[name] = s
        prefix = "" if name == model else f"{name}_"
        for stat, reduce in (("mean", np.nanmean), ("median", np.nanmedian)):
            key = f"{prefix}feve_{stat}"
            metrics[key] = float(reduce(s["feve"][used]))
            metrics[f"{key}_ci_low"], metrics[f"{key}_ci_high"] = (
                float(v) for v in s[f"feve_{'' if stat == 'mean' else 'median_'}ci"]
            )
        metrics[f"{prefix}corr_to_average_mean"] = float(np.nanmean(s["corr_to_average"][used]))
        metrics[f"{prefix}single_trial_corr_mean"] = float(np.nanmean(s["single_trial_corr"][used]))
    return metrics, per_neuron


def _correlation_metrics(
    repeats: NDArray[np.float32],
    predictions: dict[str, NDArray[np.float32]],
    model: str,
    n_neurons: int,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Without repeats of the test images: correlation with the responses only."""
    metrics: dict[str, Any] = {
        "fev_mean": None,
        "n_neurons_used": n_neurons,
        "feve_mean": None,
        "feve_median": None,
    }
    measured = np.nanmean(repeats, axis=1)
    per_neuron: dict[str, Any] = {}
    for name, prediction in predictions.items():
        r = pearson_correlation(measured, prediction)
        prefix = "" if name == model else f"{name}_"
        metrics[f"{prefix}corr_to_average_mean"] = float(np.nanmean(r))
        per_neuron[name] = {"corr_to_average": r}
    return metrics, per_neuron


def _fit(
    encoders: dict[str, Any],
    train: tuple[NDArray[np.float32], NDArray[np.float32]],
    test_images: NDArray[np.float32],
    n_jobs: int | None,
) -> tuple[dict[str, float], dict[str, NDArray[np.float32]]]:
    """Fit every encoder; their fit times and test-image predictions."""
    import torch

    threads = torch.get_num_threads()
    if n_jobs is not None:
        torch.set_num_threads(max(1, int(n_jobs)))
    try:
        seconds, predictions = {}, {}
        for name, encoder in encoders.items():
            tic = time.perf_counter()
            encoder.fit(*train)
            seconds[name] = time.perf_counter() - tic
            predictions[name] = encoder.predict(test_images)
    finally:
        torch.set_num_threads(threads)
    return seconds, predictions


def run_encoding(
    recording: Recording,
    *,
    model: str = "cnn",
    random_state: int | None = None,
    device: str = "cpu",
    quick: bool = False,
    test_fraction: float = 0.1,
    encoder_params: dict[str, Any] | None = None,
    max_neurons: int | None = _MAX_NEURONS,
    grating_size: tuple[int, int] = GRATING_DEFAULTS["size"],
    grating_spatial_frequency: float = GRATING_DEFAULTS["spatial_frequency"],
    grating_phase: float = GRATING_DEFAULTS["phase"],
    grating_profile: str = GRATING_DEFAULTS["profile"],
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    n_jobs: int | None = None,
    figures: bool = True,
    verbose: int = 0,
) -> AnalysisResult:
    """Fit an encoding model to a recording and judge it on held-out images against the ceiling.

    Test images are chosen by :func:`choose_test_images`; every other image (its repeats
    averaged) trains the model. A recording of gratings without images (an ``orientation`` per
    trial, as in the curriculum's ``resp``/``stimuli`` files) is given one full-field grating
    image per orientation first (``grating_*`` options; trials of one orientation are then
    repeats of one image); these images are reconstructions of what was shown, which the
    report says. The linear filter-bank model is always fitted as the baseline.
    Scores use the repeats of the test images: FEV (explainable variance), FEVE, correlation to
    the repeat average and the leave-one-out oracle, reported over neurons with FEV > 0.15.

    Parameters
    ----------
    recording : Recording
        Needs ``images`` and an ``image_id`` per trial, or an ``orientation`` per trial.
    model : {"cnn", "linear"}
        The model under study.
    random_state : int or None
        Seeds the test images, the neuron subset and the network; None draws a fresh seed,
        recorded in ``parameters["random_state"]``.
    device : str
    quick : bool
        At most 100 neurons, 600 training images, 8 filters and 20 epochs: seconds, for tests
        and quick demos.
    test_fraction : float
        Fraction of images held out when the recording marks no test set.
    encoder_params : dict, optional
        Parameters of :class:`CNNEncoder` that replace run_encoding's. By default the network is
        smaller and trained for fewer epochs than the estimator's defaults (one layer of 16
        7 x 7 filters on a map about 16 pixels across, 8 epochs of a cosine schedule, no early
        stopping: a held-out tenth of a few hundred single-trial images is too noisy to pick
        an epoch by), which keeps a report on a laptop to about a minute; for the estimator's
        full network pass ``encoder_params=CNNEncoder().get_params()`` (its ``random_state``,
        ``device`` and ``verbose`` are ignored: ``random_state``, ``device`` and ``verbose`` set
        them). The batch
        never exceeds the training images; when ``max_iter`` is not given, small training sets
        get at least 100 optimiser steps.
    max_neurons : int or None
        Fit and score a random subset (seeded by ``random_state``) of this many neurons; None
        fits all.
        The default of 300 bounds the time of the per-neuron readouts; a mean FEVE over the
        subset's ~100+ reliable neurons is already precise to a few hundredths (see its
        bootstrap interval). ``metrics`` reports ``n_neurons_recorded`` and
        ``n_neurons_fitted``.
    grating_size : (height, width)
        Pixels of the rendered gratings (recordings without images only).
    grating_spatial_frequency : float
        Cycles per image width of the rendered gratings (the curriculum's 3.64 by default).
    grating_phase : float
        Phase (degrees) of the rendered gratings at the top-left pixel.
    grating_profile : {"square", "sine"}
        Bar profile of the rendered gratings (the curriculum's are square-wave).
    n_resamples : int
        Bootstrap resamples of the test images for the FEVE intervals.
    confidence_level : float
        Level of the intervals, in (0, 1).
    n_jobs : int or None
        CPU threads torch uses while fitting (None: torch's setting).
    figures : bool
        Draw the figures (False imports no matplotlib; ``result.draw()`` draws them later
        from ``result.data``).
    verbose : int
        0 quiet; 1 or 2 show training progress.

    Returns
    -------
    AnalysisResult
    """
    from neurodl.encoding._figure_data import figure_data, tuning_comparison
    from neurodl.encoding._summary import summarise

    check_option("model", model, _MODELS)
    if not 0.0 < test_fraction < 1.0:
        raise NeurodlValueError(f"test_fraction must lie in (0, 1); got {test_fraction!r}.")
    check_resampling(n_resamples, confidence_level)
    seed = resolve_seed(random_state)
    started = time.perf_counter()
    rendered: dict[str, Any] = {"images_rendered": False}
    if recording.images is None and "orientation" in recording.stimulus:
        recording, rendered = render_gratings(
            recording,
            size=grating_size,
            spatial_frequency=grating_spatial_frequency,
            phase=grating_phase,
            profile=grating_profile,
        )
    n_recorded = recording.n_neurons
    recording, chosen, fitted_how = _select_neurons(recording, max_neurons, quick, seed)
    test_ids, how = choose_test_images(recording, test_fraction=test_fraction, random_state=seed)
    train = _train_set(recording, test_ids)
    if quick and train[0].shape[0] > 600:
        train = (train[0][:600], train[1][:600])
    repeats = _test_repeats(recording, test_ids)
    assert recording.images is not None
    test_images = recording.images[test_ids]
    has_ceiling = bool(np.sum(np.sum(~np.isnan(repeats[:, :, 0]), axis=1) >= 2) >= 2)
    encoders = _encoders(model, train[0], quick, encoder_params, seed, device, verbose)
    fit_seconds, predictions = _fit(encoders, train, test_images, n_jobs)

    metrics: dict[str, Any] = {
        "model": model,
        "test_images_chosen_by": how,
        "n_neurons": recording.n_neurons,
        "n_neurons_recorded": n_recorded,
        "n_neurons_fitted": recording.n_neurons,
        "neurons_fitted": fitted_how,
        "grating_stimuli": "orientation" in recording.stimulus,
        "n_train_images": int(train[0].shape[0]),
        "n_test_images": int(test_ids.size),
        "fev_threshold": FEV_THRESHOLD,
        **rendered,
    }
    per_neuron = _score_models(
        metrics, (repeats, predictions, has_ceiling), model, (n_resamples, confidence_level, seed)
    )
    metrics.update(_fit_metrics(encoders, model, fit_seconds))
    tuning_metrics, tuning_data = tuning_comparison(
        recording, encoders[model], per_neuron.get("fev")
    )
    metrics.update(tuning_metrics)
    data = figure_data(encoders, model, repeats, predictions, per_neuron, test_images, seed, chosen)
    data["tuning"] = tuning_data
    metrics["wall_seconds"] = round(time.perf_counter() - started, 3)
    result = AnalysisResult(
        title="Encoding",
        kind="encoding",
        data=data,
        metrics=metrics,
        summary=summarise(metrics, has_ceiling),
        parameters={
            "model": model,
            "random_state": seed,
            "verbose": verbose,
            "device": device,
            "quick": quick,
            "test_fraction": test_fraction,
            "max_neurons": max_neurons,
            "n_resamples": n_resamples,
            "confidence_level": confidence_level,
            "n_jobs": n_jobs,
            "neuron_indices": chosen.tolist(),
            "encoder": encoders[model].get_params(),
            "baseline": encoders["linear"].get_params(),
        },
    )
    if figures:
        result.draw()
    return result


def _score_models(
    metrics: dict[str, Any],
    tests: tuple[NDArray[np.float32], dict[str, NDArray[np.float32]], bool],
    model: str,
    resampling: tuple[int, float, int],
) -> dict[str, Any]:
    """Add the scores of every model to ``metrics``; return the per-neuron scores."""
    repeats, predictions, has_ceiling = tests
    if has_ceiling:
        scores, per_neuron = _ceiling_metrics(repeats, predictions, model, resampling)
        scores.update(confidence_level=resampling[1], n_resamples=resampling[0])
    else:
        scores, per_neuron = _correlation_metrics(
            repeats, predictions, model, int(repeats.shape[2])
        )
    metrics.update(scores)
    return per_neuron


def _encoders(
    model: str,
    train_images: NDArray[np.float32],
    quick: bool,
    encoder_params: dict[str, Any] | None,
    seed: int,
    device: str,
    verbose: int,
) -> dict[str, Any]:
    """The linear baseline and, for ``model="cnn"``, the CNN with run_encoding's settings."""
    encoders: dict[str, Any] = {"linear": LinearEncoder()}
    if model == "cnn":
        params = network_params(
            quick=quick,
            image_size=(int(train_images.shape[1]), int(train_images.shape[2])),
            n_train=int(train_images.shape[0]),
            encoder_params=encoder_params,
        )
        encoders["cnn"] = CNNEncoder(random_state=seed, device=device, verbose=verbose, **params)
    return encoders


def _fit_metrics(
    encoders: dict[str, Any], model: str, fit_seconds: dict[str, float]
) -> dict[str, Any]:
    """Fit times, output non-linearities and the CNN's training summary."""
    metrics: dict[str, Any] = {}
    for name, encoder in encoders.items():
        prefix = "" if name == model else f"{name}_"
        metrics[f"{prefix}fit_seconds"] = round(fit_seconds[name], 3)
        metrics[f"{prefix}output"] = encoder.output_
    if "cnn" in encoders:
        metrics["loss"] = encoders["cnn"].loss_
        metrics["epochs"] = encoders["cnn"].n_iter_
        metrics["best_epoch"] = encoders["cnn"].best_epoch_
    return metrics
