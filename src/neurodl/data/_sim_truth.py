"""Ground truth of the V1 simulator: linear Fisher information, Cramér–Rao bounds, explainability.

Noise model (per trial t, neuron i, stimulus orientation θ)::

    r_ti = g_t f_i(θ + δ_t) + η_ti,   E[g] = 1, Var[g] = σ_g²,   δ_t ~ N(0, σ_δ²),
    E[η | g, δ] = 0,  Var[η | g, δ] = F g f_i(θ + δ)     (F: the Fano factor)

so that, with expectations over the jitter δ,

    m(θ) = E[r | θ] = E_δ f(θ + δ)
    Σ(θ) = Cov[r | θ] = D + (1 + σ_g²) Cov_δ f(θ + δ) + σ_g² m mᵀ,   D = diag(F m).

To first order in δ this is D + σ_g² f fᵀ + (1 + σ_g²) σ_δ² f' f'ᵀ, whose information follows
from two Sherman–Morrison steps (a = f'ᵀD⁻¹f', b = f'ᵀD⁻¹f, c = fᵀD⁻¹f; I₀ = a − σ_g² b² /
(1 + σ_g² c); I = I₀ / (1 + (1 + σ_g²) σ_δ² I₀)). That approximation is several percent off for
sharply tuned cells at a jitter of 1–2°, so the stored ground truth is the exact linear Fisher
information m'ᵀ Σ⁻¹ m' of the model: the expectations over δ use K-point Gauss–Hermite quadrature
(nodes δ_k, weights w_k), which writes the covariance as a diagonal plus a rank K + 1 term,

    Σ = D + V Vᵀ,  V = [√(1 + σ_g²) √w_k (f(θ + δ_k) − m) for each k,  σ_g m],

inverted by the Woodbury identity with sums over neurons only (no N x N matrix):
I = m'ᵀD⁻¹m' − uᵀ (1 + Vᵀ D⁻¹ V)⁻¹ u with u = Vᵀ D⁻¹ m'.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, special

from neurodl.data._sim_model import GRID_SIZE, interpolate_tuning

N_NODES = 11  # Gauss–Hermite nodes for expectations over the jitter


def _jitter_moments(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating],
    orientation_jitter: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Tuning at the quadrature nodes around every grid orientation, and the moments over δ.

    Parameters
    ----------
    tuning, derivative : ndarray of shape (n_neurons, 360)

    Returns
    -------
    values : ndarray of shape (K, 360, n_neurons)
        f(θ + δ_k).
    weights : ndarray of shape (K,)
    mean, mean_slope : ndarray of shape (360, n_neurons)
        m(θ) and m'(θ) per degree.
    """
    f = np.ascontiguousarray(np.asarray(tuning, dtype=np.float64).T)
    df = np.ascontiguousarray(np.asarray(derivative, dtype=np.float64).T)
    if orientation_jitter == 0:
        return f[None], np.ones(1), f, df
    nodes, weights = np.polynomial.hermite_e.hermegauss(N_NODES)
    weights = weights / weights.sum()
    grid = np.arange(GRID_SIZE, dtype=np.float64)
    values = np.empty((N_NODES, GRID_SIZE, f.shape[1]))
    mean_slope = np.zeros((GRID_SIZE, f.shape[1]))
    for k, node in enumerate(nodes):
        at = grid + orientation_jitter * node
        values[k] = interpolate_tuning(f, df, at)
        mean_slope += weights[k] * interpolate_tuning(f, df, at, slope=True)
    mean = np.tensordot(weights, values, axes=1)
    return values, weights, mean, mean_slope


def _chunks(n_neurons: int) -> list[slice]:
    step = max(1, (1 << 22) // (GRID_SIZE * (N_NODES + 2)))
    return [slice(i, min(i + step, n_neurons)) for i in range(0, n_neurons, step)]


def fisher_information(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating],
    *,
    fano: float,
    gain_noise: float,
    orientation_jitter: float,
) -> NDArray[np.float64]:
    """Linear Fisher information m'ᵀ Σ⁻¹ m' at 0, 1, ..., 359 deg (module docstring), 1/deg².

    Parameters
    ----------
    tuning, derivative : ndarray of shape (n_neurons, 360)
        Noise-free response f (> 0) on the 1-degree grid and its derivative per degree, in the
        simulator's raw units.
    """
    return analyse(
        tuning,
        derivative,
        fano=fano,
        gain_noise=gain_noise,
        orientation_jitter=orientation_jitter,
        moments=False,
    )[0]


def analyse(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating],
    *,
    fano: float,
    gain_noise: float,
    orientation_jitter: float,
    moments: bool = True,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None, NDArray[np.float64] | None]:
    """Fisher information and, with ``moments``, each neuron's response mean and variance.

    Returns
    -------
    info : ndarray of shape (360,)
        As :func:`fisher_information`.
    mean, variance : ndarray of shape (n_neurons, 360), or None without ``moments``
        m(θ) and the diagonal of Σ(θ).
    """
    n_cols = (N_NODES if orientation_jitter > 0 else 1) + 1
    a = np.zeros(GRID_SIZE)
    u = np.zeros((GRID_SIZE, n_cols))
    gram = np.zeros((GRID_SIZE, n_cols, n_cols))
    mean_out = np.empty(tuning.shape) if moments else None
    var_out = np.empty(tuning.shape) if moments else None
    s = gain_noise**2
    for rows in _chunks(tuning.shape[0]):
        values, weights, mean, slope = _jitter_moments(
            tuning[rows], derivative[rows], orientation_jitter
        )
        centred = np.sqrt(weights)[:, None, None] * (values - mean)
        basis = np.concatenate([np.sqrt(1 + s) * centred, gain_noise * mean[None]])
        basis = basis.transpose(1, 0, 2)  # (360, K + 1, n)
        inv_var = 1.0 / (fano * mean)
        a += np.sum(slope**2 * inv_var, axis=1)
        u += np.einsum("gkn,gn->gk", basis, slope * inv_var)
        gram += np.matmul(basis * inv_var[:, None, :], basis.transpose(0, 2, 1))
        if mean_out is not None and var_out is not None:
            spread = np.einsum("kgn,kgn->gn", centred, centred)
            mean_out[rows] = mean.T
            var_out[rows] = (fano * mean + (1 + s) * spread + s * mean**2).T
    system = gram + np.eye(n_cols)[None]
    info = a - np.einsum("gk,gk->g", u, np.linalg.solve(system, u[..., None])[..., 0])
    return info, mean_out, var_out


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


def explainable_variance(
    tuning: NDArray[np.floating], noise_var: NDArray[np.floating]
) -> NDArray[np.float64]:
    """Signal variance / (signal variance + mean noise variance) over the stimuli (axis 1)."""
    signal = np.var(np.asarray(tuning, dtype=np.float64), axis=1)
    noise = np.mean(noise_var, axis=1)
    return signal / (signal + noise)
