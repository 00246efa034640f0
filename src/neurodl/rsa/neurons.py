"""Bootstrap over neurons (channels): resample the channels, recompute the data RDMs, compare.

Drawing p channels with replacement gives each channel c a count w_c, and the resampled
pattern of a condition repeats channel c w_c times. Every channel sum in a euclidean or
correlation RDM is then a weighted sum over the original channels, so with the condition
means X (n, p) a resample needs only

    G = X diag(w) X^T  (n x n)   and   s = X w  (n,)

(euclidean: (G_ii + G_jj - 2 G_ij) / p; correlation: 1 - C_ij / sqrt(C_ii C_jj) with
C = G - s s^T / p). For a batch of resamples W (b, p) all the G are one matrix product
``W @ O`` with the per-channel products O (p, n (n + 1) / 2) of the condition means, formed a
block of channels at a time so that memory stays bounded.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import DataValueError, NeurodlValueError, check_option
from neurodl.rsa._resample import ceiling_of_vectors
from neurodl.rsa._utils import (
    as_data,
    as_rdm_stack,
    condition_means,
    draw_resamples,
    group_conditions,
    rdm_to_vector,
)
from neurodl.rsa.compare import COMPARE_METHODS, _compare_vectors
from neurodl.rsa.inference import BootstrapResult, percentile_interval

__all__ = ["NEURON_RDM_METHODS", "bootstrap_over_neurons"]

NEURON_RDM_METHODS = ("euclidean", "correlation")
F64 = NDArray[np.float64]


def _split_means(
    x: NDArray[Any], index: NDArray[np.intp], n_cond: int, split: NDArray[np.intp], k: int
) -> F64:
    """Condition means per split, (k, n_cond, n_channels); every condition in every split."""
    means = []
    for s in range(k):
        rows = np.flatnonzero(split == s)
        present = np.bincount(index[rows], minlength=n_cond)
        if np.any(present == 0):
            raise DataValueError(
                f"every condition must occur in every split; split {s} lacks condition(s) "
                f"{np.flatnonzero(present == 0)[:5].tolist()}."
            )
        means.append(condition_means(x[rows], index[rows], n_cond))
    return np.stack(means)


def _resampled_vectors(means: F64, counts: F64, rdm: str, max_bytes: int) -> F64:
    """Upper-triangle RDM vectors (b, k, m) of every split under each row of channel counts."""
    k, n, p = means.shape
    b = counts.shape[0]
    rows, cols = np.triu_indices(n)  # with the diagonal
    pairs = rows.size
    off = rows != cols
    diag_pos = np.flatnonzero(~off)  # position of (i, i) in the triangle
    block = max(1, max_bytes // (8 * pairs))
    out = np.empty((b, k, int(off.sum())))
    for s in range(k):
        gram = np.zeros((b, pairs))
        for start in range(0, p, block):
            x = means[s, :, start : start + block]
            gram += counts[:, start : start + block] @ (x[rows] * x[cols]).T
        if rdm == "euclidean":
            d = gram[:, diag_pos]
            out[:, s] = (d[:, rows[off]] + d[:, cols[off]] - 2.0 * gram[:, off]) / p
        else:
            sums = counts @ means[s].T  # (b, n)
            cov = gram - sums[:, rows] * sums[:, cols] / p
            var = cov[:, diag_pos]
            with np.errstate(invalid="ignore", divide="ignore"):
                out[:, s] = 1.0 - cov[:, off] / np.sqrt(var[:, rows[off]] * var[:, cols[off]])
    return out


def _evaluate(models: F64, vectors: F64, n: int, method: str) -> tuple[F64, F64, F64]:
    """Mean similarity with the split RDMs (b, L) and the (lower, upper) ceilings (b,)."""
    b, k, _ = vectors.shape
    flat = vectors.reshape(b * k, -1)
    if np.isfinite(flat).all():
        sims = _compare_vectors(models, flat, n, method).reshape(-1, b, k).mean(axis=2).T
    else:  # NaN pairs are dropped per resample, as a resample on its own would
        sims = np.stack([_compare_vectors(models, v, n, method).mean(axis=1) for v in vectors])
    lower = np.full(b, np.nan)
    upper = np.full(b, np.nan)
    if k > 1:
        for i, v in enumerate(vectors):
            lower[i], upper[i] = ceiling_of_vectors(v, n, method)
    return sims, lower, upper


def bootstrap_over_neurons(
    models: ArrayLike,
    data: ArrayLike,
    conditions: ArrayLike | None = None,
    *,
    rdm: str = "correlation",
    method: str = "pearson",
    splits: ArrayLike | None = None,
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    resamples: ArrayLike | None = None,
    max_memory: int = 2**27,
) -> BootstrapResult:
    """Bootstrap over neurons (channels) of model-vs-data RDM similarity, with the ceiling.

    Each resample draws the recording's channels with replacement, recomputes the data
    RDM(s) from the resampled channels and compares the models with them: the interval
    describes how the similarity would vary with another sample of neurons from the same
    population (conditions and trials fixed).

    Parameters
    ----------
    models : array-like of shape (n, n) or (n_models, n, n)
        Model RDMs of the n conditions, in the order of first appearance in ``conditions``.
    data : array-like of shape (n_observations, n_channels)
        Responses; observations of a condition are averaged. Not modified.
    conditions : array-like of shape (n_observations,), optional
        Condition of each observation (default: each observation its own condition).
    rdm : {"euclidean", "correlation"}
        Data RDM method, as in :func:`neurodl.rsa.compute_rdm`.
    method : str
        Comparison method, any of :data:`neurodl.rsa.COMPARE_METHODS`.
    splits : array-like of shape (n_observations,), optional
        Independent parts of the data (repeats, sessions): one data RDM per split, each
        with every condition. A model's similarity is its mean similarity with the split
        RDMs, and with 2 or more splits the noise ceiling is computed in each resample too
        (NaN without splits).
    n_resamples : int
    confidence_level : float
        Level of the percentile interval, in (0, 1).
    random_state : int or Generator, optional
    resamples : array-like of int of shape (n_resamples, n_channels), optional
        Channel indices to use instead of drawing them.
    max_memory : int
        Bytes for the per-channel products of one block (cost and result do not change).

    Returns
    -------
    BootstrapResult
        ``resamples`` holds the channel indices drawn.

    Notes
    -----
    Cost: about n_resamples x n_channels x n^2 / 2 multiply-adds per split (matrix products
    in float64), independent of the number of observations. Correlation distances of a
    condition whose resampled pattern is constant are NaN; such pairs are dropped from that
    resample's comparisons. The models must not be computed from the same neurons (their
    similarity with the data would then fall under resampling for that reason alone). On
    the simulated population of the tests (8 conditions, 60 noise-free neurons) 90% intervals
    covered the population value in 90-92% of 200 samples (euclidean and correlation RDMs).

    Examples
    --------
    >>> import numpy as np
    >>> from neurodl.rsa import bootstrap_over_neurons, compute_rdm
    >>> rng = np.random.default_rng(0)
    >>> features = rng.standard_normal((8, 3))  # 8 conditions
    >>> x = features @ rng.standard_normal((3, 60))  # 60 neurons mixing the features
    >>> model = compute_rdm(features[:, :2], method="euclidean")
    >>> res = bootstrap_over_neurons(model, x, rdm="euclidean", n_resamples=200, random_state=0)
    >>> res.samples.shape, res.resamples.shape
    ((200, 1), (200, 60))
    """
    check_option("rdm", rdm, NEURON_RDM_METHODS)
    check_option("method", method, COMPARE_METHODS)
    x = as_data(data)
    n_obs, p = x.shape
    labels, index = group_conditions(conditions, n_obs)
    n = labels.size
    stack, _ = as_rdm_stack(models, "models")
    if stack.shape[1] != n:
        raise NeurodlValueError(
            f"models must have one row per condition of the data; got {stack.shape[1]} "
            f"conditions in models and {n} in the data."
        )
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
    if splits is None:
        split, k = np.zeros(n_obs, dtype=np.intp), 1
    else:
        split_labels, split = group_conditions(splits, n_obs, "splits")
        k = split_labels.size
        if k < 2:
            raise NeurodlValueError(f"splits must name at least 2 splits; got {k}.")
    if int(max_memory) < 1:
        raise NeurodlValueError(
            f"max_memory must be a positive number of bytes; got {max_memory!r}."
        )
    drawn = draw_resamples(resamples, n_resamples, p, "channels", random_state)
    means = _split_means(x, index, n, split, k)
    model_vectors = rdm_to_vector(stack)
    b = drawn.shape[0]
    counts = (
        np.bincount((drawn + p * np.arange(b)[:, None]).ravel(), minlength=b * p)
        .reshape(b, p)
        .astype(np.float64)
    )
    n_pairs = n * (n - 1) // 2
    chunk = max(1, int(max_memory) // (8 * (n_pairs + n) * (k + 1)))
    parts = [
        _evaluate(
            model_vectors,
            _resampled_vectors(means, counts[i : i + chunk], rdm, int(max_memory)),
            n,
            method,
        )
        for i in range(0, b, chunk)
    ]
    samples = np.concatenate([q[0] for q in parts]) if parts else np.zeros((0, stack.shape[0]))
    lower = np.concatenate([q[1] for q in parts]) if parts else np.zeros(0)
    upper = np.concatenate([q[2] for q in parts]) if parts else np.zeros(0)
    point = _evaluate(
        model_vectors, _resampled_vectors(means, np.ones((1, p)), rdm, int(max_memory)), n, method
    )
    ci_low, ci_high = percentile_interval(samples, confidence_level)
    return BootstrapResult(
        similarity=point[0][0],
        samples=samples,
        ci_low=ci_low,
        ci_high=ci_high,
        noise_ceiling=np.array([point[1][0], point[2][0]]),
        ceiling_samples=np.stack([lower, upper], axis=1),
        resamples=drawn,
        method=method,
        confidence_level=float(confidence_level),
    )
