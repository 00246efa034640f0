"""Decoding error against the number of neurons and of training trials.

Each point is a random subsample (log-spaced sizes, repeated) fitted on a training split and
scored on held-out trials; independent fits fan out through joblib. The splits are random
hold-outs, or given (for example the folds of :func:`cross_validate_decoder`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from joblib import Parallel, delayed
from numpy.typing import ArrayLike, NDArray
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import GroupShuffleSplit, ShuffleSplit

from neurodl.decoding.crossval import _as_decoder, _check_xy, _period_of
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import median_abs_error

__all__ = ["log_sizes", "neuron_curve", "trial_curve"]


def log_sizes(low: int, high: int, n_points: int = 8) -> NDArray[np.intp]:
    """Up to ``n_points`` distinct integers log-spaced from ``low`` to ``high`` (inclusive).

    Examples
    --------
    >>> log_sizes(10, 1000, 3).tolist()
    [10, 100, 1000]
    """
    low, high = max(1, int(low)), max(1, int(high))
    if low > high:
        low = high
    return np.unique(np.round(np.geomspace(low, high, n_points)).astype(np.intp))


Splits = Sequence[tuple[NDArray[np.intp], NDArray[np.intp]]]


def _holdouts(
    n_trials: int,
    groups: ArrayLike | None,
    test_size: float,
    n_repeats: int,
    seed: int | None,
    splits: Splits | None = None,
) -> list[tuple[NDArray[np.intp], NDArray[np.intp]]]:
    if splits is not None:
        given = [
            (np.asarray(tr, dtype=np.intp), np.asarray(te, dtype=np.intp)) for tr, te in splits
        ]
        if not given or any(
            tr.size < 2 or te.size < 1 or tr.max() >= n_trials or te.max() >= n_trials
            for tr, te in given
        ):
            raise NeurodlValueError(
                f"splits must be (train, test) index pairs within the {n_trials} trials, "
                f"at least 2 training and 1 test trial each; got {len(given)} pairs."
            )
        return given
    if not 0 < test_size < 1:
        raise NeurodlValueError(f"test_size must lie in (0, 1); got {test_size!r}.")
    if not isinstance(n_repeats, (int, np.integer)) or n_repeats < 1:
        raise NeurodlValueError(f"n_repeats must be an int >= 1; got {n_repeats!r}.")
    dummy = np.zeros((n_trials, 1))
    if groups is None:
        return list(ShuffleSplit(n_repeats, test_size=test_size, random_state=seed).split(dummy))
    splitter = GroupShuffleSplit(n_repeats, test_size=test_size, random_state=seed)
    return list(splitter.split(dummy, groups=np.asarray(groups)))


def _score(
    decoder: BaseEstimator,
    X: NDArray[np.float32],
    y: NDArray[np.float64],
    train: NDArray[np.intp],
    test: NDArray[np.intp],
    neurons: NDArray[np.intp] | None,
    period: float,
) -> float:
    cols = slice(None) if neurons is None else neurons
    fitted = clone(decoder).fit(X[train][:, cols], y[train])
    return median_abs_error(y[test], fitted.predict(X[test][:, cols]), period)


def neuron_curve(
    decoder: BaseEstimator | str,
    responses: ArrayLike,
    orientation: ArrayLike,
    *,
    sizes: ArrayLike | None = None,
    n_repeats: int = 3,
    test_size: float = 0.25,
    groups: ArrayLike | None = None,
    bound: Callable[[NDArray[np.intp]], float] | None = None,
    splits: Splits | None = None,
    random_state: int | None = 0,
    n_jobs: int | None = 1,
) -> dict[str, Any]:
    """Held-out median absolute error against the number of neurons decoded.

    Parameters
    ----------
    decoder : estimator or str
    responses : array-like of shape (n_trials, n_neurons)
    orientation : array-like of shape (n_trials,)
    sizes : array-like of int, optional
        Numbers of neurons; by default 8 log-spaced from min(10, n_neurons) to n_neurons.
    n_repeats : int
        Random subsets (and train/test splits) per size.
    test_size : float
        Fraction of trials (or of conditions, with ``groups``) held out.
    groups : array-like of shape (n_trials,), optional
        Condition of each trial; repeats stay on one side of the split.
    bound : callable, optional
        ``bound(neuron_indices) -> degrees``: for instance the Cramér–Rao median of the subset,
        ``lambda idx: cramer_rao_median(recording, neurons=idx)``.
    splits : sequence of (train_index, test_index), optional
        Train/test splits to use, one repeat each (for example cross-validation folds), instead
        of ``n_repeats`` random hold-outs of ``test_size``.
    random_state : int or None
    n_jobs : int or None

    Returns
    -------
    dict
        ``n_neurons`` (n_sizes,), ``errors`` (n_sizes, n_repeats), ``median_abs_error_deg``
        (n_sizes,) mean over repeats, and ``bound_deg`` (n_sizes, n_repeats) or None.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(0, 360, 300)
    >>> tuning = np.cos(np.deg2rad(theta[:, None] - rng.uniform(0, 360, 40)))
    >>> X = tuning + rng.normal(0, 1, (300, 40))
    >>> curve = neuron_curve("bayes", X, theta, sizes=[4, 40], n_repeats=2)
    >>> bool(curve["median_abs_error_deg"][0] > curve["median_abs_error_deg"][1])
    True
    """
    estimator = _as_decoder(decoder)
    X, y = _check_xy(responses, orientation)
    period = _period_of(estimator, None)
    y = np.mod(y, period)
    p = X.shape[1]
    counts = log_sizes(min(10, p), p) if sizes is None else np.asarray(sizes, dtype=np.intp)
    if counts.size == 0 or counts.min() < 1 or counts.max() > p:
        raise NeurodlValueError(
            f"sizes must lie in [1, {p}] (the number of neurons); got {sizes!r}."
        )
    splits = _holdouts(y.size, groups, test_size, n_repeats, random_state, splits)
    rng = np.random.default_rng(random_state)
    subsets = [[np.sort(rng.choice(p, int(c), replace=False)) for _ in splits] for c in counts]
    errors = Parallel(n_jobs=n_jobs)(
        delayed(_score)(estimator, X, y, train, test, subsets[i][r], period)
        for i in range(counts.size)
        for r, (train, test) in enumerate(splits)
    )
    table = np.asarray(errors, dtype=np.float64).reshape(counts.size, len(splits))
    bounds = (
        None
        if bound is None
        else np.array([[float(bound(subset)) for subset in row] for row in subsets])
    )
    return {
        "n_neurons": counts,
        "errors": table,
        "median_abs_error_deg": table.mean(1),
        "bound_deg": bounds,
    }


def trial_curve(
    decoder: BaseEstimator | str,
    responses: ArrayLike,
    orientation: ArrayLike,
    *,
    sizes: ArrayLike | None = None,
    n_repeats: int = 3,
    test_size: float = 0.25,
    groups: ArrayLike | None = None,
    splits: Splits | None = None,
    random_state: int | None = 0,
    n_jobs: int | None = 1,
) -> dict[str, Any]:
    """Held-out median absolute error against the number of training trials.

    The test trials of each repeat are fixed; training trials are random subsets of the rest.
    Parameters as in :func:`neuron_curve`; ``sizes`` counts training trials (by default 8
    log-spaced from 20 to all of them).

    Returns
    -------
    dict
        ``n_trials`` (n_sizes,), ``errors`` (n_sizes, n_repeats), ``median_abs_error_deg``.
    """
    estimator = _as_decoder(decoder)
    X, y = _check_xy(responses, orientation)
    period = _period_of(estimator, None)
    y = np.mod(y, period)
    splits = _holdouts(y.size, groups, test_size, n_repeats, random_state, splits)
    n_train = min(train.size for train, _ in splits)
    counts = log_sizes(min(20, n_train), n_train) if sizes is None else np.asarray(sizes, np.intp)
    if counts.size == 0 or counts.min() < 2 or counts.max() > n_train:
        raise NeurodlValueError(
            f"sizes must lie in [2, {n_train}] (the training trials); got {sizes!r}."
        )
    rng = np.random.default_rng(random_state)
    picks = [[np.sort(rng.choice(tr, int(c), replace=False)) for tr, _ in splits] for c in counts]
    errors = Parallel(n_jobs=n_jobs)(
        delayed(_score)(estimator, X, y, picks[i][r], test, None, period)
        for i in range(counts.size)
        for r, (_, test) in enumerate(splits)
    )
    table = np.asarray(errors, dtype=np.float64).reshape(counts.size, len(splits))
    return {"n_trials": counts, "errors": table, "median_abs_error_deg": table.mean(1)}
