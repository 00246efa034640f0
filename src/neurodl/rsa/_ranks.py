"""Rank measures (Spearman, rho-a) and their noise ceilings under condition resampling.

A resample weights pair e by w_e = c_i c_j (see :mod:`neurodl.rsa._weighted`): the resampled
vector is the original one with pair e repeated w_e times. The rank of pair e in it is a
weighted rank, the total weight of the pairs with smaller values plus the mean position within
its tie group: ``r_e = W_<(e) + (w_tie(e) + 1) / 2``. For a fixed vector (a model or a data RDM)
the order of its values does not depend on the resample, so its weighted ranks are one pass of a
running sum of the weights along its precomputed sort order: no sort per resample.

The pooled RDMs of the noise ceiling (the pool of all k data RDMs and the k leave-one-out pools)
are sums of data ranks, whose order does change with the resample. Twice a weighted rank is an
integer, so each pooled vector is an integer key of at most ~log2(2 k N) bits and is ordered by
a least-significant-digit radix sort (11-bit digits, two passes for up to 4 million keys).

Everything is exact: weights, twice the ranks and the keys are integers held in float64 or
int64; the similarities are float64 sums. The per-resample work is compiled with numba; the
resamples are spread over numba's threads (``prange``), or run in the calling thread when the
caller parallelises itself (joblib batches). Each thread's working arrays stay in its cache.
"""

from __future__ import annotations

from typing import NamedTuple

import numba
import numpy as np
from numpy.typing import NDArray

F64 = NDArray[np.float64]

_DIGIT = 11
_BUCKETS = 1 << _DIGIT


class SortOrders(NamedTuple):
    """Fixed sort orders of T vectors of P pairs, and their runs of equal values."""

    perms: NDArray[np.int32]  # (T, P) pair indices in ascending order of value
    inverse: NDArray[np.int32]  # (T, P) sorted position of each pair
    run_first: NDArray[np.int64]  # first sorted position of each run of equal values
    run_last: NDArray[np.int64]  # last sorted position of each run (inclusive)
    run_start: NDArray[np.int64]  # (T + 1,) vector t's runs are run_start[t]:run_start[t + 1]


def sort_orders(vectors: F64) -> SortOrders:
    """Precompute each fixed vector's order and tie runs (once per bootstrap)."""
    perms = np.argsort(vectors, axis=1, kind="stable")
    inverse = np.empty_like(perms)
    np.put_along_axis(inverse, perms, np.arange(perms.shape[1])[None, :], axis=1)
    ordered = np.take_along_axis(vectors, perms, axis=1)
    firsts, lasts, start = [], [], [0]
    for row in ordered:
        tied = np.flatnonzero(row[1:] == row[:-1])  # value[p] == value[p + 1]
        breaks = np.flatnonzero(tied[1:] != tied[:-1] + 1)
        if tied.size:
            firsts.append(tied[np.concatenate(([0], breaks + 1))])
            lasts.append(tied[np.concatenate((breaks, [tied.size - 1]))] + 1)
        start.append(start[-1] + (firsts[-1].size if tied.size else 0))
    empty = np.zeros(0, dtype=np.int64)
    return SortOrders(
        perms.astype(np.int32),
        inverse.astype(np.int32),
        np.concatenate(firsts).astype(np.int64) if firsts else empty,
        np.concatenate(lasts).astype(np.int64) if lasts else empty,
        np.asarray(start, dtype=np.int64),
    )


