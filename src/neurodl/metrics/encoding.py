"""Encoding metrics: FEV, FEVE, correlations, noise ceilings and their bootstrap CIs."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError, check_resampling

__all__ = [
    "FEV_THRESHOLD",
    "bootstrap_ci",
    "bootstrap_feve_ci",
    "correlation_to_average",
    "fev",
    "feve",
    "oracle_correlation",
    "pearson_correlation",
    "single_trial_correlation",
    "split_half_reliability",
]


#: The field's convention (Cadena et al. 2019; Sensorium): report FEVE over neurons whose
#: fraction of explainable variance exceeds this threshold.
FEV_THRESHOLD = 0.15


def _as_repeats(repeats: ArrayLike, name: str = "repeats") -> NDArray[np.float64]:
    """Validate (n_images, n_repeats, n_neurons) responses; NaN marks missing repeats."""
    array = np.asarray(repeats, dtype=np.float64)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise NeurodlValueError(
            f"{name} must have shape (n_images, n_repeats, n_neurons); got shape {array.shape}."
        )
    if np.isinf(array).any():
        raise NeurodlValueError(f"{name} contain inf values.")
    counts = np.sum(~np.isnan(array), axis=1)
    if array.shape[0] < 2 or np.any(np.sum(counts >= 2, axis=0) < 2):
        raise NeurodlValueError(
            f"{name} need at least 2 images with at least 2 repeats each for every neuron; got "
            f"shape {array.shape} with {int(np.min(np.sum(counts >= 2, axis=0)))} such images."
        )
    return array


def _as_predictions(predictions: ArrayLike, n_images: int, n_neurons: int) -> NDArray[np.float64]:
    array = np.asarray(predictions, dtype=np.float64)
    if array.ndim == 1 and n_neurons == 1:
        array = array[:, None]
    if array.shape != (n_images, n_neurons):
        raise NeurodlValueError(
            f"predictions must have shape (n_images, n_neurons) = ({n_images}, {n_neurons}); got "
            f"{array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise NeurodlValueError("predictions contain NaN or inf values.")
    return array


def _variances(repeats: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Total variance over all trials and mean within-image (noise) variance, per neuron.

    Both use ddof=1; the noise variance averages over images with at least two repeats.
    """
    n_neurons = repeats.shape[2]
    trials = repeats.transpose(2, 0, 1).reshape(n_neurons, -1)
    total = np.nanvar(trials, axis=1, ddof=1)
    counts = np.sum(~np.isnan(repeats), axis=1)
    mean = np.nanmean(repeats, axis=1, keepdims=True)
    squares = np.nansum((repeats - mean) ** 2, axis=1)
    usable = counts >= 2
    per_image = np.where(usable, squares / np.maximum(counts - 1, 1), 0.0)
    noise = per_image.sum(axis=0) / usable.sum(axis=0)
    return total, noise


def pearson_correlation(y_true: ArrayLike, y_pred: ArrayLike) -> NDArray[np.float64]:
    """Pearson correlation of each column (neuron) of ``y_true`` with the same column of ``y_pred``.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_samples, n_neurons) or (n_samples,)

    Returns
    -------
    ndarray of shape (n_neurons,)
        NaN for a neuron whose responses or predictions are constant.

    Examples
    --------
    >>> pearson_correlation([1.0, 2.0, 3.0], [2.0, 4.0, 7.0]).round(3)
    array([0.993])
    """
    a = np.asarray(y_true, dtype=np.float64)
    b = np.asarray(y_pred, dtype=np.float64)
    a = a[:, None] if a.ndim == 1 else a
    b = b[:, None] if b.ndim == 1 else b
    if a.ndim != 2 or a.shape != b.shape:
        raise NeurodlValueError(
            f"y_true and y_pred must have the same 2-D shape (n_samples, n_neurons); got "
            f"{np.shape(y_true)} and {np.shape(y_pred)}."
        )
    if a.shape[0] < 2:
        raise NeurodlValueError(f"need at least 2 samples to correlate; got {a.shape[0]}.")
    a = a - a.mean(0)
    b = b - b.mean(0)
    denominator = np.sqrt((a**2).sum(0) * (b**2).sum(0))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, (a * b).sum(0) / denominator, np.nan)


