"""Encoding plots: they draw what they are given and refuse mismatched input."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.encoding import compute_filter_responses
from neurodl.exceptions import NeurodlValueError
from neurodl.plotting.encoding import (
    plot_activation_grid,
    plot_feve_histogram,
    plot_feve_vs_fev,
    plot_filter_bank,
    plot_predicted_vs_measured,
    plot_receptive_fields,
    plot_tuning_comparison,
)
from neurodl.stimuli import filter_bank_names, make_filter_bank, make_grating


def test_filter_bank_and_activation_grid():
    bank = make_filter_bank(7)
    fig = plot_filter_bank(bank, names=filter_bank_names())
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == filter_bank_names()
    images = make_grating([0.0, 45.0, 90.0], size=(16, 16))
    fig = plot_activation_grid(images, compute_filter_responses(images, bank), max_images=2)
    assert len(fig.axes) == 2 * 7
    with pytest.raises(NeurodlValueError, match="names must have one entry per filter"):
        plot_filter_bank(bank, names=["a"])
    with pytest.raises(NeurodlValueError, match="the same n_images"):
        plot_activation_grid(images, np.zeros((2, 6, 16, 16)))


def test_feve_plots(rng):
    fev = rng.uniform(0, 1, 50)
    feve = rng.uniform(0, 1, 50)
    ax = plot_feve_vs_fev(fev, feve)
    assert ax.get_xlabel().startswith("Fraction of explainable variance")
    used = ax.collections[1].get_offsets()
    assert len(used) == int(np.sum(fev > 0.15))
    ax = plot_feve_histogram({"CNN": feve, "linear": feve / 2})
    assert len(ax.patches) == 2
    with pytest.raises(NeurodlValueError, match="same shape"):
        plot_feve_vs_fev(fev, feve[:3])


def test_prediction_rf_and_tuning_plots(rng):
    measured = rng.standard_normal((30, 5))
    fig = plot_predicted_vs_measured(measured, measured * 2, neurons=[1, 3])
    assert fig.axes[0].get_title() == "neuron 1: r = 1.00"
    fig = plot_receptive_fields(rng.standard_normal((4, 8, 10)), n_cols=2)
    assert len(fig.axes) == 4
    grid = np.arange(0, 360, 30.0)
    fig = plot_tuning_comparison(grid, rng.random((12, 3)), rng.random((360, 3)), n_neurons=2)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 2
    with pytest.raises(NeurodlValueError, match="share a 2-D shape"):
        plot_predicted_vs_measured(measured, measured[:, :2])
    with pytest.raises(NeurodlValueError, match="maps must have shape"):
        plot_receptive_fields(np.zeros((4, 4)))
    with pytest.raises(NeurodlValueError, match=r"predicted must have shape \(12, n_neurons\)"):
        plot_tuning_comparison(grid, np.zeros((5, 2)))


def test_feve_plots_keep_the_reported_mean_and_show_every_point(rng):
    values = np.r_[rng.uniform(0.5, 1.4, 20), -40.0]  # one neuron far below the axis
    ax = plot_feve_histogram({"CNN": values})
    assert f"mean {values.mean():.2f}" in ax.get_legend().get_texts()[0].get_text()
    fev = np.r_[rng.uniform(0.2, 0.6, 20), 0.18]
    ax = plot_feve_vs_fev(fev, values)
    _low, high = ax.get_ylim()
    assert high >= values[:-1].max()  # FEVE above the ceiling stays visible
    assert any("outside" in t.get_text() for t in ax.get_legend().get_texts())


def test_tuning_comparison_labels_what_is_measured(rng):
    grid = np.arange(0, 360, 30.0)
    fig = plot_tuning_comparison(
        grid, rng.random((12, 2)), rng.random((36, 2)), measured_label="true (simulator)"
    )
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert labels == ["model (in-silico gratings)", "true (simulator)"]
    assert fig.axes[0].get_legend() is None  # one legend above the panels, none inside
    fig = plot_tuning_comparison(grid, rng.random((12, 2)), neuron_ids=[40, 7])
    assert [ax.get_title() for ax in fig.axes] == ["neuron 40", "neuron 7"]