@numba.njit(cache=True, nogil=True)
def _radix_sort(keys, index, key_buffer, index_buffer, counts):  # pragma: no cover - compiled
    """Sort non-negative int64 ``keys`` in place (LSD radix), carrying ``index`` along."""
    n = keys.size
    top = 0
    for i in range(n):
        top = max(top, keys[i])
    shift = 0
    src_k, src_i, dst_k, dst_i = keys, index, key_buffer, index_buffer
    while True:
        counts[:] = 0
        for i in range(n):
            counts[(src_k[i] >> shift) & (_BUCKETS - 1)] += 1
        total = 0
        for d in range(_BUCKETS):
            c = counts[d]
            counts[d] = total
            total += c
        for i in range(n):
            key = src_k[i]
            d = (key >> shift) & (_BUCKETS - 1)
            dst_k[counts[d]] = key
            dst_i[counts[d]] = src_i[i]
            counts[d] += 1
        src_k, src_i, dst_k, dst_i = dst_k, dst_i, src_k, src_i
        shift += _DIGIT
        if (top >> shift) == 0:
            break
    if src_k is not keys:
        keys[:] = src_k
        index[:] = src_i


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _pooled(keys, w, target, work, spearman, centre):  # pragma: no cover - compiled
    """sum_s R_s target_s for the weighted ranks R of a pooled vector given as integer keys.

    ``target`` holds centred ranks times weights (summing to zero), so only R enters; for
    Spearman the sum is divided by the pooled vector's own weighted norm. ``keys`` is sorted in
    place; ``work`` is (index, key buffer, index buffer, bucket counts).
    """
    index, key_buffer, index_buffer, counts = work
    n = keys.size
    for s in range(n):
        index[s] = s
    _radix_sort(keys, index, key_buffer, index_buffer, counts)
    out = 0.0
    norm = 0.0
    cum = 0.0
    p = 0
    while p < n:
        q = p + 1
        weight = w[index[p]]
        dot = target[index[p]]
        while q < n and keys[q] == keys[p]:
            weight += w[index[q]]
            dot += target[index[q]]
            q += 1
        rank = cum + (weight + 1.0) * 0.5
        cum += weight
        out += rank * dot
        if spearman:
            norm += weight * (rank - centre) ** 2
        p = q
    if spearman:
        return out / np.sqrt(norm) if norm > 0 else 0.0
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
# one numba loop nest on purpose: split, it would cost function calls in every resample
def _one_resample(c, fixed, n_models, spearman, evaluations):  # noqa: C901, PLR0915  # pragma: no cover
    """One resample (condition counts ``c``): fills ``evaluations`` (L,), returns the ceilings.

    ``fixed``: (rows, cols, valid, perms, inverse, run_first, run_last, run_start), the pairs'
    conditions, which pairs are valid, and the fixed vectors' sort orders (:class:`SortOrders`).
    """
    rows, cols, valid, perms, inverse, run_first, run_last, run_start = fixed
    n_vectors, n_pairs = perms.shape
    k = n_vectors - n_models
    lower = np.nan
    w = np.empty(n_pairs, dtype=np.float32)  # small integers: exact
    support = np.empty(n_pairs, dtype=np.int32)
    s_size = 0
    for e in range(n_pairs):
        we = np.float32(c[rows[e]] * c[cols[e]]) if valid[e] else np.float32(0.0)
        w[e] = we
        support[s_size] = e
        s_size += we > 0
    ws = np.empty(s_size)
    for s in range(s_size):
        ws[s] = w[support[s]]
    total = ws.sum()
    centre = (total + 1.0) * 0.5
    # weighted ranks of each fixed vector: a running sum along its sort order
    ranks = np.empty((n_vectors, s_size))
    sorted_ranks = np.empty(n_pairs)
    for t in range(n_vectors):
        perm = perms[t]
        cum = 0.0
        for p in range(n_pairs):
            we = w[perm[p]]
            sorted_ranks[p] = cum + (we + 1.0) * 0.5
            cum += we
        for r in range(run_start[t], run_start[t + 1]):  # a run of ties gets its mean rank
            a, z = run_first[r], run_last[r]
            before = sorted_ranks[a] - (w[perm[a]] + 1.0) * 0.5
            after = sorted_ranks[z] + (w[perm[z]] - 1.0) * 0.5
            group = before + (after - before + 1.0) * 0.5
            for p in range(a, z + 1):
                sorted_ranks[p] = group
        inv = inverse[t]
        for s in range(s_size):
            ranks[t, s] = sorted_ranks[inv[support[s]]]
    # y_t = w (r_t - centre) sums to zero; scale: 1 / norm (Spearman), sqrt(12 / (N^3 - N))
    y = np.empty((n_vectors, s_size))
    scale = np.empty(n_vectors)
    for t in range(n_vectors):
        sq = 0.0
        for s in range(s_size):
            d = ranks[t, s] - centre
            y[t, s] = ws[s] * d
            sq += ws[s] * d * d
        if spearman:
            scale[t] = 1.0 / np.sqrt(sq) if sq > 0 else 0.0
        else:
            scale[t] = np.sqrt(12.0 / (total**3 - total))
    for m in range(n_models):
        acc = 0.0
        for j in range(n_models, n_vectors):
            dot = 0.0
            for s in range(s_size):
                dot += y[m, s] * (ranks[j, s] - centre)
            acc += dot * scale[m] * scale[j]
        evaluations[m] = acc / k
    # noise ceiling: pooled vectors as integer keys (twice the summed data ranks)
    pooled = np.zeros(s_size, dtype=np.int64)
    mean_target = np.zeros(s_size)
    for j in range(n_models, n_vectors):
        for s in range(s_size):
            pooled[s] += np.int64(2.0 * ranks[j, s])
            mean_target[s] += y[j, s] * scale[j] / k
    work = (
        np.empty(s_size, dtype=np.int64),
        np.empty(s_size, dtype=np.int64),
        np.empty(s_size, dtype=np.int64),
        np.empty(_BUCKETS, dtype=np.int64),
    )
    pooled_scale = 1.0 if spearman else scale[n_models]
    keys = pooled.copy()
    upper = _pooled(keys, ws, mean_target, work, spearman, centre) * pooled_scale
    if k > 1:
        target = np.empty(s_size)
        acc = 0.0
        for j in range(n_models, n_vectors):
            for s in range(s_size):
                keys[s] = pooled[s] - np.int64(2.0 * ranks[j, s])
                target[s] = y[j, s] * scale[j]
            acc += _pooled(keys, ws, target, work, spearman, centre) * pooled_scale
        lower = acc / k
    return lower, upper


