"""The image-computable neurons of the V1 simulator: Gabor receptive fields and their tuning.

Every neuron filters the image with a Gabor receptive field (a quadrature pair for complex and
untuned cells), turns the filter output into a normalised drive ``x`` and passes it through a
smooth threshold-power output nonlinearity::

    simple:   x = u_c / A                      (linear filter, rectified by the threshold)
    complex:  x = (u_c**2 + u_s**2) / A**2     (energy of the quadrature pair)
    untuned:  x = c + w * (u_c**2 + u_s**2) / A**2   (mostly constant, weak orientation dependence)
    mean response f = baseline + gain * (softplus(k (x - t)) / k) ** p

``u_c, u_s`` are the dot products of the image with the even and odd Gabor, and ``A`` is the
amplitude of ``u_c`` for a full-field grating at the neuron's own orientation and spatial
frequency, so that ``x`` is about 1 for the neuron's optimal grating and smaller for gratings of
another spatial frequency or orientation.

For gratings the drives are computed through the actual filters on a 1-degree orientation grid;
their derivatives with respect to orientation come from the spectral derivative of the periodic
filter outputs (exact, since the outputs are band limited in orientation) and the chain rule.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.stimuli import make_grating

GRID_SIZE = 360  # orientation grid of the ground truth: 0, 1, ..., 359 degrees
SHARPNESS = 8.0  # k of the softplus threshold, in units of the normalised drive
_CHUNK_ELEMENTS = 1 << 23  # floats per working array when looping over neurons or trials

CELL_TYPES = ("simple", "complex", "untuned")


def sample_neurons(
    n_neurons: int,
    rng: np.random.Generator,
    *,
    image_size: tuple[int, int],
    spatial_frequency: float,
    fraction_complex: float,
    fraction_untuned: float,
) -> dict[str, NDArray[Any]]:
    """Draw the receptive-field and output parameters of ``n_neurons`` neurons."""
    height, width = image_size
    draw = rng.random(n_neurons)
    cell_type = np.where(
        draw < fraction_untuned,
        "untuned",
        np.where(draw < fraction_untuned + fraction_complex, "complex", "simple"),
    )
    rows = rng.uniform(0, height - 1, n_neurons)
    cols = rng.uniform(0, width - 1, n_neurons)
    frequency = spatial_frequency * np.exp(rng.normal(0.0, 0.35, n_neurons))
    # envelope sd in image widths: about 0.45 carrier periods (orientation bandwidth ~20 deg)
    size = np.exp(rng.normal(np.log(0.45), 0.2, n_neurons)) / frequency
    threshold = np.where(
        cell_type == "simple",
        rng.uniform(0.0, 0.3, n_neurons),
        np.where(cell_type == "complex", rng.uniform(0.0, 0.15, n_neurons), 0.0),
    )
    return {
        "cell_type": cell_type,
        "position": np.stack([rows, cols], axis=1),
        "rf_orientation": rng.uniform(0.0, 180.0, n_neurons),
        "rf_spatial_frequency": frequency,
        "rf_size": size,
        "rf_phase": rng.uniform(0.0, 360.0, n_neurons),
        "threshold": threshold,
        "exponent": rng.uniform(1.0, 2.0, n_neurons),
        "gain": np.exp(rng.normal(np.log(2.0), 0.8, n_neurons)),
        "baseline": np.exp(rng.normal(np.log(0.1), 0.5, n_neurons)),
        "untuned_level": rng.uniform(0.2, 0.5, n_neurons),
        "untuned_weight": np.where(cell_type == "untuned", rng.uniform(0.0, 0.15, n_neurons), 0.0),
    }


def gabor_filters(
    params: dict[str, NDArray[Any]], index: slice, image_size: tuple[int, int]
) -> tuple[NDArray[np.float32], NDArray[np.float32], NDArray[np.float64]]:
    """Even and odd Gabor filters of some neurons, and their reference amplitudes.

    Coordinates follow :func:`~neurodl.stimuli.make_grating`: x right and y up from the image
    centre, in image widths. The complex Gabor ``exp(-|d|²/2σ² + i (k·d + ψ))`` with carrier
    ``k = 2π f (cos θ, -sin θ)`` factorises over rows and columns, which keeps this fast.

    Returns
    -------
    even, odd : ndarray of shape (n, height * width)
        Real and imaginary parts of the complex Gabor.
    amplitude : ndarray of shape (n,)
        Amplitude of the even filter's output for a full-field grating at the neuron's own
        orientation and spatial frequency (over the grating's phase).
    """
    height, width = image_size
    x = (np.arange(width) - (width - 1) / 2) / width
    y = ((height - 1) / 2 - np.arange(height)) / width
    x0 = (params["position"][index, 1] - (width - 1) / 2) / width
    y0 = ((height - 1) / 2 - params["position"][index, 0]) / width
    theta = np.deg2rad(params["rf_orientation"][index])[:, None]
    frequency = params["rf_spatial_frequency"][index][:, None]
    spread = 2 * params["rf_size"][index][:, None] ** 2
    kx, ky = 2 * np.pi * frequency * np.cos(theta), -2 * np.pi * frequency * np.sin(theta)
    phase = np.deg2rad(params["rf_phase"][index])[:, None]
    dx, dy = x[None, :] - x0[:, None], y[None, :] - y0[:, None]
    gx = np.exp(-(dx**2) / spread + 1j * (kx * dx + phase))  # (n, width)
    gy = np.exp(-(dy**2) / spread + 1j * ky * dy)  # (n, height)
    gabor = (gy.astype(np.complex64)[:, :, None] * gx.astype(np.complex64)[:, None, :]).reshape(
        gx.shape[0], -1
    )
    # response of the even part to exp(i own grating) = ½ (Σ g e^{i own} + Σ ḡ e^{i own}),
    # each sum factorising over rows and columns
    ox, oy = np.exp(1j * kx * x[None, :]), np.exp(1j * ky * y[None, :])
    direct = np.sum(gx * ox, 1) * np.sum(gy * oy, 1)
    mirror = np.sum(np.conj(gx) * ox, 1) * np.sum(np.conj(gy) * oy, 1)
    amplitude = np.abs(0.5 * (direct + mirror))
    return np.ascontiguousarray(gabor.real), np.ascontiguousarray(gabor.imag), amplitude


def _output(
    params: dict[str, NDArray[Any]],
    index: slice,
    even: NDArray[np.float64],
    odd: NDArray[np.float64],
    amplitude: NDArray[np.float64],
    d_even: NDArray[np.float64] | None = None,
    d_odd: NDArray[np.float64] | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64] | None]:
    """Mean response (and its derivative) from filter outputs of shape (n, m) for n neurons."""
    a = amplitude[:, None]
    kind = params["cell_type"][index][:, None]
    energy = (even**2 + odd**2) / a**2
    level = params["untuned_level"][index][:, None]
    weight = params["untuned_weight"][index][:, None]
    drive = np.where(kind == "simple", even / a, np.where(kind == "complex", energy, 0.0))
    drive = np.where(kind == "untuned", level + weight * energy, drive)
    t, p = params["threshold"][index][:, None], params["exponent"][index][:, None]
    z = SHARPNESS * (drive - t)
    soft = np.logaddexp(0.0, z) / SHARPNESS
    gain = params["gain"][index][:, None]
    mean = params["baseline"][index][:, None] + gain * soft**p
    if d_even is None or d_odd is None:
        return mean, None
    d_energy = 2 * (even * d_even + odd * d_odd) / a**2
    d_drive = np.where(kind == "simple", d_even / a, np.where(kind == "complex", d_energy, 0.0))
    d_drive = np.where(kind == "untuned", weight * d_energy, d_drive)
    sigmoid = 0.5 * (1 + np.tanh(z / 2))
    derivative = gain * p * soft ** (p - 1) * sigmoid * d_drive
    return mean, derivative


def _spectral_derivative(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Derivative per degree along the last axis of samples on a periodic 360-degree grid."""
    n = values.shape[-1]
    spectrum = np.fft.rfft(values, axis=-1)
    k = np.arange(spectrum.shape[-1]) * (2 * np.pi / 360.0)
    if n % 2 == 0:
        k[-1] = 0.0  # the Nyquist term has no well-defined derivative
    return np.fft.irfft(1j * k * spectrum, n=n, axis=-1)


def chunks(n_items: int, per_item: int) -> list[slice]:
    size = max(1, _CHUNK_ELEMENTS // max(per_item, 1))
    return [slice(i, min(i + size, n_items)) for i in range(0, n_items, size)]


def grating_tuning(
    params: dict[str, NDArray[Any]],
    *,
    image_size: tuple[int, int],
    spatial_frequency: float,
    phase: float,
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Noise-free tuning to full-field gratings on the 1-degree grid, and its derivative.

    Returns
    -------
    tuning, derivative : ndarray of shape (n_neurons, 360)
        Mean response at 0, 1, ..., 359 deg and its derivative per degree.
    """
    n_neurons = params["rf_orientation"].shape[0]
    grid = np.arange(GRID_SIZE, dtype=np.float64)
    images = make_grating(grid, size=image_size, spatial_frequency=spatial_frequency, phase=phase)
    flat = images.reshape(GRID_SIZE, -1).T  # (pixels, 360)
    tuning = np.empty((n_neurons, GRID_SIZE), dtype=np.float32)
    derivative = np.empty((n_neurons, GRID_SIZE), dtype=np.float32)
    for index in chunks(n_neurons, flat.shape[0] + 4 * GRID_SIZE):
        even_filter, odd_filter, amplitude = gabor_filters(params, index, image_size)
        even = (even_filter @ flat).astype(np.float64)
        odd = (odd_filter @ flat).astype(np.float64)
        mean, slope = _output(
            params,
            index,
            even,
            odd,
            amplitude,
            _spectral_derivative(even),
            _spectral_derivative(odd),
        )
        tuning[index] = mean
        derivative[index] = slope
    return tuning, derivative


def image_responses(
    params: dict[str, NDArray[Any]], images: NDArray[np.float32]
) -> NDArray[np.float32]:
    """Noise-free mean response of every neuron to every image, shape (n_images, n_neurons)."""
    n_neurons = params["rf_orientation"].shape[0]
    image_size = (int(images.shape[1]), int(images.shape[2]))
    flat = images.reshape(images.shape[0], -1).T  # (pixels, n_images)
    out = np.empty((images.shape[0], n_neurons), dtype=np.float32)
    for index in chunks(n_neurons, flat.shape[0] + 3 * flat.shape[1]):
        even_filter, odd_filter, amplitude = gabor_filters(params, index, image_size)
        even = (even_filter @ flat).astype(np.float64)
        odd = (odd_filter @ flat).astype(np.float64)
        out[:, index] = _output(params, index, even, odd, amplitude)[0].T
    return out


def interpolate_tuning(
    tuning: NDArray[np.floating],
    derivative: NDArray[np.floating],
    orientation: NDArray,
    *,
    slope: bool = False,
) -> NDArray[np.float64]:
    """Periodic cubic Hermite interpolation of tuning sampled on the 1-degree grid.

    Parameters
    ----------
    tuning, derivative : ndarray of shape (360, n_neurons)
        Values and derivatives per degree at 0, 1, ..., 359 deg (grid-major for fast gathers).
    orientation : ndarray of shape (n,)
        Degrees, any real values.
    slope : bool
        Return the interpolant's derivative per degree instead of its value.

    Returns
    -------
    ndarray of shape (n, n_neurons)
    """
    theta = np.mod(np.asarray(orientation, dtype=np.float64), 360.0)
    left = np.floor(theta)
    s = (theta - left)[:, None]
    i = left.astype(np.intp) % GRID_SIZE
    j = (i + 1) % GRID_SIZE
    if slope:
        h00, h10 = 6 * s**2 - 6 * s, 3 * s**2 - 4 * s + 1
        h01, h11 = 6 * s - 6 * s**2, 3 * s**2 - 2 * s
    else:
        h00, h10 = (1 + 2 * s) * (1 - s) ** 2, s * (1 - s) ** 2
        h01, h11 = s**2 * (3 - 2 * s), s**2 * (s - 1)
    return h00 * tuning[i] + h10 * derivative[i] + h01 * tuning[j] + h11 * derivative[j]
