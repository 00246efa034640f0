"""NWB: round trip through neurodl's writer, and reading NWB files written by others."""

from __future__ import annotations

import datetime

import numpy as np
import pytest
from pynwb import NWBHDF5IO, NWBFile
from pynwb.base import Images
from pynwb.image import GrayscaleImage
from pynwb.ophys import (
    Fluorescence,
    ImageSegmentation,
    OpticalChannel,
    PlaneSegmentation,
    RoiResponseSeries,
)

from neurodl.data import Recording, load, save
from neurodl.exceptions import DataFormatError, DataValueError

from _io_helpers import assert_same, make_recording  # isort: skip


def _nwbfile() -> NWBFile:
    return NWBFile(
        session_description="external",
        identifier="abc",
        session_start_time=datetime.datetime(2021, 5, 1, tzinfo=datetime.UTC),
    )


def _add_series(nwbfile, data, *, name="dff", timestamps=None, rate=None, depth=None):
    """Add a PlaneSegmentation with n ROIs and a RoiResponseSeries, as other tools write them."""
    device = nwbfile.create_device(name=f"scope_{name}")
    plane = nwbfile.create_imaging_plane(
        name=f"plane_{name}",
        optical_channel=OpticalChannel(name="green", description="g", emission_lambda=510.0),
        description="V1 layer 2/3",
        device=device,
        excitation_lambda=920.0,
        indicator="GCaMP6s",
        location="V1",
    )
    module = nwbfile.processing.get("ophys") or nwbfile.create_processing_module(
        name="ophys", description="ophys"
    )
    segmentation = ImageSegmentation(name=f"seg_{name}")
    module.add(segmentation)
    rois = PlaneSegmentation(name=f"rois_{name}", description="d", imaging_plane=plane)
    segmentation.add_plane_segmentation(rois)
    if depth is not None:
        rois.add_column("depth", "depth of the cell (um)")
    for i in range(data.shape[1]):
        extra = {} if depth is None else {"depth": depth[i]}
        rois.add_roi(pixel_mask=[(i, i, 1.0)], **extra)
    fluorescence = Fluorescence(name=f"fl_{name}")
    module.add(fluorescence)
    fluorescence.add_roi_response_series(
        RoiResponseSeries(
            name=name,
            data=data,
            rois=rois.create_roi_table_region(region=list(range(data.shape[1])), description="a"),
            unit="dF/F",
            timestamps=timestamps,
            rate=rate,
            starting_time=None if rate is None else 0.0,
        )
    )


def _add_trials(nwbfile, starts, stops, **columns):
    for name in columns:
        nwbfile.add_trial_column(name=name, description=name)
    for i, (start, stop) in enumerate(zip(starts, stops, strict=True)):
        nwbfile.add_trial(
            start_time=float(start), stop_time=float(stop), **{k: v[i] for k, v in columns.items()}
        )


def _write(nwbfile, path):
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def _without_choices(recording):
    """The recording with ``meta['nwb']`` (the reading choices, added on every read) removed."""
    choices = recording.meta.pop("nwb")
    assert choices["intervals"] == "trials" and choices["series_choice"].startswith("default")
    return recording


# ---------------------------------------------------------------------------- round trips
@pytest.mark.parametrize("compression", [False, True])
def test_nwb_round_trip_is_exact(tmp_path, rng, compression):
    recording = make_recording(rng)
    loaded = load(save(recording, tmp_path / "rec.nwb", compression=compression))
    assert_same(_without_choices(loaded), recording)


def test_nwb_round_trip_minimal(tmp_path, rng):
    recording = Recording(rng.normal(size=(3, 1)))
    assert_same(_without_choices(load(save(recording, tmp_path / "rec.nwb"))), recording)


