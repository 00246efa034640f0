"""Round trips and readers of neurodl.data.io: neurodl npz, HDF5, curriculum npz, Stringer npy."""

from __future__ import annotations

import os

import h5py
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from neurodl.data import Recording, load, save
from neurodl.data._formats_common import decode_meta, encode_meta, read_table
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError

from _io_helpers import assert_same, assert_same_meta, make_recording  # isort: skip


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("suffix", [".npz", ".h5", ".hdf5"])
@pytest.mark.parametrize("compression", [False, True])
def test_round_trip_is_exact(tmp_path, rng, suffix, compression):
    recording = make_recording(rng)
    path = save(recording, tmp_path / f"rec{suffix}", compression=compression)
    assert path == tmp_path / f"rec{suffix}"
    loaded = load(path)
    assert_same(loaded, recording)
    assert loaded.stimulus["contrast"].dtype == np.float32
    assert loaded.neurons["cell_type"].dtype == recording.neurons["cell_type"].dtype
    assert loaded.neurons["is_red"].dtype == bool


def test_round_trip_without_optional_parts(tmp_path, rng):
    recording = Recording(rng.normal(size=(5, 3)))
    for name in ("a.npz", "a.h5"):
        assert_same(load(save(recording, tmp_path / name)), recording)


def test_npz_needs_no_pickle(tmp_path, rng):
    path = save(make_recording(rng), tmp_path / "rec.npz")
    with np.load(path, allow_pickle=False) as archive:
        assert archive["responses"].shape == (24, 7)
        assert archive["neuron_cell_type"].dtype.kind == "U"
        assert archive["meta"].shape == ()


def test_format_argument_overrides_extension(tmp_path, rng):
    recording = make_recording(rng)
    path = save(recording, tmp_path / "rec.data", format="hdf5")
    assert h5py.is_hdf5(path)
    assert_same(load(path, format="hdf5"), recording)


