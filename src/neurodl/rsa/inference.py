"""Inference on RDM comparisons: bootstrap over conditions, permutation tests, noise ceilings.

Conventions follow rsatoolbox 0.3.2 (``eval_bootstrap_pattern``, ``boot_noise_ceiling``): with
several data RDMs (one per repeat, split or animal) a model's similarity is the mean of its
comparisons with each data RDM; the upper noise ceiling is the mean similarity of the pooled
RDM of all data RDMs with each of them, and the lower ceiling the mean similarity of each data
RDM with the pool of the others (pooling normalises each RDM the way the comparison method
needs: z-scores for Pearson, root mean square for cosine, ranks for rank correlations).
Bootstraps are computed for all resamples at once (see :mod:`neurodl.rsa._weighted`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError, check_option
from neurodl.rsa._resample import ceiling_of_vectors, loop_condition_resamples, rdm_bootstrap
from neurodl.rsa._utils import as_rdm_stack, draw_resamples, rdm_to_vector
from neurodl.rsa._weighted import evaluate_weighted
from neurodl.rsa.compare import COMPARE_METHODS, _compare_vectors

__all__ = [
    "BOOTSTRAP_METHODS",
    "BootstrapResult",
    "PermutationResult",
    "bootstrap_rdm_comparison",
    "compute_noise_ceiling",
    "pairwise_bootstrap_test",
    "permutation_test",
]

BOOTSTRAP_METHODS = COMPARE_METHODS
BATCHED_METHODS = ("pearson", "spearman", "rho_a", "cosine")


def _vectors(rdms: ArrayLike, name: str) -> tuple[NDArray[np.float64], int]:
    stack, _ = as_rdm_stack(rdms, name)
    return rdm_to_vector(stack), stack.shape[1]


def compute_noise_ceiling(data: ArrayLike, *, method: str = "pearson") -> tuple[float, float]:
    """Lower and upper noise ceiling of a set of data RDMs (rsatoolbox's ``boot_noise_ceiling``).

    Parameters
    ----------
    data : array-like of shape (k, n, n)
        k >= 2 data RDMs of the same conditions from independent data (repeats, splits,
        animals).
    method : str
        Comparison method (see :func:`neurodl.rsa.compare_rdms`).

    Returns
    -------
    (lower, upper) : tuple of float
        lower: mean similarity of each RDM with the pool of the others (leave one out);
        upper: mean similarity of each RDM with the pool of all. The true model's expected
        similarity lies between them.
    """
    check_option("method", method, COMPARE_METHODS)
    vectors, n = _vectors(data, "data")
    if vectors.shape[0] < 2:
        raise NeurodlValueError(
            "a noise ceiling needs at least 2 data RDMs (repeats or splits); got "
            f"{vectors.shape[0]}."
        )
    return ceiling_of_vectors(vectors, n, method)


@dataclass
class BootstrapResult:
    """Bootstrap distribution of model-vs-data similarities and of the noise ceiling.

    Attributes
    ----------
    similarity : ndarray of shape (n_models,)
        On the original data: mean similarity of each model with the data RDMs.
    samples : ndarray of shape (n_resamples, n_models)
        Per resample (NaN for resamples with fewer than 3 distinct conditions).
    ci_low, ci_high : ndarray of shape (n_models,)
        Percentile interval of ``samples`` at ``confidence_level``.
    noise_ceiling : ndarray of shape (2,)
        (lower, upper) on the original data; NaN lower with a single data RDM.
    ceiling_samples : ndarray of shape (n_resamples, 2)
    resamples : ndarray of int of shape (n_resamples, n_conditions)
        The condition indices drawn.
    method : str
    confidence_level : float
    """

    similarity: NDArray[np.float64]
    samples: NDArray[np.float64]
    ci_low: NDArray[np.float64]
    ci_high: NDArray[np.float64]
    noise_ceiling: NDArray[np.float64]
    ceiling_samples: NDArray[np.float64]
    resamples: NDArray[np.intp]
    method: str
    confidence_level: float


def percentile_interval(
    samples: NDArray[np.float64], confidence_level: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Central ``confidence_level`` percentile interval of each column, ignoring NaN resamples."""
    tail = (1 - confidence_level) / 2
    if samples.size == 0:
        return np.full(samples.shape[1], np.nan), np.full(samples.shape[1], np.nan)
    q = 100 * np.array([tail, 1 - tail])
    ci = np.nanpercentile(samples, q, axis=0)
    return np.asarray(ci[0]), np.asarray(ci[1])


def bootstrap_rdm_comparison(
    models: ArrayLike,
    data: ArrayLike,
    *,
    method: str = "pearson",
    over: str = "conditions",
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    random_state: int | np.random.Generator | None = None,
    resamples: ArrayLike | None = None,
    n_jobs: int | None = None,
) -> BootstrapResult:
    """Bootstrap over conditions of model-vs-data RDM similarity, with the noise ceiling.

    Parameters
    ----------
    models : array-like of shape (n, n) or (n_models, n, n)
    data : array-like of shape (n, n) or (k, n, n)
        Data RDM(s); with k >= 2 the noise ceiling is computed in each resample too.
    method : str
        Any of :data:`neurodl.rsa.COMPARE_METHODS`. Pearson, cosine, Spearman and rho-a are
        evaluated for all resamples at once; Kendall's tau-a and the whitened measures one
        resample at a time (a full comparison per resample: fine for tens of conditions).
    n_resamples : int
    confidence_level : float
        Level of the percentile interval, in (0, 1).
    random_state : int or Generator, optional
    over : {"conditions", "rdms"}
        Resample conditions (rsatoolbox's ``eval_bootstrap_pattern``) or whole data RDMs, for
        example animals or sessions (``eval_bootstrap_rdm``). To resample neurons, see
        :func:`neurodl.rsa.bootstrap_over_neurons`.
    resamples : array-like of int of shape (n_resamples, n) or (n_resamples, k), optional
        Condition (or data RDM) indices to use instead of drawing them (for example
        rsatoolbox's draws).
    n_jobs : int, optional
        None (default): Spearman and rho-a run compiled (numba) on every core, Pearson and cosine
        as a few multi-threaded matrix products. An int: batches of resamples go through joblib
        on this many workers (threads, or the backend set with ``joblib.parallel_config``, such
        as Dask). The rank measures' compiled code is built on first use after an install (some
        seconds) and loaded from a disk cache afterwards.

    Returns
    -------
    BootstrapResult

    Notes
    -----
    A condition drawn twice contributes its pairs with every other drawn condition twice; the
    dissimilarity between two copies of one condition is excluded (it is a trivial zero), as
    in rsatoolbox. For the batched methods all resamples are evaluated together as weighted
    statistics of the original pairs, so the cost hardly depends on the number of models.
    """
    check_option("method", method, BOOTSTRAP_METHODS)
    check_option("over", over, ("conditions", "rdms"))
    model_vectors, n = _vectors(models, "models")
    data_vectors, n_data = _vectors(data, "data")
    if n != n_data:
        raise NeurodlValueError(
            f"models and data must have the same number of conditions; got {n} and {n_data}."
        )
    if over == "rdms" and data_vectors.shape[0] < 2:
        raise NeurodlValueError(
            f"bootstrap over rdms needs at least 2 data RDMs; got {data_vectors.shape[0]}."
        )
    size = n if over == "conditions" else data_vectors.shape[0]
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
    drawn = draw_resamples(resamples, n_resamples, size, over, random_state)
    counts = np.zeros((drawn.shape[0], size))
    np.add.at(counts, (np.arange(drawn.shape[0])[:, None], drawn), 1.0)
    if over == "rdms":
        samples, low, up = rdm_bootstrap(model_vectors, data_vectors, n, method, counts)
        degenerate = np.zeros(counts.shape[0], dtype=bool)
    elif method in BATCHED_METHODS:
        samples, low, up = evaluate_weighted(
            counts, model_vectors, data_vectors, method, n_jobs=n_jobs
        )
        degenerate = (counts > 0).sum(axis=1) < 3
    else:
        samples, low, up = loop_condition_resamples(
            model_vectors, data_vectors, n, method, drawn.astype(np.intp)
        )
        degenerate = (counts > 0).sum(axis=1) < 3
    samples[degenerate] = np.nan
    low[degenerate] = np.nan
    up[degenerate] = np.nan
    if method in BATCHED_METHODS:
        point, p_low, p_up = evaluate_weighted(np.ones((1, n)), model_vectors, data_vectors, method)
    else:
        point, p_low, p_up = loop_condition_resamples(
            model_vectors, data_vectors, n, method, np.arange(n)[None]
        )
    ci_low, ci_high = percentile_interval(samples, confidence_level)
    return BootstrapResult(
        similarity=point[0],
        samples=samples,
        ci_low=ci_low,
        ci_high=ci_high,
        noise_ceiling=np.array([p_low[0], p_up[0]]),
        ceiling_samples=np.stack([low, up], axis=1),
        resamples=drawn.astype(np.intp),
        method=method,
        confidence_level=float(confidence_level),
    )


@dataclass
class PermutationResult:
    """Permutation test of model-vs-data similarity.

    Attributes
    ----------
    observed : ndarray of shape (n_models,)
    p_values : ndarray of shape (n_models,)
        (1 + #{null >= observed}) / (1 + n_permutations), one-sided (similarity above chance).
    null : ndarray of shape (n_permutations, n_models)
    """

    observed: NDArray[np.float64]
    p_values: NDArray[np.float64]
    null: NDArray[np.float64]


def permutation_test(
    models: ArrayLike,
    data: ArrayLike,
    *,
    method: str = "pearson",
    n_permutations: int = 1000,
    random_state: int | np.random.Generator | None = None,
    batch_size: int = 200,
) -> PermutationResult:
    """Test whether models resemble the data more than with shuffled condition labels.

    Each permutation relabels the conditions of the model RDM (rows and columns together),
    which keeps its distribution of dissimilarities and breaks only its correspondence with
    the data. All permutations of a batch are compared with the data in one call.

    Parameters
    ----------
    models : array-like of shape (n, n) or (n_models, n, n)
    data : array-like of shape (n, n) or (k, n, n)
        With several data RDMs the statistic is the mean similarity over them.
    method : str
        Any of :data:`neurodl.rsa.COMPARE_METHODS`.
    n_permutations : int
    random_state : int or Generator, optional

    Returns
    -------
    PermutationResult
    """
    check_option("method", method, COMPARE_METHODS)
    model_stack, _ = as_rdm_stack(models, "models")
    data_vectors, n = _vectors(data, "data")
    if model_stack.shape[1] != n:
        raise NeurodlValueError(
            f"models and data must have the same number of conditions; got "
            f"{model_stack.shape[1]} and {n}."
        )
    if int(n_permutations) < 1:
        raise NeurodlValueError(f"n_permutations must be >= 1; got {n_permutations!r}.")
    rng = np.random.default_rng(random_state)
    rows, cols = np.triu_indices(n, k=1)
    observed = _compare_vectors(rdm_to_vector(model_stack), data_vectors, n, method).mean(axis=1)
    perms = np.argsort(rng.random((int(n_permutations), n)), axis=1)
    null = np.empty((perms.shape[0], model_stack.shape[0]))
    for start in range(0, perms.shape[0], batch_size):
        p = perms[start : start + batch_size]
        for i, model in enumerate(model_stack):
            permuted = model[p[:, rows], p[:, cols]]
            null[start : start + p.shape[0], i] = _compare_vectors(
                permuted, data_vectors, n, method
            ).mean(axis=1)
    exceed = (null >= observed[None, :] - 1e-12).sum(axis=0)
    p_values = (1.0 + exceed) / (1.0 + null.shape[0])
    return PermutationResult(observed=observed, p_values=p_values, null=null)


def pairwise_bootstrap_test(samples: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Pairwise comparison of models (layers) from the same bootstrap resamples.

    Parameters
    ----------
    samples : array-like of shape (n_resamples, n_models)
        ``BootstrapResult.samples``: each row evaluates every model on the same resample, so
        the differences keep the pairing.

    Returns
    -------
    difference : ndarray of shape (n_models, n_models)
        Mean bootstrap difference samples[:, i] - samples[:, j].
    p_values : ndarray of shape (n_models, n_models)
        Two-sided bootstrap p-value 2 min(P(d <= 0), P(d >= 0)), capped at 1; 1 on the diagonal.
    """
    s = np.asarray(samples, dtype=np.float64)
    if s.ndim != 2 or s.shape[0] < 2:
        raise NeurodlValueError(
            f"samples must have shape (n_resamples >= 2, n_models); got {s.shape}."
        )
    s = s[np.isfinite(s).all(axis=1)]
    d = s[:, :, None] - s[:, None, :]
    below = (d <= 0).mean(axis=0)
    above = (d >= 0).mean(axis=0)
    p = np.minimum(1.0, 2 * np.minimum(below, above))
    np.fill_diagonal(p, 1.0)
    return d.mean(axis=0), p