def test_nwb_file_holds_the_documented_objects(tmp_path, rng):
    recording = make_recording(rng)
    path = save(recording, tmp_path / "rec.nwb")
    with NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        series = nwbfile.processing["ophys"]["Fluorescence"]["responses"]
        assert isinstance(series, RoiResponseSeries)
        np.testing.assert_array_equal(series.timestamps[:], nwbfile.trials["start_time"].data[:])
        assert series.data.shape == (24, 7)
        assert "orientation" in nwbfile.trials.colnames
        rois = nwbfile.processing["ophys"]["ImageSegmentation"]["rois"]
        assert rois["tuning"].data.shape == (7, 3, 2)
        assert nwbfile.stimulus_template["images"].data.shape == (6, 5, 4)


@pytest.mark.parametrize(
    ("trials", "neurons"), [([3, 0, 3], None), (None, [6, 2]), (slice(4, 20, 3), slice(1, 4))]
)
def test_nwb_subsets_match_select(tmp_path, rng, trials, neurons):
    recording = make_recording(rng)
    path = save(recording, tmp_path / "rec.nwb")
    expected = recording.select(trials=trials, neurons=neurons)
    assert_same(_without_choices(load(path, trials=trials, neurons=neurons)), expected)


def test_nwb_rejects_reserved_names(tmp_path, rng):
    recording = Recording(rng.normal(size=(3, 2)), stimulus={"start_time": np.arange(3.0)})
    with pytest.raises(DataValueError, match="stimulus variable 'start_time' cannot be saved"):
        save(recording, tmp_path / "x.nwb")
    recording = Recording(rng.normal(size=(3, 2)), neurons={"pixel_mask": np.arange(2)})
    with pytest.raises(DataValueError, match="neuron variable 'pixel_mask' cannot be saved"):
        save(recording, tmp_path / "x.nwb")


# ---------------------------------------------------------------------------- foreign files
def test_continuous_series_is_averaged_in_trial_windows(tmp_path, rng):
    rate, n_rois = 10.0, 4
    data = rng.normal(size=(300, n_rois)).astype(np.float32)
    nwbfile = _nwbfile()
    _add_series(nwbfile, data, rate=rate, depth=np.array([100.0, 120.0, 150.0, 175.0]))
    starts = np.array([1.0, 5.0, 12.0, 20.0])
    stops = starts + np.array([1.0, 0.5, 2.0, 1.0])
    _add_trials(nwbfile, starts, stops, orientation=np.array([0.0, 45.0, 90.0, 135.0]))
    path = _write(nwbfile, tmp_path / "ext.nwb")

    recording = load(path, neurons=[3, 1])
    times = np.arange(300) / rate
    expected = np.stack(
        [data[(times >= a) & (times < b)].mean(0) for a, b in zip(starts, stops, strict=True)]
    )
    np.testing.assert_allclose(recording.responses, expected[:, [3, 1]], rtol=1e-6)
    np.testing.assert_array_equal(recording.orientation, [0, 45, 90, 135])
    np.testing.assert_array_equal(recording.neurons["depth"], [175.0, 120.0])
    assert "averaged" in recording.meta["responses_from"]
    assert recording.meta["source"] == "NWB"


def test_series_by_name_and_images_container_is_read(tmp_path, rng):
    nwbfile = _nwbfile()
    _add_series(nwbfile, rng.normal(size=(3, 2)), name="a_other", timestamps=[0.0, 1.0, 2.0])
    wanted = rng.normal(size=(3, 5))
    _add_series(nwbfile, wanted, name="responses", timestamps=[0.0, 1.0, 2.0])
    _add_trials(nwbfile, [0.0, 1.0, 2.0], [1.0, 2.0, 3.0], image_id=np.array([1, 0, 1]))
    pictures = [GrayscaleImage(name=f"img{i}", data=rng.random((4, 6))) for i in range(2)]
    nwbfile.add_stimulus_template(Images(name="images", images=pictures))
    path = _write(nwbfile, tmp_path / "two.nwb")
    with pytest.raises(ValueError, match=r"several response series; .*: .*a_other, .*responses"):
        load(path)
    recording = load(path, series="responses")
    np.testing.assert_allclose(recording.responses, wanted.astype(np.float32))
    assert recording.images is not None and recording.images.shape == (2, 4, 6)
    np.testing.assert_allclose(recording.images[1], pictures[1].data.astype(np.float32))


