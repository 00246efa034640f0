"""Every bad-input branch of the npz, npy and HDF5 readers gives one clear NeurodlError."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from neurodl.data import Recording, load, save
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlError, UnsafeFileError


def _npz(tmp_path, **arrays):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    return path


def _h5(tmp_path, **arrays):
    path = tmp_path / "bad.h5"
    with h5py.File(path, "w") as handle:
        for key, value in arrays.items():
            handle.create_dataset(key, data=value)
    return path


def _good(tmp_path, rng, name="good.npz"):
    recording = Recording(
        rng.normal(size=(400, 30)),
        stimulus={"orientation": rng.uniform(0, 360, 400)},
        meta={"source": "test"},
    )
    return save(recording, tmp_path / name)


# ---------------------------------------------------------------------------- the file itself
@pytest.mark.parametrize("name", ["none.npz", "none.npy", "none.h5", "none.nwb"])
def test_missing_file(tmp_path, name):
    with pytest.raises(DataFormatError, match=rf"{name}: no such file"):
        load(tmp_path / name)


def test_directory_is_not_a_file(tmp_path):
    (tmp_path / "d.npz").mkdir()
    with pytest.raises(DataFormatError, match=r"d\.npz: not a file"):
        load(tmp_path / "d.npz")


def test_unknown_extension_lists_supported(tmp_path):
    (tmp_path / "x.csv").write_text("1,2\n")
    with pytest.raises(
        DataFormatError,
        match=r"x\.csv: unknown file extension '\.csv'; supported extensions are "
        r"\.h5, \.hdf5, \.npy, \.npz, \.nwb",
    ):
        load(tmp_path / "x.csv")


def test_unknown_format_argument(tmp_path):
    with pytest.raises(
        NeurodlError, match=r"format must be one of \{'hdf5', 'npy', 'npz', 'nwb'\}"
    ):
        load(tmp_path / "x.npz", format="mat")


def test_text_file_renamed_npz(tmp_path):
    (tmp_path / "x.npz").write_text("responses,orientation\n1,2\n")
    with pytest.raises(DataFormatError, match=r"x\.npz: not an \.npz archive"):
        load(tmp_path / "x.npz")


def test_npz_cut_in_half(tmp_path, rng):
    path = _good(tmp_path, rng)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(
        DataFormatError, match=r"good\.npz: the \.npz archive is truncated or corrupt"
    ):
        load(path)


def test_npz_with_damaged_member(tmp_path, rng):
    path = tmp_path / "c.npz"
    recording = Recording(rng.normal(size=(400, 30)))
    save(recording, path, compression=True)
    data = bytearray(path.read_bytes())
    middle = len(data) // 3
    data[middle : middle + 64] = bytes(64)
    path.write_bytes(bytes(data))
    with pytest.raises(DataFormatError, match=r"c\.npz: .*(truncated or corrupt|corrupt)"):
        load(path)


def test_text_file_renamed_h5(tmp_path):
    (tmp_path / "x.h5").write_text("not hdf5 at all\n")
    with pytest.raises(DataFormatError, match=r"x\.h5: not an HDF5 file"):
        load(tmp_path / "x.h5")


def test_truncated_h5(tmp_path, rng):
    path = _good(tmp_path, rng, "good.h5")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"good\.h5: .*truncated or corrupt"):
        load(path)


# ---------------------------------------------------------------------------- missing keys
def test_npz_without_responses(tmp_path):
    path = _npz(tmp_path, orientation=np.arange(3.0))
    with pytest.raises(
        DataFormatError, match=r"bad\.npz: missing array 'responses' .*found \['orientation'\]"
    ):
        load(path)


def test_h5_without_responses(tmp_path):
    path = _h5(tmp_path, orientation=np.arange(3.0))
    with pytest.raises(DataFormatError, match=r"bad\.h5: missing dataset 'responses'"):
        load(path)


def test_h5_responses_group(tmp_path):
    path = tmp_path / "g.h5"
    with h5py.File(path, "w") as handle:
        handle.create_group("responses")
    with pytest.raises(DataFormatError, match="'responses' must be a dataset; got a Group"):
        load(path)


def test_curriculum_without_stimuli(tmp_path, rng):
    path = _npz(tmp_path, resp=rng.normal(size=(360, 4)))
    with pytest.raises(DataFormatError, match=r"bad\.npz: missing array 'stimuli'"):
        load(path)


def test_curriculum_split_without_test_half(tmp_path, rng):
    path = _npz(tmp_path, resp_train=rng.normal(size=(60, 4)), stimuli=np.arange(60))
    with pytest.raises(DataFormatError, match="missing array 'resp_test'"):
        load(path)


def test_stringer_without_sresp(tmp_path):
    np.save(tmp_path / "s.npy", {"istim": np.zeros(3)}, allow_pickle=True)
    with pytest.raises(DataFormatError, match=r"s\.npy: missing key 'sresp'"):
        load(tmp_path / "s.npy", allow_pickle=True)


# ---------------------------------------------------------------------------- shapes and values
def test_npz_responses_not_2d(tmp_path):
    path = _npz(tmp_path, responses=np.zeros(5))
    with pytest.raises(
        DataValueError, match=r"bad\.npz: 'responses' must be 2-D .*got shape \(5,\)"
    ):
        load(path)


def test_h5_responses_not_2d(tmp_path):
    path = _h5(tmp_path, responses=np.zeros((2, 3, 4)))
    with pytest.raises(DataValueError, match=r"bad\.h5: 'responses' must be 2-D"):
        load(path)


def test_curriculum_resp_not_2d(tmp_path):
    path = _npz(tmp_path, resp=np.zeros(360), stimuli=np.arange(360))
    with pytest.raises(DataValueError, match="'resp' must be 2-D"):
        load(path)


def test_stringer_sresp_not_2d(tmp_path):
    np.save(tmp_path / "s.npy", {"sresp": np.zeros(3), "istim": np.zeros(3)}, allow_pickle=True)
    with pytest.raises(DataValueError, match=r"s\.npy: 'sresp' must be 2-D"):
        load(tmp_path / "s.npy", allow_pickle=True)


def test_npz_trial_length_disagrees(tmp_path):
    path = _npz(tmp_path, responses=np.zeros((4, 2)), orientation=np.zeros(5))
    with pytest.raises(
        DataValueError,
        match=r"bad\.npz: per-trial array 'orientation' must have shape \(4,\) .*got \(5,\)",
    ):
        load(path)


def test_h5_trial_length_disagrees(tmp_path):
    path = _h5(tmp_path, responses=np.zeros((4, 2)), orientation=np.zeros(3))
    with pytest.raises(DataValueError, match=r"bad\.h5: per-trial array 'orientation'"):
        load(path)


def test_npz_neuron_length_disagrees(tmp_path):
    path = _npz(tmp_path, responses=np.zeros((4, 2)), neuron_depth=np.zeros(3))
    with pytest.raises(DataValueError, match="per-neuron array 'neuron_depth' must have first"):
        load(path)


def test_curriculum_stimuli_length_disagrees(tmp_path):
    path = _npz(tmp_path, resp=np.zeros((360, 2)), stimuli=np.arange(180))
    with pytest.raises(DataValueError, match=r"per-trial array 'stimuli' must have shape \(360,\)"):
        load(path)


def test_curriculum_split_halves_disagree(tmp_path):
    path = _npz(tmp_path, resp_train=np.zeros((60, 2)), resp_test=np.zeros((60, 3)), stimuli=[0])
    with pytest.raises(DataValueError, match="'resp_train' and 'resp_test' must have the same"):
        load(path)


def test_stringer_istim_length_disagrees(tmp_path):
    np.save(
        tmp_path / "s.npy", {"sresp": np.zeros((2, 5)), "istim": np.zeros(3)}, allow_pickle=True
    )
    with pytest.raises(DataValueError, match=r"per-trial array 'istim' must have shape \(5,\)"):
        load(tmp_path / "s.npy", allow_pickle=True)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_npz_nan_or_inf(tmp_path, bad):
    responses = np.zeros((4, 2))
    responses[2, 1] = bad
    path = _npz(tmp_path, responses=responses)
    with pytest.raises(DataValueError, match=r"bad\.npz: responses contain NaN or inf"):
        load(path)


def test_h5_nan(tmp_path):
    path = _h5(tmp_path, responses=np.full((3, 2), np.nan))
    with pytest.raises(DataValueError, match=r"bad\.h5: responses contain NaN or inf"):
        load(path)


def test_stimulus_nan(tmp_path):
    path = _npz(tmp_path, responses=np.zeros((3, 2)), orientation=[0, np.nan, 1])
    with pytest.raises(DataValueError, match=r"bad\.npz: stimulus variable 'orientation' contains"):
        load(path)


def test_stringer_nan(tmp_path):
    sresp = np.zeros((2, 3))
    sresp[0, 0] = np.nan
    np.save(tmp_path / "s.npy", {"sresp": sresp, "istim": np.zeros(3)}, allow_pickle=True)
    with pytest.raises(DataValueError, match=r"s\.npy: responses contain NaN"):
        load(tmp_path / "s.npy", allow_pickle=True)


@pytest.mark.parametrize("shape", [(0, 3), (3, 0)])
def test_zero_trials_or_neurons(tmp_path, shape):
    path = _npz(tmp_path, responses=np.zeros(shape))
    with pytest.raises(DataValueError, match=r"at least one trial and one neuron; got shape"):
        load(path)


def test_h5_zero_neurons(tmp_path):
    path = _h5(tmp_path, responses=np.zeros((3, 0)))
    with pytest.raises(DataValueError, match=r"bad\.h5: 'responses' must have at least one trial"):
        load(path)


def test_text_responses(tmp_path):
    path = _npz(tmp_path, responses=np.array([["a", "b"]]))
    with pytest.raises(DataValueError, match=r"bad\.npz: 'responses' must be numeric; got dtype"):
        load(path)


def test_h5_text_responses(tmp_path):
    path = tmp_path / "t.h5"
    with h5py.File(path, "w") as handle:
        handle.create_dataset("responses", data=[["a"]], dtype=h5py.string_dtype())
    with pytest.raises(DataValueError, match="'responses' must be numeric"):
        load(path)


def test_h5_compound_stimulus(tmp_path):
    path = _h5(tmp_path, responses=np.zeros((2, 2)))
    with h5py.File(path, "a") as handle:
        handle.create_dataset("pair", data=np.zeros(2, dtype=[("a", "f4"), ("b", "i4")]))
    with pytest.raises(DataValueError, match="'pair' must be numeric or text"):
        load(path)


def test_image_id_out_of_range_names_file(tmp_path):
    path = _npz(
        tmp_path, responses=np.zeros((2, 2)), image_id=np.array([0, 3]), images=np.zeros((2, 4, 4))
    )
    with pytest.raises(DataValueError, match=r"bad\.npz: image_id must lie in \[0, 2\)"):
        load(path)


def test_bad_meta_json(tmp_path):
    path = _npz(tmp_path, responses=np.zeros((2, 2)), meta=np.array("{not json"))
    with pytest.raises(DataFormatError, match=r"bad\.npz: 'meta' is not valid neurodl meta JSON"):
        load(path)


def test_meta_not_text(tmp_path):
    path = _npz(tmp_path, responses=np.zeros((2, 2)), meta=np.arange(3))
    with pytest.raises(DataFormatError, match="'meta' must be a 0-d unicode array holding JSON"):
        load(path)


# ---------------------------------------------------------------------------- pickle
def test_npz_with_object_array_is_refused(tmp_path):
    path = _npz(
        tmp_path, responses=np.zeros((2, 2)), label=np.array([{"a": 1}, None], dtype=object)
    )
    with pytest.raises(
        UnsafeFileError,
        match=r"bad\.npz: array 'label' holds Python objects .*allow_pickle=True .*--allow-pickle",
    ):
        load(path)


def test_npz_with_object_array_trusted_still_needs_numbers(tmp_path):
    path = _npz(
        tmp_path, responses=np.zeros((2, 2)), label=np.array([{"a": 1}, None], dtype=object)
    )
    with pytest.raises(DataValueError, match=r"stimulus variable 'label' must be numeric or text"):
        load(path, allow_pickle=True)


def test_npy_needs_trust(tmp_path):
    np.save(
        tmp_path / "s.npy", {"sresp": np.zeros((2, 3)), "istim": np.zeros(3)}, allow_pickle=True
    )
    with pytest.raises(UnsafeFileError, match=r"s\.npy: .*pass allow_pickle=True .*--allow-pickle"):
        load(tmp_path / "s.npy")


def test_npy_plain_array(tmp_path):
    np.save(tmp_path / "a.npy", np.zeros((2, 3)))
    with pytest.raises(DataFormatError, match=r"a\.npy: expected a pickled dict with 'sresp'"):
        load(tmp_path / "a.npy")


def test_npy_not_numpy(tmp_path):
    (tmp_path / "a.npy").write_text("hello")
    with pytest.raises(DataFormatError, match=r"a\.npy: not a readable \.npy file"):
        load(tmp_path / "a.npy")


def test_npy_truncated_pickle(tmp_path):
    np.save(tmp_path / "s.npy", {"sresp": np.zeros((20, 30)), "istim": np.zeros(30)})
    data = (tmp_path / "s.npy").read_bytes()
    (tmp_path / "s.npy").write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"s\.npy: the pickled \.npy file is truncated"):
        load(tmp_path / "s.npy", allow_pickle=True)


def test_npy_pickled_list(tmp_path):
    np.save(tmp_path / "s.npy", np.array([1, "a"], dtype=object))
    with pytest.raises(DataFormatError, match="expected a pickled dict with 'sresp' and 'istim'"):
        load(tmp_path / "s.npy", allow_pickle=True)


def test_reading_never_modifies_the_file(tmp_path, rng):
    path = _good(tmp_path, rng)
    before = path.read_bytes(), path.stat().st_mtime_ns
    load(path, trials=[1, 2])
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before
