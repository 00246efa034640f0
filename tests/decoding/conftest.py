"""A small synthetic population: von Mises tuning plus Gaussian noise, seeded."""

from __future__ import annotations

import numpy as np
import pytest


def make_population(
    rng: np.random.Generator,
    n_trials: int = 400,
    n_neurons: int = 60,
    noise: float = 0.5,
    repeats: int = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Responses (float32), orientations (deg) and image ids of a tuned population."""
    n_images = n_trials // repeats
    theta_image = rng.uniform(0, 360, n_images)
    image_id = np.repeat(np.arange(n_images), repeats)
    theta = theta_image[image_id]
    preferred = rng.uniform(0, 360, n_neurons)
    kappa = rng.uniform(1.0, 3.0, n_neurons)
    phase = np.deg2rad(theta[:, None] - preferred[None, :])
    mean = np.exp(kappa * (np.cos(phase) - 1.0)) * 2.0 + 0.5
    responses = mean + noise * rng.standard_normal(mean.shape)
    return responses.astype(np.float32), theta, image_id


@pytest.fixture
def population(rng):
    responses, theta, _ = make_population(rng)
    return responses, theta


@pytest.fixture
def population_factory(rng):
    """``make(n_trials=..., n_neurons=..., noise=..., repeats=...)`` on the seeded generator."""

    def make(**options):
        return make_population(rng, **options)

    return make
