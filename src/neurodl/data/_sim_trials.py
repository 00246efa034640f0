"""Trials of the V1 simulator: the trial schedule, grating images and noisy responses."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.data._sim_model import chunks, interpolate_tuning
from neurodl.stimuli import make_grating


def schedule(
    n_trials: int, repeats: int, test_images: int, test_repeats: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], int]:
    """Image shown on each trial (shuffled) and the number of ordinary images."""
    n_ordinary = n_trials - test_images * test_repeats
    n_images = math.ceil(n_ordinary / repeats)
    ordinary = np.repeat(np.arange(n_images), repeats)[:n_ordinary]
    test = np.repeat(np.arange(n_images, n_images + test_images), test_repeats)
    return rng.permutation(np.concatenate([ordinary, test])).astype(np.int64), n_images


def sample_trials(
    means: Callable[[slice], NDArray[np.float32]],
    n_trials: int,
    n_neurons: int,
    *,
    fano: float,
    gain_noise: float,
    rng: np.random.Generator,
) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """Responses r = g f + η with gamma η (mean 0, var fano g f); ``means(slice)`` gives f."""
    if gain_noise > 0:
        shape = 1.0 / gain_noise**2
        gains = rng.gamma(shape, 1.0 / shape, n_trials)
    else:
        gains = np.ones(n_trials)
    responses = np.empty((n_trials, n_neurons), dtype=np.float32)
    for rows in chunks(n_trials, 4 * n_neurons):
        mean = means(rows).astype(np.float64) * gains[rows, None]
        responses[rows] = rng.gamma(mean / fano, fano)
    return responses, gains


def grating_trials(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating],
    orientation: ArrayLike,
    *,
    fano: float,
    gain_noise: float,
    orientation_jitter: float,
    random_state: int | np.random.Generator | None = None,
) -> tuple[NDArray[np.float32], dict[str, NDArray[np.float64]]]:
    """Noisy responses to gratings from tuning on the 1-degree grid (raw units).

    Parameters
    ----------
    tuning, derivative : ndarray of shape (n_neurons, 360)
        Noise-free mean response (> 0) at 0..359 deg and its derivative per degree; between grid
        points the tuning is the periodic cubic Hermite interpolant.
    orientation : array-like of shape (n_trials,)
        Stimulus orientation of each trial in degrees.

    Returns
    -------
    responses : ndarray of shape (n_trials, n_neurons)
    latents : dict
        ``gain`` and ``jitter_deg`` of each trial.
    """
    rng = np.random.default_rng(random_state)
    theta = np.asarray(orientation, dtype=np.float64)
    jitter = np.asarray(rng.normal(0.0, 1.0, theta.shape[0]) * orientation_jitter, dtype=np.float64)
    grid_f = np.ascontiguousarray(np.asarray(tuning, dtype=np.float32).T)
    grid_df = np.ascontiguousarray(np.asarray(derivative, dtype=np.float32).T)

    def means(rows: slice) -> NDArray[np.float32]:
        out = interpolate_tuning(grid_f, grid_df, theta[rows] + jitter[rows])
        return np.maximum(out, 1e-6).astype(np.float32)

    responses, gains = sample_trials(
        means, theta.shape[0], grid_f.shape[1], fano=fano, gain_noise=gain_noise, rng=rng
    )
    return responses, {"gain": gains, "jitter_deg": jitter}


def grating_images(
    orientation: NDArray[np.float64], size: tuple[int, int], spatial_frequency: float, phase: float
) -> NDArray[np.float32]:
    images = np.empty((orientation.shape[0], *size), dtype=np.float32)
    for rows in chunks(orientation.shape[0], 8 * size[0] * size[1]):
        images[rows] = make_grating(
            orientation[rows], size=size, spatial_frequency=spatial_frequency, phase=phase
        )
    return images
