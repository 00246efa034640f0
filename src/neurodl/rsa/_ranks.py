"""Rank measures (Spearman, rho-a) and their noise ceilings under condition resampling.

A resample weights pair e by w_e = c_i c_j (see :mod:`neurodl.rsa._weighted`). The rank of
pair e in the resampled (expanded) vector is then a weighted rank: the total weight of the
pairs with smaller values plus the mean position within its tie group,
``r_e = W_<(e) + (w_tie(e) + 1) / 2``. For a fixed vector (a model or a data RDM) the order
of its values does not depend on the resample, so its weighted ranks are one gather of the
weights into the vector's precomputed sort order, one running sum and one gather at the
pairs the resample contains: no sort per resample.

The pooled RDMs of the noise ceiling are means of the data ranks, whose order does change
with the resample; each (the pool of all k data RDMs and the k leave-one-out pools) is
ranked with one sort of its support per resample, with value and position packed into one
int64 key. For rho-a only sum_e R_e y_e with the centred data y is needed, which in sorted
order is two dot products with the running sum, plus a correction on the (few) tie runs.

Everything stays exact: weights and twice the ranks are integers, kept in float32 while they
stay below 2**24 (float64 beyond), packed into int64 keys and summed in float64.

Cost (360 conditions, 5 data RDMs, one model; 2 shared cores): about 6 ms per resample, of
which the irreducible part of this design (6 gathers and running sums over all 64,620 pairs,
6 sorts of the ~27,000 pairs present) measured 2.0 ms; the rest is numpy passes over the
support (gathers at the support, tie detection, dot products), about 10 per pooled vector.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from numpy.typing import NDArray

F64 = NDArray[np.float64]
FArr = NDArray[np.floating]


@dataclass
class SortOrder:
    """A vector's fixed sort order and the runs of equal values in it."""

    perm: NDArray[np.intp]  # positions in ascending order of value
    inverse: NDArray[np.intp]  # sorted position of each entry
    ties: Ties | None


@dataclass
class Ties:
    """Runs of equal values in a sorted vector, as sparse positions (cheap when ties are few)."""

    first: NDArray[np.intp]  # first sorted position of each run
    last: NDArray[np.intp]  # last sorted position of each run
    members: NDArray[np.intp]  # every sorted position inside a run
    run: NDArray[np.intp]  # the run of each member


def _ties(sorted_values: NDArray[Any]) -> Ties | None:
    tied = np.flatnonzero(sorted_values[1:] == sorted_values[:-1])  # value[p] == value[p + 1]
    if tied.size == 0:
        return None
    breaks = np.flatnonzero(tied[1:] != tied[:-1] + 1)
    first = tied[np.concatenate(([0], breaks + 1))]
    last = tied[np.concatenate((breaks, [tied.size - 1]))] + 1
    lengths = last - first + 1
    run = np.repeat(np.arange(first.size), lengths)
    members = np.arange(run.size) + np.repeat(first - (np.cumsum(lengths) - lengths), lengths)
    return Ties(first, last, members, run)


def _fix_ties(sorted_ranks: FArr, w: FArr, ties: Ties, shift: float) -> None:
    """Give every member of a run of equal values the run's mean rank, in place.

    ``sorted_ranks`` holds cum - (w - 1) / 2 - shift (the rank each entry would have without
    ties, less ``shift``); the run from sorted position a to b has mean rank
    (cum[a] - w[a] + cum[b] + 1) / 2.
    """
    first, last = ties.first, ties.last
    cum_first = sorted_ranks[first] + (w[first] - 1.0) * 0.5 + shift
    cum_last = sorted_ranks[last] + (w[last] - 1.0) * 0.5 + shift
    group = (cum_first - w[first] + cum_last + 1.0) * 0.5 - shift
    sorted_ranks[ties.members] = group[ties.run]


def sort_order(v: F64) -> SortOrder:
    """Precompute the order and tie runs of one vector (once per bootstrap)."""
    perm = np.argsort(v, kind="stable")
    inverse = np.empty_like(perm)
    inverse[perm] = np.arange(perm.size)
    index = np.int32 if v.size < 2**31 else np.intp  # half the memory traffic per resample
    return SortOrder(perm.astype(index), inverse.astype(index), _ties(v[perm]))


def _cumsum(x: FArr, out: FArr) -> None:
    """Cumulative sum of a 1-D array into ``out`` (torch's CPU scan is ~3x numpy's).

    1-D only: torch runs a multi-row scan (and large gathers) in a parallel region, which
    stalls for milliseconds when another process holds the other cores.
    """
    torch.cumsum(torch.from_numpy(x), dim=0, out=torch.from_numpy(out))


def subject_ranks(weights: FArr, orders: list[SortOrder], support: NDArray[np.intp]) -> FArr:
    """Weighted average ranks (T, s) of each fixed vector at the support of one resample.

    One vector at a time (gather the weights into its order, running sum, gather at the
    support), so that the working arrays stay in cache.
    """
    cum, gathered = np.empty_like(weights), np.empty_like(weights)
    half = (weights[support] - 1.0) * 0.5
    out = np.empty((len(orders), support.size), dtype=weights.dtype)
    for t, o in enumerate(orders):
        np.take(weights, o.perm, out=gathered, mode="clip")  # "raise" would buffer
        _cumsum(gathered, cum)  # separate buffers: an in-place scan is not a documented use
        if o.ties is not None:  # members of a run get its mean rank (+ half, taken off below)
            runs = o.ties
            w_first, w_members = weights[o.perm[runs.first]], weights[o.perm[runs.members]]
            group = (cum[runs.first] - w_first + cum[runs.last] + 1.0) * 0.5
            cum[runs.members] = group[runs.run] + (w_members - 1.0) * 0.5
        np.subtract(cum[o.inverse[support]], half, out=out[t])
    return out


