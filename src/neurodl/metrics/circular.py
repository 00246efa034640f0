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


def _paired(predicted: ArrayLike, true: ArrayLike) -> tuple[NDArray[np.float64], ...]:
    pred = np.asarray(predicted, dtype=np.float64).reshape(-1)
    ref = np.asarray(true, dtype=np.float64).reshape(-1)
    if pred.shape != ref.shape:
        raise NeurodlValueError(
            f"predicted and true must have the same length; got {pred.size} and {ref.size}."
        )
    if pred.size == 0:
        raise NeurodlValueError("predicted and true must not be empty.")
    if not (np.isfinite(pred).all() and np.isfinite(ref).all()):
        raise NeurodlValueError("predicted and true must be finite (no NaN or inf).")
    return pred, ref


def circular_error(
    predicted: ArrayLike, true: ArrayLike, period: float = 360.0
) -> NDArray[np.float64]:
    """Absolute circular error |predicted - true| wrapped onto the circle, in [0, period/2].

    Parameters
    ----------
    predicted, true : array-like of shape (n_trials,)
        Angles in degrees.
    period : float
        360 for directions, 180 for orientations.

    Examples
    --------
    >>> circular_error([359.0, 90.0], [1.0, 80.0]).tolist()
    [2.0, 10.0]
    """
    period = _check_period(period)
    pred, ref = _paired(predicted, true)
    return np.abs(circular_difference(pred, ref, period))


def median_abs_error(predicted: ArrayLike, true: ArrayLike, period: float = 360.0) -> float:
    """Median absolute circular error in degrees (Stringer et al. 2021's headline number).

    Examples
    --------
    >>> median_abs_error([10.0, 20.0, 350.0], [0.0, 20.0, 0.0])
    10.0
    """
    return float(np.median(circular_error(predicted, true, period)))


def circular_rmse(predicted: ArrayLike, true: ArrayLike, period: float = 360.0) -> float:
    """Root mean squared circular error in degrees.

    Examples
    --------
    >>> circular_rmse([3.0, 356.0], [0.0, 0.0])
    3.5355339059327378
    """
    return float(np.sqrt(np.mean(circular_error(predicted, true, period) ** 2)))


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
    predicted: ArrayLike, true: ArrayLike, n_bins: int, period: float = 360.0
) -> float:
    """Fraction of trials whose predicted angle falls in the same bin as the true angle.

    Chance is ``1 / n_bins``.

    Examples
    --------
    >>> fraction_correct([5.0, 25.0], [1.0, 1.0], n_bins=36)
    0.5
    """
    pred, ref = _paired(predicted, true)
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
    predicted: ArrayLike,
    true: ArrayLike,
    period: float = 360.0,
    *,
    groups: ArrayLike | None = None,
    n_bootstrap: int = 1000,
    ci: float = 0.95,
    random_state: int | None = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval of the median absolute circular error.

    Trials are resampled with replacement; with ``groups`` (the condition of each trial) whole
    conditions are resampled instead, so that repeats of one stimulus stay together. Each
    resample's median is read from the sorted errors and the resample counts (no copies).

    Parameters
    ----------
    predicted, true : array-like of shape (n_trials,)
        Angles in degrees.
    period : float
    groups : array-like of shape (n_trials,), optional
    n_bootstrap : int
        Resamples (>= 10).
    ci : float
        Confidence level in (0, 1).
    random_state : int or None

    Returns
    -------
    low, high : float
        Degrees.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> truth = rng.uniform(0, 360, 500)
    >>> low, high = median_abs_error_ci(truth + rng.normal(0, 3, 500), truth)
    >>> bool(low < 0.674 * 3 < high)
    True
    """
    errors = circular_error(predicted, true, period)
    if not isinstance(n_bootstrap, (int, np.integer)) or n_bootstrap < 10:
        raise NeurodlValueError(f"n_bootstrap must be an int >= 10; got {n_bootstrap!r}.")
    if not 0 < ci < 1:
        raise NeurodlValueError(f"ci must lie in (0, 1); got {ci!r}.")
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
    medians = np.empty(n_bootstrap)
    for b in range(n_bootstrap):
        counts = np.bincount(rng.integers(0, n_units, n_units), minlength=n_units)
        cumulative = np.cumsum(counts[unit_sorted])
        total = int(cumulative[-1])
        middle = np.searchsorted(cumulative, [(total - 1) // 2, total // 2], side="right")
        medians[b] = sorted_errors[middle].mean()
    tail = 100 * (1 - ci) / 2
    low, high = np.percentile(medians, [tail, 100 - tail])
    return float(low), float(high)
