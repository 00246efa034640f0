"""Ground truth of the V1 simulator: linear Fisher information, Cramér–Rao bounds, explainability.

Noise model (per trial t, neuron i, stimulus orientation θ)::

    r_ti = g_t f_i(θ + δ_t) + η_ti,   E[g] = 1, sd(g) = σ_g,   δ_t ~ N(0, σ_δ²),
    E[η | g, δ] = 0,  Var[η | g, δ] = F g f_i(θ + δ)     (F: the Fano factor)

To first order in δ the mean is f(θ) and the covariance is

    Σ = D + σ_g² f fᵀ + (1 + σ_g²) σ_δ² f' f'ᵀ,   D = diag(F f).

The linear Fisher information f'ᵀ Σ⁻¹ f' follows from two Sherman–Morrison steps, with sums over
neurons only (no N x N matrix)::

    a = f'ᵀD⁻¹f',  b = f'ᵀD⁻¹f,  c = fᵀD⁻¹f
    I₀ = a − σ_g² b² / (1 + σ_g² c)          (independent noise and shared gain)
    I  = I₀ / (1 + (1 + σ_g²) σ_δ² I₀)       (plus the information-limiting jitter)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special


def fisher_information(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating],
    *,
    fano: float,
    gain_noise: float,
    orientation_jitter: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Linear Fisher information per orientation, with and without the jitter.

    Parameters
    ----------
    tuning, derivative : ndarray of shape (n_neurons, n_orientations)
        Mean response (> 0) and its derivative per degree, in the simulator's raw units.

    Returns
    -------
    info, info_local : ndarray of shape (n_orientations,)
        I and I₀ of the module docstring, in 1/deg².
    """
    a = np.zeros(tuning.shape[1])
    b = np.zeros(tuning.shape[1])
    c = np.zeros(tuning.shape[1])
    step = max(1, (1 << 22) // max(tuning.shape[1], 1))
    for start in range(0, tuning.shape[0], step):
        f = np.asarray(tuning[start : start + step], dtype=np.float64)
        df = np.asarray(derivative[start : start + step], dtype=np.float64)
        inv_var = 1.0 / (fano * f)
        a += np.sum(df * df * inv_var, axis=0)
        b += np.sum(df * f * inv_var, axis=0)
        c += np.sum(f * f * inv_var, axis=0)
    s_g = gain_noise**2
    info_local = a - s_g * b**2 / (1 + s_g * c)
    info = info_local / (1 + (1 + s_g) * orientation_jitter**2 * info_local)
    return info, info_local


def cramer_rao_median(info: NDArray[np.floating]) -> float:
    """Median absolute error of an efficient unbiased decoder over uniform orientations (deg).

    The error at θ is N(0, 1/I(θ)); the median m of |error| over uniform θ solves
    mean_θ [2 Φ(m √I(θ)) − 1] = 1/2.
    """
    sd = 1.0 / np.sqrt(np.asarray(info, dtype=np.float64))

    def excess(m: float) -> float:
        return float(np.mean(special.erf(m / (sd * np.sqrt(2.0)))) - 0.5)

    high = 2.0 * float(sd.max())
    return float(optimize.brentq(excess, 0.0, high, xtol=1e-10))


def cramer_rao_rms(info: NDArray[np.floating]) -> float:
    """Root-mean-square error of an efficient unbiased decoder over uniform orientations (deg)."""
    return float(np.sqrt(np.mean(1.0 / np.asarray(info, dtype=np.float64))))


def noise_variance(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating] | None,
    *,
    fano: float,
    gain_noise: float,
    orientation_jitter: float,
) -> NDArray[np.float64]:
    """Trial-to-trial variance of each neuron's response at each stimulus (first order)."""
    f = np.asarray(tuning, dtype=np.float64)
    var = fano * f + gain_noise**2 * f**2
    if derivative is not None and orientation_jitter > 0:
        df = np.asarray(derivative, dtype=np.float64)
        var += (1 + gain_noise**2) * orientation_jitter**2 * df**2
    return var


def explainable_variance(
    tuning: NDArray[np.floating], noise_var: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Signal variance / (signal variance + mean noise variance) over the stimuli (axis 1)."""
    signal = np.var(np.asarray(tuning, dtype=np.float64), axis=1)
    noise = np.mean(noise_var, axis=1)
    return signal / (signal + noise)