def test_save_is_atomic_and_leaves_no_temporary_files(tmp_path, rng, monkeypatch):
    recording = make_recording(rng)
    path = save(recording, tmp_path / "rec.npz")
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(np, "savez", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        save(recording.select(trials=slice(0, 3)), path)
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["rec.npz"]


def test_save_refuses_to_overwrite_when_told(tmp_path, rng):
    path = save(make_recording(rng), tmp_path / "rec.npz")
    with pytest.raises(NeurodlValueError, match=r"rec\.npz exists; pass overwrite=True"):
        save(make_recording(rng), path, overwrite=False)


def test_save_rejects_non_recording_and_missing_directory(tmp_path, rng):
    with pytest.raises(NeurodlTypeError, match="recording must be a neurodl Recording; got dict"):
        save({"responses": 1}, tmp_path / "x.npz")  # type: ignore[arg-type]
    with pytest.raises(NeurodlValueError, match="does not exist"):
        save(make_recording(rng), tmp_path / "missing" / "x.npz")


def test_save_rejects_unwritable_format(tmp_path, rng):
    with pytest.raises(ValueError, match=r"supported extensions are \.h5, \.hdf5, \.npz, \.nwb"):
        save(make_recording(rng), tmp_path / "x.npy")
    with pytest.raises(NeurodlValueError, match="format must be one of"):
        save(make_recording(rng), tmp_path / "x.npz", format="csv")


def test_save_rejects_reserved_names(tmp_path, rng):
    recording = Recording(rng.normal(size=(4, 2)), stimulus={"neuron_x": np.arange(4)})
    with pytest.raises(ValueError, match="stimulus variable 'neuron_x' cannot be saved"):
        save(recording, tmp_path / "x.npz")


def test_save_rejects_meta_that_json_cannot_hold(tmp_path, rng):
    recording = Recording(rng.normal(size=(4, 2)), meta={"model": object()})
    with pytest.raises(NeurodlTypeError, match=r"meta value meta\['model'\] has type object"):
        save(recording, tmp_path / "x.npz")
    recording = Recording(rng.normal(size=(4, 2)), meta={"a": {1: 2}})
    with pytest.raises(NeurodlTypeError, match="meta keys must be strings"):
        save(recording, tmp_path / "x.npz")
    assert not list(tmp_path.iterdir())


def test_meta_codec_keeps_arrays_scalars_and_nan():
    meta = {
        "a": np.array([[1.5, np.nan], [np.inf, -0.0]], dtype=np.float32),
        "s": np.array(["x", "yz"]),
        "i": np.int16(-3),
        "c": np.array([1 + 2j]),
        "nested": [{"b": np.arange(3, dtype=np.uint8)}],
    }
    back = decode_meta(encode_meta(meta), "m")  # type: ignore[arg-type]
    assert_same_meta(back, {**meta})


@settings(max_examples=20, deadline=None)
@given(
    n_trials=st.integers(1, 6),
    n_neurons=st.integers(1, 5),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([1e-30, 1.0, 3e38]),
    label=st.text(alphabet="abcé中 ", max_size=4),
)
def test_npz_round_trip_property(tmp_path_factory, n_trials, n_neurons, seed, scale, label):
    rng = np.random.default_rng(seed)
    recording = Recording(
        (rng.uniform(-1, 1, (n_trials, n_neurons)) * scale).astype(np.float32),
        stimulus={"orientation": rng.uniform(0, 360, n_trials), "label": np.full(n_trials, label)},
        neurons={"depth": rng.integers(-5, 5, n_neurons)},
        meta={"label": label, "x": rng.normal(size=(n_neurons, 2))},
    )
    path = save(recording, tmp_path_factory.mktemp("prop") / "r.npz")
    assert_same(load(path), recording)


# ---------------------------------------------------------------------------- subsets
@pytest.mark.parametrize("suffix", [".npz", ".h5"])
@pytest.mark.parametrize(
    ("trials", "neurons"),
    [
        (None, None),
        (slice(2, 9), None),
        (None, [6, 0, 3]),
        ([5, 1, 1, -1], slice(None, None, 2)),
        (np.arange(24) % 4 == 0, np.array([True, False] * 3 + [True])),
        ([0, 2, 4, 10, 11], [1, 3, 4]),
    ],
)
def test_subset_reads_match_select(tmp_path, rng, suffix, trials, neurons):
    recording = make_recording(rng)
    path = save(recording, tmp_path / f"rec{suffix}")
    expected = recording.select(trials=trials, neurons=neurons)
    assert_same(load(path, trials=trials, neurons=neurons), expected)


@pytest.mark.parametrize("suffix", [".npz", ".h5"])
def test_subset_out_of_range_is_refused(tmp_path, rng, suffix):
    path = save(make_recording(rng), tmp_path / f"rec{suffix}")
    with pytest.raises(NeurodlValueError, match="trials index out of range for 24 trials"):
        load(path, trials=[0, 24])
    with pytest.raises(NeurodlValueError, match=r"neurons mask must have shape \(7,\)"):
        load(path, neurons=np.ones(3, dtype=bool))
    with pytest.raises(NeurodlValueError, match="neurons must be a 1-D integer index"):
        load(path, neurons=[0.5])


class _CountingDataset:
    """Wraps an array like an h5py dataset and records the size of each read."""

    def __init__(self, array):
        self.array, self.shape, self.dtype, self.reads = array, array.shape, array.dtype, []

    def __getitem__(self, key):
        out = self.array[key]
        self.reads.append(out.size)
        return out


def test_read_table_reads_only_selected_blocks(rng):
    data = rng.normal(size=(1000, 50))
    dataset = _CountingDataset(data)
    rows, cols = np.array([900, 3, 500, 3]), np.array([40, 2, 7])
    out = read_table(dataset, rows, cols, max_elements=200)
    np.testing.assert_array_equal(out, data[rows][:, cols])
    assert max(dataset.reads) <= 200 and sum(dataset.reads) < data.size / 10


def test_hdf5_subset_reads_only_requested_hyperslab(tmp_path, rng, monkeypatch):
    path = save(make_recording(rng, n_trials=400, n_neurons=30), tmp_path / "big.h5")
    reads = []
    original = h5py.Dataset.__getitem__

    def spy(self, key):
        out = original(self, key)
        if self.name == "/responses":
            reads.append(np.asarray(out).size)
        return out

    monkeypatch.setattr(h5py.Dataset, "__getitem__", spy)
    loaded = load(path, trials=slice(100, 110), neurons=[3, 4])
    assert loaded.responses.shape == (10, 2)
    assert sum(reads) == 20


# ---------------------------------------------------------------------------- other layouts
def test_curriculum_one_degree_file(tmp_path, rng):
    resp = rng.normal(size=(360, 9))
    np.savez(tmp_path / "c.npz", resp=resp, stimuli=np.arange(360))
    recording = load(tmp_path / "c.npz")
    np.testing.assert_array_equal(recording.responses, resp.astype(np.float32))
    np.testing.assert_array_equal(recording.orientation, np.arange(360.0))
    assert "trial-averaged" in recording.meta["preprocessing"]
    assert not recording.has_repeats


def test_curriculum_split_file_gives_two_repeats(tmp_path, rng):
    train, test = rng.normal(size=(60, 5)), rng.normal(size=(60, 5))
    np.savez(tmp_path / "s.npz", resp_train=train, resp_test=test, stimuli=np.arange(60) * 6.0)
    recording = load(tmp_path / "s.npz", neurons=[4, 0])
    assert recording.n_trials == 120
    np.testing.assert_array_equal(recording.responses[:60], train[:, [4, 0]].astype(np.float32))
    np.testing.assert_array_equal(recording.responses[60:], test[:, [4, 0]].astype(np.float32))
    np.testing.assert_array_equal(recording.stimulus["repeat"], np.repeat([0, 1], 60))
    assert recording.n_repeats.tolist() == [2] * 60
    stacked, labels = recording.stack_repeats()
    np.testing.assert_array_equal(labels, np.arange(60) * 6.0)
    np.testing.assert_array_equal(stacked[:, 1], test[:, [4, 0]].astype(np.float32))


def test_stringer_npy_with_trust(tmp_path, rng):
    n_neurons, n_trials = 6, 10
    sresp = rng.normal(size=(n_neurons, n_trials))
    istim = rng.uniform(-np.pi, 2 * np.pi, n_trials)
    content = {
        "sresp": sresp,
        "istim": istim,
        "xpos": rng.uniform(0, 500, n_neurons),
        "ypos": rng.uniform(0, 500, n_neurons),
        "frame_start": np.arange(n_trials) * 7,
        "run_speed": rng.random(n_trials),
        "stat": [{"med": 1}],
    }
    np.save(tmp_path / "gratings.npy", content, allow_pickle=True)
    recording = load(tmp_path / "gratings.npy", allow_pickle=True, trials=[9, 0])
    np.testing.assert_array_equal(recording.responses, sresp.T[[9, 0]].astype(np.float32))
    np.testing.assert_allclose(recording.orientation, np.degrees(istim[[9, 0]]) % 360)
    assert ((recording.orientation >= 0) & (recording.orientation < 360)).all()
    np.testing.assert_array_equal(recording.stimulus["frame_start"], [63, 0])
    np.testing.assert_array_equal(recording.neurons["xpos"], content["xpos"])
    assert recording.neurons["position"].shape == (n_neurons, 2)
    assert recording.meta["ignored_keys"] == ["stat"]