def _pool_ranks(keys: NDArray[np.int64], w: F64, bits: int) -> tuple[NDArray[np.int64], F64]:
    """Sort order and weighted ranks less 1/2 (in that order) of a pooled vector on a support.

    ``keys`` packs each value above ``bits`` bits of its position; it is sorted in place. The
    1/2 is left out because it cancels in every cross product with a centred vector.
    """
    keys.sort()
    idx = keys & ((1 << bits) - 1)
    wo = w[idx]
    cum = np.empty_like(wo)
    _cumsum(wo, cum)
    cum -= 0.5 * wo
    keys >>= bits
    ties = _ties(keys)
    if ties is not None:
        _fix_ties(cum, wo, ties, 0.5)
    return idx, cum


def _pooled_cross(keys: NDArray[np.int64], bits: int, target: F64, w: F64) -> float:
    """sum_e (R_e - 1/2) target_e for the weighted ranks R of a pooled vector (packed keys).

    The same as ``_pool_ranks`` followed by a dot product, with two passes fewer: the ranks
    are cum - w/2 in sorted order, so the sum splits into two dot products, and tie runs
    (few) are corrected afterwards.
    """
    keys.sort()
    idx = keys & ((1 << bits) - 1)
    wo = w[idx]
    to = target[idx]
    cum = np.empty_like(wo)
    _cumsum(wo, cum)
    cross = float(np.einsum("s,s->", cum, to)) - 0.5 * float(np.einsum("s,s->", wo, to))
    keys >>= bits
    ties = _ties(keys)
    if ties is not None:
        members = ties.members
        group = (cum[ties.first] - wo[ties.first] + cum[ties.last]) * 0.5
        plain = cum[members] - 0.5 * wo[members]
        cross += float(np.einsum("s,s->", group[ties.run] - plain, to[members]))
    return cross


def _pooled_spearman(keys: NDArray[np.int64], bits: int, target: F64, w: F64, n: float) -> float:
    """Spearman similarity of a pooled vector (packed keys) with a target scaled by 1 / norm."""
    idx, ranks = _pool_ranks(keys, w, bits)
    cross = float(np.einsum("s,s->", ranks, target[idx]))
    centred = ranks + (0.5 - (n + 1.0) / 2.0)
    norm = float(np.einsum("s,s,s->", centred, centred, w[idx]))
    return cross / np.sqrt(norm) if norm > 0 else 0.0


def _one_resample(
    weights: FArr, orders: list[SortOrder], n_models: int, spearman: bool
) -> tuple[F64, float, float]:
    support = np.flatnonzero(weights)
    r = subject_ranks(weights, orders, support)
    w = weights[support].astype(np.float64)
    n = float(w.sum())
    rc = r.astype(np.float64)
    rc -= (n + 1.0) / 2.0
    y = rc * w  # sums to zero for every vector
    if spearman:
        norms = np.einsum("ts,ts->t", y, rc)
        with np.errstate(divide="ignore"):
            scale = np.where(norms > 0, 1.0 / np.sqrt(norms), 0.0)
        y *= scale[:, None]
        rc *= scale[:, None]
        factor = 1.0
    else:  # rho-a: one constant scale, applied at the end
        factor = 12.0 / (n**3 - n)
    evaluations = np.einsum("ls,ks->lk", y[:n_models], rc[n_models:]) * factor
    data = y[n_models:]
    # pooled vectors as sort keys: twice the summed ranks (exact integers) above the position
    bits = max(int(support.size - 1).bit_length(), 1)
    twice = (2.0 * r[n_models:]).astype(np.int64)
    twice <<= bits
    total = twice.sum(axis=0)
    total |= np.arange(support.size, dtype=np.int64)

    def pooled(keys: NDArray[np.int64], target: F64) -> float:
        if spearman:
            return _pooled_spearman(keys, bits, target, w, n)
        return _pooled_cross(keys, bits, target, w) * factor

    upper = pooled(total.copy(), data.mean(axis=0))
    lower = np.nan
    if data.shape[0] > 1:
        lower = float(np.mean([pooled(total - twice[j], data[j]) for j in range(data.shape[0])]))
    return evaluations.mean(axis=1), lower, upper


def rank_evaluations(
    weights: FArr, orders: list[SortOrder], n_models: int, method: str
) -> tuple[F64, F64, F64]:
    """Evaluations (b, L) and ceilings (b,), (b,) of a batch of weight rows (rank measures).

    With centred data ranks y_k = w (r_k - c), which sum to zero, a similarity with a pooled
    vector needs only sum_e R_e y_k(e) for its weighted ranks R; being linear in y_k, the upper
    ceiling's mean over k is one product with the mean of the (scaled) y_k.
    """
    out = [_one_resample(w, orders, n_models, method == "spearman") for w in weights]
    evaluations = np.array([o[0] for o in out]).reshape(len(out), n_models)
    lower = np.array([o[1] for o in out], dtype=np.float64)
    upper = np.array([o[2] for o in out], dtype=np.float64)
    return evaluations, lower, upper
