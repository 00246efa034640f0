"""Small synthetic linear-nonlinear neurons with known receptive fields."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from neurodl.data import Recording
from neurodl.stimuli import make_noise_images


@dataclass
class LNData:
    filters: np.ndarray  # (n_neurons, H, W) linear filters
    train_images: np.ndarray
    train_responses: np.ndarray
    test_images: np.ndarray
    test_rates: np.ndarray  # noise-free responses (n_test, n_neurons)
    test_repeats: np.ndarray  # (n_test, n_repeats, n_neurons)


def gabor_filters(n: int, size: tuple[int, int], rng: np.random.Generator) -> np.ndarray:
    """Gabor receptive fields at random positions, orientations and phases."""
    height, width = size
    rows, cols = np.mgrid[0:height, 0:width].astype(float)
    out = np.empty((n, height, width))
    for k in range(n):
        cy, cx = rng.uniform(5, height - 5), rng.uniform(5, width - 5)
        theta, phase = rng.uniform(0, np.pi), rng.uniform(0, 2 * np.pi)
        x, y = cols - cx, rows - cy
        envelope = np.exp(-(x**2 + y**2) / (2 * 2.0**2))
        carrier = np.cos(2 * np.pi / 7.0 * (x * np.cos(theta) + y * np.sin(theta)) + phase)
        out[k] = envelope * carrier
    return out / np.linalg.norm(out, axis=(1, 2), keepdims=True)


def ln_rates(filters: np.ndarray, images: np.ndarray) -> np.ndarray:
    """Softplus of the filter output: a linear-nonlinear (simple-cell) response."""
    drive = np.einsum("nhw,ihw->in", filters, images) * 3.0
    return 2.0 * np.log1p(np.exp(drive - 0.5))


def make_ln_data(
    n_neurons: int = 12,
    n_train: int = 600,
    n_test: int = 40,
    n_repeats: int = 6,
    size: tuple[int, int] = (20, 24),
    seed: int = 0,
) -> LNData:
    rng = np.random.default_rng(seed)
    filters = gabor_filters(n_neurons, size, rng)
    train = make_noise_images(n_train, size=size, exponent=0.5, random_state=rng)
    test = make_noise_images(n_test, size=size, exponent=0.5, random_state=rng)
    rates = ln_rates(filters, test)
    train_responses = rng.poisson(ln_rates(filters, train)).astype(np.float32)
    repeats = rng.poisson(np.repeat(rates[:, None], n_repeats, axis=1)).astype(np.float32)
    return LNData(filters, train, train_responses, test, rates, repeats)


def ln_recording(data: LNData) -> Recording:
    """The LN data as a Recording whose test images are repeated and marked by ``test_set``."""
    n_train, n_test = data.train_images.shape[0], data.test_images.shape[0]
    n_repeats = data.test_repeats.shape[1]
    responses = np.concatenate(
        [data.train_responses, data.test_repeats.reshape(-1, data.test_repeats.shape[2])]
    )
    image_id = np.concatenate(
        [np.arange(n_train), np.repeat(np.arange(n_test) + n_train, n_repeats)]
    )
    test_set = np.concatenate([np.zeros(n_train, int), np.ones(n_test * n_repeats, int)])
    return Recording(
        responses,
        stimulus={"image_id": image_id, "test_set": test_set},
        images=np.concatenate([data.train_images, data.test_images]),
        meta={"source": "synthetic LN neurons"},
    )


@pytest.fixture(scope="session")
def ln_data() -> LNData:
    return make_ln_data()


@pytest.fixture(autouse=True)
def _one_torch_thread(one_torch_thread):
    """Every test here trains tiny networks: on one torch thread (see tests/conftest.py)."""


@pytest.fixture(scope="session")
def trained_cnn(ln_data: LNData):
    """A CNN trained on the LN neurons (shared by the recovery tests)."""
    import torch

    from neurodl.encoding import CNNEncoder

    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        model = CNNEncoder(
            channels=(8,),
            kernel_sizes=(7,),
            downsample=1,
            max_iter=20,
            batch_size=32,
            random_state=0,
        )
        return model.fit(ln_data.train_images, ln_data.train_responses)
    finally:
        torch.set_num_threads(previous)


def orientation_tuned(
    orientations: np.ndarray, n_neurons: int, noise: float, rng: np.random.Generator
) -> np.ndarray:
    """Von Mises orientation tuning (period 180°) plus Gaussian noise, z-scored per neuron.

    Like the curriculum's V1 responses: normalised, of either sign, one row per orientation.
    """
    preferred = rng.uniform(0, 180, n_neurons)
    width = rng.uniform(1.0, 3.0, n_neurons)
    delta = np.deg2rad(2 * (orientations[:, None] - preferred))
    rates = np.exp(width * (np.cos(delta) - 1))
    responses = rates + noise * rng.standard_normal(rates.shape)
    return ((responses - responses.mean(0)) / responses.std(0)).astype(np.float32)


def write_curriculum_files(directory, n_neurons: int = 12, seed: int = 0) -> dict:
    """The curriculum's two gratings-only layouts as tiny .npz files in ``directory``.

    ``resp`` (360 one-degree bins) + ``stimuli``, and the 6° split ``resp_train`` / ``resp_test``
    (60 bins, independent noise) + ``stimuli``.
    """
    rng = np.random.default_rng(seed)
    one_degree = directory / "one_degree.npz"
    stimuli = np.arange(360.0)
    np.savez(one_degree, resp=orientation_tuned(stimuli, n_neurons, 0.3, rng), stimuli=stimuli)
    split = directory / "split.npz"
    stimuli = np.arange(0.0, 360.0, 6.0)
    both = orientation_tuned(np.concatenate([stimuli, stimuli]), n_neurons, 0.3, rng)
    np.savez(split, resp_train=both[:60], resp_test=both[60:], stimuli=stimuli)
    return {"one_degree": one_degree, "split": split}
