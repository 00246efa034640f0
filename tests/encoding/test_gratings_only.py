"""Encoding recordings of gratings without images: the curriculum's files, images rendered."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.data import Recording, load
from neurodl.encoding import run_encoding
from neurodl.encoding._run_settings import render_gratings
from neurodl.exceptions import NeurodlValueError
from neurodl.stimuli import make_grating

from .conftest import write_curriculum_files

#: benchmarks/seed_sweep.py, seeds 0-9: the quick CNN's correlation with the held-out
#: one-degree bins 0.694-0.746
ONE_DEGREE_CORR_MIN = 0.6


@pytest.fixture(scope="module")
def curriculum_files(tmp_path_factory):
    return write_curriculum_files(tmp_path_factory.mktemp("curriculum"))


def test_one_degree_file_is_fitted_on_rendered_gratings(curriculum_files):
    recording = load(curriculum_files["one_degree"])
    assert recording.images is None
    result = run_encoding(recording, quick=True, random_state=0)
    m = result.metrics
    assert m["images_rendered"] is True
    assert m["n_orientations"] == 360
    assert m["grating_size"] == [48, 64] and m["grating_profile"] == "square"
    assert m["grating_spatial_frequency"] == pytest.approx(3.638, abs=1e-3)
    assert (m["n_train_images"], m["n_test_images"]) == (324, 36)
    assert m["test_images_chosen_by"] == "random"  # one row per bin: no repeats, no ceiling
    assert m["feve_mean"] is None
    assert (m["output"], m["loss"], m["linear_output"]) == ("shifted_elu", "mse", "identity")
    assert m["corr_to_average_mean"] > ONE_DEGREE_CORR_MIN
    assert "reconstruction of the stimulus" in " ".join(result.summary)
    assert recording.images is None  # the input is not modified


def test_split_file_scores_against_its_two_repeats(curriculum_files):
    recording = load(curriculum_files["split"])
    result = run_encoding(recording, quick=True, random_state=0, grating_size=(24, 32))
    m = result.metrics
    assert m["n_orientations"] == 60 and m["grating_size"] == [24, 32]
    assert m["test_images_chosen_by"] == "most_repeats"
    assert (m["n_train_images"], m["n_test_images"]) == (54, 6)
    assert m["test_repeats_mean"] == 2.0
    assert np.isfinite(m["feve_mean"]) and np.isfinite(m["linear_feve_mean"])
    # a small training set still gets its 100 optimiser steps (one full batch an epoch)
    assert m["epochs"] >= 100 and result.parameters["encoder"]["batch_size"] == 54


def test_rendered_images_follow_the_options():
    orientation = np.array([0.0, 30.0, 0.0, 90.0])
    recording = Recording(np.ones((4, 2)), stimulus={"orientation": orientation})
    rendered, info = render_gratings(
        recording, size=(10, 12), spatial_frequency=2.0, phase=45.0, profile="sine"
    )
    np.testing.assert_array_equal(rendered.stimulus["image_id"], [0, 1, 0, 2])
    expected = make_grating(
        [0.0, 30.0, 90.0], size=(10, 12), spatial_frequency=2.0, phase=45.0, centre=(0.0, 0.0)
    )
    np.testing.assert_allclose(rendered.images, expected)
    assert info["grating_phase"] == 45.0 and info["grating_profile"] == "sine"
    assert recording.images is None and "image_id" not in recording.stimulus


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"grating_profile": "triangle"}, "grating_profile must be one of"),
        ({"grating_spatial_frequency": 0.0}, "grating_spatial_frequency must be a number > 0"),
        ({"grating_size": (48.5, 64)}, "grating_size must be"),
        ({"grating_phase": float("nan")}, "grating_phase must be a finite number"),
    ],
)
def test_bad_grating_options(options, match):
    recording = Recording(np.ones((8, 2)), stimulus={"orientation": np.arange(8.0) * 20})
    with pytest.raises(NeurodlValueError, match=match):
        run_encoding(recording, model="linear", **options)
