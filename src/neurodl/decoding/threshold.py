"""Orientation discrimination thresholds from decoded angles (after Stringer et al., 2021).

For pairs of trials whose true orientations differ by a small ``Δθ``, the decoder "says clockwise"
when its decoded difference has a positive sign. The fraction of "clockwise" answers against ``Δθ``
is a psychometric curve; a logistic fit ``P = σ(a + b Δθ)`` gives the threshold, the ``Δθ`` at which
75 % of pairs are judged correctly: ``ln(3) / b``. Its confidence interval comes from resampling
trials (not pairs, which share trials) with replacement.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.decoding._base import check_period
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import circular_difference, circular_error

__all__ = ["discrimination_threshold", "fit_psychometric"]


def fit_psychometric(
    delta: ArrayLike, n_clockwise: ArrayLike, n_total: ArrayLike, *, max_iter: int = 50
) -> tuple[float, float]:
    """Maximum-likelihood logistic fit ``P(clockwise) = σ(bias + slope · delta)`` to binned counts.

    Parameters
    ----------
    delta : array-like of shape (n_bins,)
        Orientation difference of each bin (degrees).
    n_clockwise, n_total : array-like of shape (n_bins,)
        (Possibly weighted) counts of "clockwise" answers and of pairs in each bin.

    Returns
    -------
    bias, slope : float
        ``slope`` is per degree.

    Examples
    --------
    >>> d = np.linspace(-2, 2, 9)
    >>> bias, slope = fit_psychometric(d, 100 / (1 + np.exp(-1.5 * d)), np.full(9, 100.0))
    >>> round(slope, 3)
    1.5
    """
    x = np.asarray(delta, dtype=np.float64)
    k = np.asarray(n_clockwise, dtype=np.float64)
    n = np.asarray(n_total, dtype=np.float64)
    scale = float(np.max(np.abs(x))) or 1.0
    design = np.c_[np.ones_like(x), x / scale]
    params = np.zeros(2)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-np.clip(design @ params, -50, 50)))
        grad = design.T @ (k - n * p)
        hess = (design * (n * p * (1 - p))[:, None]).T @ design + 1e-9 * np.eye(2)
        step = np.linalg.solve(hess, grad)
        params = params + step
        if np.max(np.abs(step)) < 1e-10:
            break
    return float(params[0]), float(params[1] / scale)


def _pairs(
    truth: NDArray[np.float64],
    max_delta: float,
    period: float,
    max_pairs: int,
    rng: np.random.Generator,
) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Index pairs (i, j) with ``0 < circular(truth[j] - truth[i]) <= max_delta``."""
    order = np.argsort(truth, kind="stable")
    sorted_theta = truth[order]
    n = truth.size
    extended = np.concatenate([sorted_theta, sorted_theta + period])
    upper = np.searchsorted(extended, sorted_theta + max_delta, side="right")
    upper = np.minimum(upper, np.arange(n) + n)  # never pair a trial with itself
    counts = upper - np.arange(n) - 1
    total = int(counts.sum())
    if total == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp)
    first = np.repeat(np.arange(n), counts)
    offsets = np.arange(total) - np.repeat(np.cumsum(counts) - counts, counts) + 1
    second = (first + offsets) % n
    if total > max_pairs:
        keep = rng.choice(total, max_pairs, replace=False)
        first, second = first[keep], second[keep]
    return order[first], order[second]


