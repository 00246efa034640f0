"""Ridge regression onto a von Mises basis, with the penalty chosen from one decomposition.

The responses ``X`` (n trials x p neurons) are centred implicitly and decomposed once, through the
smaller of the two Gram matrices (n x n when n < p, p x p otherwise), into ``Xc = U S^1/2 V^T``.
Every ridge fit along the penalty grid, and its exact leave-one-out predictions, then cost only
products with ``U``. Neither a centred copy of ``X`` nor a p x p matrix (when n < p) is made.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg
from numpy.typing import ArrayLike, NDArray

from neurodl.decoding._base import BaseDecoder, check_period, refine_peak, to_radians
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import circular_error

__all__ = ["LinearDecoder", "centred_decomposition", "von_mises_basis"]

_BLOCK = 1024  # neurons (or trials) centred at a time
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


def _syrk(block: NDArray[np.float32], gram: NDArray[np.float32]) -> None:
    """``gram += block^T block`` in place (upper triangle), without a temporary."""
    scipy.linalg.blas.ssyrk(1.0, block, beta=1.0, c=gram, trans=1, lower=0, overwrite_c=1)


def centred_decomposition(
    X: NDArray[np.float32], mean: NDArray[np.float64]
) -> tuple[NDArray[np.float32], NDArray[np.float64]]:
    """Left singular vectors and squared singular values of ``X - mean`` (never formed).

    Parameters
    ----------
    X : ndarray of float32 of shape (n, p)
    mean : ndarray of shape (p,)
        Column means to remove.

    Returns
    -------
    U : ndarray of float32 of shape (n, r)
        Orthonormal columns spanning the centred data (r <= min(n, p)).
    s : ndarray of shape (r,)
        Eigenvalues of the centred Gram matrix (squared singular values), all positive.
    """
    n, p = X.shape
    mu = mean.astype(np.float32)
    if n <= p:  # trial-by-trial Gram, accumulated over blocks of neurons
        gram = np.zeros((n, n), dtype=np.float32, order="F")
        for j in range(0, p, _BLOCK):
            block = X[:, j : j + _BLOCK] - mu[j : j + _BLOCK]
            _syrk(np.asfortranarray(block.T), gram)
    else:  # neuron-by-neuron Gram, accumulated over blocks of trials
        gram = np.zeros((p, p), dtype=np.float32, order="F")
        for i in range(0, n, _BLOCK):
            _syrk(np.asfortranarray(X[i : i + _BLOCK] - mu), gram)
    s, vectors = scipy.linalg.eigh(
        gram, lower=False, overwrite_a=True, check_finite=False, driver="evd"
    )
    del gram
    s = s.astype(np.float64)
    keep = s > max(float(s.max()), 0.0) * 1e-6  # float32 eigenvalues below this are noise
    s, vectors = s[keep], vectors[:, keep]
    if n <= p:
        return np.ascontiguousarray(vectors, dtype=np.float32), s
    U = np.empty((n, s.size), dtype=np.float32)
    scale = (1.0 / np.sqrt(s)).astype(np.float32)
    for i in range(0, n, _BLOCK):
        U[i : i + _BLOCK] = ((X[i : i + _BLOCK] - mu) @ vectors) * scale
    return U, s


class LinearDecoder(BaseDecoder):
    """Ridge regression from responses onto a von Mises basis; the angle is the best-matching bump.

    The penalty (and, by default, the width of the bumps) is picked by exact leave-one-out
    cross-validation of the decoded angle (mean absolute circular error), all from one
    decomposition of the data: no refit per candidate. The leave-one-out error is scored on at
    most 1,000 evenly spaced trials; the penalty grid is searched every third value, then
    around the best.

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
        """
        self._check_params()
        X_arr, theta = self._validate_fit(X, y)
        period = check_period(self.period)
        n = X_arr.shape[0]
        mean = X_arr.mean(0, dtype=np.float64)
        U, s = centred_decomposition(X_arr, mean)
        if s.size == 0:
            raise NeurodlValueError("responses are constant across trials; nothing to decode.")
        alphas = (
            np.logspace(-4, 4, 25) * float(s.mean())
            if self.alphas is None
            else np.asarray(self.alphas, dtype=np.float64).reshape(-1)
        )
        if alphas.size == 0 or not np.all(alphas > 0):
            raise NeurodlValueError(f"alphas must be positive numbers; got {self.alphas!r}.")
        kappas = np.asarray(_KAPPAS if self.kappa is None else [self.kappa], dtype=np.float64)
        # exact leave-one-out predictions, scored on (at most _SCORED) evenly spaced trials
        rows = np.unique(np.linspace(0, n - 1, min(n, _SCORED)).astype(np.intp))
        U_rows = U[rows]
        shrink = s[:, None] / (s[:, None] + alphas[None, :])  # (r, n_alphas)
        leverage = (U_rows**2) @ shrink.astype(np.float32) + 1.0 / n  # with the intercept
        errors = np.full((kappas.size, alphas.size), np.nan)
        projections: dict[int, tuple[Any, ...]] = {}

        def score(i: int, k: int) -> None:
            if not np.isnan(errors[i, k]):
                return
            if i not in projections:
                targets = von_mises_basis(theta, self.n_basis, float(kappas[i]), period)
                centred = targets - targets.mean(0)
                projections[i] = (targets[rows], centred[rows], U.T @ centred.astype(np.float32))
            targets_rows, centred_rows, projected = projections[i]
            fitted = U_rows @ (projected * shrink[:, k, None].astype(np.float32))
            denom = np.maximum(1.0 - leverage[:, k], 1e-6)[:, None]
            loo = targets_rows - (centred_rows - fitted) / denom
            decoded = self._decode(loo, 1.0, float(kappas[i]))
            errors[i, k] = np.mean(circular_error(decoded, theta[rows], period))

        # coarse pass (every third penalty), then the neighbours of the best candidate
        for i in range(kappas.size):
            for k in range(0, alphas.size, 3):
                score(i, k)
            if alphas.size > 1 and (alphas.size - 1) % 3:
                score(i, alphas.size - 1)
        best_kappa, best_alpha = (
            int(v) for v in np.unravel_index(np.nanargmin(errors), errors.shape)
        )
        for k in range(max(0, best_alpha - 2), min(alphas.size, best_alpha + 3)):
            score(best_kappa, k)
        final = np.unravel_index(np.nanargmin(errors), errors.shape)
        kappa, alpha = float(kappas[final[0]]), float(alphas[final[1]])
        targets = von_mises_basis(theta, self.n_basis, kappa, period)
        y_mean = targets.mean(0)
        projected = U.T @ (targets - y_mean).astype(np.float32)
        dual = U @ (projected / (s + alpha)[:, None].astype(np.float32))
        coef = X_arr.T @ dual - np.outer(mean, dual.sum(0, dtype=np.float64)).astype(np.float32)
        self.coef_ = coef.astype(np.float32)
        self.intercept_ = y_mean - mean @ self.coef_.astype(np.float64)
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
        return self._decode(self.predict_basis(X), float(self.resolution), self.kappa_)
