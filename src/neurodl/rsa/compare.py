"""Comparing RDMs (rsatoolbox 0.3.2's measures) and centred kernel alignment (CKA)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.stats
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import DataValueError, NeurodlValueError, check_option
from neurodl.rsa._utils import as_data

__all__ = ["COMPARE_METHODS", "compare_rdms", "compute_cka"]

COMPARE_METHODS = (
    "pearson",
    "spearman",
    "kendall_tau_a",
    "rho_a",
    "cosine",
    "whitened_cosine",
    "whitened_pearson",
)


def _as_vectors(rdms: ArrayLike, name: str) -> tuple[NDArray[np.float64], int, bool]:
    """Upper-triangle vectors (k, m) from an RDM (n, n), a stack (k, n, n) or a vector (m,)."""
    array = np.asarray(rdms, dtype=np.float64)
    single = array.ndim == 1 or (array.ndim == 2 and array.shape[0] == array.shape[1])
    if array.ndim == 1 or (array.ndim == 2 and not single):
        m = array.shape[-1]
        n = round((1 + np.sqrt(1 + 8 * m)) / 2)
        if n * (n - 1) // 2 != m:
            raise NeurodlValueError(
                f"{name} as upper-triangle vector(s) must have length n (n - 1) / 2; got {m}."
            )
        return array.reshape(-1, m), n, single
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1] != array.shape[2]:
        raise NeurodlValueError(
            f"{name} must be a square RDM (n, n), a stack (k, n, n) or an upper-triangle vector; "
            f"got shape {np.shape(rdms)}."
        )
    n = array.shape[1]
    rows, cols = np.triu_indices(n, k=1)
    return array[:, rows, cols], n, single


def _cross(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Row-by-row inner products a @ b.T; einsum for few rows (BLAS is slow on that shape)."""
    if a.shape[0] * b.shape[0] <= 64:
        return np.einsum("ij,kj->ik", a, b)
    return np.asarray(a @ b.T)


