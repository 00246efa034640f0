"""Tests of the Recording object and its helpers."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.data.recording import Recording
from neurodl.exceptions import DataValueError, NeurodlError, NeurodlValueError


def _recording(rng: np.random.Generator, n_images: int = 6, repeats: int = 3) -> Recording:
    image_id = np.repeat(np.arange(n_images), repeats)
    rng.shuffle(image_id)
    images = rng.standard_normal((n_images, 4, 5))
    signal = rng.standard_normal((n_images, 7))
    responses = signal[image_id] + 0.1 * rng.standard_normal((image_id.size, 7))
    return Recording(
        responses,
        stimulus={"image_id": image_id, "orientation": image_id * 30.0},
        images=images,
        neurons={"depth": np.arange(7.0), "position": rng.standard_normal((7, 2))},
        meta={"source": "test"},
    )


def test_types_and_shapes(rng):
    rec = _recording(rng)
    assert rec.responses.dtype == np.float32
    assert rec.images is not None and rec.images.dtype == np.float32
    assert (rec.n_trials, rec.n_neurons) == (18, 7)
    assert rec.has_repeats
    np.testing.assert_array_equal(rec.n_repeats, np.full(6, 3))
    assert "Recording(n_trials=18" in repr(rec)


def test_input_not_modified(rng):
    responses = rng.standard_normal((5, 3))
    before = responses.copy()
    rec = Recording(responses, stimulus={"orientation": np.arange(5.0)})
    rec.zscore().average_repeats()
    np.testing.assert_array_equal(responses, before)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"responses": np.ones(5)}, "responses must be 2-D"),
        ({"responses": np.ones((0, 3))}, "at least one trial and one neuron"),
        ({"responses": np.ones((3, 0))}, "at least one trial and one neuron"),
        ({"responses": np.array([[1.0, np.nan]])}, "NaN or inf"),
        ({"responses": np.array([["a", "b"]])}, "responses must be numeric"),
        ({"responses": np.ones((3, 2)), "stimulus": {"orientation": np.ones(4)}}, r"shape \(3,\)"),
        (
            {"responses": np.ones((2, 2)), "stimulus": {"orientation": np.array([1.0, np.inf])}},
            "'orientation' contains NaN",
        ),
        (
            {"responses": np.ones((2, 2)), "stimulus": {"x": np.array([None, 1], dtype=object)}},
            "must be numeric or text",
        ),
        ({"responses": np.ones((2, 2)), "images": np.ones((2, 3, 3))}, "no 'image_id'"),
        (
            {
                "responses": np.ones((2, 2)),
                "images": np.ones((3, 3)),
                "stimulus": {"image_id": [0, 1]},
            },
            "images must be 3-D",
        ),
        (
            {
                "responses": np.ones((2, 2)),
                "images": np.ones((2, 3, 3)),
                "stimulus": {"image_id": np.array([0, 2])},
            },
            r"image_id must lie in \[0, 2\)",
        ),
        ({"responses": np.ones((2, 2)), "stimulus": {"image_id": [0.5, 1]}}, "integers"),
        ({"responses": np.ones((2, 2)), "neurons": {"depth": np.ones(3)}}, "first dimension 2"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(DataValueError, match=match):
        Recording(**kwargs)


def test_errors_are_value_errors():
    with pytest.raises(ValueError):
        Recording(np.ones(3))
    assert issubclass(DataValueError, NeurodlError)


def test_condition_labels_first_appearance():
    rec = Recording(np.ones((5, 1)), stimulus={"orientation": np.array([90.0, 0, 90, 45, 0])})
    labels, index = rec.condition_labels()
    np.testing.assert_array_equal(labels, [90.0, 0.0, 45.0])
    np.testing.assert_array_equal(index, [0, 1, 0, 2, 1])
    with pytest.raises(NeurodlValueError, match="by must be one of"):
        rec.condition_labels("phase")


def test_average_and_stack_repeats(rng):
    rec = _recording(rng)
    avg = rec.average_repeats()
    labels, index = rec.condition_labels()
    assert avg.n_trials == labels.size
    for c in range(labels.size):
        np.testing.assert_allclose(avg.responses[c], rec.responses[index == c].mean(0), rtol=1e-5)
        assert avg.stimulus["image_id"][c] == labels[c]
    np.testing.assert_array_equal(avg.stimulus["n_repeats"], 3)
    assert avg.meta["preprocessing"] == ["average_repeats(by=None)"]
    stacked, stacked_labels = rec.stack_repeats()
    assert stacked.shape == (6, 3, 7)
    np.testing.assert_allclose(np.nanmean(stacked, axis=1), avg.responses, rtol=1e-5)
    np.testing.assert_array_equal(stacked_labels, labels)


def test_stack_repeats_pads_with_nan():
    rec = Recording(np.arange(3.0)[:, None], stimulus={"image_id": np.array([0, 0, 1])})
    stacked, _ = rec.stack_repeats()
    assert stacked.shape == (2, 2, 1)
    assert np.isnan(stacked[1, 1, 0]) and stacked[1, 0, 0] == 2.0


def test_select(rng):
    rec = _recording(rng)
    sub = rec.select(trials=np.arange(4), neurons=[1, 3])
    assert (sub.n_trials, sub.n_neurons) == (4, 2)
    np.testing.assert_array_equal(sub.responses, rec.responses[:4][:, [1, 3]])
    np.testing.assert_array_equal(sub.neurons["depth"], [1.0, 3.0])
    assert sub.neurons["position"].shape == (2, 2)
    mask = np.zeros(rec.n_trials, dtype=bool)
    mask[[0, 5]] = True
    assert rec.select(trials=mask).n_trials == 2
    with pytest.raises(NeurodlValueError, match="mask must have shape"):
        rec.select(trials=np.ones(3, dtype=bool))
    with pytest.raises(NeurodlValueError, match="out of range"):
        rec.select(neurons=[9])
    with pytest.raises(NeurodlValueError, match="1-D integer index"):
        rec.select(neurons=[0.5])


def test_zscore_with_training_statistics(rng):
    rec = _recording(rng)
    z = rec.zscore()
    np.testing.assert_allclose(z.responses.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(z.responses.std(0), 1, atol=1e-4)
    train, test = rec.split(0.5, random_state=0)
    mean, std = train.responses.mean(0), train.responses.std(0)
    zt = test.zscore(mean, std)
    np.testing.assert_allclose(zt.responses, (test.responses - mean) / std, rtol=1e-4, atol=1e-5)
    with pytest.raises(NeurodlValueError, match="mean and std must have shape"):
        rec.zscore(mean[:2], std)
    const = Recording(np.ones((4, 2)))
    np.testing.assert_array_equal(const.zscore().responses, 0)


def test_split_by_condition_keeps_repeats_together(rng):
    rec = _recording(rng, n_images=10)
    train, test = rec.split(0.3, random_state=1)
    assert train.n_trials + test.n_trials == rec.n_trials
    assert not set(train.stimulus["image_id"]) & set(test.stimulus["image_id"])
    assert len(set(test.stimulus["image_id"])) == 3
    again = rec.split(0.3, random_state=1)[1]
    np.testing.assert_array_equal(again.responses, test.responses)
    _t_train, t_test = rec.split(0.5, by="trial", random_state=0)
    assert t_test.n_trials == 15
    with pytest.raises(NeurodlValueError, match=r"test_size must lie in \(0, 1\)"):
        rec.split(1.5)
    with pytest.raises(NeurodlValueError, match="by must be one of"):
        rec.split(0.5, by="neuron")  # type: ignore[arg-type]
    with pytest.raises(NeurodlValueError, match="leaves no conditions"):
        rec.split(0.01)


def test_summary(rng):
    summary = _recording(rng).summary()
    assert summary["n_trials"] == 18 and summary["n_conditions"] == 6
    assert summary["stimulus"]["orientation"] == {"min": 0.0, "max": 150.0, "n_unique": 6}
    assert summary["images"] == [6, 4, 5]
    assert summary["repeats_min"] == summary["repeats_max"] == 3
    assert summary["has_ground_truth"] is False
