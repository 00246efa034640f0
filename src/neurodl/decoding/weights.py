"""The curriculum's weight analysis: input weights sorted by preferred orientation, unit tuning."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

from neurodl.decoding._base import check_period
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.metrics import orientation_bins

__all__ = ["hidden_unit_tuning", "preferred_orientation", "sorted_input_weights"]


def preferred_orientation(
    responses: ArrayLike, orientation: ArrayLike, *, period: float = 360
) -> NDArray[np.float64]:
    """Each neuron's preferred angle: the direction of its response-weighted resultant vector.

    Parameters
    ----------
    responses : array-like of shape (n_trials, n_neurons)
    orientation : array-like of shape (n_trials,)
        Degrees.
    period : {360, 180}

    Returns
    -------
    ndarray of shape (n_neurons,)
        Degrees in [0, period).

    Examples
    --------
    >>> theta = np.arange(0, 360, 10.0)
    >>> preferred_orientation(np.cos(np.deg2rad(theta - 40))[:, None] + 1, theta).round(3)
    array([40.])
    """
    period_f = check_period(period)
    X = np.asarray(responses, dtype=np.float32)
    phase = np.asarray(orientation, dtype=np.float64).reshape(-1) * (2 * np.pi / period_f)
    if X.ndim != 2 or X.shape[0] != phase.size:
        raise NeurodlValueError(
            f"responses must be (n_trials, n_neurons) with n_trials={phase.size}; got {X.shape}."
        )
    centred = np.c_[np.cos(phase), np.sin(phase)].astype(np.float32)
    resultant = centred.T @ X  # (2, n_neurons); the mean response does not bias the direction
    angle = np.arctan2(resultant[1], resultant[0]).astype(np.float64)
    return np.mod(angle * period_f / (2 * np.pi), period_f)


def sorted_input_weights(
    decoder: Any, preferred: ArrayLike
) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    """Input weights of a fitted decoder with neurons sorted by preferred orientation.

    Parameters
    ----------
    decoder : fitted MLPDecoder, CurriculumDecoder or LinearDecoder
        Uses ``coefs_[0]`` (torch decoders) or ``coef_`` (linear).
    preferred : array-like of shape (n_neurons,)
        Preferred orientation of each neuron (degrees).

    Returns
    -------
    weights : ndarray of shape (n_neurons, n_units)
        Rows in order of increasing preferred orientation.
    order : ndarray of shape (n_neurons,)
        The neuron index of each row.
    """
    check_is_fitted(decoder)
    if hasattr(decoder, "coefs_"):
        weights = np.asarray(decoder.coefs_[0], dtype=np.float32)
    elif hasattr(decoder, "coef_"):
        weights = np.asarray(decoder.coef_, dtype=np.float32).reshape(decoder.n_features_in_, -1)
    else:
        raise NeurodlTypeError(
            f"decoder must have input weights (coefs_ or coef_); got {type(decoder).__name__}."
        )
    pref = np.asarray(preferred, dtype=np.float64).reshape(-1)
    if pref.size != weights.shape[0]:
        raise NeurodlValueError(
            f"preferred must have one angle per neuron ({weights.shape[0]}); got {pref.size}."
        )
    order = np.argsort(pref, kind="stable").astype(np.intp)
    return weights[order], order


def hidden_unit_tuning(
    decoder: Any, responses: ArrayLike, orientation: ArrayLike, *, n_bins: int = 36
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean activity of each first-layer hidden unit in each orientation bin.

    Returns
    -------
    centres : ndarray of shape (n_bins,)
        Bin centres in degrees.
    tuning : ndarray of shape (n_bins, n_hidden)
        NaN for empty bins.
    """
    if not hasattr(decoder, "hidden_activations"):
        raise NeurodlTypeError(
            f"decoder must be a fitted MLPDecoder or CurriculumDecoder; got "
            f"{type(decoder).__name__}."
        )
    period = check_period(decoder.period)
    activity = decoder.hidden_activations(responses).astype(np.float64)
    bins = orientation_bins(orientation, n_bins, period)
    counts = np.bincount(bins, minlength=n_bins).astype(np.float64)
    sums = np.zeros((n_bins, activity.shape[1]))
    np.add.at(sums, bins, activity)
    with np.errstate(invalid="ignore", divide="ignore"):
        tuning = sums / counts[:, None]
    tuning[counts == 0] = np.nan
    centres = (np.arange(n_bins) + 0.5) * period / n_bins
    return centres, tuning
