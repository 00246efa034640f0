"""Representational dissimilarity matrices and noise (covariance) estimates.

Definitions and normalisations follow rsatoolbox 0.3.2 exactly (checked in the tests), but the
computation is organised differently: condition means come from one sparse indicator product,
cross-validated distances from one Gram matrix per fold, and the shrinkage estimators from a
single channel-by-channel product plus scalar sums (no per-observation outer products).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import DataValueError, NeurodlValueError, check_option
from neurodl.rsa._utils import (
    as_data,
    condition_means,
    group_conditions,
    indicator,
)

__all__ = ["NOISE_METHODS", "RDM_METHODS", "compute_rdm", "estimate_noise"]

RDM_METHODS = ("euclidean", "correlation", "mahalanobis", "crossnobis", "poisson")
NOISE_METHODS = ("diag", "shrinkage_eye", "shrinkage_diag", "full")


def _check_noise(noise: ArrayLike | None, n_channels: int) -> NDArray[np.float64] | None:
    if noise is None:
        return None
    matrix = np.asarray(noise, dtype=np.float64)
    if matrix.shape != (n_channels, n_channels):
        raise NeurodlValueError(
            f"noise must be a precision matrix of shape ({n_channels}, {n_channels}); got "
            f"{matrix.shape}."
        )
    return matrix


def _distances_from_kernel(kernel: NDArray[np.float64], n_channels: int) -> NDArray[np.float64]:
    """d_ij = K_ii + K_jj - K_ij - K_ji, divided by the number of channels, zero diagonal."""
    diag = np.diag(kernel)
    rdm = diag[:, None] + diag[None, :] - kernel - kernel.T
    rdm /= n_channels
    np.fill_diagonal(rdm, 0.0)
    return rdm


def _default_folds(index: NDArray[np.intp], n_cond: int) -> NDArray[np.intp]:
    counts = np.bincount(index, minlength=n_cond)
    if not np.all(counts == counts[0]):
        raise DataValueError(
            "crossnobis without folds needs the same number of observations per condition "
            f"(the r-th repeat forms fold r); got between {counts.min()} and {counts.max()}. "
            "Pass folds."
        )
    order = np.argsort(index, kind="stable")
    folds = np.empty_like(index)
    folds[order] = np.tile(np.arange(counts[0]), n_cond)
    return folds


def _crossnobis(
    data: NDArray[Any],
    index: NDArray[np.intp],
    n_cond: int,
    folds: ArrayLike | None,
    noise: NDArray[np.float64] | None,
) -> NDArray[np.float64]:
    n_obs, n_channels = data.shape
    if folds is None:
        fold_index = _default_folds(index, n_cond)
        fold_labels = np.unique(fold_index)
    else:
        fold_labels, fold_index = group_conditions(folds, n_obs, name="folds")
        fold_labels = np.arange(fold_labels.size)
    n_folds = fold_labels.size
    if n_folds < 2:
        raise NeurodlValueError(
            f"crossnobis needs at least 2 folds (independent repeats); got {n_folds}."
        )
    fold_rows = [np.flatnonzero(fold_index == k) for k in range(n_folds)]
    counts = np.bincount(index, minlength=n_cond).astype(np.float64)
    fold_counts = [np.bincount(index[r], minlength=n_cond).astype(np.float64) for r in fold_rows]
    missing = [k for k, c in enumerate(fold_counts) if np.any(c == 0)]
    if missing:
        raise DataValueError(
            f"crossnobis needs every condition in every fold; {len(missing)} of {n_folds} folds "
            "lack some condition."
        )

    def fold_sum(rows: NDArray[np.intp]) -> NDArray[np.float64]:
        return np.asarray(indicator(index[rows], n_cond) @ data[rows], dtype=np.float64)

    total = np.zeros((n_cond, n_channels))
    balanced = all(np.all(c == c[0]) for c in fold_counts) and bool(np.all(counts == counts[0]))
    if balanced and noise is None:
        # Within a fold every condition has the same count, so the train/test scalings are
        # scalars c_k and sum_k train_k test_k' = S U' - sum_k c_k F_k F_k' with U = sum_k c_k F_k:
        # one pass over the folds, the F_k F_k' products symmetric (half the work of a product).
        weighted = np.zeros((n_cond, n_channels))
        kernel = np.zeros((n_cond, n_cond))
        for rows, n_in in zip(fold_rows, fold_counts, strict=True):
            fold = fold_sum(rows)
            scale = 1.0 / ((counts[0] - n_in[0]) * n_in[0])
            total += fold
            weighted += scale * fold
            kernel -= scale * (fold @ fold.T)
        kernel += total @ weighted.T
        return _distances_from_kernel(kernel / n_folds, n_channels)
    for rows in fold_rows:
        total += fold_sum(rows)
    kernel = np.zeros((n_cond, n_cond))
    for rows, n_in in zip(fold_rows, fold_counts, strict=True):
        test = fold_sum(rows)
        train = total - test
        train /= (counts - n_in)[:, None]
        test /= n_in[:, None]
        if noise is not None:
            train = train @ noise
        kernel += train @ test.T
    return _distances_from_kernel(kernel / n_folds, n_channels)


def compute_rdm(
    data: ArrayLike,
    conditions: ArrayLike | None = None,
    *,
    method: str = "correlation",
    folds: ArrayLike | None = None,
    noise: ArrayLike | None = None,
    prior_lambda: float = 1.0,
    prior_weight: float = 0.1,
) -> NDArray[np.float64]:
    """Representational dissimilarity matrix between conditions.

    Parameters
    ----------
    data : array-like of shape (n_observations, n_channels)
        One pattern per observation (trial); float32 or float64. Not modified.
    conditions : array-like of shape (n_observations,), optional
        Condition label of each observation; observations of a condition are averaged (except
        for crossnobis, which cross-validates over ``folds``). Conditions keep the order of
        their first appearance. By default every observation is its own condition.
    method : {"euclidean", "correlation", "mahalanobis", "crossnobis", "poisson"}
        As in rsatoolbox 0.3.2: ``euclidean`` is the squared distance divided by the number of
        channels; ``correlation`` is 1 - Pearson r between condition patterns; ``mahalanobis``
        is the squared distance under the precision ``noise`` divided by the number of
        channels (euclidean without ``noise``); correlation distances of a condition whose
        pattern is constant across channels are NaN (as in rsatoolbox); ``crossnobis``
        averages, over folds, the
        inner product of the difference vectors of the fold's mean and the mean of all other
        observations (leave one fold out), divided by the number of channels; ``poisson`` is
        the symmetrised KL divergence of Poisson rates after shrinking each rate towards
        ``prior_lambda`` with weight ``prior_weight``.
    folds : array-like of shape (n_observations,), optional
        Cross-validation fold of each observation (crossnobis only). By default the r-th
        observation of each condition is fold r, which needs equal counts per condition.
    noise : array-like of shape (n_channels, n_channels), optional
        Noise precision matrix for mahalanobis and crossnobis (see :func:`estimate_noise`).
        Without it no channel-by-channel matrix is ever formed.
    prior_lambda, prior_weight : float
        Poisson prior (rsatoolbox's defaults).

    Returns
    -------
    ndarray of shape (n_conditions, n_conditions)
        Symmetric, float64, zero diagonal.

    Examples
    --------
    >>> x = np.array([[0.0, 1.0, 2.0], [2.0, 1.0, 0.0], [0.0, 2.0, 4.0]])
    >>> compute_rdm(x, method="correlation").round(3)
    array([[0., 2., 0.],
           [2., 0., 2.],
           [0., 2., 0.]])
    """
    check_option("method", method, RDM_METHODS)
    x = as_data(data)
    n_obs, n_channels = x.shape
    labels, index = group_conditions(conditions, n_obs)
    n_cond = labels.size
    if n_cond < 2:
        raise DataValueError(f"an RDM needs at least 2 conditions; got {n_cond}.")
    precision = _check_noise(noise, n_channels)
    if method == "crossnobis":
        if conditions is None:
            raise NeurodlValueError(
                "crossnobis needs conditions (which observations are repeats of which)."
            )
        return _crossnobis(x, index, n_cond, folds, precision)
    means = condition_means(x, index, n_cond)
    if method == "correlation":
        means -= means.mean(axis=1, keepdims=True)
        norms = np.sqrt(np.einsum("ij,ij->i", means, means))
        with np.errstate(invalid="ignore", divide="ignore"):
            means /= norms[:, None]
        rdm = 1.0 - means @ means.T
        np.fill_diagonal(rdm, 0.0)
        return rdm
    if method == "poisson":
        rates = (means + prior_lambda * prior_weight) / (1 + prior_weight)
        if np.any(rates <= 0):
            raise DataValueError(
                "poisson distance needs non-negative responses (rates); got negative values."
            )
        kernel = rates @ np.log(rates).T
        diag = np.diag(kernel)
        rdm = (diag[:, None] + diag[None, :] - kernel - kernel.T) / n_channels
        np.fill_diagonal(rdm, 0.0)
        return rdm
    weighted = means if precision is None or method == "euclidean" else means @ precision
    return _distances_from_kernel(weighted @ means.T, n_channels)


# ----------------------------------------------------------------------------- noise estimates


def _shrinkage_eye(x: NDArray[np.float64], gram: NDArray[np.float64], dof: float) -> NDArray[Any]:
    """Ledoit-Wolf (2004) shrinkage towards a multiple of the identity, from scalar sums."""
    n, p = x.shape
    s = gram / n
    sum_s2 = float(np.sum(s * s))
    row_sq = np.einsum("ij,ij->i", x, x)
    b2 = (float(np.sum(row_sq**2)) / n - sum_s2) / n
    mu = float(np.trace(s)) / p
    d2 = sum_s2 - 2 * mu * float(np.trace(s)) + mu * mu * p
    b2 = min(d2, b2)
    out = s * ((d2 - b2) / d2)
    out[np.diag_indices(p)] += b2 / d2 * mu
    return out * (n / dof)


def _shrinkage_diag(x: NDArray[np.float64], gram: NDArray[np.float64], dof: float) -> NDArray[Any]:
    """Schäfer-Strimmer (2005) shrinkage of the correlations towards zero, from scalar sums."""
    n, p = x.shape
    var = np.diag(gram) / dof
    if np.any(var <= 0):
        raise DataValueError(
            f"shrinkage_diag needs every channel to vary; {int(np.sum(var <= 0))} channels are "
            "constant."
        )
    std = np.sqrt(var)
    corr = gram / std[:, None] / std[None, :] / (n - 1)
    z2 = (x / std) ** 2
    off_s2 = (float(np.sum(np.sum(z2, axis=1) ** 2)) - float(np.sum(z2 * z2))) / (n - 1)
    off_corr2 = float(np.sum(corr * corr)) - float(np.sum(np.diag(corr) ** 2))
    off_var_hat = n / dof**2 * (off_s2 - off_corr2)
    lamb = min(max(off_var_hat / off_corr2, 0.0), 1.0)
    out = gram / dof * (1.0 - lamb)
    out[np.diag_indices(p)] = var
    return out


def estimate_noise(
    residuals: ArrayLike,
    conditions: ArrayLike | None = None,
    *,
    method: str = "shrinkage_diag",
    dof: float | None = None,
    precision: bool = False,
) -> NDArray[np.float64]:
    """Noise covariance (or precision) across channels, as rsatoolbox 0.3.2 estimates it.

    Parameters
    ----------
    residuals : array-like of shape (n_observations, n_channels)
        Residuals, or raw observations when ``conditions`` is given.
    conditions : array-like of shape (n_observations,), optional
        When given, each observation's condition mean is subtracted first (rsatoolbox's
        ``cov_from_unbalanced``) and the degrees of freedom default to
        n_observations - n_conditions. Otherwise the mean over observations is subtracted and
        the degrees of freedom default to n_observations - 1 (``cov_from_residuals``).
    method : {"diag", "shrinkage_eye", "shrinkage_diag", "full"}
        ``diag``: variances only; ``full``: sample covariance X'X / dof; ``shrinkage_eye``:
        Ledoit & Wolf (2004) towards a scaled identity, computed with 1/n moments and then
        rescaled by n / dof; ``shrinkage_diag``: Schäfer & Strimmer (2005), correlations shrunk
        towards zero with the optimal intensity, variances X'X / dof kept.
    dof : float, optional
        Degrees of freedom; see ``conditions`` for the defaults.
    precision : bool
        Return the inverse (precision matrix) instead of the covariance.

    Returns
    -------
    ndarray of shape (n_channels, n_channels)

    Notes
    -----
    All estimators need only X'X (one matrix product) and scalar sums: the sum of squared
    outer products that rsatoolbox accumulates row by row equals
    sum_i (sum_j x_ij^2)^2, so no per-observation outer product is formed.
    """
    check_option("method", method, NOISE_METHODS)
    x = np.array(as_data(residuals, "residuals"), dtype=np.float64)
    n_obs = x.shape[0]
    if conditions is not None:
        labels, index = group_conditions(conditions, n_obs)
        x -= condition_means(x, index, labels.size)[index]
        default_dof = n_obs - labels.size
    else:
        default_dof = n_obs - 1
    x -= x.mean(axis=0, keepdims=True)
    dof = float(default_dof if dof is None else dof)
    if dof <= 0:
        raise DataValueError(
            f"the noise estimate needs positive degrees of freedom; got {dof:g} (more "
            "observations than conditions are needed)."
        )
    if method == "diag":
        variances = np.einsum("ij,ij->j", x, x) / dof
        return np.diag(1.0 / variances if precision else variances)
    gram = x.T @ x
    if method == "full":
        cov = gram / dof
    elif method == "shrinkage_eye":
        cov = _shrinkage_eye(x, gram, dof)
    else:
        cov = _shrinkage_diag(x, gram, dof)
    return np.asarray(np.linalg.inv(cov) if precision else cov, dtype=np.float64)