@numba.njit(cache=True, nogil=True, parallel=True)
def _rank_kernel_parallel(counts, fixed, n_models, spearman):  # pragma: no cover - compiled
    b = counts.shape[0]
    evaluations = np.empty((b, n_models))
    lower, upper = np.empty(b), np.empty(b)
    for i in numba.prange(b):
        lower[i], upper[i] = _one_resample(counts[i], fixed, n_models, spearman, evaluations[i])
    return evaluations, lower, upper


@numba.njit(cache=True, nogil=True)
def _rank_kernel_serial(counts, fixed, n_models, spearman):  # pragma: no cover - compiled
    b = counts.shape[0]
    evaluations = np.empty((b, n_models))
    lower, upper = np.empty(b), np.empty(b)
    for i in range(b):
        lower[i], upper[i] = _one_resample(counts[i], fixed, n_models, spearman, evaluations[i])
    return evaluations, lower, upper


def rank_evaluations(
    counts: F64,
    rows: NDArray[np.intp],
    cols: NDArray[np.intp],
    valid: NDArray[np.bool_],
    orders: SortOrders,
    n_models: int,
    method: str,
    *,
    parallel: bool = True,
) -> tuple[F64, F64, F64]:
    """Evaluations (b, L) and ceilings (b,), (b,) for each row of condition counts (rank measures).

    ``parallel``: spread the resamples over numba's threads, or run them in the calling thread
    (for callers that parallelise themselves; no threading layer is involved then).

    For a model with centred ranks a and data with centred ranks y_k (weighted), rho-a is
    12 sum_e w_e a_e y_ke / (N^3 - N) and Spearman the weighted Pearson correlation of the ranks;
    the model's evaluation is the mean over the k data RDMs, the ceilings are the mean similarity
    of each data RDM with the pool of all (upper) or of the others (lower).
    """
    kernel = _rank_kernel_parallel if parallel else _rank_kernel_serial
    fixed = (rows.astype(np.int64), cols.astype(np.int64), np.ascontiguousarray(valid), *orders)
    return kernel(  # type: ignore[no-any-return]
        np.ascontiguousarray(counts, dtype=np.float64), fixed, int(n_models), method == "spearman"
    )
