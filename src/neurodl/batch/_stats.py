"""Across-session statistics: a hierarchical bootstrap over subjects, then sessions within them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from neurodl.exceptions import NeurodlValueError

__all__ = ["hierarchical_bootstrap", "subject_mean"]


def _groups(values: ArrayLike, subjects: Sequence[Any]) -> list[np.ndarray]:
    x = np.asarray(values, dtype=np.float64).ravel()
    labels = list(subjects)
    if x.size != len(labels):
        raise NeurodlValueError(
            f"values and subjects must have the same length; got {x.size} and {len(labels)}."
        )
    keep = np.isfinite(x)
    order: dict[Any, list[float]] = {}
    for value, label, ok in zip(x, labels, keep, strict=True):
        if ok:
            order.setdefault(label, []).append(float(value))
    return [np.asarray(v) for v in order.values()]


def subject_mean(values: ArrayLike, subjects: Sequence[Any]) -> float:
    """The mean over subjects of each subject's mean over its sessions (NaN values dropped).

    Examples
    --------
    >>> subject_mean([0.0, 2.0, 10.0], ["a", "a", "b"])
    5.5
    """
    groups = _groups(values, subjects)
    return float(np.mean([g.mean() for g in groups])) if groups else float("nan")


def hierarchical_bootstrap(
    values: ArrayLike,
    subjects: Sequence[Any],
    *,
    n_resamples: int = 10000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    return_samples: bool = False,
) -> dict[str, Any]:
    """Estimate and percentile CI of a per-session number, with sessions nested in subjects.

    Each resample draws as many subjects as there are, with replacement; then, for every drawn
    subject, as many of its sessions as it has, with replacement. The statistic is the mean over
    the drawn subjects of their resampled session means, so each subject weighs the same however
    many sessions it has, and the interval reflects the variation between subjects as well as
    between sessions (a session-level bootstrap would pretend sessions of one animal are
    independent). Non-finite values (failed sessions) are left out.

    Parameters
    ----------
    values : array-like of shape (n_sessions,)
        One number per session.
    subjects : sequence of shape (n_sessions,)
        The subject of each session (any hashable labels).
    n_resamples : int
        Bootstrap resamples.
    confidence_level : float
        Of the percentile interval.
    random_state : int, Generator or None
    return_samples : bool
        Also return the resampled statistics under ``"samples"``.

    Returns
    -------
    dict
        ``estimate`` (:func:`subject_mean`), ``ci_low``, ``ci_high``, ``confidence_level``,
        ``n_sessions``, ``n_subjects`` (finite values only). With fewer than two sessions the
        interval is NaN.

    Examples
    --------
    >>> out = hierarchical_bootstrap([1.0, 2.0, 3.0, 4.0], ["a", "a", "b", "b"], random_state=0)
    >>> out["estimate"], out["n_sessions"], out["n_subjects"]
    (2.5, 4, 2)
    """
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must be in (0, 1); got {confidence_level}.")
    if int(n_resamples) < 1:
        raise NeurodlValueError(f"n_resamples must be a positive integer; got {n_resamples}.")
    groups = _groups(values, subjects)
    n_sessions = int(sum(g.size for g in groups))
    out: dict[str, Any] = {
        "estimate": float(np.mean([g.mean() for g in groups])) if groups else float("nan"),
        "ci_low": float("nan"),
        "ci_high": float("nan"),
        "confidence_level": confidence_level,
        "n_sessions": n_sessions,
        "n_subjects": len(groups),
    }
    if n_sessions < 2:
        if return_samples:
            out["samples"] = np.full(0, np.nan)
        return out
    rng = np.random.default_rng(random_state)
    drawn = rng.integers(0, len(groups), size=(int(n_resamples), len(groups)))
    means = np.empty(drawn.shape)
    for k, g in enumerate(groups):
        where = drawn == k
        picks = rng.integers(0, g.size, size=(int(where.sum()), g.size))
        means[where] = g[picks].mean(axis=1)
    samples = means.mean(axis=1)
    tail = (1 - confidence_level) / 2
    low, high = np.quantile(samples, [tail, 1 - tail])
    out.update(ci_low=float(low), ci_high=float(high))
    if return_samples:
        out["samples"] = samples
    return out
