"""Validation of risk scores against labels: ROC AUC with CI, PR AUC, sensitivity, permutation.

All functions take ``(y_true, y_score)``: ``y_true`` 1 for atypical, 0 for typical; ``y_score``
higher for more atypical (surprise). Confidence intervals come from a bootstrap that resamples
atypical and typical infants separately (so every resample has both).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import rankdata

from neurodl.exceptions import DataValueError

__all__ = [
    "paired_roc_auc_difference",
    "roc_auc",
    "sensitivity_at_specificity",
    "validate_scores",
]


def _labels(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    y = np.asarray(y_true).astype(np.int64).reshape(-1)
    s = np.asarray(y_score, dtype=np.float64).reshape(-1)
    if y.shape != s.shape:
        raise DataValueError(f"y_true has {y.size} values and y_score {s.size}.")
    if not set(np.unique(y)) <= {0, 1}:
        raise DataValueError("labels must be 0 (typical) or 1 (atypical).")
    if y.sum() == 0 or y.sum() == y.size:
        raise DataValueError("validation needs both atypical (1) and typical (0) infants.")
    if not np.isfinite(s).all():
        raise DataValueError("scores must be finite.")
    return y, s


def _auc_from_ranks(ranks: NDArray[np.float64], positive: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Mann–Whitney AUC for each row of ``positive`` (rows: label vectors over the same ranks)."""
    n1 = positive.sum(axis=-1)
    n0 = positive.shape[-1] - n1
    return ((ranks * positive).sum(axis=-1) - n1 * (n1 + 1) / 2) / (n1 * n0)  # type: ignore[no-any-return]


def roc_auc(y_true: ArrayLike, y_score: ArrayLike) -> float:
    """Area under the ROC curve (ties count one half), the probability that an atypical infant is
    more surprising than a typical one.

    Examples
    --------
    >>> roc_auc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75
    """
    y, s = _labels(y_true, y_score)
    return float(_auc_from_ranks(rankdata(s), y.astype(bool)))


def sensitivity_at_specificity(
    y_true: ArrayLike, y_score: ArrayLike, specificity: float = 0.9
) -> float:
    """Largest true-positive rate whose false-positive rate is at most ``1 - specificity``."""
    y, s = _labels(y_true, y_score)
    return float(_ranked(s[None], y.astype(bool)[None], specificity)[1][0])


def _ranked(scores: NDArray[np.float64], labels: NDArray[np.bool_], specificity: float) -> Any:
    """Average precision and sensitivity at ``specificity`` for each row (ties handled as one
    threshold, as scikit-learn does)."""
    order = np.argsort(-scores, axis=1, kind="stable")
    s = np.take_along_axis(scores, order, axis=1)
    y = np.take_along_axis(labels, order, axis=1)
    n = s.shape[1]
    tp = np.cumsum(y, axis=1)
    last = np.ones_like(y)
    last[:, :-1] = s[:, :-1] != s[:, 1:]  # the last item of each group of tied scores
    ends = np.where(last, np.arange(n), n - 1)
    ends = np.minimum.accumulate(ends[:, ::-1], axis=1)[:, ::-1]
    precision = np.take_along_axis(tp / np.arange(1, n + 1), ends, axis=1)
    n_pos = y.sum(axis=1)
    ap = (y * precision).sum(axis=1) / n_pos
    fp = np.arange(1, n + 1) - tp
    allowed = last & (fp <= (1 - specificity) * (n - n_pos)[:, None] + 1e-9)
    sens = np.where(allowed, tp, 0).max(axis=1) / n_pos
    return ap, sens


def _resamples(
    y: NDArray[np.int64], n_resamples: int, rng: np.random.Generator
) -> tuple[NDArray[np.int64], NDArray[np.bool_]]:
    """Bootstrap indices (n_resamples, n), atypical and typical infants resampled separately,
    and their labels (atypical first)."""
    pos, neg = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    idx = np.concatenate(
        [rng.choice(pos, (n_resamples, pos.size)), rng.choice(neg, (n_resamples, neg.size))], axis=1
    )
    labels = np.zeros(idx.shape, dtype=bool)
    labels[:, : pos.size] = True
    return idx, labels


def paired_roc_auc_difference(
    y_true: ArrayLike,
    y_score: ArrayLike,
    y_score_reference: ArrayLike,
    *,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> tuple[float, float, float]:
    """ROC AUC of ``y_score`` minus that of ``y_score_reference`` on the same infants, with a
    paired bootstrap interval (each resample of infants scores both, so what the two share cancels).

    Returns
    -------
    (difference, ci_low, ci_high)

    Examples
    --------
    >>> d, low, high = paired_roc_auc_difference([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8], [0, 1, 2, 3])
    >>> round(d, 2), bool(low <= d <= high)
    (-0.25, True)
    """
    y, s = _labels(y_true, y_score)
    _, r = _labels(y_true, y_score_reference)
    idx, labels = _resamples(y, n_resamples, np.random.default_rng(random_state))
    boot = [_auc_from_ranks(rankdata(v[idx], axis=1), labels) for v in (s, r)]
    tail = 50 * (1 - confidence_level)
    low, high = np.percentile(boot[0] - boot[1], [tail, 100 - tail])
    return roc_auc(y, s) - roc_auc(y, r), float(low), float(high)


def _bootstrap(
    y: NDArray[np.int64], s: NDArray[np.float64], n_resamples: int, rng: np.random.Generator
) -> dict[str, NDArray[np.float64]]:
    idx, labels = _resamples(y, n_resamples, rng)
    ap, sens = _ranked(s[idx], labels, 0.9)
    return {
        "roc_auc": _auc_from_ranks(rankdata(s[idx], axis=1), labels),
        "pr_auc": ap,
        "sensitivity_at_90_specificity": sens,
    }


def validate_scores(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    n_resamples: int = 1000,
    n_permutations: int | None = None,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
) -> dict[str, Any]:
    """ROC AUC, PR AUC and sensitivity at 90 % specificity with bootstrap CIs, and a permutation p.

    Returns
    -------
    dict
        ``roc_auc``, ``pr_auc``, ``sensitivity_at_90_specificity`` each with ``_ci_low`` and
        ``_ci_high``; ``roc_auc_permutation_p`` (one-sided, ``(1 + #{AUC_perm >= AUC}) / (n + 1)``);
        ``prevalence`` (the PR AUC of a useless score); ``n_atypical``, ``n_typical``.
    """
    y, s = _labels(y_true, y_score)
    rng = np.random.default_rng(random_state)
    metrics: dict[str, Any] = {
        "roc_auc": roc_auc(y, s),
        "pr_auc": float(_ranked(s[None], y.astype(bool)[None], 0.9)[0][0]),
        "sensitivity_at_90_specificity": sensitivity_at_specificity(y, s, 0.9),
    }
    alpha = (1 - confidence_level) / 2
    for name, values in _bootstrap(y, s, n_resamples, rng).items():
        low, high = np.quantile(values, [alpha, 1 - alpha])
        metrics[f"{name}_ci_low"], metrics[f"{name}_ci_high"] = float(low), float(high)
    n_perm = n_resamples if n_permutations is None else n_permutations
    perms = np.argsort(rng.random((n_perm, y.size)), axis=1)
    null = _auc_from_ranks(rankdata(s), y.astype(bool)[perms])
    metrics["roc_auc_permutation_p"] = float(
        (1 + (null >= metrics["roc_auc"] - 1e-12).sum()) / (n_perm + 1)
    )
    metrics |= {
        "prevalence": float(y.mean()),
        "n_atypical": int(y.sum()),
        "n_typical": int((y == 0).sum()),
    }
    return metrics
