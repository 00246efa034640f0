"""A mouse V1 population simulator with ground truth (the embedded default dataset).

:func:`simulate_v1` shows images (full-field gratings at random orientations, or 1/f noise) to a
population of image-computable model neurons (Gabor receptive fields; simple, complex and weakly
tuned cells; heterogeneous gains; a threshold-power output nonlinearity; see
``neurodl.data._sim_model``) and adds the noise of a two-photon recording: a shared multiplicative
gain per trial, a per-trial orientation jitter that limits information (differential
correlations), and independent non-negative, skewed noise whose variance is ``fano`` times the mean
(gamma distributed). The ground truth — noise-free tuning, the linear Fisher information and the
Cramér–Rao bound on orientation decoding, explainable variance per neuron — is stored in the
returned :class:`~neurodl.data.Recording` (see ``neurodl.data._sim_truth`` for the formulas).
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.data import _sim_model as model
from neurodl.data import _sim_trials as trials
from neurodl.data import _sim_truth as truth
from neurodl.data.recording import Recording
from neurodl.exceptions import NeurodlValueError
from neurodl.stimuli import make_noise_images

__all__ = ["cramer_rao_median", "fisher_information", "simulate_trials", "simulate_v1"]

GRATING_PHASE = 90.0  # deg: with cosine gratings, θ and θ + 180 are contrast-inverted images
# noise images with pixel SD 1 drive the Gabors about as strongly (RMS) as the gratings do
NOISE_CONTRAST = 2.0
_STIMULI = ("gratings", "noise")


def _check(condition: bool | np.bool_, message: str) -> None:
    if not condition:
        raise NeurodlValueError(message)


def _validate(params: dict[str, Any]) -> tuple[int, int]:
    for name in ("n_neurons", "n_trials", "repeats", "test_repeats"):
        value = params[name]
        _check(
            isinstance(value, int | np.integer) and value >= 1,
            f"{name} must be an integer >= 1; got {value!r}.",
        )
    k = params["test_images"]
    _check(
        isinstance(k, int | np.integer) and k >= 0,
        f"test_images must be an integer >= 0; got {k!r}.",
    )
    _check(
        k * params["test_repeats"] <= params["n_trials"],
        f"test_images * test_repeats must not exceed n_trials; got {k} * "
        f"{params['test_repeats']} = {k * params['test_repeats']} > {params['n_trials']}.",
    )
    _check(
        params["stimulus"] in _STIMULI,
        f"stimulus must be one of {{'gratings', 'noise'}}; got {params['stimulus']!r}.",
    )
    size = params["image_size"]
    _check(
        isinstance(size, tuple | list)
        and len(size) == 2
        and all(isinstance(s, int | np.integer) and s >= 8 for s in size),
        f"image_size must be (height, width), each >= 8 pixels; got {size!r}.",
    )
    for name in ("fraction_complex", "fraction_untuned"):
        _check(0.0 <= params[name] <= 1.0, f"{name} must lie in [0, 1]; got {params[name]!r}.")
    total = params["fraction_complex"] + params["fraction_untuned"]
    _check(total <= 1.0, f"fraction_complex + fraction_untuned must be <= 1; got {total!r}.")
    for name in ("orientation_jitter", "gain_noise"):
        value = params[name]
        _check(math.isfinite(value) and value >= 0, f"{name} must be >= 0; got {value!r}.")
    for name in ("fano", "spatial_frequency"):
        value = params[name]
        _check(math.isfinite(value) and value > 0, f"{name} must be > 0; got {value!r}.")
    return int(size[0]), int(size[1])


def _ground_truth(
    tuning: NDArray[np.float32],
    derivative: NDArray[np.float32],
    noise: dict[str, float],
    stimulus: str,
    image_means: NDArray[np.float32] | None,
) -> tuple[dict[str, Any], NDArray[np.float64]]:
    """Fisher information, Cramér–Rao bounds and explainable variance."""
    gt: dict[str, Any] = {"orientation_grid": np.arange(model.GRID_SIZE, dtype=np.float64)}
    if stimulus == "gratings":
        info, mean, variance = truth.analyse(
            tuning,
            derivative,
            fano=noise["fano"],
            gain_noise=noise["gain_noise"],
            orientation_jitter=noise["orientation_jitter"],
        )
        assert mean is not None and variance is not None
        info_local = truth.fisher_information(
            tuning, derivative, **{**noise, "orientation_jitter": 0.0}
        )
        gt.update(
            fisher_information=info,
            fisher_information_local=info_local,
            cramer_rao_sd_deg=1.0 / np.sqrt(info),
            cramer_rao_median_deg=truth.cramer_rao_median(info),
            cramer_rao_rms_deg=truth.cramer_rao_rms(info),
        )
        ev = truth.explainable_variance(mean, variance)
    else:
        assert image_means is not None
        signal = image_means.T.astype(np.float64)
        noise_var = noise["fano"] * signal + noise["gain_noise"] ** 2 * signal**2
        ev = truth.explainable_variance(signal, noise_var)
    return gt, ev


def simulate_v1(
    n_neurons: int = 2000,
    n_trials: int = 4000,
    *,
    repeats: int = 1,
    test_images: int = 0,
    test_repeats: int = 10,
    image_size: tuple[int, int] = (48, 64),
    stimulus: Literal["gratings", "noise"] = "gratings",
    spatial_frequency: float = 4.0,
    fraction_complex: float = 0.45,
    fraction_untuned: float = 0.15,
    orientation_jitter: float = 1.5,
    gain_noise: float = 0.15,
    fano: float = 1.0,
    zscore: bool = False,
    random_state: int | np.random.Generator | None = None,
) -> Recording:
    """Simulate a mouse V1 recording of responses to images, with its ground truth.

    Parameters
    ----------
    n_neurons, n_trials : int
        Size of the recording.
    repeats : int
        Trials per ordinary image (the last image may get fewer so that trials add up).
    test_images, test_repeats : int
        The last ``test_images`` images are each shown ``test_repeats`` times; the per-trial
        stimulus variable ``test_set`` (0/1) marks their trials. Ordinary images fill the other
        ``n_trials - test_images * test_repeats`` trials.
    image_size : (height, width)
        Image size in pixels.
    stimulus : {"gratings", "noise"}
        Full-field sine gratings at orientations uniform in [0, 360) (phase 90°, so θ and θ + 180°
        are contrast-inverted images), or 1/f noise images with pixel SD 1 (no ``orientation``
        variable and no Fisher information then; the orientation jitter applies to gratings
        only).
    spatial_frequency : float
        Grating frequency in cycles per image width; the neurons' preferred frequencies scatter
        log-normally around it.
    fraction_complex, fraction_untuned : float
        Fractions of complex and weakly tuned cells; the rest are simple cells.
    orientation_jitter : float
        SD in degrees of the per-trial orientation jitter (information-limiting correlations).
    gain_noise : float
        SD of the shared multiplicative gain per trial (mean 1).
    fano : float
        Ratio of the independent noise variance to the mean response.
    zscore : bool
        Z-score each neuron over trials; tuning curves are then stored in the same units.
    random_state : int, Generator or None
        Seed; the same seed gives the same recording.

    Returns
    -------
    Recording
        ``responses`` (n_trials, n_neurons) float32; stimulus ``orientation`` (deg, gratings),
        ``image_id`` and ``test_set`` (when ``test_images`` > 0); ``images``
        (n_images, height, width); neurons ``tuning`` and ``tuning_derivative``
        (n_neurons, 360; response units, per degree), ``preferred_orientation``,
        ``explainable_variance``, ``cell_type``, ``position`` (row, column in pixels), the
        receptive-field parameters, ``response_offset`` and ``response_scale`` (z-scored =
        (raw - offset) / scale); ``meta['ground_truth']`` with the Fisher information per degree
        squared on ``orientation_grid``, ``cramer_rao_sd_deg``, ``cramer_rao_median_deg``,
        ``cramer_rao_rms_deg``, the noise parameters and each trial's latent gain and jitter.
        The Fisher information is the exact linear Fisher information m'ᵀ Σ⁻¹ m' of the noise
        model, with m and Σ the mean and covariance of the responses given θ (jitter included);
        ``fisher_information_local`` is the same without the jitter. Explainable variance is
        computed over uniform orientations (gratings) or over the images shown (noise). With
        ``zscore`` each neuron is standardised with its mean and SD over the simulated trials.

    Examples
    --------
    >>> rec = simulate_v1(200, 500, random_state=0)
    >>> rec.responses.shape, rec.images.shape
    ((500, 200), (500, 48, 64))
    >>> float(rec.meta["ground_truth"]["cramer_rao_median_deg"]) > 0
    True
    """
    parameters = {k: v for k, v in locals().items() if k != "random_state"}
    size = _validate(parameters)
    noise = {"fano": fano, "gain_noise": gain_noise, "orientation_jitter": orientation_jitter}
    neuron_rng, stim_rng, noise_rng = np.random.default_rng(random_state).spawn(3)

    image_id, n_ordinary = trials.schedule(n_trials, repeats, test_images, test_repeats, stim_rng)
    n_images = n_ordinary + test_images
    params = model.sample_neurons(
        n_neurons,
        neuron_rng,
        image_size=size,
        spatial_frequency=spatial_frequency,
        fraction_complex=fraction_complex,
        fraction_untuned=fraction_untuned,
    )
    tuning, derivative = model.grating_tuning(
        params, image_size=size, spatial_frequency=spatial_frequency, phase=GRATING_PHASE
    )
    images, stim, responses, latents, image_means = _responses(
        stimulus,
        params,
        (tuning, derivative),
        (image_id, n_images, n_trials),
        (size, spatial_frequency),
        noise,
        (stim_rng, noise_rng),
    )
    stim["image_id"] = image_id
    if test_images > 0:
        stim["test_set"] = (image_id >= n_ordinary).astype(np.int64)

    ground_truth, ev = _ground_truth(tuning, derivative, noise, stimulus, image_means)
    ground_truth.update(
        fano=fano,
        gain_noise=gain_noise,
        orientation_jitter_deg=orientation_jitter,
        noise_model="r = g f(theta + delta) + gamma noise with var fano * g * f",
        grating_phase_deg=GRATING_PHASE,
        spatial_frequency=spatial_frequency,
        trial_gain=latents["gain"],
        **({"trial_jitter_deg": latents["jitter_deg"]} if "jitter_deg" in latents else {}),
    )
    offset, scale = np.zeros(n_neurons), np.ones(n_neurons)
    if zscore:
        responses, tuning, derivative, offset, scale = _zscored(responses, tuning, derivative)
    neurons = {
        **params,
        "tuning": tuning,
        "tuning_derivative": derivative,
        "preferred_orientation": np.argmax(tuning, axis=1).astype(np.float64),
        "explainable_variance": ev,
        "response_offset": offset,
        "response_scale": scale,
    }
    meta = {
        "source": "neurodl.simulate_v1",
        "units": "z-score" if zscore else "a.u. (deconvolved event rate)",
        "preprocessing": ["zscore"] if zscore else [],
        "parameters": {
            **{k: _plain(v) for k, v in parameters.items()},
            "random_state": random_state if isinstance(random_state, int) else None,
        },
        "ground_truth": ground_truth,
    }
    return Recording(responses, stimulus=stim, images=images, neurons=neurons, meta=meta)


def _responses(
    stimulus: str,
    params: dict[str, NDArray[Any]],
    tuning: tuple[NDArray[np.float32], NDArray[np.float32]],
    schedule: tuple[NDArray[np.int64], int, int],
    geometry: tuple[tuple[int, int], float],
    noise: dict[str, float],
    rngs: tuple[np.random.Generator, np.random.Generator],
) -> tuple[Any, dict[str, NDArray[Any]], NDArray[np.float32], dict[str, Any], Any]:
    """Images, per-trial stimulus variables, responses, trial latents and (noise images) the
    mean response to each image."""
    image_id, n_images, n_trials = schedule
    size, spatial_frequency = geometry
    stim_rng, noise_rng = rngs
    stim: dict[str, NDArray[Any]] = {}
    if stimulus == "gratings":
        image_orientation = stim_rng.uniform(0.0, 360.0, n_images)
        images = trials.grating_images(image_orientation, size, spatial_frequency, GRATING_PHASE)
        stim["orientation"] = image_orientation[image_id]
        responses, latents = trials.grating_trials(
            tuning[0], tuning[1], stim["orientation"], **noise, random_state=noise_rng
        )
        return images, stim, responses, latents, None
    images = make_noise_images(n_images, size=size, contrast=NOISE_CONTRAST, random_state=stim_rng)
    image_means = np.maximum(model.image_responses(params, images), np.float32(1e-6))
    responses, gains = trials.sample_trials(
        lambda rows: image_means[image_id[rows]],
        n_trials,
        tuning[0].shape[0],
        fano=noise["fano"],
        gain_noise=noise["gain_noise"],
        rng=noise_rng,
    )
    return images, stim, responses, {"gain": gains}, image_means


def _zscored(
    responses: NDArray[np.float32], tuning: NDArray[np.float32], derivative: NDArray[np.float32]
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float32], Any, Any]:
    """Responses, tuning and its derivative z-scored per neuron; the offsets and scales."""
    offset = responses.mean(0, dtype=np.float64)
    scale = responses.std(0, dtype=np.float64)
    scale = np.where(scale > 0, scale, 1.0)
    return (
        ((responses - offset) / scale).astype(np.float32),
        ((tuning - offset[:, None]) / scale[:, None]).astype(np.float32),
        (derivative / scale[:, None]).astype(np.float32),
        offset,
        scale,
    )


def _plain(value: Any) -> Any:
    """A parameter as a plain JSON value."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


