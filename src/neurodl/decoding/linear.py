"""Ridge regression onto a von Mises basis, with the penalty chosen from one decomposition.

The responses ``X`` (n trials x p neurons) are centred implicitly and decomposed once, through the
smaller of the two Gram matrices (n x n when n < p, p x p otherwise), into ``Xc = U S^1/2 V^T``.
Every ridge fit along the penalty grid, and its exact leave-one-out predictions, then cost only
products with ``U`` (only the scored rows of ``U`` are formed when n > p). Neither a centred copy
of ``X`` nor a p x p matrix (when n < p) is made. With a single penalty and bump width there is
nothing to choose: the fit is then one Cholesky solve, without the decomposition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray
from threadpoolctl import threadpool_limits

from neurodl._linalg import BLOCK as _BLOCK
from neurodl._linalg import centred_gram, gram_eigh
from neurodl.decoding._base import BaseDecoder, check_period, refine_peak, to_radians
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import circular_error

__all__ = ["LinearDecoder", "von_mises_basis"]

_KAPPAS = (2.5, 5.0, 10.0, 20.0, 40.0, 80.0)  # bump concentrations tried when kappa is None
_SCORED = 1000  # trials whose leave-one-out error scores each (kappa, alpha)


def von_mises_basis(
    angles: ArrayLike, n_basis: int = 48, kappa: float | None = None, period: float = 360.0
) -> NDArray[np.float64]:
    """Von Mises bumps with centres tiling the circle, evaluated at ``angles``.

    Parameters
    ----------
    angles : array-like of shape (n,)
        Degrees.
    n_basis : int
        Number of bumps; centres at ``k * period / n_basis``.
    kappa : float, optional
        Concentration; by default each bump's width (s.d.) equals the spacing of the centres.
    period : float
        360 or 180.

    Returns
    -------
    ndarray of shape (n, n_basis)
        ``exp(kappa * (cos(2π (angle - centre) / period) - 1))``, peak value 1.

    Examples
    --------
    >>> von_mises_basis([0.0, 90.0], n_basis=4, kappa=50.0).round(3)
    array([[1., 0., 0., 0.],
           [0., 1., 0., 0.]])
    """
    if kappa is None:
        kappa = (n_basis / (2.0 * np.pi)) ** 2
    centres = np.arange(n_basis) * (period / n_basis)
    phase = to_radians(np.asarray(angles, dtype=np.float64).reshape(-1, 1) - centres, period)
    return np.exp(kappa * (np.cos(phase) - 1.0))


def _eigen(X: NDArray[np.float32], mu: NDArray[np.float32]) -> tuple[NDArray[Any], NDArray[Any]]:
    """Positive eigenvalues and eigenvectors of the smaller centred Gram matrix (float32)."""
    s, vectors = gram_eigh(centred_gram(X, mu))
    keep = s > max(float(s.max()), 0.0) * 1e-6  # float32 eigenvalues below this are noise
    return s[keep], np.ascontiguousarray(vectors[:, keep])


def _centred_rows(
    X: NDArray[np.float32], mu: NDArray[np.float32], rows: NDArray[np.intp], V: NDArray[np.float32]
) -> NDArray[np.float32]:
    """``(X[rows] - mu) @ V``, a block of rows at a time."""
    out = np.empty((rows.size, V.shape[1]), dtype=np.float32)
    for i in range(0, rows.size, _BLOCK):
        out[i : i + _BLOCK] = (X[rows[i : i + _BLOCK]] - mu) @ V
    return out


def _cross(X: NDArray[np.float32], Y: NDArray[np.float32]) -> NDArray[np.float32]:
    """``X^T Y`` for centred targets ``Y`` (equal to ``(X - mean)^T Y`` as ``Y`` sums to 0)."""
    out = np.zeros((X.shape[1], Y.shape[1]), dtype=np.float32)
    for i in range(0, X.shape[0], _BLOCK):
        out += X[i : i + _BLOCK].T @ Y[i : i + _BLOCK]
    return out


def _check_alphas(alphas: ArrayLike) -> NDArray[np.float64]:
    values = np.asarray(alphas, dtype=np.float64).reshape(-1)
    if values.size == 0 or not np.all(values > 0):
        raise NeurodlValueError(f"alphas must be positive numbers; got {alphas!r}.")
    return values


def _solve(
    X: NDArray[np.float32], mean: NDArray[np.float64], Y: NDArray[np.float32], alpha: float
) -> NDArray[Any] | None:
    """Ridge coefficients for centred targets ``Y`` by one Cholesky solve.

    None when the penalty is below 1e-4 of the mean eigenvalue of the (float32) Gram matrix:
    the system is then too ill-conditioned for a factorisation, and the decomposition (which
    drops eigenvalues lost in rounding) is used instead.
    """
    n, p = X.shape
    mu = mean.astype(np.float32)
    system = centred_gram(X, mu).astype(np.float64)
    diagonal = np.diag_indices_from(system)
    scale = float(np.mean(system[diagonal]))
    if not scale > 0:
        raise NeurodlValueError("responses are constant across trials; nothing to decode.")
    if alpha < 1e-4 * scale:
        return None
    system[diagonal] += alpha
    try:
        factor = scipy.linalg.cho_factor(system, lower=False, overwrite_a=True, check_finite=False)
    except np.linalg.LinAlgError:  # float32 Gram rounding beyond a tiny penalty
        return None
    if n > p:
        return scipy.linalg.cho_solve(factor, _cross(X, Y).astype(np.float64))
    dual = scipy.linalg.cho_solve(factor, Y.astype(np.float64)).astype(np.float32)
    return X.T @ dual - np.outer(mu, dual.sum(0))


class _LeaveOneOut:
    """Exact leave-one-out errors of every (kappa, alpha) candidate from one decomposition.

    With ``Xc = U S^1/2 V^T`` (from the smaller Gram matrix), the ridge fit for penalty ``alpha``
    and its leverages are products with ``U`` scaled by ``s / (s + alpha)``. Scored on at most
    ``_SCORED`` evenly spaced trials; only those rows of ``U`` are formed when n > p.
    """

    def __init__(
        self,
        X: NDArray[np.float32],
        mean: NDArray[np.float64],
        theta: NDArray[np.float64],
        decoder: LinearDecoder,
        kappas: NDArray[np.float64],
        alphas: NDArray[np.float64] | None,
    ) -> None:
        n, p = X.shape
        self.X, self.theta, self.decoder, self.kappas = X, theta, decoder, kappas
        self.mu = mean.astype(np.float32)
        self.period = check_period(decoder.period)
        self.s, self.vectors = _eigen(X, self.mu)
        if self.s.size == 0:
            raise NeurodlValueError("responses are constant across trials; nothing to decode.")
        self.alphas = np.logspace(-4, 4, 25) * float(self.s.mean()) if alphas is None else alphas
        self.primal = n > p  # vectors are V (p x r) rather than U (n x r)
        self.rows = np.unique(np.linspace(0, n - 1, min(n, _SCORED)).astype(np.intp))
        scale = (1.0 / np.sqrt(self.s)).astype(np.float32)
        self.U_rows = (
            _centred_rows(X, self.mu, self.rows, self.vectors) * scale
            if self.primal
            else self.vectors[self.rows]
        )
        self.shrink = (self.s[:, None] / (self.s[:, None] + self.alphas[None, :])).astype(
            np.float32
        )
        self.leverage = (self.U_rows**2) @ self.shrink + 1.0 / n  # with the intercept
        self.errors = np.full((kappas.size, self.alphas.size), np.nan)
        self.cache: dict[int, tuple[NDArray[Any], ...]] = {}

    def projected(self, i: int) -> tuple[NDArray[Any], ...]:
        """Targets and their projection ``U^T Yc`` for bump concentration ``kappas[i]``."""
        if i not in self.cache:
            kappa, nb = float(self.kappas[i]), self.decoder.n_basis
            targets = von_mises_basis(self.theta, nb, kappa, self.period)
            centred = (targets - targets.mean(0)).astype(np.float32)
            if self.primal:  # U^T Yc = S^-1/2 V^T Xc^T Yc
                proj = (self.vectors.T @ _cross(self.X, centred)) / np.sqrt(self.s)[:, None]
            else:
                proj = self.vectors.T @ centred
            grid = np.arange(0.0, self.period, 1.0)
            templates = von_mises_basis(grid, nb, kappa, self.period).T.astype(np.float32)
            self.cache[i] = (targets[self.rows], centred[self.rows], proj, templates)
        return self.cache[i]

    def score(self, i: int, k: int) -> float:
        """Leave-one-out mean absolute error (degrees) of candidate (kappas[i], alphas[k])."""
        if np.isnan(self.errors[i, k]):
            targets, centred, proj, templates = self.projected(i)
            fitted = self.U_rows @ (proj * self.shrink[:, k, None]).astype(np.float32)
            denom = np.maximum(1.0 - self.leverage[:, k], 1e-6)[:, None]
            loo = (targets - (centred - fitted) / denom).astype(np.float32)
            decoded = refine_peak(loo @ templates, 1.0, self.period)
            self.errors[i, k] = np.mean(circular_error(self.theta[self.rows], decoded, self.period))
        return float(self.errors[i, k])

    def run(self) -> NDArray[np.float64]:
        """Coordinate search: penalties (every third) at the middle width, all widths at the
        best penalty, then a local search around the best until it stops moving."""
        n_k, n_a = self.errors.shape
        middle = n_k // 2
        for k in sorted({*range(0, n_a, 3), n_a - 1}):
            self.score(middle, k)
        best_k = int(np.nanargmin(self.errors[middle]))
        for i in range(n_k):
            self.score(i, best_k)
        best = None
        while True:
            i, k = (int(v) for v in np.unravel_index(np.nanargmin(self.errors), (n_k, n_a)))
            if (i, k) == best:
                return self.errors
            best = (i, k)
            for di, dk in ((0, -2), (0, -1), (0, 1), (0, 2), (-1, 0), (1, 0)):
                if 0 <= i + di < n_k and 0 <= k + dk < n_a:
                    self.score(i + di, k + dk)

    def coefficients(self, i: int, alpha: float) -> NDArray[Any]:
        """Ridge coefficients (n_features, n_basis) for ``kappas[i]`` and penalty ``alpha``."""
        proj = self.projected(i)[2]
        if self.primal:  # V (S + alpha)^-1 V^T Xc^T Yc
            weights = proj * (np.sqrt(self.s) / (self.s + alpha))[:, None]
            return self.vectors @ weights.astype(np.float32)
        dual = self.vectors @ (proj / (self.s + alpha)[:, None]).astype(np.float32)
        return self.X.T @ dual - np.outer(self.mu, dual.sum(0))


class LinearDecoder(BaseDecoder):
    """Ridge regression from responses onto a von Mises basis; the angle is the best-matching bump.

    The penalty (and, by default, the width of the bumps) is picked by exact leave-one-out
    cross-validation of the decoded angle (mean absolute circular error), all from one
    decomposition of the data: no refit per candidate. The leave-one-out error is scored on at
    most 1,000 evenly spaced trials. The search is by coordinates: every third penalty at the
    middle bump width, every width at the best penalty, then the neighbours of the best candidate
    until it stops moving. With one ``kappa`` and one value in ``alphas`` the fit is a single
    Cholesky solve (no leave-one-out error is computed: ``cv_errors_`` is NaN).

    Parameters
    ----------
    n_basis : int, default 48
        Von Mises bumps tiling the circle.
    kappa : float or None, default None
        Bump concentration (on the circle scaled to 2π; the bump s.d. is about
        ``period / (2π sqrt(kappa))``). None chooses it by leave-one-out from 2.5, 5, 10, 20, 40
        and 80, jointly with the penalty.
    alphas : array-like of float or None, default None
        Ridge penalties to try. None: 25 values from 1e-4 to 1e4 times the mean eigenvalue of the
        centred Gram matrix.
    period : {360, 180}, default 360
        Period of the decoded angle in degrees.
    resolution : float, default 0.5
        Grid step (degrees) of the angle search before a parabolic refinement.

    Attributes
    ----------
    coef_ : ndarray of float32 of shape (n_features_in_, n_basis)
    intercept_ : ndarray of shape (n_basis,)
    alpha_, kappa_ : float
        The penalty and bump concentration chosen.
    alphas_ : ndarray of shape (n_alphas,)
    kappas_ : ndarray of shape (n_kappas,)
    cv_errors_ : ndarray of shape (n_kappas, n_alphas)
        Leave-one-out mean absolute error (degrees) of each candidate (NaN where not evaluated).
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(0, 360, 300)
    >>> X = np.c_[np.cos(np.deg2rad(theta)), np.sin(np.deg2rad(theta))]
    >>> X = X + 0.05 * rng.standard_normal((300, 2))
    >>> decoder = LinearDecoder().fit(X, theta)
    >>> bool(np.median(np.abs(decoder.predict(X) - theta)) < 10)
    True
    """

    def __init__(
        self,
        *,
        n_basis: int = 48,
        kappa: float | None = None,
        alphas: ArrayLike | None = None,
        period: float = 360,
        resolution: float = 0.5,
    ) -> None:
        self.n_basis = n_basis
        self.kappa = kappa
        self.alphas = alphas
        self.period = period
        self.resolution = resolution

    def _check_params(self) -> None:
        if not isinstance(self.n_basis, (int, np.integer)) or self.n_basis < 3:
            raise NeurodlValueError(f"n_basis must be an int >= 3; got {self.n_basis!r}.")
        if self.kappa is not None and not self.kappa > 0:
            raise NeurodlValueError(f"kappa must be > 0 or None; got {self.kappa!r}.")
        if not 0 < self.resolution <= 5:
            raise NeurodlValueError(
                f"resolution must lie in (0, 5] degrees; got {self.resolution!r}."
            )

    def _decode(self, outputs: NDArray[Any], step: float, kappa: float) -> NDArray[np.float64]:
        """Angle whose basis vector best matches each row of ``outputs`` (n, n_basis)."""
        period = check_period(self.period)
        templates = von_mises_basis(np.arange(0.0, period, step), self.n_basis, kappa, period)
        scores = outputs @ templates.T.astype(outputs.dtype)
        return refine_peak(scores, step, period)

    def fit(self, X: ArrayLike, y: ArrayLike) -> LinearDecoder:
        """Fit the ridge decoder and choose its penalty.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_neurons)
        y : array-like of shape (n_trials,)
            Angles in degrees (wrapped into [0, period)).

        Runs on one BLAS thread (see :func:`_eigen`): most of its products are small, and on a
        busy machine threads spent more time waiting for each other than computing.
        """
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(X, y)

    def _fit(self, X: ArrayLike, y: ArrayLike) -> LinearDecoder:
        self._check_params()
        X_arr, theta = self._validate_fit(X, y)
        period = check_period(self.period)
        mean = X_arr.mean(0, dtype=np.float64)
        kappas = np.asarray(_KAPPAS if self.kappa is None else [self.kappa], dtype=np.float64)
        alphas = None if self.alphas is None else _check_alphas(self.alphas)
        coef: NDArray[Any] | None = None
        if alphas is not None and alphas.size == 1 and kappas.size == 1:
            # nothing to choose: one Cholesky solve, no decomposition
            errors = np.full((1, 1), np.nan)
            kappa, alpha = float(kappas[0]), float(alphas[0])
            targets = von_mises_basis(theta, self.n_basis, kappa, period)
            coef = _solve(X_arr, mean, (targets - targets.mean(0)).astype(np.float32), alpha)
        if coef is None:
            search = _LeaveOneOut(X_arr, mean, theta, self, kappas, alphas)
            errors = search.run()
            final = np.unravel_index(np.nanargmin(errors), errors.shape)
            kappa, alpha = float(kappas[final[0]]), float(search.alphas[final[1]])
            coef = search.coefficients(int(final[0]), alpha)
            alphas = search.alphas
        targets = von_mises_basis(theta, self.n_basis, kappa, period)
        self.coef_ = np.asarray(coef, dtype=np.float32)
        self.intercept_ = targets.mean(0) - mean @ self.coef_.astype(np.float64)
        self.alpha_ = alpha
        self.kappa_ = kappa
        self.alphas_ = alphas
        self.kappas_ = kappas
        self.cv_errors_ = errors
        return self

    def predict_basis(self, X: ArrayLike) -> NDArray[np.float64]:
        """Predicted von Mises basis activations, shape (n_trials, n_basis).

        Computed in float64, a block of trials at a time, so that a trial's output does not
        depend on the other trials in the batch.
        """
        X_arr = self._validate_predict(X)
        coef = self.coef_.astype(np.float64)
        out = np.empty((X_arr.shape[0], coef.shape[1]))
        for i in range(0, X_arr.shape[0], _BLOCK):
            out[i : i + _BLOCK] = X_arr[i : i + _BLOCK].astype(np.float64) @ coef
        return out + self.intercept_

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Decoded angle of each trial in degrees, in [0, period); shape (n_trials,)."""
        with threadpool_limits(limits=1, user_api="blas"):  # small products: see ``fit``
            return self._decode(self.predict_basis(X), float(self.resolution), self.kappa_)