def test_units_table_gives_spike_counts(tmp_path):
    nwbfile = _nwbfile()
    nwbfile.add_unit_column(name="quality", description="isolation quality")
    nwbfile.add_unit(spike_times=[0.1, 0.5, 1.2, 2.05, 2.5], quality=0.9)
    nwbfile.add_unit(spike_times=[1.0, 1.99], quality=0.4)
    _add_trials(nwbfile, [0.0, 1.0, 2.0], [1.0, 2.0, 3.0], contrast=np.array([1.0, 0.5, 1.0]))
    recording = load(_write(nwbfile, tmp_path / "units.nwb"))
    np.testing.assert_array_equal(recording.responses, [[2, 0], [1, 2], [2, 0]])
    np.testing.assert_array_equal(recording.neurons["quality"], [0.9, 0.4])
    assert "spike counts" in recording.meta["responses_from"]


# ---------------------------------------------------------------------------- bad NWB files
def test_nwb_without_intervals_table(tmp_path, rng):
    nwbfile = _nwbfile()
    _add_series(nwbfile, rng.normal(size=(5, 2)), rate=1.0)
    with pytest.raises(DataFormatError, match=r"notrials\.nwb: the NWB file has no intervals"):
        load(_write(nwbfile, tmp_path / "notrials.nwb"))


def test_nwb_with_empty_trials_table(tmp_path, rng):
    from pynwb.epoch import TimeIntervals

    nwbfile = _nwbfile()
    _add_series(nwbfile, rng.normal(size=(5, 2)), rate=1.0)
    nwbfile.trials = TimeIntervals(name="trials", description="no trials")
    with pytest.raises(DataValueError, match=r"zero\.nwb: the trials table is empty"):
        load(_write(nwbfile, tmp_path / "zero.nwb"))


def test_nwb_without_responses(tmp_path):
    nwbfile = _nwbfile()
    _add_trials(nwbfile, [0.0], [1.0])
    with pytest.raises(DataFormatError, match="neither a RoiResponseSeries nor a units table"):
        load(_write(nwbfile, tmp_path / "empty.nwb"))


def test_nwb_trial_window_without_samples(tmp_path, rng):
    nwbfile = _nwbfile()
    _add_series(nwbfile, rng.normal(size=(5, 2)), rate=1.0)
    _add_trials(nwbfile, [0.0, 10.0], [2.0, 11.0])
    with pytest.raises(DataValueError, match=r"row 1 window \[10, 11\) s holds no samples"):
        load(_write(nwbfile, tmp_path / "gap.nwb"))


def test_nwb_nan_responses_name_file(tmp_path, rng):
    recording = Recording(rng.normal(size=(3, 2)))
    path = save(recording, tmp_path / "nan.nwb")
    import h5py

    with h5py.File(path, "a") as handle:
        handle["processing/ophys/Fluorescence/responses/data"][1, 1] = np.nan
    with pytest.raises(DataValueError, match=r"nan\.nwb: responses contain NaN or inf"):
        load(path)


def test_text_file_renamed_nwb(tmp_path):
    (tmp_path / "x.nwb").write_text("hello")
    with pytest.raises(DataFormatError, match=r"x\.nwb: not an NWB file"):
        load(tmp_path / "x.nwb")


def test_truncated_nwb(tmp_path, rng):
    path = save(make_recording(rng), tmp_path / "cut.nwb")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(DataFormatError, match=r"cut\.nwb: .*(truncated or corrupt|cannot read)"):
        load(path)


def test_hdf5_that_is_not_nwb(tmp_path, rng):
    path = save(make_recording(rng), tmp_path / "plain.h5")
    with pytest.raises(DataFormatError, match=r"plain\.h5: cannot read the NWB file"):
        load(path, format="nwb")
