"""A benchmark population built without ``neurodl.simulate_v1`` (nor neurodl's stimuli).

Simple cells are linear-nonlinear (a Gabor filter, then a rectifying power law); complex cells
are energy models (the summed squares of a quadrature pair of Gabors, then a compressive power).
Receptive fields sit anywhere in the central 80% of the image with their own orientation,
spatial frequency (log-normal around 0.08 cycles per pixel), envelope and phase. Trial noise is
Gaussian with a variance that grows with the mean (``0.2 + 0.8 * mean``, responses in units of
each neuron's mean drive). Images: half full-field sine gratings (orientation, frequency and
phase at random), half 1/f noise images (amplitude spectrum 1/f, pixel SD 1), shuffled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class Population:
    train_images: np.ndarray  # (n_train, H, W)
    train_responses: np.ndarray  # (n_train, n_neurons) single trials
    test_images: np.ndarray  # (n_test, H, W)
    test_repeats: np.ndarray  # (n_test, n_repeats, n_neurons)
    test_is_grating: np.ndarray  # (n_test,) bool
    complex_cell: np.ndarray  # (n_neurons,) bool


def _noise_images(n: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    height, width = size
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.fftfreq(width)[None, :]
    radius = np.hypot(fy, fx)
    radius[0, 0] = np.inf
    spectrum = (
        rng.standard_normal((n, height, width)) + 1j * rng.standard_normal((n, height, width))
    ) / radius
    images = np.fft.ifft2(spectrum).real
    images -= images.mean(axis=(1, 2), keepdims=True)
    return images / images.std(axis=(1, 2), keepdims=True)


def _gratings(n: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    rows, cols = np.mgrid[0 : size[0], 0 : size[1]].astype(float)
    theta = rng.uniform(0, np.pi, n)[:, None, None]
    frequency = np.exp(rng.uniform(np.log(0.03), np.log(0.2), n))[:, None, None]
    phase = rng.uniform(0, 2 * np.pi, n)[:, None, None]
    wave = np.cos(2 * np.pi * frequency * (cols * np.cos(theta) + rows * np.sin(theta)) + phase)
    return wave * np.sqrt(2)  # pixel SD 1, like the noise images


def _images(
    n: int, size: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    is_grating = rng.permutation(np.arange(n) < n // 2)
    images = np.empty((n, *size))
    images[is_grating] = _gratings(int(is_grating.sum()), size, rng)
    images[~is_grating] = _noise_images(int((~is_grating).sum()), size, rng)
    return images.astype(np.float32), is_grating


def _gabors(
    n: int, size: tuple[int, int], rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Even and odd Gabor filters, unit norm, shape (n, H, W) each."""
    height, width = size
    rows, cols = np.mgrid[0:height, 0:width].astype(float)
    cy = rng.uniform(0.1, 0.9, n) * (height - 1)
    cx = rng.uniform(0.1, 0.9, n) * (width - 1)
    theta = rng.uniform(0, np.pi, n)
    frequency = np.exp(rng.normal(np.log(0.08), 0.3, n))
    sigma = rng.uniform(0.35, 0.55, n) / frequency  # about one cycle under the envelope
    phase = rng.uniform(0, 2 * np.pi, n)
    y, x = rows[None] - cy[:, None, None], cols[None] - cx[:, None, None]
    along = x * np.cos(theta)[:, None, None] + y * np.sin(theta)[:, None, None]
    envelope = np.exp(-(x**2 + y**2) / (2 * sigma[:, None, None] ** 2))
    argument = 2 * np.pi * frequency[:, None, None] * along + phase[:, None, None]
    even, odd = envelope * np.cos(argument), envelope * np.sin(argument)
    even /= np.linalg.norm(even, axis=(1, 2), keepdims=True)
    odd /= np.linalg.norm(odd, axis=(1, 2), keepdims=True)
    return even, odd


def _rates(
    images: np.ndarray,
    even: np.ndarray,
    odd: np.ndarray,
    complex_cell: np.ndarray,
    gain: np.ndarray,
) -> np.ndarray:
    a = np.einsum("ihw,nhw->in", images, even)
    b = np.einsum("ihw,nhw->in", images, odd)
    simple = np.maximum(a - 0.3, 0.0) ** 1.5
    energy = (a**2 + b**2) ** 0.75
    return gain * np.where(complex_cell, energy, simple)


def make_independent_population(
    n_neurons: int = 1000,
    n_train: int = 4000,
    n_test: int = 200,
    n_repeats: int = 10,
    size: tuple[int, int] = (36, 64),
    fraction_complex: float = 0.5,
    seed: int = 0,
) -> Population:
    """Simple (LN) and complex (energy) cells with Gabor receptive fields; see the module doc."""
    rng = np.random.default_rng(seed)
    even, odd = _gabors(n_neurons, size, rng)
    complex_cell = rng.random(n_neurons) < fraction_complex
    train_images, _ = _images(n_train, size, rng)
    test_images, test_is_grating = _images(n_test, size, rng)
    drive = _rates(train_images, even, odd, complex_cell, np.ones(n_neurons))
    gain = 2.0 / np.maximum(drive.mean(0), 1e-6)  # mean response about 2 for every neuron
    train_rates = drive * gain
    test_rates = _rates(test_images, even, odd, complex_cell, gain)

    def noisy(rates: np.ndarray) -> np.ndarray:
        return rates + np.sqrt(0.2 + 0.8 * rates) * rng.standard_normal(rates.shape)

    repeats = noisy(np.repeat(test_rates[:, None], n_repeats, axis=1))
    return Population(
        train_images,
        noisy(train_rates).astype(np.float32),
        test_images,
        repeats.astype(np.float32),
        test_is_grating,
        complex_cell,
    )
