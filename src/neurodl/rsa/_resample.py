"""Pooled RDMs, noise ceilings, and the bootstraps that are not batched moments or ranks.

``rdm_bootstrap`` resamples whole data RDMs (animals, sessions): conditions stay fixed, so
model-vs-RDM similarities are computed once and a resample only reweights them (for Pearson
and cosine the ceiling too; other methods re-pool per resample). ``loop_condition_resamples``
resamples conditions for the methods with no weighted-moment form (Kendall's tau-a and the
whitened measures): it builds each resampled RDM as rsatoolbox does (rows and columns
repeated, dissimilarities between copies of one condition NaN) and compares, one resample at
a time.
"""

from __future__ import annotations

import numpy as np
import scipy.stats
from numpy.typing import NDArray

from neurodl.rsa.compare import _compare_vectors

F64 = NDArray[np.float64]


def normalise_for_pooling(vectors: F64, method: str) -> F64:
    """What rsatoolbox's ``pool_rdm`` averages: RMS-scaled, z-scored or ranked vectors."""
    v = vectors
    if method in ("cosine", "whitened_cosine"):
        return np.asarray(v / np.sqrt(np.nanmean(v**2, axis=1, keepdims=True)))
    if method in ("pearson", "whitened_pearson"):
        v = v - np.nanmean(v, axis=1, keepdims=True)
        return np.asarray(v / np.nanstd(v, axis=1, keepdims=True))
    ranks = scipy.stats.rankdata(v, axis=1, nan_policy="omit")
    return np.asarray(np.where(np.isnan(v), np.nan, ranks), dtype=np.float64)


def pool(vectors: F64, method: str) -> F64:
    """rsatoolbox's ``pool_rdm``: the RDM that best represents several, shape (1, m)."""
    return np.asarray(
        np.mean(normalise_for_pooling(vectors, method), axis=0, keepdims=True), dtype=np.float64
    )


def ceiling_of_vectors(vectors: F64, n: int, method: str) -> tuple[float, float]:
    """(lower, upper) noise ceiling of upper-triangle vectors of n conditions (lower NaN if 1)."""
    upper = float(np.mean(_compare_vectors(pool(vectors, method), vectors, n, method)))
    if vectors.shape[0] < 2:
        return float("nan"), upper
    lower = float(
        np.mean(
            [
                _compare_vectors(
                    pool(np.delete(vectors, j, axis=0), method), vectors[j : j + 1], n, method
                )[0, 0]
                for j in range(vectors.shape[0])
            ]
        )
    )
    return lower, upper


def _moment_rdm_ceilings(data: F64, n: int, method: str, counts: F64) -> tuple[F64, F64]:
    """Pearson/cosine ceilings of RDM resamples from the normalised moment matrix R."""
    centred = data - data.mean(axis=1, keepdims=True) if method == "pearson" else data
    r = _compare_vectors(centred, centred, n, "cosine")
    wr = counts @ r
    total = np.einsum("bk,bk->b", wr, counts)
    present = counts > 0
    n_present = present.sum(axis=1)
    diag = np.diag(r)[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = np.where(present, wr / np.sqrt(total)[:, None], 0.0).sum(axis=1) / n_present
        rest = total[:, None] - 2 * counts * wr + counts**2 * diag
        lower_j = (wr - counts * diag) / np.sqrt(rest)
        lower = np.where(present, lower_j, 0.0).sum(axis=1) / n_present
    return lower, upper


def rdm_bootstrap(models: F64, data: F64, n: int, method: str, counts: F64) -> tuple[F64, F64, F64]:
    """Resampling whole data RDMs: evaluations (b, L) and (lower, upper) ceilings per resample.

    A model's similarity is the count-weighted mean over the drawn RDMs; the pooled RDM is the
    count-weighted mean of the normalised data RDMs, the upper ceiling the mean over the
    distinct drawn RDMs of their similarity with it, and the leave-one-out pools drop every
    copy of an RDM (rsatoolbox's ``eval_bootstrap_rdm``).
    """
    per_rdm = _compare_vectors(models, data, n, method)
    evaluations = counts @ per_rdm.T / counts.sum(axis=1, keepdims=True)
    if method in ("pearson", "cosine"):
        lower, upper = _moment_rdm_ceilings(data, n, method, counts)
    else:
        normalised = normalise_for_pooling(data, method)
        lower, upper = np.empty(counts.shape[0]), np.empty(counts.shape[0])
        for i, c in enumerate(counts):
            drawn = np.flatnonzero(c)
            pooled = (c[drawn] @ normalised[drawn] / c.sum())[None]
            upper[i] = np.mean(_compare_vectors(pooled, data[drawn], n, method))
            lows = []
            for j in drawn:
                rest = drawn[drawn != j]
                if rest.size:
                    others = (c[rest] @ normalised[rest] / c[rest].sum())[None]
                    lows.append(_compare_vectors(others, data[j : j + 1], n, method)[0, 0])
            lower[i] = np.mean(lows) if lows else np.nan
    lower[(counts > 0).sum(axis=1) < 2] = np.nan
    return evaluations, lower, upper


def loop_condition_resamples(
    models: F64, data: F64, n: int, method: str, drawn: NDArray[np.intp]
) -> tuple[F64, F64, F64]:
    """Condition resamples evaluated one by one on the resampled RDMs (any comparison method).

    Costs one full comparison of every model and data RDM (and the ceiling) per resample.
    """
    rows, cols = np.triu_indices(n, k=1)
    b = drawn.shape[0]
    evaluations = np.full((b, models.shape[0]), np.nan)
    lower, upper = np.full(b, np.nan), np.full(b, np.nan)
    vectors = np.concatenate([models, data])
    lookup = np.full((n, n), -1)
    lookup[rows, cols] = np.arange(rows.size)
    lookup[cols, rows] = np.arange(rows.size)
    for i, idx in enumerate(drawn):
        if np.unique(idx).size < 3:
            continue
        pair = lookup[idx[rows], idx[cols]]
        resampled = np.where(pair >= 0, vectors[:, pair], np.nan)
        m, d = resampled[: models.shape[0]], resampled[models.shape[0] :]
        evaluations[i] = _compare_vectors(m, d, n, method).mean(axis=1)
        lower[i], upper[i] = ceiling_of_vectors(d, n, method)
    return evaluations, lower, upper
