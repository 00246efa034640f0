"""Figures of brain-like networks: recovery confusion and accuracy, E/I weights, alignment."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurodl.exceptions import NeurodlValueError
from neurodl.plotting import (
    plot_alignment_angles,
    plot_ei_weights,
    plot_recovery_accuracy,
    plot_recovery_confusion,
)


def test_confusion_shows_row_fractions_with_labels():
    _, ax = plt.subplots()
    confusion = np.array([[18, 2], [5, 15]])
    assert plot_recovery_confusion(confusion, ["cnn", "dale"], title="t", ax=ax) is ax
    image = ax.images[0].get_array()
    np.testing.assert_allclose(image, [[0.9, 0.1], [0.25, 0.75]])
    assert [t.get_text() for t in ax.texts] == ["0.90", "0.10", "0.25", "0.75"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["cnn", "dale"]
    assert "generated" in ax.get_ylabel()
    with pytest.raises(NeurodlValueError, match="confusion must have shape"):
        plot_recovery_confusion(np.eye(3), ["a", "b"])
    plt.close("all")


def test_accuracy_lines_per_neuron_count_with_chance():
    _, ax = plt.subplots()
    accuracy = np.array([[1.0, 0.9], [0.7, 0.8], [0.5, 0.55]])
    plot_recovery_accuracy(
        [0.5, 2.0, 8.0], [50, 200], accuracy, accuracy - 0.1, accuracy + 0.05, chance=0.5, ax=ax
    )
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["chance", "50 neurons", "200 neurons"]
    assert ax.lines[0].get_ydata().tolist() == [1.0, 0.7, 0.5]
    assert ax.get_xscale() == "log"  # levels span more than 10x
    with pytest.raises(NeurodlValueError, match="accuracy must have shape"):
        plot_recovery_accuracy([1.0], [50, 200], accuracy)
    plt.close("all")


def test_ei_histograms_split_weights_by_the_sign_of_their_input():
    weights = np.array([[0.5, 0.2, -0.3], [0.1, 0.4, -0.6]])
    _, ax = plt.subplots()
    plot_ei_weights(weights, [True, True, False], bins=5, ax=ax)
    exc = sum(p.get_height() for p in ax.patches[:5])
    inh = sum(p.get_height() for p in ax.patches[5:])
    assert (exc, inh) == (4, 2)
    assert "excitatory (2)" in ax.get_legend().get_texts()[0].get_text()
    _, ax = plt.subplots()
    plot_ei_weights(np.ones((2, 3, 2, 2)), np.array([True, False, True]), ax=ax)
    with pytest.raises(NeurodlValueError, match="to match excitatory"):
        plot_ei_weights(weights, [True, False])
    plt.close("all")


def test_alignment_angles_one_line_per_layer_and_a_90_degree_line():
    _, ax = plt.subplots()
    plot_alignment_angles({"conv": [95.0, 80.0, 60.0], "fc": [90.0, 70.0, 50.0]}, ax=ax)
    assert len(ax.lines) == 3
    assert ax.lines[0].get_xdata().tolist() == [0, 1, 2]
    assert list(ax.lines[2].get_ydata()) == [90.0, 90.0]
    with pytest.raises(NeurodlValueError, match="at least one layer"):
        plot_alignment_angles({})
    plt.close("all")