def _cosine(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Cosine between every row of a and every row of b; 0 where a norm is 0 (as rsatoolbox)."""
    norm_a = np.sqrt(np.einsum("ij,ij->i", a, a))
    norm_b = np.sqrt(np.einsum("ij,ij->i", b, b))
    out = _cross(a, b)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = out / norm_a[:, None] / norm_b[None, :]
    out[(norm_a == 0)[:, None] | (norm_b == 0)[None, :]] = 0.0
    return out


def _pearson(a: NDArray[np.float64], b: NDArray[np.float64]) -> NDArray[np.float64]:
    """Pearson r of every row pair from sums and products (no centred copies); 0 if constant."""
    m = a.shape[1]
    sa, sb = a.sum(axis=1), b.sum(axis=1)
    cross = _cross(a, b) - np.outer(sa, sb) / m
    va = np.einsum("ij,ij->i", a, a) - sa * sa / m
    vb = np.einsum("ij,ij->i", b, b) - sb * sb / m
    with np.errstate(invalid="ignore", divide="ignore"):
        out = cross / np.sqrt(np.maximum(va, 0.0))[:, None] / np.sqrt(np.maximum(vb, 0.0))[None, :]
    out[(va <= 0)[:, None] | (vb <= 0)[None, :]] = 0.0
    return out


def _ranks(v: NDArray[np.float64]) -> NDArray[np.float64]:
    return np.asarray(scipy.stats.rankdata(v, axis=1), dtype=np.float64)


def _tau_a(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Kendall's tau-a = (concordant - discordant) / (m (m - 1) / 2), from scipy's tau-b."""
    m = x.size
    total = m * (m - 1) / 2

    def tied(v: NDArray[np.float64]) -> float:
        counts = np.unique(v, return_counts=True)[1].astype(np.float64)
        return float(np.sum(counts * (counts - 1) / 2))

    tx, ty = tied(x), tied(y)
    if tx == total or ty == total:
        return float("nan")
    tau_b = scipy.stats.kendalltau(x, y, variant="b").statistic
    return float(np.clip(tau_b * np.sqrt((total - tx) * (total - ty)) / total, -1.0, 1.0))


def _whiten(v: NDArray[np.float64], n: int, valid: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Map RDM vectors to the isotropic space of rsatoolbox's cosine_cov (no sigma_k).

    Each RDM becomes the centred second-moment matrix G = -1/2 H D H (the pair part scaled by
    sqrt(2), then the diagonal); with missing pairs the row/column effects are removed by a
    weighted least-squares projection instead of double centring.
    """
    k = v.shape[0]
    rows, cols = np.triu_indices(n, k=1)
    if np.all(valid):
        d = np.zeros((k, n, n))
        d[:, rows, cols] = v
        d[:, cols, rows] = v
        g = -0.5 * d
        g = g - g.mean(axis=1, keepdims=True) - g.mean(axis=2, keepdims=True)
        g = g + (-0.5 * d).mean(axis=(1, 2), keepdims=True)
        return np.concatenate(
            [g[:, rows, cols] * np.sqrt(2), g[:, np.arange(n), np.arange(n)]], axis=1
        )
    r, c = rows[valid], cols[valid]
    n_pairs = r.size
    design = np.zeros((n_pairs + n, n))
    design[np.arange(n_pairs), r] = 1.0
    design[np.arange(n_pairs), c] = 1.0
    design[n_pairs + np.arange(n), np.arange(n)] = 1.0
    weight = np.concatenate([np.full(n_pairs, 0.5), np.ones(n)])
    w = np.concatenate([-0.5 * v, np.zeros((k, n))], axis=1)
    gram = design.T @ (weight[:, None] * design)
    coef = np.linalg.solve(gram, (w @ design).T).T
    w = w - coef @ (weight[:, None] * design).T
    w[:, :n_pairs] *= np.sqrt(2)
    return w


def _compare_vectors(
    a: NDArray[np.float64], b: NDArray[np.float64], n: int, method: str
) -> NDArray[np.float64]:
    """Similarity of every row of a with every row of b, after dropping NaN pairs."""
    if np.isfinite(a.sum()) and np.isfinite(b.sum()):  # fast path: nothing missing
        valid = np.ones(a.shape[1], dtype=bool)
    else:
        valid = np.asarray(~(np.isnan(a).any(axis=0) | np.isnan(b).any(axis=0)))
    all_valid = bool(valid.all())
    if int(valid.sum()) < 2:
        raise DataValueError(
            f"the RDMs share fewer than 2 dissimilarities that are not NaN; got {int(valid.sum())}."
        )
    if method.startswith("whitened"):
        av, bv = a[:, valid], b[:, valid]
        if method == "whitened_pearson":
            av = av - av.mean(axis=1, keepdims=True)
            bv = bv - bv.mean(axis=1, keepdims=True)
        return _cosine(_whiten(av, n, valid), _whiten(bv, n, valid))
    if not all_valid:
        a, b = a[:, valid], b[:, valid]
    if method == "cosine":
        return _cosine(a, b)
    if method == "pearson":
        return _pearson(a, b)
    if method == "kendall_tau_a":
        return np.array([[_tau_a(x, y) for y in b] for x in a])
    ra, rb = _ranks(a), _ranks(b)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    if method == "spearman":
        return _cosine(ra, rb)
    m = a.shape[1]
    return _cross(ra, rb) * (12.0 / (m**3 - m))


def compare_rdms(a: ArrayLike, b: ArrayLike, *, method: str = "pearson") -> Any:
    """Similarity between RDMs, with rsatoolbox 0.3.2's definitions.

    Parameters
    ----------
    a, b : array-like
        Square RDMs (n, n), stacks of them (k, n, n), upper-triangle vectors (m,) or stacks of
        vectors (k, m) with m != k. Only the upper triangles are used. Pairs that are NaN in
        any of the RDMs are dropped from all.
    method : str
        ``pearson`` (rsatoolbox ``corr``), ``spearman``, ``kendall_tau_a`` (``tau-a``),
        ``rho_a`` (``rho-a``: 12 sum(r_a r_b) / (m^3 - m) on centred ranks), ``cosine``,
        ``whitened_cosine`` (``cosine_cov``: cosine between the double-centred second-moment
        matrices, the isotropic form for independent pattern noise) and ``whitened_pearson``
        (``corr_cov``: the same after subtracting each vector's mean).

    Returns
    -------
    float, or ndarray of shape (k_a, k_b) when either input is a stack

    Examples
    --------
    >>> d = np.array([[0, 1, 2], [1, 0, 3], [2, 3, 0]], dtype=float)
    >>> round(compare_rdms(d, 2 * d, method="pearson"), 6)
    1.0
    """
    check_option("method", method, COMPARE_METHODS)
    va, na, single_a = _as_vectors(a, "a")
    vb, nb, single_b = _as_vectors(b, "b")
    if na != nb:
        raise NeurodlValueError(
            f"a and b must have the same number of conditions; got {na} and {nb}."
        )
    if na < 3:
        raise NeurodlValueError(f"RDMs must have at least 3 conditions; got {na}.")
    out = _compare_vectors(va, vb, na, method)
    if single_a and single_b:
        return float(out[0, 0])
    return out


# ----------------------------------------------------------------------------------------- CKA


def _centred_gram(x: NDArray[Any], kernel: str, sigma: float) -> NDArray[np.float64]:
    x = np.asarray(x, dtype=np.float64)
    if kernel == "linear":
        x = x - x.mean(axis=0, keepdims=True)
        return x @ x.T
    sq = np.einsum("ij,ij->i", x, x)
    dist = np.maximum(sq[:, None] + sq[None, :] - 2 * x @ x.T, 0.0)
    median = float(np.median(dist[np.triu_indices(x.shape[0], k=1)]))
    if median <= 0:
        raise DataValueError("rbf CKA needs patterns that are not all identical.")
    return np.exp(-dist / (2 * sigma**2 * median))


def _hsic(k: NDArray[np.float64], l_: NDArray[np.float64], debiased: bool) -> float:
    n = k.shape[0]
    if not debiased:
        kc = k - k.mean(axis=0, keepdims=True) - k.mean(axis=1, keepdims=True) + k.mean()
        lc = l_ - l_.mean(axis=0, keepdims=True) - l_.mean(axis=1, keepdims=True) + l_.mean()
        return float(np.sum(kc * lc)) / (n - 1) ** 2
    kt, lt = k.copy(), l_.copy()
    np.fill_diagonal(kt, 0.0)
    np.fill_diagonal(lt, 0.0)
    value = (
        np.sum(kt * lt)
        + kt.sum() * lt.sum() / ((n - 1) * (n - 2))
        - 2.0 / (n - 2) * float(kt.sum(axis=0) @ lt.sum(axis=1))
    )
    return float(value) / (n * (n - 3))


def compute_cka(
    x: ArrayLike,
    y: ArrayLike,
    *,
    kernel: str = "linear",
    debiased: bool = False,
    sigma: float = 0.8,
) -> float:
    """Centred kernel alignment between two representations of the same n stimuli.

    Parameters
    ----------
    x : array-like of shape (n, p)
    y : array-like of shape (n, q)
        Patterns of the same stimuli in two systems (rows correspond).
    kernel : {"linear", "rbf"}
        ``rbf`` uses exp(-d^2 / (2 sigma^2 median(d^2))) (Kornblith et al. 2019).
    debiased : bool
        Use the unbiased HSIC estimator (Song et al. 2012), which removes the upward bias of
        CKA with few stimuli and many channels; needs n >= 4.
    sigma : float
        Width of the rbf kernel as a fraction of the median distance.

    Returns
    -------
    float
        HSIC(K, L) / sqrt(HSIC(K, K) HSIC(L, L)); 1 for representations equal up to rotation and
        isotropic scaling (linear kernel).

    Examples
    --------
    >>> x = np.random.default_rng(0).standard_normal((20, 5))
    >>> round(compute_cka(x, 3 * x), 6)
    1.0
    """
    check_option("kernel", kernel, ("linear", "rbf"))
    xa, ya = as_data(x, "x"), as_data(y, "y")
    if xa.shape[0] != ya.shape[0]:
        raise DataValueError(
            f"x and y must have the same number of rows (stimuli); got {xa.shape[0]} and "
            f"{ya.shape[0]}."
        )
    n = xa.shape[0]
    if n < (4 if debiased else 2):
        raise DataValueError(f"CKA needs at least {4 if debiased else 2} stimuli; got {n}.")
    if sigma <= 0:
        raise NeurodlValueError(f"sigma must be > 0; got {sigma!r}.")
    k, l_ = _centred_gram(xa, kernel, sigma), _centred_gram(ya, kernel, sigma)
    denominator = np.sqrt(_hsic(k, k, debiased) * _hsic(l_, l_, debiased))
    if not denominator > 0:
        raise DataValueError("CKA is undefined for a representation with no variance.")
    return _hsic(k, l_, debiased) / float(denominator)
