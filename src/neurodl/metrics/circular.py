"""Decoding metrics: circular differences and errors, bins, chance levels, error CIs."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError

__all__ = [
    "chance_median_abs_error",
    "chance_rmse",
    "circular_difference",
    "circular_error",
    "circular_rmse",
    "fraction_correct",
    "median_abs_error",
    "median_abs_error_ci",
    "orientation_bins",
]


def circular_difference(a: ArrayLike, b: ArrayLike, period: float = 360.0) -> NDArray[np.float64]:
    """Signed difference a - b wrapped into [-period/2, period/2).

    Examples
    --------
    >>> circular_difference(350.0, 10.0).item()
    -20.0
    """
    if period <= 0:
        raise NeurodlValueError(f"period must be > 0; got {period!r}.")
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return (diff + period / 2) % period - period / 2


def _check_period(period: float) -> float:
    if not isinstance(period, (int, float, np.integer, np.floating)) or not period > 0:
        raise NeurodlValueError(f"period must be a positive number of degrees; got {period!r}.")
    return float(period)


def _paired(y_true: ArrayLike, y_pred: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    """(y_true, y_pred) as flat float64 arrays of one length, finite and non-empty."""
    ref = np.asarray(y_true, dtype=np.float64).reshape(-1)
    pred = np.asarray(y_pred, dtype=np.float64).reshape(-1)
    if pred.shape != ref.shape:
        raise NeurodlValueError(
            f"y_true and y_pred must have the same length; got {ref.size} and {pred.size}."
        )
    if pred.size == 0:
        raise NeurodlValueError("y_true and y_pred must not be empty.")
    if not (np.isfinite(pred).all() and np.isfinite(ref).all()):
        raise NeurodlValueError("y_true and y_pred must be finite (no NaN or inf).")
    return ref, pred


def circular_error(
    y_true: ArrayLike, y_pred: ArrayLike, period: float = 360.0
) -> NDArray[np.float64]:
    """Absolute circular error ``|y_pred - y_true|`` wrapped onto the circle, in [0, period/2].

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_trials,)
        True and predicted angles in degrees.
    period : float
        360 for directions, 180 for orientations.

    Examples
    --------
    >>> circular_error([1.0, 80.0], [359.0, 90.0]).tolist()
    [2.0, 10.0]
    """
    period = _check_period(period)
    ref, pred = _paired(y_true, y_pred)
    return np.abs(circular_difference(pred, ref, period))


def median_abs_error(y_true: ArrayLike, y_pred: ArrayLike, period: float = 360.0) -> float:
    """Median absolute circular error in degrees (Stringer et al. 2021's headline number).

    Examples
    --------
    >>> median_abs_error([0.0, 20.0, 0.0], [10.0, 20.0, 350.0])
    10.0
    """
    return float(np.median(circular_error(y_true, y_pred, period)))


def circular_rmse(y_true: ArrayLike, y_pred: ArrayLike, period: float = 360.0) -> float:
    """Root mean squared circular error in degrees.

    Examples
    --------
    >>> circular_rmse([0.0, 0.0], [3.0, 356.0])
    3.5355339059327378
    """
    return float(np.sqrt(np.mean(circular_error(y_true, y_pred, period) ** 2)))


def orientation_bins(angles: ArrayLike, n_bins: int, period: float = 360.0) -> NDArray[np.intp]:
    """Index of the bin of width ``period / n_bins`` (first bin starts at 0°) of each angle.

    Examples
    --------
    >>> orientation_bins([0.0, 15.0, 359.0, -1.0], 36).tolist()
    [0, 1, 35, 35]
    """
    period = _check_period(period)
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 2:
        raise NeurodlValueError(f"n_bins must be an int >= 2; got {n_bins!r}.")
    wrapped = np.mod(np.asarray(angles, dtype=np.float64), period)
    return np.minimum((wrapped / (period / n_bins)).astype(np.intp), n_bins - 1)


def fraction_correct(
    y_true: ArrayLike, y_pred: ArrayLike, n_bins: int, period: float = 360.0
) -> float:
    """Fraction of trials whose predicted angle falls in the same bin as the true angle.

    Chance is ``1 / n_bins``.

    Examples
    --------
    >>> fraction_correct([1.0, 1.0], [5.0, 25.0], n_bins=36)
    0.5
    """
    ref, pred = _paired(y_true, y_pred)
    return float(
        np.mean(orientation_bins(pred, n_bins, period) == orientation_bins(ref, n_bins, period))
    )


def chance_median_abs_error(period: float = 360.0) -> float:
    """Median absolute error of a guess independent of the stimulus (uniform errors): period / 4."""
    return _check_period(period) / 4.0


def chance_rmse(period: float = 360.0) -> float:
    """RMSE of a guess independent of the stimulus (uniform errors): period / sqrt(12)."""
    return _check_period(period) / float(np.sqrt(12.0))


def median_abs_error_ci(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    period: float = 360.0,
    *,
    groups: ArrayLike | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | None = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the median absolute circular error.

    Trials are resampled with replacement; with ``groups`` (the condition of each trial) whole
    conditions are resampled instead, so that repeats of one stimulus stay together. Each
    resample's median is read from the sorted errors and the resample counts (no copies).

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_trials,)
        True and predicted angles in degrees.
    period : float
    groups : array-like of shape (n_trials,), optional
    n_resamples : int
        Resamples (>= 10).
    confidence_level : float
        In (0, 1).
    random_state : int or None

    Returns
    -------
    low, high : float
        Degrees.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.uniform(0, 360, 500)
    >>> low, high = median_abs_error_ci(truth, truth + rng.normal(0, 3, 500))
    >>> bool(low < 0.674 * 3 < high)
    True
    """
    errors = circular_error(y_true, y_pred, period)
    if not isinstance(n_resamples, (int, np.integer)) or n_resamples < 10:
        raise NeurodlValueError(f"n_resamples must be an int >= 10; got {n_resamples!r}.")
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
    if groups is None:
        unit = np.arange(errors.size)
    else:
        labels = np.asarray(groups).reshape(-1)
        if labels.size != errors.size:
            raise NeurodlValueError(
                f"groups must have one label per trial ({errors.size}); got {labels.size}."
            )
        unit = np.unique(labels, return_inverse=True)[1].reshape(-1)
    order = np.argsort(errors, kind="stable")
    sorted_errors, unit_sorted = errors[order], unit[order]
    n_units = int(unit.max()) + 1
    rng = np.random.default_rng(random_state)
    medians = np.empty(n_resamples)
    for b in range(n_resamples):
        counts = np.bincount(rng.integers(0, n_units, n_units), minlength=n_units)
        cumulative = np.cumsum(counts[unit_sorted])
        total = int(cumulative[-1])
        middle = np.searchsorted(cumulative, [(total - 1) // 2, total // 2], side="right")
        medians[b] = sorted_errors[middle].mean()
    tail = 100 * (1 - confidence_level) / 2
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)
