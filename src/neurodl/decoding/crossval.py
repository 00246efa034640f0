"""Cross-validation that cannot leak, and the shuffle control.

Folds are stratified by orientation bins so that every fold covers the circle, and grouped by
condition (``image_id``) when stimuli repeat, so that no test image was seen in training.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from neurodl.decoding._base import check_period
from neurodl.decoding.factory import make_decoder
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.metrics import circular_error, orientation_bins

__all__ = ["cross_validate_decoder", "make_folds", "shuffle_control"]


def _as_decoder(decoder: BaseEstimator | str) -> BaseEstimator:
    if isinstance(decoder, str):
        return make_decoder(decoder)
    if not hasattr(decoder, "fit") or not hasattr(decoder, "predict"):
        raise NeurodlTypeError(
            f"decoder must be a decoder name or an estimator with fit/predict; got {decoder!r}."
        )
    return decoder


def _period_of(decoder: BaseEstimator, period: float | None) -> float:
    if period is not None:
        return check_period(period)
    return check_period(decoder.get_params().get("period", 360))


def _check_xy(
    responses: ArrayLike, orientation: ArrayLike
) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    X = np.asarray(responses, dtype=np.float32)
    y = np.asarray(orientation, dtype=np.float64).reshape(-1)
    if X.ndim != 2:
        raise NeurodlValueError(f"responses must be 2-D (n_trials, n_neurons); got {X.shape}.")
    if X.shape[0] != y.size:
        raise NeurodlValueError(
            f"responses and orientation must have the same number of trials; got {X.shape[0]} "
            f"and {y.size}."
        )
    if not np.isfinite(y).all():
        raise NeurodlValueError("orientation contains NaN or inf values.")
    return X, y


def make_folds(
    orientation: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    folds: int = 5,
    period: float = 360,
    n_strata: int = 8,
    random_state: int | None = 0,
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    """Train/test index pairs stratified by orientation bin and, when given, grouped.

    Parameters
    ----------
    orientation : array-like of shape (n_trials,)
        Degrees.
    groups : array-like of shape (n_trials,), optional
        Condition of each trial (``image_id``); all trials of a group fall in the same fold.
    folds : int
        Number of folds (>= 2).
    period : {360, 180}
    n_strata : int
        Orientation bins used for stratification.
    random_state : int or None

    Returns
    -------
    list of (train_index, test_index)
    """
    y = np.asarray(orientation, dtype=np.float64).reshape(-1)
    if not isinstance(folds, (int, np.integer)) or isinstance(folds, bool) or folds < 2:
        raise NeurodlValueError(f"folds must be an int >= 2; got {folds!r}.")
    units = y.size if groups is None else np.unique(np.asarray(groups)).size
    if folds > units:
        kind = "trials" if groups is None else "conditions (image_id groups)"
        raise NeurodlValueError(f"folds={folds} is more than the {units} {kind} available.")
    strata = orientation_bins(y, n_strata, check_period(period))
    X_dummy = np.zeros((y.size, 1))
    if groups is None:
        # as many strata as the smallest class allows, so that sklearn never warns
        counts = np.bincount(strata, minlength=n_strata)
        if counts[counts > 0].min() < folds:
            strata = np.zeros_like(strata)
        splitter: Any = StratifiedKFold(folds, shuffle=True, random_state=random_state)
        return list(splitter.split(X_dummy, strata))
    splitter = StratifiedGroupKFold(folds, shuffle=True, random_state=random_state)
    return list(splitter.split(X_dummy, strata, np.asarray(groups)))


def _check_splits(
    splits: Sequence[tuple[ArrayLike, ArrayLike]], n_trials: int
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    pairs = [(np.asarray(tr, dtype=np.intp), np.asarray(te, dtype=np.intp)) for tr, te in splits]
    tested = np.concatenate([te for _, te in pairs]) if pairs else np.empty(0, np.intp)
    if len(pairs) < 2 or np.sort(tested).tolist() != list(range(n_trials)):
        raise NeurodlValueError(
            f"splits must be at least two (train, test) folds whose test sets cover each of the "
            f"{n_trials} trials exactly once; got {len(pairs)} folds testing {tested.size} trials."
        )
    return pairs


def _fit_fold(
    decoder: BaseEstimator,
    X: NDArray[np.float32],
    y: NDArray[np.float64],
    train: NDArray[np.intp],
    test: NDArray[np.intp],
) -> tuple[NDArray[np.float64], float, BaseEstimator]:
    start = time.perf_counter()
    fitted = clone(decoder).fit(X[train], y[train])
    elapsed = time.perf_counter() - start
    return np.asarray(fitted.predict(X[test]), dtype=np.float64), elapsed, fitted


def cross_validate_decoder(
    decoder: BaseEstimator | str,
    responses: ArrayLike,
    orientation: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    folds: int = 5,
    period: float | None = None,
    n_strata: int = 8,
    random_state: int | None = 0,
    n_jobs: int | None = 1,
    return_estimators: bool = False,
    splits: Sequence[tuple[ArrayLike, ArrayLike]] | None = None,
) -> dict[str, Any]:
    """Out-of-fold predictions and errors of a decoder under leak-free cross-validation.

    Parameters
    ----------
    decoder : estimator or str
        A decoder (cloned for each fold) or a name for :func:`make_decoder`.
    responses : array-like of shape (n_trials, n_neurons)
    orientation : array-like of shape (n_trials,)
        Degrees.
    groups : array-like of shape (n_trials,), optional
        Condition (``image_id``) of each trial; repeats never straddle train and test.
    folds, n_strata, random_state
        See :func:`make_folds`.
    period : {360, 180}, optional
        Defaults to the decoder's own ``period``.
    n_jobs : int or None
        Folds fitted in parallel through joblib (1: sequential).
    return_estimators : bool
        Keep the fitted decoder of each fold.
    splits : sequence of (train_index, test_index), optional
        Folds to use instead of making them (each trial in exactly one test fold).

    Returns
    -------
    dict
        ``predictions`` (n_trials,) degrees, ``fold`` (n_trials,) index of each trial's test fold,
        ``errors`` (n_trials,) absolute circular errors, ``median_abs_error_deg``,
        ``mean_abs_error_deg``, ``rmse_deg``, ``fold_median_abs_error_deg``, ``fold_rmse_deg``,
        ``fit_seconds`` (per fold), ``period``, ``splits`` (the folds) and ``estimators`` (list
        or None).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(0, 360, 300)
    >>> tuning = np.cos(np.deg2rad(theta[:, None] - np.arange(0, 360, 20)))
    >>> X = tuning + rng.normal(0, 0.3, (300, 18))
    >>> cv = cross_validate_decoder("bayes", X, theta, folds=3)
    >>> len(cv["fold_median_abs_error_deg"]), bool(cv["median_abs_error_deg"] < 10)
    (3, True)
    """
    estimator = _as_decoder(decoder)
    X, y = _check_xy(responses, orientation)
    period_f = _period_of(estimator, period)
    y = np.mod(y, period_f)
    folds_used = (
        make_folds(
            y,
            groups=groups,
            folds=folds,
            period=period_f,
            n_strata=n_strata,
            random_state=random_state,
        )
        if splits is None
        else _check_splits(splits, y.size)
    )
    outputs = Parallel(n_jobs=n_jobs)(
        delayed(_fit_fold)(estimator, X, y, train, test) for train, test in folds_used
    )
    predictions = np.empty(y.size)
    fold = np.empty(y.size, dtype=np.intp)
    fold_median, fold_rmse, times = [], [], []
    for k, ((_, test), (pred, elapsed, _)) in enumerate(zip(folds_used, outputs, strict=True)):
        predictions[test] = pred
        fold[test] = k
        err = circular_error(y[test], pred, period_f)
        fold_median.append(float(np.median(err)))
        fold_rmse.append(float(np.sqrt(np.mean(err**2))))
        times.append(elapsed)
    errors = circular_error(y, predictions, period_f)
    return {
        "predictions": predictions,
        "fold": fold,
        "errors": errors,
        "median_abs_error_deg": float(np.median(errors)),
        "mean_abs_error_deg": float(np.mean(errors)),
        "rmse_deg": float(np.sqrt(np.mean(errors**2))),
        "fold_median_abs_error_deg": fold_median,
        "fold_rmse_deg": fold_rmse,
        "fit_seconds": times,
        "period": period_f,
        "splits": folds_used,
        "estimators": [out[2] for out in outputs] if return_estimators else None,
    }


def shuffle_control(
    decoder: BaseEstimator | str,
    responses: ArrayLike,
    orientation: ArrayLike,
    *,
    groups: ArrayLike | None = None,
    random_state: int | None = 0,
    **options: Any,
) -> dict[str, Any]:
    """Cross-validate with the orientation labels permuted; the error should sit at chance.

    Labels are permuted across conditions when ``groups`` is given (repeats keep a shared label),
    else across trials. Errors are measured against the permuted labels the decoder was trained
    on; chance is a median absolute error of ``period / 4``. Other keywords go to
    :func:`cross_validate_decoder` (pass ``splits`` to reuse the folds of the real labels; by
    default folds are made, stratified by the permuted labels); the result also holds
    ``permuted_orientation``.
    """
    _, y = _check_xy(responses, orientation)
    rng = np.random.default_rng(random_state)
    if groups is None:
        permuted = y[rng.permutation(y.size)]
    else:
        _, first, inverse = np.unique(np.asarray(groups), return_index=True, return_inverse=True)
        permuted = y[first][rng.permutation(first.size)][inverse.reshape(-1)]
    result = cross_validate_decoder(
        decoder, responses, permuted, groups=groups, random_state=random_state, **options
    )
    result["permuted_orientation"] = permuted
    return result
