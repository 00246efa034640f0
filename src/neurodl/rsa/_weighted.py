"""Batched evaluation of RDM comparisons and noise ceilings under condition resampling.

A bootstrap resample of conditions draws condition i ``c_i`` times. rsatoolbox (0.3.2) builds
the resampled RDMs with repeated rows/columns and marks the dissimilarity between two copies of
the same condition as NaN (``RDMs.subsample_pattern``), so those entries drop out of every
comparison. The resampled upper-triangle vector is therefore the original vector with pair
(i, j) repeated ``w_ij = c_i c_j`` times and nothing else: every statistic of a resample is a
weighted statistic of the original pairs. We follow exactly that choice.

For Pearson and cosine all comparisons, pooled RDMs and noise ceilings are functions of the
weighted first and second moments of the vectors, which for all resamples at once are one
matrix product ``W @ Q`` (W: resamples x pairs, Q: pairs x products of vectors). For the rank
measures (Spearman, rho-a) each resample's ranks are weighted ranks: a cumulative sum of
weights along the vector's fixed sort order, and the pooled RDMs of the noise ceiling are
re-ranked with one radix sort per pooled vector (see :mod:`neurodl.rsa._ranks`), compiled
with numba, one resample per thread at a time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["evaluate_weighted"]

F64 = NDArray[np.float64]

_RANK_BATCH = 50  # resamples per joblib task for the rank measures


def _from_moments(norm_cov: F64, n_models: int) -> tuple[F64, F64, F64]:
    """Model evaluations and (lower, upper) ceilings from a normalised moment matrix.

    ``norm_cov`` has shape (b, T, T), T = n_models + n_data: the correlation-like matrix of
    all vectors (covariances over standard deviations for Pearson, second moments over root
    mean squares for cosine). A pooled RDM is the mean of normalised data vectors, so its
    similarity with data vector j is sum_k R_kj / sqrt(sum_kl R_kl) over the pooled set.
    """
    r_md = norm_cov[:, :n_models, n_models:]
    evaluations = r_md.mean(axis=2)
    r_dd = norm_cov[:, n_models:, n_models:]
    n_data = r_dd.shape[1]
    col = r_dd.sum(axis=1)
    total = col.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = (col / np.sqrt(total)[:, None]).mean(axis=1)
        if n_data > 1:
            diag = np.diagonal(r_dd, axis1=1, axis2=2)
            rest = total[:, None] - 2 * col + diag
            lower = ((col - diag) / np.sqrt(rest)).mean(axis=1)
        else:
            lower = np.full(upper.shape, np.nan)
    return evaluations, lower, upper


def _normalise(second: F64) -> F64:
    # variances that rounding left a hair below zero are zero (their rows are zeroed below)
    d = np.sqrt(np.maximum(np.diagonal(second, axis1=1, axis2=2), 0.0))
    with np.errstate(invalid="ignore", divide="ignore"):
        out = second / d[:, :, None] / d[:, None, :]
    return np.where(np.isfinite(out), out, 0.0)


def _product_matrices(vectors: F64, valid: NDArray[np.bool_], n: int) -> F64:
    """(n, P * n) matrix: the square forms of 1, each vector and each product of two vectors."""
    t = vectors.shape[0]
    rows, cols = np.triu_indices(t)
    products = (
        np.concatenate([np.ones((1, vectors.shape[1])), vectors, vectors[rows] * vectors[cols]])
        * valid[None, :]
    )
    pr, pc = np.triu_indices(n, k=1)
    square = np.zeros((n, products.shape[0], n))
    square[pr, :, pc] = products.T
    square[pc, :, pr] = products.T
    return square.reshape(n, -1)


def _moment_method(
    counts: F64, square: F64, t: int, n_models: int, method: str
) -> tuple[F64, F64, F64]:
    """Weighted moments as quadratic forms: sum_{i<j} c_i c_j q_ij = c' Q c / 2 per product q."""
    b, n = counts.shape
    n_products = square.shape[1] // n
    sums = np.matmul((counts @ square).reshape(b, n_products, n), counts[:, :, None])[:, :, 0]
    sums /= 2.0
    rows, cols = np.triu_indices(t)
    s0 = sums[:, 0]
    s1 = sums[:, 1 : t + 1] / s0[:, None]
    second = np.empty((b, t, t))
    second[:, rows, cols] = sums[:, t + 1 :] / s0[:, None]
    second[:, cols, rows] = second[:, rows, cols]
    if method == "pearson":
        second -= s1[:, :, None] * s1[:, None, :]
    return _from_moments(_normalise(second), n_models)


def evaluate_weighted(
    counts: NDArray[Any],
    models: F64,
    data: F64,
    method: str,
    *,
    batch_size: int = 250,
    n_jobs: int | None = None,
) -> tuple[F64, F64, F64]:
    """Evaluations (b, L) and noise ceilings (b,), (b,) for each row of condition counts.

    Parameters
    ----------
    counts : ndarray of shape (b, n)
        How often each condition is drawn in each resample (ones: the original data).
    models : ndarray of shape (L, m)
    data : ndarray of shape (K, m)
        Upper-triangle vectors; NaN pairs get weight zero.
    method : {"pearson", "cosine", "spearman", "rho_a"}
    batch_size : int
        Resamples per matrix product for the moment measures (Pearson, cosine).
    n_jobs : int, optional
        None: the moment measures run in this thread (their matrix products use every core) and
        the rank measures in one compiled call spread over every core (numba). An int: batches
        of resamples go through joblib (threads, or the backend of ``joblib.parallel_config``,
        for example Dask), each batch of the rank measures on one core.
    """
    n = counts.shape[1]
    rows, cols = np.triu_indices(n, k=1)
    vectors = np.concatenate([models, data])
    valid = ~np.isnan(vectors).any(axis=0)
    vectors = np.where(valid[None, :], vectors, 0.0)
    n_models = models.shape[0]
    if method in ("spearman", "rho_a"):
        from neurodl.rsa._ranks import rank_evaluations, sort_orders

        orders = sort_orders(vectors)
        if n_jobs is None:  # one call: numba spreads the resamples over every core
            return rank_evaluations(counts, rows, cols, valid, orders, n_models, method)

        def run_ranks(start: int) -> tuple[F64, F64, F64]:
            c = np.asarray(counts[start : start + _RANK_BATCH], dtype=np.float64)
            return rank_evaluations(c, rows, cols, valid, orders, n_models, method, parallel=False)

        outputs = _fan_out(run_ranks, range(0, counts.shape[0], _RANK_BATCH), n_jobs)
    else:
        square = _product_matrices(vectors, valid, n)

        def run(start: int) -> tuple[F64, F64, F64]:
            c = np.asarray(counts[start : start + batch_size], dtype=np.float64)
            return _moment_method(c, square, vectors.shape[0], n_models, method)

        outputs = _fan_out(run, range(0, counts.shape[0], batch_size), n_jobs)
    evaluations = np.concatenate([o[0] for o in outputs])
    lower = np.concatenate([o[1] for o in outputs])
    upper = np.concatenate([o[2] for o in outputs])
    return evaluations, lower, upper


def _fan_out(
    run: Callable[[int], tuple[F64, F64, F64]], starts: range, n_jobs: int | None
) -> list[tuple[F64, F64, F64]]:
    """Batches in this thread, or through joblib (threads by default, any joblib backend)."""
    if n_jobs is None or n_jobs == 1:
        return [run(start) for start in starts]
    from joblib import Parallel, delayed

    return list(Parallel(n_jobs=n_jobs, prefer="threads")(delayed(run)(s) for s in starts))
