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
from neurodl.exceptions import DataValueError, NeurodlValueError, check_option
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
    seed: int,
) -> dict[str, Any]:
    per_feve = feve(repeats, prediction)
    scores: dict[str, Any] = {
        "feve": per_feve,
        "corr_to_average": correlation_to_average(repeats, prediction),
        "single_trial_corr": single_trial_correlation(repeats, prediction),
    }
    # the interval of the statistic as reported: the FEV > threshold selection is redone in
    # every resample of the test images (see bootstrap_feve_ci)
    ci = bootstrap_feve_ci(repeats, prediction, n_resamples=1000, random_state=seed)
    scores["feve_ci"] = [ci["mean"][0], ci["mean"][1]]
    scores["feve_median_ci"] = [ci["median"][0], ci["median"][1]]
    return scores


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

    Returns
    -------
    AnalysisResult
    """
    from neurodl.encoding._figures import make_figures, summarise

    check_option("model", model, _MODELS)
    if not 0.0 < test_fraction < 1.0:
        raise NeurodlValueError(f"test_fraction must lie in (0, 1); got {test_fraction!r}.")
    seed = resolve_seed(random_state)
    started = time.time()
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
    if max_neurons is not None:
        check_positive("max_neurons", max_neurons, integer=True)
    caps = [int(c) for c in (max_neurons, _QUICK_NEURONS if quick else None) if c is not None]
    limit = min(caps) if caps else None
    fitted_how, chosen = "all", np.arange(n_recorded)
    if limit is not None and limit < n_recorded:
        # a random subset (seeded, in recording order): the neurons' order in a file often
        # follows depth, cell type or preference, which the first N would inherit
        chosen = np.sort(np.random.default_rng(seed).choice(n_recorded, limit, replace=False))
        recording = recording.select(neurons=chosen)
        fitted_how = "random_subset"
    test_ids, how = choose_test_images(recording, test_fraction=test_fraction, random_state=seed)
    train_images, train_responses = _train_set(recording, test_ids)
    if quick and train_images.shape[0] > 600:
        train_images, train_responses = train_images[:600], train_responses[:600]
    repeats = _test_repeats(recording, test_ids)
    assert recording.images is not None
    test_images = recording.images[test_ids]
    has_ceiling = bool(np.sum(np.sum(~np.isnan(repeats[:, :, 0]), axis=1) >= 2) >= 2)

    params = network_params(
        quick=quick,
        image_size=(int(train_images.shape[1]), int(train_images.shape[2])),
        n_train=int(train_images.shape[0]),
        encoder_params=encoder_params,
    )
    encoders: dict[str, Any] = {"linear": LinearEncoder()}
    if model == "cnn":
        encoders["cnn"] = CNNEncoder(random_state=seed, device=device, verbose=verbose, **params)
    fit_seconds, predictions = {}, {}
    for name, encoder in encoders.items():
        tic = time.time()
        encoder.fit(train_images, train_responses)
        fit_seconds[name] = time.time() - tic
        predictions[name] = encoder.predict(test_images)

    metrics: dict[str, Any] = {
        "model": model,
        "test_images_chosen_by": how,
        "n_neurons": recording.n_neurons,
        "n_neurons_recorded": n_recorded,
        "n_neurons_fitted": recording.n_neurons,
        "neurons_fitted": fitted_how,
        "grating_stimuli": "orientation" in recording.stimulus,
        "n_train_images": int(train_images.shape[0]),
        "n_test_images": int(test_ids.size),
        "fev_threshold": FEV_THRESHOLD,
        **rendered,
    }
    per_neuron: dict[str, Any] = {}
    if has_ceiling:
        per_fev = fev(repeats)
        used = per_fev > FEV_THRESHOLD
        if not used.any():
            raise DataValueError(
                f"no neuron has FEV > {FEV_THRESHOLD} on the test images: the responses are "
                "too noisy to judge an encoding model."
            )
        oracle = oracle_correlation(repeats)
        metrics.update(
            fev_mean=float(np.nanmean(per_fev)),
            n_neurons_used=int(used.sum()),
            oracle_corr_mean=float(np.nanmean(oracle[used])),
            test_repeats_mean=float(np.mean(np.sum(~np.isnan(repeats[:, :, 0]), axis=1))),
        )
        per_neuron["fev"] = per_fev
        for name in encoders:
            s = _score(repeats, predictions[name], seed)
            per_neuron[name] = s
            prefix = "" if name == model else f"{name}_"
            metrics[f"{prefix}feve_mean"] = float(np.nanmean(s["feve"][used]))
            metrics[f"{prefix}feve_median"] = float(np.nanmedian(s["feve"][used]))
            metrics[f"{prefix}feve_ci95"] = s["feve_ci"]
            metrics[f"{prefix}feve_median_ci95"] = s["feve_median_ci"]
            metrics[f"{prefix}corr_to_average_mean"] = float(np.nanmean(s["corr_to_average"][used]))
            metrics[f"{prefix}single_trial_corr_mean"] = float(
                np.nanmean(s["single_trial_corr"][used])
            )
    else:
        metrics.update(
            fev_mean=None, n_neurons_used=recording.n_neurons, feve_mean=None, feve_median=None
        )
        measured = np.nanmean(repeats, axis=1)
        for name in encoders:
            r = pearson_correlation(measured, predictions[name])
            prefix = "" if name == model else f"{name}_"
            metrics[f"{prefix}corr_to_average_mean"] = float(np.nanmean(r))
            per_neuron[name] = {"corr_to_average": r}
    for name, seconds in fit_seconds.items():
        prefix = "" if name == model else f"{name}_"
        metrics[f"{prefix}fit_seconds"] = round(seconds, 3)
    for name, encoder in encoders.items():
        metrics[("" if name == model else f"{name}_") + "output"] = encoder.output_
    if "cnn" in encoders:
        metrics["loss"] = encoders["cnn"].loss_
        metrics["epochs"] = encoders["cnn"].n_iter_
        metrics["best_epoch"] = encoders["cnn"].best_epoch_
    figures = make_figures(
        recording,
        encoders,
        model,
        repeats,
        predictions,
        per_neuron,
        test_images,
        seed,
        neuron_ids=chosen,
    )
    metrics.update(figures.pop("_metrics", {}))
    parameters = {
        "model": model,
        "random_state": seed,
        "verbose": verbose,
        "device": device,
        "quick": quick,
        "test_fraction": test_fraction,
        "max_neurons": max_neurons,
        "neuron_indices": chosen.tolist(),
        "encoder": encoders[model].get_params(),
        "baseline": encoders["linear"].get_params(),
    }
    metrics["wall_seconds"] = round(time.time() - started, 3)
    return AnalysisResult(
        metrics=metrics,
        figures=figures,
        summary=summarise(metrics, has_ceiling),
        parameters=parameters,
    )
