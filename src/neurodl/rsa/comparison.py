"""Statistics of a model comparison: held-out layer choice and differences between models.

Choosing the best layer (or time step) of a network and reporting its similarity on the same
data inflates the score: with many layers, one fits the data's noise best by chance. Here the
layer is chosen on one half of the conditions and scored on the other half (the dissimilarities
among the second half's conditions share no condition, hence no trial, with the first half's),
in both directions and over several random halvings. Differences between models are then
tested against the spread over training seeds plus the data's sampling variability.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.stats
from numpy.typing import NDArray

from neurodl.exceptions import NeurodlValueError
from neurodl.rsa._resample import ceiling_of_vectors
from neurodl.rsa._weighted import evaluate_weighted
from neurodl.rsa.compare import _compare_vectors
from neurodl.rsa.inference import BATCHED_METHODS

__all__ = [
    "HeldOutChoice",
    "choose_layer_held_out",
    "evaluate_counts",
    "holm_adjust",
    "seed_difference_test",
]

F64 = NDArray[np.float64]

#: Resamples of the held-out scores for comparison methods that are evaluated one resample at a
#: time (Kendall's tau-a, the whitened measures): a full comparison per resample and half.
MAX_LOOPED_RESAMPLES = 100


def evaluate_counts(counts: F64, models: F64, data: F64, n: int, method: str) -> tuple[F64, F64]:
    """Similarities (b, L) and noise ceilings (b, 2) for each row of condition counts.

    A count of 0 leaves a condition out (a half), a count above 1 repeats it (a bootstrap
    resample, rsatoolbox's convention). Rows with fewer than 3 conditions give NaN.
    """
    if method in BATCHED_METHODS:
        ev, low, up = evaluate_weighted(counts, models, data, method)
    else:
        ev, low, up = _loop_counts(counts, models, data, n, method)
    ev = np.array(ev, dtype=np.float64)
    ceiling = np.stack([low, up], axis=1).astype(np.float64)
    few = (counts > 0).sum(axis=1) < 3
    ev[few], ceiling[few] = np.nan, np.nan
    return ev, ceiling


def _loop_counts(counts: F64, models: F64, data: F64, n: int, method: str) -> tuple[F64, F64, F64]:
    """Each row's resampled RDMs built and compared one at a time (any comparison method)."""
    rows, cols = np.triu_indices(n, k=1)
    lookup = np.full((n, n), -1)
    lookup[rows, cols] = lookup[cols, rows] = np.arange(rows.size)
    vectors = np.concatenate([models, data])
    ev = np.full((counts.shape[0], models.shape[0]), np.nan)
    low, up = np.full(counts.shape[0], np.nan), np.full(counts.shape[0], np.nan)
    for i, c in enumerate(counts):
        idx = np.repeat(np.arange(n), c.astype(np.intp))
        if np.unique(idx).size < 3:
            continue
        r, q = np.triu_indices(idx.size, k=1)
        pair = lookup[idx[r], idx[q]]
        resampled = np.where(pair >= 0, vectors[:, pair], np.nan)
        m, d = resampled[: models.shape[0]], resampled[models.shape[0] :]
        ev[i] = _compare_vectors(m, d, idx.size, method).mean(axis=1)
        low[i], up[i] = ceiling_of_vectors(d, idx.size, method)
    return ev, low, up


@dataclass
class HeldOutChoice:
    """Layers chosen on one half of the conditions and scored on the other.

    Attributes
    ----------
    scores : list of ndarray of shape (b,)
        Per group (one network instance): the held-out score for each row of the counts
        (row 0: the data as they are; the rest: bootstrap resamples), the mean over
        ``n_splits`` random halvings in both directions.
    choices : list of ndarray of int of shape (2 * n_splits,)
        Per group, the layer chosen in each halving and direction (row 0).
    half_ceiling : ndarray of shape (2,)
        The noise ceiling (lower, upper) of a half, averaged over the halves: the scale on
        which held-out scores are read.
    n_splits : int
    """

    scores: list[F64]
    choices: list[NDArray[np.intp]]
    half_ceiling: F64
    n_splits: int


def _choose(select: F64, score: F64) -> tuple[F64, NDArray[np.intp]]:
    """Score (b,) of the layer with the highest ``select`` in each row; the choices (b,)."""
    filled = np.where(np.isnan(select), -np.inf, select)
    choice = np.argmax(filled, axis=1)
    out = score[np.arange(score.shape[0]), choice]
    out[~np.isfinite(select).any(axis=1)] = np.nan
    return out, choice.astype(np.intp)


def _nanmean_rows(rows: list[F64]) -> F64:
    """Mean over halvings, ignoring those where the score is undefined (NaN if all are)."""
    stack = np.stack(rows)
    n = np.isfinite(stack).sum(axis=0)
    total = np.where(np.isfinite(stack), stack, 0.0).sum(axis=0)
    return np.where(n > 0, total / np.maximum(n, 1), np.nan)


def choose_layer_held_out(
    groups: Sequence[F64],
    data: F64,
    n: int,
    *,
    method: str,
    counts: F64,
    n_splits: int = 10,
    random_state: int | np.random.Generator | None = None,
) -> HeldOutChoice:
    """Choose each network's best layer on half the conditions, score it on the other half.

    Parameters
    ----------
    groups : sequence of ndarray of shape (n_layers, n_pairs)
        Upper-triangle RDM vectors of each network instance's layers.
    data : ndarray of shape (k, n_pairs)
        The data RDM(s) (split halves of the trials), as vectors.
    n : int
        Number of conditions.
    method : str
        Comparison method.
    counts : ndarray of shape (b, n)
        Condition counts: row 0 all ones (the data), further rows bootstrap resamples; every
        group is evaluated on the same rows and halvings, so differences keep their pairing.
    n_splits : int
        Random halvings of the conditions; each is used in both directions.
    random_state : int or Generator, optional

    Returns
    -------
    HeldOutChoice
    """
    if n < 6:
        raise NeurodlValueError(
            f"a held-out layer choice needs at least 6 conditions (3 per half); got {n}."
        )
    if int(n_splits) < 1:
        raise NeurodlValueError(f"n_splits must be >= 1; got {n_splits!r}.")
    if method not in BATCHED_METHODS:
        counts = counts[: 1 + MAX_LOOPED_RESAMPLES]
    rng = np.random.default_rng(random_state)
    totals: list[list[F64]] = [[] for _ in groups]
    choices: list[list[NDArray[np.intp]]] = [[] for _ in groups]
    ceilings = []
    for _ in range(int(n_splits)):
        half = np.zeros(n, dtype=bool)
        half[rng.permutation(n)[: n // 2]] = True
        masks = (half.astype(np.float64), (~half).astype(np.float64))
        for g, vectors in enumerate(groups):
            first, ceil_a = evaluate_counts(counts * masks[0], vectors, data, n, method)
            second, ceil_b = evaluate_counts(counts * masks[1], vectors, data, n, method)
            for select, score in ((first, second), (second, first)):
                s, c = _choose(select, score)
                totals[g].append(s)
                choices[g].append(c[:1])
            if g == 0:
                ceilings.extend([ceil_a[0], ceil_b[0]])
    return HeldOutChoice(
        scores=[_nanmean_rows(t) for t in totals],
        choices=[np.concatenate(c) for c in choices],
        half_ceiling=_nanmean_rows(ceilings),
        n_splits=int(n_splits),
    )


def seed_difference_test(a: F64, b: F64, boot_a: F64, boot_b: F64) -> dict[str, float | None]:
    """Test the difference of two models' mean scores against seed spread plus data noise.

    Parameters
    ----------
    a, b : ndarray of shape (n_seeds_a,), (n_seeds_b,)
        Each model's score per training seed (or initialisation) on the data.
    boot_a, boot_b : ndarray of shape (n_resamples, n_seeds_a), (n_resamples, n_seeds_b)
        The same scores on paired bootstrap resamples of the conditions.

    Returns
    -------
    dict
        ``difference`` (mean a - mean b); ``se`` = sqrt(s_a^2/n_a + s_b^2/n_b + v_data)
        with s^2 the variance over seeds (0 for a single network) and v_data the bootstrap
        variance of the difference of the seed means; ``df`` by Welch-Satterthwaite, the
        bootstrap term counted with infinite degrees of freedom (a normal test when neither
        model has seeds); ``t``; two-sided ``p_value`` from Student's t.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    diff = float(a.mean() - b.mean())
    parts = [
        (float(x.var(ddof=1)) / x.size, x.size - 1) if x.size > 1 else (0.0, 0) for x in (a, b)
    ]
    boot = np.asarray(boot_a).mean(axis=1) - np.asarray(boot_b).mean(axis=1)
    boot = boot[np.isfinite(boot)]  # resamples undefined for some instance are left out
    v_data = float(boot.var(ddof=1)) if boot.size > 1 else 0.0
    v_seed = sum(v for v, _ in parts)
    variance = v_seed + v_data
    if not np.isfinite(diff):
        return {"difference": None, "se": None, "df": None, "t": None, "p_value": None}
    if variance <= 0:
        return {
            "difference": diff,
            "se": 0.0,
            "df": None,
            "t": None,
            "p_value": 1.0 if diff == 0 else 0.0,
        }
    seed_df = sum(v**2 / d for v, d in parts if d > 0 and v > 0)
    df = float(variance**2 / seed_df) if seed_df > 0 else np.inf
    t = diff / np.sqrt(variance)
    p = (
        float(2 * scipy.stats.t.sf(abs(t), df))
        if np.isfinite(df)
        else float(2 * scipy.stats.norm.sf(abs(t)))
    )
    return {
        "difference": diff,
        "se": float(np.sqrt(variance)),
        "df": float(df) if np.isfinite(df) else None,
        "t": float(t),
        "p_value": min(p, 1.0),
        "seed_variance": v_seed,
        "data_variance": v_data,
    }


def holm_adjust(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm's step-down adjustment of a family of p-values (None entries stay None)."""
    known = [(p, i) for i, p in enumerate(p_values) if p is not None]
    out: list[float | None] = [None] * len(p_values)
    running = 0.0
    m = len(known)
    for rank, (p, i) in enumerate(sorted(known)):
        running = max(running, min(1.0, (m - rank) * p))
        out[i] = running
    return out