def fev(repeats: ArrayLike) -> NDArray[np.float64]:
    """Fraction of explainable variance of each neuron, from repeated presentations.

    ``FEV = (Var_total - noise_var) / Var_total``, where ``Var_total`` is the variance over all
    trials and ``noise_var`` the variance across repeats of an image, averaged over images (both
    with ddof=1; Cadena et al. 2019). Neurons with ``FEV > FEV_THRESHOLD`` (0.15) are the ones
    the field reports.

    Parameters
    ----------
    repeats : array-like of shape (n_images, n_repeats, n_neurons)
        Responses to each test image on each repeat; NaN where an image has fewer repeats
        (the layout of ``Recording.stack_repeats``).

    Returns
    -------
    ndarray of shape (n_neurons,)

    Examples
    --------
    >>> fev([[[1.0], [3.0]], [[5.0], [7.0]]]).round(3)
    array([0.7])
    """
    total, noise = _variances(_as_repeats(repeats))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (total - noise) / total, np.nan)


def feve(repeats: ArrayLike, predictions: ArrayLike) -> NDArray[np.float64]:
    """Fraction of explainable variance explained by a model's predictions, per neuron.

    ``FEVE = 1 - (MSE - noise_var) / (Var_total - noise_var)``, where ``MSE`` is the mean squared
    error of the prediction over all trials (each repeat against its image's prediction). A
    perfect model of the noise-free response scores 1 in expectation; predicting the mean scores
    about 0. Estimates can exceed 1 (the per-image repeat means themselves do, since they fit part
    of the noise), so report them over many images and neurons.

    Parameters
    ----------
    repeats : array-like of shape (n_images, n_repeats, n_neurons)
        Responses on each repeat; NaN where missing.
    predictions : array-like of shape (n_images, n_neurons)
        The model's response to each image.

    Returns
    -------
    ndarray of shape (n_neurons,)
        NaN for a neuron without explainable variance (``Var_total <= noise_var``).

    Examples
    --------
    >>> feve([[[1.0], [3.0]], [[5.0], [7.0]]], [[2.5], [5.5]]).round(3)
    array([1.161])
    """
    data = _as_repeats(repeats)
    pred = _as_predictions(predictions, data.shape[0], data.shape[2])
    total, noise = _variances(data)
    mse = np.nanmean((data - pred[:, None, :]) ** 2, axis=(0, 1))
    explainable = total - noise
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(explainable > 0, 1.0 - (mse - noise) / explainable, np.nan)


def correlation_to_average(repeats: ArrayLike, predictions: ArrayLike) -> NDArray[np.float64]:
    """Correlation of each neuron's predictions with its response averaged over repeats.

    Parameters
    ----------
    repeats : array-like of shape (n_images, n_repeats, n_neurons)
    predictions : array-like of shape (n_images, n_neurons)

    Returns
    -------
    ndarray of shape (n_neurons,)
    """
    data = _as_repeats(repeats)
    pred = _as_predictions(predictions, data.shape[0], data.shape[2])
    return pearson_correlation(np.nanmean(data, axis=1), pred)


def single_trial_correlation(repeats: ArrayLike, predictions: ArrayLike) -> NDArray[np.float64]:
    """Correlation of each neuron's predictions with its single-trial responses (all repeats).

    Returns
    -------
    ndarray of shape (n_neurons,)
    """
    data = _as_repeats(repeats)
    pred = _as_predictions(predictions, data.shape[0], data.shape[2])
    expanded = np.broadcast_to(pred[:, None, :], data.shape)
    keep = ~np.isnan(data[:, :, 0]).reshape(-1)
    flat = data.reshape(-1, data.shape[2])[keep]
    return pearson_correlation(flat, expanded.reshape(-1, data.shape[2])[keep])


