"""Shared helpers of the io tests: a recording with every kind of content, and exact comparison."""

from __future__ import annotations

import numpy as np

from neurodl.data import Recording


def make_recording(rng: np.random.Generator, n_trials: int = 24, n_neurons: int = 7) -> Recording:
    """A small recording with every kind of content a file must keep."""
    n_images = 6
    return Recording(
        rng.normal(size=(n_trials, n_neurons)),
        stimulus={
            "orientation": rng.uniform(0, 360, n_trials),
            "image_id": np.arange(n_trials) % n_images,
            "contrast": rng.choice([0.5, 1.0], n_trials).astype(np.float32),
            "category": rng.choice(["a", "bb"], n_trials),
            "test_set": (np.arange(n_trials) % 3 == 0).astype(np.int8),
        },
        images=rng.normal(size=(n_images, 5, 4)),
        neurons={
            "preferred_orientation": rng.uniform(0, 360, n_neurons),
            "position": rng.normal(size=(n_neurons, 2)).astype(np.float32),
            "tuning": rng.normal(size=(n_neurons, 3, 2)),
            "cell_type": rng.choice(["simple", "complex", "untuned"], n_neurons),
            "is_red": rng.random(n_neurons) > 0.5,
        },
        meta={
            "source": "test",
            "units": "dF/F",
            "preprocessing": ["zscore", "average"],
            "ground_truth": {
                "fisher_information": rng.random(36),
                "orientation_grid": np.arange(36, dtype=np.float32) * 10,
                "noise": {"sd": np.float32(0.25), "shape": (2, 3), "nan": np.array([np.nan, 1])},
            },
            "n": 3,
            "flag": True,
            "none": None,
            "ratio": 0.1,
        },
    )


def assert_same_meta(got: object, expected: object) -> None:
    if isinstance(expected, dict):
        assert isinstance(got, dict) and set(got) == set(expected)
        for key in expected:
            assert_same_meta(got[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert isinstance(got, list) and len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert_same_meta(a, b)
    elif isinstance(expected, (np.ndarray, np.generic)):
        assert type(got) is type(expected)
        got_array = np.asarray(got)
        assert got_array.dtype == np.asarray(expected).dtype
        np.testing.assert_array_equal(got_array, expected)
    else:
        assert type(got) is type(expected) and got == expected


def assert_same(got: Recording, expected: Recording, *, meta: bool = True) -> None:
    np.testing.assert_array_equal(got.responses, expected.responses)
    assert got.responses.dtype == np.float32
    assert set(got.stimulus) == set(expected.stimulus)
    for key, values in expected.stimulus.items():
        np.testing.assert_array_equal(got.stimulus[key], values)
        assert got.stimulus[key].dtype.kind == values.dtype.kind, key
    if expected.images is None:
        assert got.images is None
    else:
        assert got.images is not None
        np.testing.assert_array_equal(got.images, expected.images)
    assert set(got.neurons) == set(expected.neurons)
    for key, values in expected.neurons.items():
        np.testing.assert_array_equal(got.neurons[key], values)
        assert got.neurons[key].shape == values.shape, key
        assert got.neurons[key].dtype.kind == values.dtype.kind, key
    if meta:
        assert_same_meta(got.meta, expected.meta)
