"""What every decoder shares: input validation, the circular score and scikit-learn tags."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import circular_error

__all__ = ["BaseDecoder", "check_period"]

PERIODS = (180, 360)


def check_period(period: Any) -> float:
    """``period`` as a float, or a clear error when it is neither 180 nor 360."""
    if isinstance(period, bool) or period not in PERIODS:
        raise NeurodlValueError(f"period must be one of {{180, 360}} (degrees); got {period!r}.")
    return float(period)


def to_radians(angles: NDArray[np.float64], period: float) -> NDArray[np.float64]:
    """Angles in degrees mapped onto a full circle (so that ``period`` maps to 2π)."""
    return angles * (2.0 * np.pi / period)


def refine_peak(scores: NDArray[Any], step: float, period: float) -> NDArray[np.float64]:
    """Angle of each row's maximum over a circular grid, refined by a parabola through 3 points.

    ``scores`` has shape (n_trials, n_grid) on the grid ``0, step, ...``; returns degrees in
    [0, period).
    """
    n_grid = scores.shape[1]
    best = np.argmax(scores, axis=1)
    rows = np.arange(scores.shape[0])
    left = scores[rows, (best - 1) % n_grid].astype(np.float64)
    mid = scores[rows, best].astype(np.float64)
    right = scores[rows, (best + 1) % n_grid].astype(np.float64)
    curvature = left - 2.0 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        offset = np.where(curvature < 0, 0.5 * (left - right) / curvature, 0.0)
    offset = np.clip(np.nan_to_num(offset), -0.5, 0.5)
    return np.mod((best + offset) * step, period)


class BaseDecoder(RegressorMixin, BaseEstimator):
    """Shared behaviour of the orientation decoders (not used directly).

    Subclasses define ``fit`` and ``predict``; ``score`` is circular: 1 for perfect decoding, 0 for
    a guess independent of the stimulus (mean absolute error ``period / 4``), negative below that.
    """

    period: Any

    def _validate_fit(
        self, X: ArrayLike, y: ArrayLike, *, dtype: Any = np.float32
    ) -> tuple[NDArray[Any], NDArray[np.float64]]:
        period = check_period(self.period)
        X_arr, y_arr = validate_data(
            self, X, y, dtype=dtype, y_numeric=True, ensure_min_samples=2, reset=True
        )
        y_arr = np.asarray(y_arr, dtype=np.float64)
        if y_arr.ndim != 1:
            raise NeurodlValueError(
                f"orientation must be 1-D (n_trials,) in degrees; got shape {y_arr.shape}."
            )
        return X_arr, np.mod(y_arr, period)

    def _validate_predict(self, X: ArrayLike, *, dtype: Any = np.float32) -> NDArray[Any]:
        check_is_fitted(self)
        return validate_data(self, X, dtype=dtype, reset=False)

    def score(self, X: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """Circular skill: ``1 - mean|error| / (period / 4)``; 1 is perfect, 0 is chance.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_neurons)
        y : array-like of shape (n_trials,)
            True angles in degrees.
        sample_weight : array-like of shape (n_trials,), optional
        """
        period = check_period(self.period)
        errors = circular_error(y, self.predict(X), period)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
        mean = float(np.average(errors, weights=weights))
        return 1.0 - mean / (period / 4.0)

    def __sklearn_tags__(self):  # type: ignore[no-untyped-def]
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.regressor_tags.poor_score = True
        return tags