def oracle_correlation(repeats: ArrayLike) -> NDArray[np.float64]:
    """Leave-one-out oracle: correlation of each trial with the mean of the image's other repeats.

    The oracle is the best a model can do at predicting single trials when it only knows the
    image; it bounds :func:`single_trial_correlation` up to the leave-one-out shrinkage.

    Parameters
    ----------
    repeats : array-like of shape (n_images, n_repeats, n_neurons)

    Returns
    -------
    ndarray of shape (n_neurons,)
        Pooled over all trials of images with at least two repeats.
    """
    data = _as_repeats(repeats)
    counts = np.sum(~np.isnan(data), axis=1, keepdims=True)
    sums = np.nansum(data, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        others = (sums - data) / (counts - 1)
    keep = (~np.isnan(data)) & (counts >= 2)
    trials = keep[:, :, 0].reshape(-1)
    n_neurons = data.shape[2]
    return pearson_correlation(
        data.reshape(-1, n_neurons)[trials], others.reshape(-1, n_neurons)[trials]
    )


def split_half_reliability(
    repeats: ArrayLike,
    *,
    n_splits: int = 20,
    random_state: int | np.random.Generator | None = None,
) -> NDArray[np.float64]:
    """Split-half reliability of each neuron, corrected with the Spearman–Brown formula.

    For each of ``n_splits`` random splits of every image's repeats into two halves, the two
    half-means are correlated across images (``r``); the full-data reliability is
    ``2 r / (1 + r)``, averaged over splits.

    Parameters
    ----------
    repeats : array-like of shape (n_images, n_repeats, n_neurons)
        Images need at least two repeats; missing repeats are NaN.
    n_splits : int
        Random splits averaged.
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n_neurons,)
    """
    data = _as_repeats(repeats)
    if int(n_splits) < 1:
        raise NeurodlValueError(f"n_splits must be >= 1; got {n_splits!r}.")
    counts = np.sum(~np.isnan(data[:, :, 0]), axis=1)
    data = data[counts >= 2]
    counts = counts[counts >= 2]
    rng = np.random.default_rng(random_state)
    values = []
    for _ in range(int(n_splits)):
        # rank the present repeats randomly; the lower half of ranks forms the first half
        keys = rng.random(data.shape[:2])
        keys[np.isnan(data[:, :, 0])] = np.inf
        ranks = np.argsort(np.argsort(keys, axis=1), axis=1)
        first = (ranks < (counts // 2)[:, None])[:, :, None]
        second = ((ranks >= (counts // 2)[:, None]) & (ranks < counts[:, None]))[:, :, None]
        half_a = np.nansum(np.where(first, data, 0.0), axis=1) / first.sum(axis=1)
        half_b = np.nansum(np.where(second, data, 0.0), axis=1) / second.sum(axis=1)
        r = pearson_correlation(half_a, half_b)
        values.append(2 * r / (1 + r))
    return np.mean(values, axis=0)


def bootstrap_ci(
    statistic: Callable[..., ArrayLike],
    *arrays: ArrayLike,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Percentile bootstrap confidence interval of a statistic, resampling images.

    Parameters
    ----------
    statistic : callable
        ``statistic(*resampled_arrays)`` returns a number or an array (for example the mean
        FEVE over neurons: ``lambda r, p: np.nanmean(feve(r, p))``).
    *arrays : array-like sharing their first dimension (images)
        Resampled together, rows with replacement.
    n_resamples : int
    confidence_level : float in (0, 1)
    random_state : int, Generator or None

    Returns
    -------
    low, high : ndarray
        Lower and upper bounds, with the shape of the statistic.

    Examples
    --------
    >>> x = np.arange(100.0)
    >>> low, high = bootstrap_ci(np.mean, x, random_state=0)
    >>> bool(low < 49.5 < high)
    True
    """
    if not arrays:
        raise NeurodlValueError("bootstrap_ci needs at least one array to resample.")
    data = [np.asarray(a) for a in arrays]
    n = data[0].shape[0]
    if any(a.shape[0] != n for a in data):
        raise NeurodlValueError(
            f"arrays must share their first dimension; got {[a.shape[0] for a in data]}."
        )
    check_resampling(n_resamples, confidence_level)
    rng = np.random.default_rng(random_state)
    samples = []
    for _ in range(int(n_resamples)):
        rows = rng.integers(0, n, size=n)
        samples.append(np.asarray(statistic(*(a[rows] for a in data)), dtype=np.float64))
    stacked = np.stack(samples)
    tail = (1.0 - confidence_level) / 2 * 100
    low = np.nanpercentile(stacked, tail, axis=0)
    high = np.nanpercentile(stacked, 100 - tail, axis=0)
    return np.asarray(low), np.asarray(high)


def bootstrap_feve_ci(
    repeats: ArrayLike,
    predictions: ArrayLike,
    *,
    threshold: float | None = FEV_THRESHOLD,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, tuple[float, float]]:
    """Bootstrap confidence intervals of the mean and median FEVE over neurons, resampling images.

    Each resample draws the test images with replacement and recomputes the whole statistic as
    it is reported: every neuron's FEV and FEVE on the resampled images, the neurons with
    ``FEV > threshold`` on them, and the mean (and median) FEVE of those neurons. Reselecting in
    every resample matters: a neuron kept with a fixed selection can have almost no explainable
    variance in some resample, and its FEVE (a ratio with that variance below) then swings to
    large negative values that drag the interval far below the estimate.

    Computed from per-image sums, so a thousand resamples of thousands of neurons take a
    fraction of a second; the result equals applying :func:`fev` and :func:`feve` to each
    resampled ``repeats``.

    Parameters
    ----------
    repeats : array-like of shape (n_images, n_repeats, n_neurons)
        NaN marks missing repeats.
    predictions : array-like of shape (n_images, n_neurons)
    threshold : float or None
        FEV criterion of the neurons scored in each resample; None scores every neuron with
        explainable variance.
    n_resamples : int
    confidence_level : float in (0, 1)
    random_state : int, Generator or None

    Returns
    -------
    dict
        ``{"mean": (low, high), "median": (low, high)}`` percentile intervals; NaN where no
        resample had a neuron above the threshold.
    """
    data = _as_repeats(repeats)
    pred = _as_predictions(predictions, data.shape[0], data.shape[2])
    check_resampling(n_resamples, confidence_level)
    present = ~np.isnan(data)
    counts = present.sum(axis=1).astype(np.float64)  # (images, neurons)
    centred = data - np.nanmean(data, axis=(0, 1))  # variances are shift-invariant
    sums = np.nansum(centred, axis=1)
    squares = np.nansum(centred**2, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        image_mean = np.nanmean(data, axis=1, keepdims=True)
    within = np.nansum((data - image_mean) ** 2, axis=1)
    usable = counts >= 2
    noise_terms = np.where(usable, within / np.maximum(counts - 1, 1), 0.0)
    errors = np.nansum((data - pred[:, None, :]) ** 2, axis=1)
    rng = np.random.default_rng(random_state)
    n_images = data.shape[0]
    weights = np.stack(
        [
            np.bincount(rng.integers(0, n_images, size=n_images), minlength=n_images)
            for _ in range(int(n_resamples))
        ]
    ).astype(np.float64)
    n = weights @ counts
    with np.errstate(invalid="ignore", divide="ignore"):
        total = (weights @ squares - (weights @ sums) ** 2 / n) / (n - 1)
        noise = (weights @ noise_terms) / (weights @ usable.astype(np.float64))
        mse = (weights @ errors) / n
        explainable = total - noise
        fev_b = np.where(total > 0, explainable / total, np.nan)
        feve_b = np.where(explainable > 0, 1.0 - (mse - noise) / explainable, np.nan)
    scored = np.asarray(np.isfinite(feve_b), dtype=bool)
    if threshold is not None:
        scored &= np.asarray(fev_b > float(threshold), dtype=bool)
    values = np.where(scored, feve_b, np.nan)
    any_scored = scored.any(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(any_scored, np.nansum(values, axis=1) / scored.sum(axis=1), np.nan)
        medians = np.full(means.shape, np.nan)
        if any_scored.any():
            medians[any_scored] = np.nanmedian(values[any_scored], axis=1)
    tail = (1.0 - confidence_level) / 2 * 100
    out: dict[str, tuple[float, float]] = {}
    for name, stat in (("mean", means), ("median", medians)):
        if np.isfinite(stat).any():
            low, high = np.nanpercentile(stat, [tail, 100 - tail])
            out[name] = (float(low), float(high))
        else:
            out[name] = (float("nan"), float("nan"))
    return out
