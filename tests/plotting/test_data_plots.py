"""Figures of a recording, checked for what they show."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurodl import simulate_v1
from neurodl.plotting import plot_raster, plot_tuning_curves


@pytest.fixture(scope="module")
def recording():
    return simulate_v1(n_neurons=50, n_trials=400, random_state=0)


def test_raster_shows_every_neuron_and_orientation(recording):
    ax = plot_raster(recording, n_bins=36, max_rows=20)
    (image,) = ax.get_images()
    assert image.get_array().shape == (20, 36)  # rows: groups of neurons; columns: bins
    assert ax.get_xlabel() == "Stimulus orientation (°)"
    assert "sorted by preferred orientation" in ax.get_ylabel()
    assert image.get_extent() == [0, 360, 0, 50]
    low, high = image.get_clim()
    assert low == -high > -np.inf  # symmetric colour scale for z-scores
    values = np.asarray(image.get_array())
    assert np.nanmax(np.abs(values)) > 0.5  # z-scored rows: tuned neurons stand out
    plt.close(ax.figure)


def test_tuning_curves_measured_beside_truth(recording):
    fig, ax = plt.subplots()
    assert plot_tuning_curves(recording, n_neurons=3, n_bins=18, ax=ax) is ax
    dashed = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert len(dashed) == 3  # ground truth of each shown neuron (simulated data)
    measured = [c for c in ax.containers if hasattr(c, "lines")]
    assert len(measured) == 3
    x = measured[0].lines[0].get_xdata()
    assert x.size == 18 and 0 <= x.min() and x.max() <= 360
    assert ax.get_xlabel() == "Stimulus orientation (°)"
    plt.close(fig)