def _raw_tuning(
    recording: Recording, neurons: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], dict[str, float]]:
    gt = recording.ground_truth
    needed = ("tuning", "tuning_derivative", "response_offset", "response_scale")
    missing = any(k not in recording.neurons for k in needed)
    if gt is None or "fisher_information" not in gt or missing:
        raise NeurodlValueError(
            "recording must come from simulate_v1 with stimulus='gratings' (needs "
            "meta['ground_truth'] with Fisher information and neuron tables 'tuning', "
            "'tuning_derivative', 'response_offset', 'response_scale')."
        )
    index = Recording._as_index(neurons, recording.n_neurons, "neurons")
    scale = np.asarray(recording.neurons["response_scale"], dtype=np.float64)[index]
    offset = np.asarray(recording.neurons["response_offset"], dtype=np.float64)[index]
    f = np.asarray(recording.neurons["tuning"], dtype=np.float64)[index]
    df = np.asarray(recording.neurons["tuning_derivative"], dtype=np.float64)[index]
    if f.shape[0] == 0:
        raise NeurodlValueError("neurons must select at least one neuron; got an empty selection.")
    noise = {
        "fano": float(gt["fano"]),
        "gain_noise": float(gt["gain_noise"]),
        "orientation_jitter": float(gt["orientation_jitter_deg"]),
    }
    return f * scale[:, None] + offset[:, None], df * scale[:, None], noise


