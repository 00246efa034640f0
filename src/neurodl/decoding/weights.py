"""The curriculum's weight analysis: input weights sorted by preferred orientation, unit tuning."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

from neurodl.decoding._base import check_period
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.metrics import orientation_bins

__all__ = ["hidden_unit_tuning", "sorted_input_weights"]


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
