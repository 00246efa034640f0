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
weights along the vector's fixed sort order (ties share their average rank), batched over
resamples; only the pairs present in a resample are ranked, and pooled RDMs (means of
ranks) are re-ranked with one batched integer sort.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["evaluate_weighted"]

F64 = NDArray[np.float64]


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
    d = np.sqrt(np.diagonal(second, axis1=1, axis2=2))
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


def _tie_groups(v: F64) -> NDArray[np.int64]:
    """Dense rank of each entry (equal values share one), so that sorting by it sorts v."""
    return np.unique(v, return_inverse=True)[1].reshape(-1).astype(np.int64)


def _rank_rows(values: NDArray[np.int64], weights: NDArray[np.float32]) -> NDArray[np.float32]:
    """Weighted average ranks of each row of integer ``values`` (ties share their mean rank).

    Values and positions are packed into one int64 key per entry so that a single batched sort
    orders every row; ranks are exact (integer weights, half-integer ranks in float32).
    """
    width = values.shape[1]
    bits = max(int(width - 1).bit_length(), 1)
    keys = np.sort((values << bits) | np.arange(width, dtype=np.int64)[None, :], axis=1)
    idx = keys & ((1 << bits) - 1)
    sv = keys >> bits
    ws = np.take_along_axis(weights, idx, axis=1)
    cum = np.cumsum(ws, axis=1)
    first = np.concatenate([np.ones((sv.shape[0], 1), bool), sv[:, 1:] != sv[:, :-1]], axis=1)
    if bool(first.all()):
        sorted_ranks = cum - (ws - 1.0) / 2.0
    else:
        last = np.concatenate([first[:, 1:], np.ones((sv.shape[0], 1), bool)], axis=1)
        start = np.maximum.accumulate(np.where(first, cum - ws, 0.0), axis=1)
        end = np.minimum.accumulate(np.where(last, cum, np.inf)[:, ::-1], axis=1)[:, ::-1]
        sorted_ranks = ((start + end + 1.0) / 2.0).astype(np.float32)
    ranks = np.empty_like(sorted_ranks)
    np.put_along_axis(ranks, idx, sorted_ranks, axis=1)
    return ranks


def _rank_method(
    weights: NDArray[np.float32], groups: list[NDArray[np.int64]], n_models: int, method: str
) -> tuple[F64, F64, F64]:
    """Rank comparisons on the pairs that a resample contains (positive weight) only."""
    positive = weights > 0
    width = int(positive.sum(axis=1).max())
    support = np.argsort(~positive, axis=1, kind="stable")[:, :width]
    ws = np.take_along_axis(weights, support, axis=1)
    w64 = ws.astype(np.float64)
    n_total = w64.sum(axis=1)
    centre = (n_total + 1.0) / 2.0
    ranks = [_rank_rows(g[support], ws) for g in groups]
    ranks64 = [r.astype(np.float64) for r in ranks]
    data, data64 = ranks[n_models:], ranks64[n_models:]
    n_data = len(data)

    def norm(r: F64) -> F64:
        return np.asarray(np.einsum("be,be->b", w64 * r, r) - n_total * centre**2)

    def sim(ra: F64, rb: F64) -> F64:
        cross = np.einsum("be,be->b", w64 * ra, rb) - n_total * centre**2
        if method == "rho_a":
            return np.asarray(cross * 12.0 / (n_total**3 - n_total))
        na, nb = norm(ra), norm(rb)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where((na > 0) & (nb > 0), cross / np.sqrt(na * nb), 0.0)

    evaluations = np.stack(
        [np.mean([sim(ranks64[i], d) for d in data64], axis=0) for i in range(n_models)], axis=1
    )
    twice = [np.rint(2 * d).astype(np.int64) for d in data]
    total = np.sum(twice, axis=0)
    pooled_all = _rank_rows(total, ws).astype(np.float64)
    upper = np.mean([sim(pooled_all, d) for d in data64], axis=0)
    if n_data > 1:
        lower = np.mean(
            [
                sim(_rank_rows(total - twice[j], ws).astype(np.float64), data64[j])
                for j in range(n_data)
            ],
            axis=0,
        )
    else:
        lower = np.full(upper.shape, np.nan)
    return evaluations, lower, upper


def evaluate_weighted(
    counts: NDArray[Any],
    models: F64,
    data: F64,
    method: str,
    *,
    batch_size: int | None = None,
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
    """
    n = counts.shape[1]
    rows, cols = np.triu_indices(n, k=1)
    vectors = np.concatenate([models, data])
    valid = ~np.isnan(vectors).any(axis=0)
    vectors = np.where(valid[None, :], vectors, 0.0)
    n_models = models.shape[0]
    square = _product_matrices(vectors, valid, n) if method in ("pearson", "cosine") else None
    groups = [_tie_groups(v) for v in vectors] if method in ("spearman", "rho_a") else []
    if batch_size is None:
        batch_size = 250 if method in ("pearson", "cosine") else 1
    outputs: list[tuple[F64, F64, F64]] = []
    for start in range(0, counts.shape[0], batch_size):
        c = np.asarray(counts[start : start + batch_size], dtype=np.float64)
        if method in ("pearson", "cosine"):
            assert square is not None
            outputs.append(_moment_method(c, square, vectors.shape[0], n_models, method))
        else:
            c32 = c.astype(np.float32)
            weights = c32[:, rows] * c32[:, cols] * valid[None, :]
            outputs.append(_rank_method(weights, groups, n_models, method))
    evaluations = np.concatenate([o[0] for o in outputs])
    lower = np.concatenate([o[1] for o in outputs])
    upper = np.concatenate([o[2] for o in outputs])
    return evaluations, lower, upper