def fisher_information(
    recording: Recording, neurons: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Linear Fisher information about orientation of a simulated population or a subset of it.

    Parameters
    ----------
    recording : Recording
        Made by :func:`simulate_v1` with gratings (z-scored or not).
    neurons : array-like of int or bool, optional
        Subset of neurons (index array or mask); all by default.

    Returns
    -------
    grid_deg : ndarray of shape (360,)
        Orientations 0, 1, ..., 359 deg.
    fi : ndarray of shape (360,)
        f'ᵀ Σ⁻¹ f' in 1/deg² under the simulator's noise covariance (including the
        information-limiting jitter); 1/sqrt(fi) is the Cramér–Rao bound on the SD in degrees.

    Examples
    --------
    >>> rec = simulate_v1(100, 50, random_state=0)
    >>> grid, fi = fisher_information(rec, neurons=np.arange(10))
    >>> grid.shape, bool(np.all(fi > 0))
    ((360,), True)
    """
    f, df, noise = _raw_tuning(recording, neurons)
    info = truth.fisher_information(f, df, **noise)
    return np.arange(model.GRID_SIZE, dtype=np.float64), info


def cramer_rao_median(recording: Recording, neurons: ArrayLike | None = None) -> float:
    """Median absolute orientation error (deg) of an efficient unbiased decoder.

    The Cramér–Rao SD 1/sqrt(I(θ)) at each orientation, with errors Gaussian and θ uniform over
    [0, 360); see :func:`fisher_information` for ``recording`` and ``neurons``.
    """
    _, info = fisher_information(recording, neurons)
    return truth.cramer_rao_median(info)


def simulate_trials(
    recording: Recording,
    orientation: ArrayLike,
    *,
    random_state: int | np.random.Generator | None = None,
) -> NDArray[np.float32]:
    """New noisy trials of a simulated population at chosen grating orientations.

    Uses the recording's ground truth (tuning, derivative and noise parameters), so that the
    trials follow the same model as ``recording.responses``, in the same units (z-scored with
    the recording's offsets and scales when it was simulated with ``zscore=True``).

    Parameters
    ----------
    recording : Recording
        Made by :func:`simulate_v1` with gratings (or a neuron subset of one, via ``select``).
    orientation : array-like of shape (n_trials,)
        Stimulus orientation of each new trial in degrees.
    random_state : int, Generator or None
        Seed of the noise.

    Returns
    -------
    ndarray of shape (n_trials, n_neurons)

    Examples
    --------
    >>> rec = simulate_v1(50, 100, random_state=0)
    >>> simulate_trials(rec, [10.0, 10.0, 100.0], random_state=1).shape
    (3, 50)
    """
    f, df, noise = _raw_tuning(recording, None)
    theta = np.asarray(orientation, dtype=np.float64).reshape(-1)
    if not np.all(np.isfinite(theta)):
        raise NeurodlValueError("orientation must be finite degrees; got NaN or inf values.")
    responses, _ = trials.grating_trials(f, df, theta, **noise, random_state=random_state)
    offset = np.asarray(recording.neurons["response_offset"], dtype=np.float64)
    scale = np.asarray(recording.neurons["response_scale"], dtype=np.float64)
    return ((responses - offset) / scale).astype(np.float32)
