"""Small shared helpers: input checks, condition grouping, square/vector RDM forms."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import DataValueError, NeurodlValueError

__all__ = ["group_conditions", "rdm_to_vector", "vector_to_rdm"]


def as_data(data: ArrayLike, name: str = "data") -> NDArray[Any]:
    """A finite 2-D numeric array (float32 or float64), never a copy of float input."""
    array = np.asarray(data)
    if array.dtype.kind not in "biuf":
        raise DataValueError(f"{name} must be numeric; got dtype {array.dtype}.")
    if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
        raise DataValueError(
            f"{name} must be 2-D (n_observations, n_channels) and non-empty; got shape "
            f"{array.shape}."
        )
    if array.dtype.kind != "f":
        array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise DataValueError(f"{name} contains NaN or inf values.")
    return array


def group_conditions(
    conditions: ArrayLike | None, n_obs: int, name: str = "conditions"
) -> tuple[NDArray[Any], NDArray[np.intp]]:
    """Labels in order of first appearance and the condition index of each observation."""
    if conditions is None:
        return np.arange(n_obs), np.arange(n_obs, dtype=np.intp)
    labels = np.asarray(conditions)
    if labels.ndim != 1 or labels.shape[0] != n_obs:
        raise DataValueError(
            f"{name} must have shape ({n_obs},), one label per observation; got {labels.shape}."
        )
    uniques, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return uniques[order], rank[inverse.reshape(-1)].astype(np.intp)


def indicator(index: NDArray[np.intp], n_groups: int, rows: NDArray[np.intp] | None = None) -> Any:
    """Sparse (n_groups, n_obs) 0/1 matrix: entry (g, i) is 1 when observation i is in group g."""
    n_obs = index.shape[0]
    cols = np.arange(n_obs) if rows is None else rows
    values = np.ones(cols.shape[0])
    return sp.csr_matrix(
        (values, (index[cols], np.arange(cols.shape[0]))), shape=(n_groups, cols.shape[0])
    )


def condition_means(
    data: NDArray[Any], index: NDArray[np.intp], n_cond: int
) -> NDArray[np.float64]:
    """Mean of the observations of each condition, float64, shape (n_cond, n_channels)."""
    counts = np.bincount(index, minlength=n_cond).astype(np.float64)
    sums = indicator(index, n_cond) @ data
    return np.asarray(sums, dtype=np.float64) / counts[:, None]


def rdm_to_vector(rdm: ArrayLike) -> NDArray[np.float64]:
    """Upper triangle (i < j, row by row) of a square RDM or of a stack of them.

    Parameters
    ----------
    rdm : array-like of shape (n, n) or (k, n, n)

    Returns
    -------
    ndarray of shape (n (n - 1) / 2,) or (k, n (n - 1) / 2)
    """
    array = np.asarray(rdm, dtype=np.float64)
    if array.ndim not in (2, 3) or array.shape[-1] != array.shape[-2]:
        raise NeurodlValueError(
            f"rdm must be square (n, n) or a stack (k, n, n); got shape {array.shape}."
        )
    rows, cols = np.triu_indices(array.shape[-1], k=1)
    return array[..., rows, cols]


def vector_to_rdm(vector: ArrayLike) -> NDArray[np.float64]:
    """Square RDM(s) with a zero diagonal from upper-triangle vector(s) of length n (n - 1) / 2."""
    array = np.asarray(vector, dtype=np.float64)
    m = array.shape[-1]
    n = round((1 + np.sqrt(1 + 8 * m)) / 2)
    if n * (n - 1) // 2 != m or array.ndim not in (1, 2):
        raise NeurodlValueError(
            f"vector must have length n (n - 1) / 2 for some n (or be a stack of such); got "
            f"shape {array.shape}."
        )
    out = np.zeros((*array.shape[:-1], n, n))
    rows, cols = np.triu_indices(n, k=1)
    out[..., rows, cols] = array
    out[..., cols, rows] = array
    return out


def as_rdm_stack(rdms: ArrayLike, name: str) -> tuple[NDArray[np.float64], bool]:
    """Square RDM(s) as a (k, n, n) float64 stack, and whether a single RDM was given."""
    array = np.asarray(rdms, dtype=np.float64)
    single = array.ndim == 2
    if single:
        array = array[None]
    if array.ndim != 3 or array.shape[1] != array.shape[2] or array.shape[0] == 0:
        raise NeurodlValueError(
            f"{name} must be a square RDM (n, n) or a stack (k, n, n); got shape {np.shape(rdms)}."
        )
    if array.shape[1] < 3:
        raise NeurodlValueError(f"{name} must have at least 3 conditions; got {array.shape[1]}.")
    return array, single


def draw_resamples(
    resamples: ArrayLike | None,
    n_resamples: int,
    size: int,
    what: str,
    random_state: int | np.random.Generator | None,
) -> NDArray[np.intp]:
    """Bootstrap indices (n_resamples, size) into ``size`` items: drawn, or checked if given.

    ``what`` names the items, in the plural, in error messages ("conditions", "channels").
    """
    if resamples is None:
        if int(n_resamples) < 1:
            raise NeurodlValueError(f"n_resamples must be >= 1; got {n_resamples!r}.")
        rng = np.random.default_rng(random_state)
        return rng.integers(0, size, size=(int(n_resamples), size)).astype(np.intp)
    drawn = np.asarray(resamples)
    if drawn.ndim != 2 or drawn.shape[1] != size or drawn.dtype.kind not in "iu":
        raise NeurodlValueError(
            f"resamples must be integer {what.rstrip('s')} indices of shape (n_resamples, {size}); "
            f"got "
            f"{drawn.dtype} array of shape {drawn.shape}."
        )
    if drawn.size and (drawn.min() < 0 or drawn.max() >= size):
        raise NeurodlValueError(f"resamples must index {what} in [0, {size}).")
    return drawn.astype(np.intp)
