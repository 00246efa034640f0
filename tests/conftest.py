"""Shared fixtures: seeded random generators and a headless matplotlib."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest


@pytest.fixture
def rng() -> np.random.Generator:
    """A seeded generator so that every test sees the same data."""
    return np.random.default_rng(12345)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close figures that a test made, so memory does not grow across the suite."""
    yield
    import matplotlib.pyplot as plt

    plt.close("all")
