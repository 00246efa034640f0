"""The independent (naive Bayes) decoder: smooth tuning curves, Gaussian noise per neuron.

Each neuron's mean response is a short Fourier series in the angle, ``f_i(θ) = Φ(θ) c_i``; its
noise is Gaussian with its own variance ``σ_i²`` and independent of the other neurons. The
log-likelihood of an angle for a trial ``x`` is then ``Φ(θ)·P - ½ Φ(θ)ᵀ M Φ(θ)`` with
``P = C Σ⁻¹ x`` and ``M = C Σ⁻¹ Cᵀ``, so that any grid of angles costs only (n_basis x n_basis)
work per point, whatever the number of neurons.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

from neurodl.decoding._base import BaseDecoder, check_period, refine_peak, to_radians
from neurodl.exceptions import NeurodlValueError, check_option

__all__ = ["BayesDecoder", "fourier_basis"]

_METHODS = ("ml", "posterior_mean")


def fourier_basis(
    angles: ArrayLike, n_harmonics: int, period: float = 360.0
) -> NDArray[np.float64]:
    """``[1, cos φ, sin φ, ..., cos Hφ, sin Hφ]`` with ``φ = 2π angle / period``.

    Returns
    -------
    ndarray of shape (n, 2 * n_harmonics + 1)

    Examples
    --------
    >>> fourier_basis([0.0, 90.0], 1).round(6).tolist()
    [[1.0, 1.0, 0.0], [1.0, 0.0, 1.0]]
    """
    phase = to_radians(np.asarray(angles, dtype=np.float64).reshape(-1, 1), period)
    k = np.arange(1, n_harmonics + 1)
    columns = np.empty((phase.shape[0], 2 * n_harmonics + 1))
    columns[:, 0] = 1.0
    columns[:, 1::2] = np.cos(k * phase)
    columns[:, 2::2] = np.sin(k * phase)
    return columns


class BayesDecoder(BaseDecoder):
    """Independent decoder: per-neuron tuning curves and noise variances, likelihood on a grid.

    Parameters
    ----------
    n_harmonics : int, default 6
        Fourier harmonics of each tuning curve.
    alpha : float, default 1e-3
        Ridge penalty on the tuning-curve coefficients (relative to the number of trials).
    gain : bool, default False
        Fit a multiplicative gain per trial (maximised analytically at each angle).
    method : {"ml", "posterior_mean"}, default "ml"
        Maximum likelihood, or the circular mean of the posterior under a uniform prior.
    period : {360, 180}, default 360
    resolution : float, default 0.25
        Grid step in degrees (the maximum is refined by a parabola).

    Attributes
    ----------
    coef_ : ndarray of shape (2 * n_harmonics + 1, n_features)
        Tuning-curve coefficients of each neuron.
    noise_var_ : ndarray of shape (n_features,)
        Residual variance of each neuron around its tuning curve.
    n_features_in_ : int

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.uniform(0, 360, 400)
    >>> tuning = np.cos(np.deg2rad(theta[:, None] - np.arange(0, 360, 30)))
    >>> X = tuning + rng.normal(0, 0.3, (400, 12))
    >>> decoder = BayesDecoder().fit(X, theta)
    >>> bool(np.median(np.abs(decoder.predict(X) - theta)) < 10)
    True
    """

    def __init__(
        self,
        *,
        n_harmonics: int = 6,
        alpha: float = 1e-3,
        gain: bool = False,
        method: str = "ml",
        period: float = 360,
        resolution: float = 0.25,
    ) -> None:
        self.n_harmonics = n_harmonics
        self.alpha = alpha
        self.gain = gain
        self.method = method
        self.period = period
        self.resolution = resolution

    def _check_params(self) -> None:
        if not isinstance(self.n_harmonics, (int, np.integer)) or self.n_harmonics < 1:
            raise NeurodlValueError(f"n_harmonics must be an int >= 1; got {self.n_harmonics!r}.")
        if not self.alpha >= 0:
            raise NeurodlValueError(f"alpha must be >= 0; got {self.alpha!r}.")
        check_option("method", self.method, _METHODS)
        if not 0 < self.resolution <= 5:
            raise NeurodlValueError(
                f"resolution must lie in (0, 5] degrees; got {self.resolution!r}."
            )

    def fit(self, X: ArrayLike, y: ArrayLike) -> BayesDecoder:
        """Fit each neuron's tuning curve and noise variance.

        Parameters
        ----------
        X : array-like of shape (n_trials, n_neurons)
        y : array-like of shape (n_trials,)
            Angles in degrees.
        """
        self._check_params()
        X_arr, theta = self._validate_fit(X, y)
        period = check_period(self.period)
        n = X_arr.shape[0]
        design = fourier_basis(theta, int(self.n_harmonics), period)
        gram = design.T @ design
        gram[np.diag_indices_from(gram)] += float(self.alpha) * n
        cross = (design.T.astype(np.float32) @ X_arr).astype(np.float64)  # (B, p)
        coef = np.linalg.solve(gram, cross)
        gram[np.diag_indices_from(gram)] -= float(self.alpha) * n
        # residual sum of squares without forming X - design @ coef
        sum_sq = np.einsum("ij,ij->j", X_arr, X_arr, dtype=np.float64)
        rss = sum_sq - 2.0 * np.sum(coef * cross, 0) + np.sum(coef * (gram @ coef), 0)
        dof = max(n - design.shape[1], 1)
        variance = np.maximum(rss, 0.0) / dof
        positive = variance[variance > 0]
        floor = 1e-3 * float(positive.mean()) if positive.size else 1.0
        self.coef_ = coef
        self.noise_var_ = np.maximum(variance, floor)
        return self

    def tuning_curves(self, angles: ArrayLike) -> NDArray[np.float64]:
        """Fitted mean response of each neuron at ``angles``, shape (n_angles, n_neurons)."""
        check_is_fitted(self)
        period = check_period(self.period)
        return fourier_basis(angles, int(self.n_harmonics), period) @ self.coef_

    def log_likelihood(self, X: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Log-likelihood (up to a per-trial constant) of each grid angle for each trial.

        Returns
        -------
        grid : ndarray of shape (n_grid,)
            Angles in degrees.
        log_likelihood : ndarray of shape (n_trials, n_grid)
        """
        X_arr = self._validate_predict(X)
        period = check_period(self.period)
        grid = np.arange(0.0, period, float(self.resolution))
        basis = fourier_basis(grid, int(self.n_harmonics), period)  # (G, B)
        weighted = self.coef_ / self.noise_var_  # (B, p)
        linear = (X_arr @ weighted.T.astype(np.float32)).astype(np.float64) @ basis.T  # (n, G)
        quad = np.einsum("gb,bc,gc->g", basis, weighted @ self.coef_.T, basis)  # (G,)
        if not self.gain:
            return grid, linear - 0.5 * quad
        safe = np.maximum(quad, 1e-12)
        return grid, np.where(linear > 0, 0.5 * linear**2 / safe, 0.0)

    def predict(self, X: ArrayLike) -> NDArray[np.float64]:
        """Decoded angle of each trial in degrees, in [0, period); shape (n_trials,)."""
        grid, loglik = self.log_likelihood(X)
        period = check_period(self.period)
        if self.method == "ml":
            return refine_peak(loglik, float(self.resolution), period)
        posterior = np.exp(loglik - loglik.max(1, keepdims=True))
        phase = to_radians(grid, period)
        vector = posterior @ np.cos(phase) + 1j * (posterior @ np.sin(phase))
        return np.mod(np.angle(vector) * period / (2 * np.pi), period)
