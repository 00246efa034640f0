"""Tests of the HTML report and the data plots."""

from __future__ import annotations

import base64
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest

from neurodl.data.recording import Recording
from neurodl.data.tuning import compute_preferred_orientation, compute_tuning_curves
from neurodl.exceptions import NeurodlValueError
from neurodl.plotting.data import plot_raster, plot_tuning_curves
from neurodl.report import ReportSection, render_report
from neurodl.results import AnalysisResult


def _tuned(rng: np.random.Generator, n_trials: int = 600, n_neurons: int = 40) -> Recording:
    theta = rng.uniform(0, 360, n_trials)
    preferred = np.linspace(0, 360, n_neurons, endpoint=False)
    mean = 1 + 2 * np.exp(2 * (np.cos(np.deg2rad(theta[:, None] - preferred)) - 1))
    responses = mean + 0.3 * rng.standard_normal(mean.shape)
    grid = np.arange(360.0)
    tuning = 1 + 2 * np.exp(2 * (np.cos(np.deg2rad(grid[None, :] - preferred[:, None])) - 1))
    return Recording(responses, stimulus={"orientation": theta}, neurons={"tuning": tuning})


def test_preferred_orientation_recovers_truth(rng):
    rec = _tuned(rng)
    preferred, strength = compute_preferred_orientation(rec.responses, rec.orientation)
    truth = np.linspace(0, 360, 40, endpoint=False)
    error = (preferred - truth + 180) % 360 - 180
    assert np.abs(error).max() < 10
    flat = compute_preferred_orientation(rng.standard_normal((600, 3)), rec.orientation)[1]
    assert strength.min() > 3 * flat.max()


def test_tuning_curves_match_binned_means(rng):
    rec = _tuned(rng)
    centres, mean, sem = compute_tuning_curves(rec.responses, rec.orientation, n_bins=12)
    assert centres[0] == 15 and mean.shape == (12, 40)
    in_bin = (rec.orientation >= 30) & (rec.orientation < 60)
    np.testing.assert_allclose(mean[1], rec.responses[in_bin].mean(0), rtol=1e-5)
    expected_sem = rec.responses[in_bin].std(0, ddof=1) / np.sqrt(in_bin.sum())
    np.testing.assert_allclose(sem[1], expected_sem, rtol=1e-4)
    with pytest.raises(NeurodlValueError, match="n_bins must be >= 2"):
        compute_tuning_curves(rec.responses, rec.orientation, n_bins=1)
    with pytest.raises(NeurodlValueError, match="orientation must have shape"):
        compute_tuning_curves(rec.responses, rec.orientation[:5])


def test_data_plots(rng):
    rec = _tuned(rng)
    ax = plot_raster(rec, n_bins=36)
    assert ax.get_xlabel() == "Stimulus orientation (°)"
    image = ax.images[0].get_array()
    # sorted by preference: the peak bin moves rightwards down the rows
    peaks = np.nanargmax(np.asarray(image), axis=1)
    assert np.corrcoef(np.arange(peaks.size), peaks)[0, 1] > 0.8
    _fig, axes = plt.subplots(1, 2)
    assert plot_tuning_curves(rec, n_neurons=3, ax=axes[0]) is axes[0]
    assert len(axes[0].lines) >= 3  # measured (errorbar) and dashed truth lines


def test_report_is_self_contained(rng):
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    result = AnalysisResult(metrics={"x": 1.0}, figures={"a line": fig}, summary=["x is one."])
    section = ReportSection.from_result("Decoding", "Why.", result, [("x", "1.00", "one <b>")])
    page = render_report([ReportSection("Data"), section], title="T & T")
    assert page.startswith("<!DOCTYPE html>")
    assert 'id="decoding"' in page and 'href="#decoding"' in page
    assert "one &lt;b&gt;" in page and "T &amp; T" in page
    uris = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(uris) == 1
    assert base64.b64decode(uris[0]).startswith(b"\x89PNG")
    assert not re.search(r'(src|href)="(http|//)', page)


def test_report_layout_captions_minus_signs_and_zoom():
    narrow, _ = plt.subplots(figsize=(4, 3))
    wide, _ = plt.subplots(figsize=(20, 3))
    rows = [("Layer fc_relu", "-0.004 [-0.07, 0.06]", "left-right, 1–5 repeats, x-1")]
    section = ReportSection("Comparison", rows=rows, figures={"feve_vs_fev": narrow, "rdms": wide})
    page = render_report([section])
    assert "\u22120.004 [\u22120.07, 0.06]" in page
    assert "Layer fc_relu" in page and "left-right, 1–5 repeats, x-1" in page
    assert 'alt="FEVE vs. FEV"' in page and 'alt="RDMs"' in page
    # only the figure too wide for the page links to its full-size view, and back
    assert page.count('<figure id="') == 1
    assert 'href="#comparison-fig2"' in page and 'id="comparison-fig2-fit"' in page
    for target in re.findall(r'href="#([^"]+)"', page):
        assert f'id="{target}"' in page
    widths = [int(w) for w in re.findall(r'<img [^>]*width="(\d+)"', page)]
    assert len(widths) == 2 and widths[0] < 600 < widths[1]
    plt.close(narrow)
    plt.close(wide)