def discrimination_threshold(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    period: float = 360,
    max_delta: float | None = None,
    n_bins: int = 20,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    max_pairs: int = 500_000,
    random_state: int | None = 0,
) -> dict[str, Any]:
    """Discrimination threshold (75 % correct) of decoded angles, with a bootstrap CI.

    Parameters
    ----------
    y_true, y_pred : array-like of shape (n_trials,)
        True and decoded angles in degrees (for example out-of-fold predictions).
    period : {360, 180}
    max_delta : float, optional
        Largest true difference paired (degrees). By default 5 x the median absolute error,
        at least 5 x the mean spacing of the trials and at most ``period / 8``.
    n_bins : int
        Bins of the psychometric curve over ``[-max_delta, max_delta]``.
    n_resamples : int
        Resamples of the trials for the confidence interval (0: none).
    confidence_level : float
        Level of the interval, in (0, 1).
    max_pairs : int
        Pairs kept at most (a random subset beyond that).
    random_state : int or None

    Returns
    -------
    dict
        ``threshold_deg``, ``threshold_deg_ci_low``, ``threshold_deg_ci_high``,
        ``confidence_level``, ``bias``, ``slope`` (per degree), ``delta_deg`` / ``p_clockwise`` /
        ``n_pairs`` per bin, ``max_delta_deg``, ``n_resamples``,
        ``extrapolated`` (the threshold lies beyond the largest difference paired).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(0, 360, 2000)
    >>> res = discrimination_threshold(theta, theta + rng.normal(0, 2, 2000), n_resamples=50)
    >>> 1.5 < res["threshold_deg"] < 2.2  # Gaussian errors: 0.674 * sqrt(2) * 2 = 1.9
    True
    """
    truth, pred, period_f, max_delta = _check_inputs(
        y_true, y_pred, period, max_delta, n_bins, n_resamples, confidence_level
    )
    rng = np.random.default_rng(random_state)
    first, second = _pairs(truth, float(max_delta), period_f, max_pairs, rng)
    if first.size < 10:
        raise NeurodlValueError(
            f"only {first.size} pairs of trials lie within max_delta={max_delta}°; increase it."
        )
    flip = rng.random(first.size) < 0.5  # half the pairs in the other order: negative Δθ
    first, second = np.where(flip, second, first), np.where(flip, first, second)
    delta = circular_difference(truth[second], truth[first], period_f)
    clockwise = circular_difference(pred[second], pred[first], period_f) > 0
    pairs = _BinnedPairs(delta, clockwise, float(max_delta), n_bins)
    first, second = first[pairs.order], second[pairs.order]
    ones = np.ones(delta.size)
    k_all, n_all = pairs.counts(ones)
    x_all = pairs.mean_delta(n_all)
    threshold, bias, slope = pairs.threshold(ones, x_all)
    boot = np.empty(n_resamples)
    first8, second8 = first.astype(np.int32), second.astype(np.int32)
    for b in range(n_resamples):
        # resample trials: a pair counts once per copy of each of its trials; the bins keep
        # their mean Δθ (it moves by far less than a bin's width)
        counts = np.bincount(rng.integers(0, truth.size, truth.size), minlength=truth.size)
        copies = np.minimum(counts, 255).astype(np.uint8)
        weights = np.multiply(copies.take(first8), copies.take(second8), dtype=np.uint16)
        boot[b] = pairs.threshold(weights, x_all)[0]
    tail = 100 * (1 - confidence_level) / 2
    low, high = float("nan"), float("nan")
    if n_resamples:
        with np.errstate(invalid="ignore"):  # resamples without a slope give inf thresholds
            low = float(np.percentile(boot, tail, method="lower"))
            high = float(np.percentile(boot, 100 - tail, method="higher"))
    x, k, n = x_all, k_all, n_all
    return {
        "threshold_deg": float(threshold),
        "threshold_deg_ci_low": low,
        "threshold_deg_ci_high": high,
        "confidence_level": confidence_level,
        "bias": bias,
        "slope": slope,
        "delta_deg": x,
        "p_clockwise": k / np.maximum(n, 1),
        "n_pairs": n.astype(np.int64),
        "max_delta_deg": float(max_delta),
        "extrapolated": bool(threshold > max_delta),
        "n_resamples": int(n_resamples),
    }


def _check_inputs(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    period: float,
    max_delta: float | None,
    n_bins: int,
    n_resamples: int,
    confidence_level: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    """True and predicted angles within one period, the period and ``max_delta`` (resolved)."""
    period_f = check_period(period)
    errors = circular_error(y_true, y_pred, period_f)
    truth = np.mod(np.asarray(y_true, dtype=np.float64).reshape(-1), period_f)
    pred = np.mod(np.asarray(y_pred, dtype=np.float64).reshape(-1), period_f)
    if truth.size < 10:
        raise NeurodlValueError(f"need at least 10 trials for a threshold; got {truth.size}.")
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
    if n_bins < 4 or n_resamples < 0:
        raise NeurodlValueError(
            f"n_bins must be >= 4 and n_resamples >= 0; got {n_bins!r} and {n_resamples!r}."
        )
    if max_delta is None:
        spacing = period_f / truth.size
        max_delta = min(period_f / 8, max(5 * float(np.median(errors)), 5 * spacing))
    if not 0 < max_delta <= period_f / 2:
        raise NeurodlValueError(
            f"max_delta must lie in (0, {period_f / 2}] degrees; got {max_delta!r}."
        )
    return truth, pred, period_f, float(max_delta)


class _BinnedPairs:
    """Trial pairs sorted by (Δθ bin, answer), so that every sum a fit needs is a segment sum.

    ``order`` sorts the pairs as given into that order; ``counts(weights)`` gives the
    (weighted) clockwise answers and totals per bin, ``threshold`` the fitted 75 % threshold.
    """

    def __init__(
        self,
        delta: NDArray[np.float64],
        clockwise: NDArray[np.bool_],
        max_delta: float,
        n_bins: int,
    ) -> None:
        edges = np.linspace(-max_delta, max_delta, n_bins + 1)
        bin_of = np.clip(np.digitize(delta, edges) - 1, 0, n_bins - 1)
        self.order = np.lexsort((clockwise, bin_of))
        self.delta = delta[self.order]
        segment = 2 * bin_of[self.order] + clockwise[self.order]
        self.n_bins = n_bins
        self.filled = np.bincount(segment, minlength=2 * n_bins) > 0
        self.starts = np.searchsorted(segment, np.flatnonzero(self.filled))

    def _sums(self, values: NDArray[Any]) -> NDArray[np.float64]:
        sums = np.zeros(2 * self.n_bins)
        sums[self.filled] = np.add.reduceat(values, self.starts, dtype=np.float64)
        return sums

    def counts(self, weights: NDArray[Any]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        sums = self._sums(weights)
        return sums[1::2], sums.reshape(self.n_bins, 2).sum(1)

    def mean_delta(self, n: NDArray[np.float64]) -> NDArray[np.float64]:
        """Mean Δθ of the pairs in each bin (degrees)."""
        moments = self._sums(self.delta).reshape(self.n_bins, 2).sum(1)
        return moments / np.maximum(n, 1e-12)

    def threshold(self, weights: NDArray[Any], x: NDArray[np.float64]) -> tuple[float, ...]:
        k, n = self.counts(weights)
        used = n > 0
        bias, slope = fit_psychometric(x[used], k[used], n[used])
        return (np.log(3.0) / slope if slope > 0 else np.inf), bias, slope
