"""Stimuli and filters: gratings, 1/f noise images and the curriculum's filter bank.

Conventions (the curriculum's): image rows run top to bottom, columns left to right; orientation
0° means vertical bars and grows counter-clockwise from vertical; a grating at θ and one at θ + 180°
share their bars but drift (and, away from zero phase, are shaded) in opposite directions.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError

__all__ = [
    "filter_bank_names",
    "make_filter_bank",
    "make_grating",
    "make_noise_images",
]


def _check_size(size: tuple[int, int]) -> tuple[int, int]:
    if len(size) != 2 or min(int(size[0]), int(size[1])) < 2:
        raise NeurodlValueError(f"size must be (height, width), each >= 2; got {size!r}.")
    return int(size[0]), int(size[1])


def _grid(size: tuple[int, int], centre: tuple[float, float] | None) -> tuple[NDArray, NDArray]:
    """Pixel coordinates (x right, y up) relative to ``centre``, in units of image width."""
    height, width = size
    cy, cx = ((height - 1) / 2, (width - 1) / 2) if centre is None else centre
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float64)
    return (cols - cx) / width, (cy - rows) / width


def make_grating(
    orientation: ArrayLike,
    *,
    size: tuple[int, int] = (48, 64),
    spatial_frequency: float = 4.0,
    phase: float = 0.0,
    contrast: float = 1.0,
    profile: Literal["sine", "square"] = "sine",
    mask: Literal["none", "circle"] = "none",
    radius: float = 0.5,
    centre: tuple[float, float] | None = None,
) -> NDArray[np.float32]:
    """Make grating images.

    Parameters
    ----------
    orientation : float or array-like of shape (n,)
        Orientation in degrees from vertical (0° = vertical bars; see the module docstring).
        θ and θ + 180° have the same bars with opposite phase progression, so away from zero
        ``phase`` they are different images.
    size : (height, width)
        Image size in pixels.
    spatial_frequency : float
        Cycles per image width.
    phase : float
        Phase in degrees at ``centre``.
    contrast : float
        Amplitude: values lie in [-contrast, contrast] around a mean grey of 0.
    profile : {"sine", "square"}
        Luminance profile across the bars.
    mask : {"none", "circle"}
        Full field, or a circular patch of ``radius`` (in units of image width) on grey.
    centre : (row, col), optional
        Centre of the phase and the patch, in pixels; the image centre by default.

    Returns
    -------
    ndarray of shape (height, width), or (n, height, width) for an array of orientations

    Examples
    --------
    >>> make_grating(0.0, size=(8, 8)).shape
    (8, 8)
    >>> make_grating([0.0, 45.0], size=(8, 8)).shape
    (2, 8, 8)
    """
    size = _check_size(size)
    if profile not in ("sine", "square"):
        raise NeurodlValueError(f"profile must be one of {{'sine', 'square'}}; got {profile!r}.")
    if mask not in ("none", "circle"):
        raise NeurodlValueError(f"mask must be one of {{'none', 'circle'}}; got {mask!r}.")
    if spatial_frequency <= 0:
        raise NeurodlValueError(f"spatial_frequency must be > 0; got {spatial_frequency!r}.")
    theta = np.deg2rad(np.asarray(orientation, dtype=np.float64))
    if not np.all(np.isfinite(theta)):
        raise NeurodlValueError("orientation must be finite.")
    x, y = _grid(size, centre)
    # unit normal of the bars: at 0° the luminance varies along x (vertical bars)
    nx, ny = np.cos(theta)[..., None, None], -np.sin(theta)[..., None, None]
    argument = 2 * np.pi * spatial_frequency * (x * nx + y * ny) + np.deg2rad(phase)
    wave = np.cos(argument)
    if profile == "square":
        wave = np.sign(wave)
    image = contrast * wave
    if mask == "circle":
        image = image * (x**2 + y**2 <= radius**2)
    return image.astype(np.float32)


def make_noise_images(
    n_images: int,
    *,
    size: tuple[int, int] = (48, 64),
    exponent: float = 1.0,
    contrast: float = 1.0,
    random_state: int | np.random.Generator | None = None,
) -> NDArray[np.float32]:
    """Make natural-like noise images whose amplitude spectrum falls as 1/f**exponent.

    Each image has zero mean and standard deviation ``contrast / 2`` (so most pixels lie within
    ±contrast, like a grating of the same contrast).

    Returns
    -------
    ndarray of shape (n_images, height, width)
    """
    height, width = _check_size(size)
    if n_images < 1:
        raise NeurodlValueError(f"n_images must be >= 1; got {n_images!r}.")
    rng = np.random.default_rng(random_state)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    radius = np.sqrt(fx**2 + fy**2)
    radius[0, 0] = np.inf
    amplitude = radius ** (-float(exponent))
    spectrum = amplitude * (
        rng.standard_normal((n_images, height, fx.shape[1]))
        + 1j * rng.standard_normal((n_images, height, fx.shape[1]))
    )
    images = np.fft.irfft2(spectrum, s=(height, width))
    images -= images.mean(axis=(1, 2), keepdims=True)
    images /= images.std(axis=(1, 2), keepdims=True)
    return (images * contrast / 2).astype(np.float32)


def filter_bank_names(n_orientations: int = 4) -> list[str]:
    """Names of the filters of :func:`make_filter_bank`, in order."""
    step = 180.0 / n_orientations
    return ["centre-surround on", "centre-surround off"] + [
        f"gabor {k * step:g}°" for k in range(n_orientations)
    ]


def make_filter_bank(
    kernel_size: int = 7,
    *,
    n_orientations: int = 4,
    sigma: float | None = None,
    spatial_frequency: float | None = None,
    phase: float = 0.0,
) -> NDArray[np.float32]:
    """The curriculum's filter bank: centre-surround (on, off) and Gabors at k orientations.

    Each filter has zero mean and unit Euclidean norm, so that a uniform image gives no response
    and filters are comparable.

    Parameters
    ----------
    kernel_size : int
        Side K of the square filters, in pixels (odd numbers centre the filters on a pixel).
    n_orientations : int
        Number of Gabor orientations, evenly spaced over [0°, 180°) from vertical.
    sigma : float, optional
        Gaussian envelope width in pixels (the centre of the difference of Gaussians); K/5 by
        default.
    spatial_frequency : float, optional
        Gabor carrier frequency in cycles per pixel; 1/(2.5 sigma) by default.
    phase : float
        Phase of the Gabors' carrier at the centre, in degrees: 0 (default) gives even
        (cosine) Gabors, 90 their odd quadrature partners (together: an energy model).

    Returns
    -------
    ndarray of shape (2 + n_orientations, K, K)
        Names in :func:`filter_bank_names`.

    Examples
    --------
    >>> make_filter_bank(7).shape
    (6, 7, 7)
    """
    if int(kernel_size) < 3:
        raise NeurodlValueError(f"kernel_size must be >= 3; got {kernel_size!r}.")
    if int(n_orientations) < 1:
        raise NeurodlValueError(f"n_orientations must be >= 1; got {n_orientations!r}.")
    k = int(kernel_size)
    sigma = k / 5 if sigma is None else float(sigma)
    if sigma <= 0:
        raise NeurodlValueError(f"sigma must be > 0; got {sigma!r}.")
    frequency = 1 / (2.5 * sigma) if spatial_frequency is None else float(spatial_frequency)
    offset = (k - 1) / 2
    rows, cols = np.mgrid[0:k, 0:k].astype(np.float64)
    x, y = cols - offset, offset - rows
    r2 = x**2 + y**2

    def gaussian(s: float) -> NDArray[np.float64]:
        g = np.exp(-r2 / (2 * s**2))
        return g / g.sum()

    dog = gaussian(sigma) - gaussian(2 * sigma)
    filters = [dog, -dog]
    for theta in np.deg2rad(np.arange(n_orientations) * 180.0 / n_orientations):
        along = x * np.cos(theta) - y * np.sin(theta)
        carrier = np.cos(2 * np.pi * frequency * along - np.deg2rad(phase))
        filters.append(gaussian(sigma) * carrier)
    bank = np.stack(filters)
    bank -= bank.mean(axis=(1, 2), keepdims=True)
    bank /= np.linalg.norm(bank, axis=(1, 2), keepdims=True)
    return bank.astype(np.float32)
