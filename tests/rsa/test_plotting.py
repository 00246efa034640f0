import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurodl.exceptions import NeurodlValueError
from neurodl.plotting.rsa import (
    plot_embedding,
    plot_layer_similarity,
    plot_layer_tuning,
    plot_rdm,
    plot_rdm_rows,
)


@pytest.fixture
def ring(rng):
    theta = np.arange(0, 360, 30.0)
    patterns = np.stack([np.cos(np.deg2rad(theta)), np.sin(np.deg2rad(theta))], 1)
    patterns = patterns + 0.01 * rng.standard_normal(patterns.shape)
    rdm = ((patterns[:, None] - patterns[None]) ** 2).sum(-1)
    return theta, patterns, rdm


def test_plots_draw_on_given_axes(ring):
    theta, patterns, rdm = ring
    _, ax = plt.subplots()
    assert plot_rdm(rdm, theta, title="x", ax=ax) is ax
    assert len(ax.images) == 1
    _, ax = plt.subplots()
    assert plot_rdm_rows(rdm, theta, at=(0, 90), ax=ax) is ax
    assert len(ax.lines) == 2
    _, ax = plt.subplots()
    plot_layer_similarity(["a", "b"], [0.2, 0.5], [0.1, 0.4], [0.3, 0.6], (0.6, 0.8), ax=ax)
    assert len(ax.patches) >= 2
    _, ax = plt.subplots()
    assert plot_layer_tuning({"a": patterns, "b": patterns}, theta, ax=ax) is ax
    assert len(ax.lines) == 2 and len(ax.get_legend().get_texts()) == 2
    line = ax.lines[0]
    assert line.get_xdata()[np.nanargmax(line.get_ydata())] == 0  # aligned at the preferred
    _, ax = plt.subplots()
    plot_rdm(rdm, theta, rank=True, colorbar=False, ax=ax)
    assert ax.images[0].get_array().max() <= 100 and len(ax.figure.axes) == 1
    for method in ("pca", "mds", "tsne"):
        ax = plot_embedding(patterns, theta, method=method)
        assert ax.get_xlabel() == f"{method.upper()} 1"


def test_pca_embedding_recovers_ring(ring):
    theta, patterns, _ = ring
    ax = plot_embedding(patterns * 5, theta)
    xy = ax.collections[0].get_offsets()
    radius = np.hypot(xy[:, 0], xy[:, 1])
    assert radius.std() / radius.mean() < 0.05


def test_plot_errors(ring):
    theta, patterns, rdm = ring
    with pytest.raises(NeurodlValueError, match="rdm must be square"):
        plot_rdm(np.ones((2, 3)))
    with pytest.raises(NeurodlValueError, match="to match orientation"):
        plot_rdm_rows(rdm[:3, :3], theta)
    with pytest.raises(NeurodlValueError, match="one value per name"):
        plot_layer_similarity(["a"], [0.1, 0.2])
    with pytest.raises(NeurodlValueError, match="rows"):
        plot_layer_tuning({"a": patterns[:3]}, theta)
    with pytest.raises(NeurodlValueError, match="method must be one of"):
        plot_embedding(patterns, theta, method="umap")
    with pytest.raises(NeurodlValueError, match="patterns must have shape"):
        plot_embedding(patterns[:3], theta)
