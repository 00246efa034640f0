"""Movement figures: content, not pixels."""

from __future__ import annotations

import numpy as np

from neurodl.plotting.pose import (
    plot_features_vs_reference,
    plot_roc,
    plot_skeleton_over_time,
    plot_surprise_by_group,
)
from neurodl.pose import simulate_infant_movements


def test_skeleton_over_time_draws_stick_figures():
    pose = simulate_infant_movements(1, duration=4.0, nuisance=0.0, random_state=0)[0]
    ax = plot_skeleton_over_time(pose, n_figures=4)
    assert len(ax.lines) >= 4 * len(pose.skeleton)
    assert len(ax.texts) == 4 and ax.yaxis_inverted()


def test_features_roc_and_groups(rng):
    ref = rng.normal(size=(20, 5))
    ax = plot_features_vs_reference(ref, ref[0] + 3, ["a", "b", "c", "d", "e"])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c", "d", "e"]
    y = np.r_[np.zeros(10), np.ones(10)]
    ax = plot_roc(y, y + rng.normal(size=20), auc_ci=(0.6, 0.9))
    assert "[0.60, 0.90]" in ax.get_legend().get_texts()[0].get_text()
    ax = plot_surprise_by_group([1, 2, 3, 4], ["ref", "ref", "test", "test"], threshold=2.5)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ref", "test"]
    assert len(ax.collections) == 2
