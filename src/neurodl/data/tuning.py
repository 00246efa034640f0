"""Tuning curves and preferred orientations measured from responses (numpy only)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError

__all__ = ["compute_preferred_orientation", "compute_tuning_curves"]


def _check(responses: ArrayLike, orientation: ArrayLike) -> tuple[NDArray, NDArray]:
    r = np.asarray(responses, dtype=np.float32)
    theta = np.asarray(orientation, dtype=np.float64)
    if r.ndim != 2:
        raise NeurodlValueError(f"responses must be 2-D (n_trials, n_neurons); got {r.shape}.")
    if theta.shape != (r.shape[0],):
        raise NeurodlValueError(
            f"orientation must have shape ({r.shape[0]},) to match responses; got {theta.shape}."
        )
    return r, theta


def compute_tuning_curves(
    responses: ArrayLike, orientation: ArrayLike, *, n_bins: int = 36, period: float = 360.0
) -> tuple[NDArray[np.float64], NDArray[np.float32], NDArray[np.float32]]:
    """Mean response and its standard error in orientation bins.

    Parameters
    ----------
    responses : array-like of shape (n_trials, n_neurons)
    orientation : array-like of shape (n_trials,)
        Degrees.
    n_bins : int
        Bins evenly tiling [0, period).
    period : float
        360 for direction, 180 for orientation.

    Returns
    -------
    centres : ndarray of shape (n_bins,)
        Bin centres in degrees.
    mean, sem : ndarray of shape (n_bins, n_neurons)
        NaN in bins without trials.
    """
    r, theta = _check(responses, orientation)
    if n_bins < 2:
        raise NeurodlValueError(f"n_bins must be >= 2; got {n_bins!r}.")
    width = period / n_bins
    index = np.floor(np.mod(theta, period) / width).astype(np.intp) % n_bins
    counts = np.bincount(index, minlength=n_bins).astype(np.float64)
    sums = np.zeros((n_bins, r.shape[1]))
    squares = np.zeros((n_bins, r.shape[1]))
    np.add.at(sums, index, r)
    np.add.at(squares, index, r.astype(np.float64) ** 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sums / counts[:, None]
        var = (squares / counts[:, None] - mean**2) * counts[:, None] / (counts[:, None] - 1)
        sem = np.sqrt(np.maximum(var, 0) / counts[:, None])
    centres = (np.arange(n_bins, dtype=np.float64) + 0.5) * width
    return centres, mean.astype(np.float32), sem.astype(np.float32)


def compute_preferred_orientation(
    responses: ArrayLike, orientation: ArrayLike, *, period: float = 360.0
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Preferred orientation and tuning strength of each neuron from its responses.

    The preferred angle is the circular mean of the stimulus angles weighted by the mean-removed
    responses (vector sum); the strength is that vector's length divided by the response standard
    deviation, so untuned neurons score near zero whatever their rate.

    Returns
    -------
    preferred : ndarray of shape (n_neurons,)
        Degrees in [0, period).
    strength : ndarray of shape (n_neurons,)
    """
    r, theta = _check(responses, orientation)
    phase = np.exp(1j * 2 * np.pi * theta / period)
    centred = r - r.mean(0, dtype=np.float64)
    vector = (phase @ centred) / r.shape[0]
    preferred = np.mod(np.angle(vector) * period / (2 * np.pi), period)
    sd = r.std(0, dtype=np.float64)
    strength = np.abs(vector) / np.where(sd > 0, sd, np.inf)
    return preferred, strength
