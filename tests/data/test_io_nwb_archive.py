"""NWB files as archives write them: choosing the table, rows, series, window and images."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.data import describe_nwb, load, save
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError

from _io_helpers import make_recording  # isort: skip
from _nwb_archive import (  # isort: skip
    N_ROIS,
    N_SCENES,
    spike_counts,
    window_means,
    write_ecephys,
    write_ophys,
)

TABLE = "stimulus_presentations"
SCENES = {"stimulus_name": "natural_scenes", "frame!=": -1}
GRATINGS = {"stimulus_name": "static_gratings", "orientation!=": "nan"}


@pytest.fixture(scope="module")
def ophys(tmp_path_factory):
    return write_ophys(tmp_path_factory.mktemp("ophys") / "allen_like.nwb")


@pytest.fixture(scope="module")
def ecephys(tmp_path_factory):
    path = tmp_path_factory.mktemp("ecephys") / "units.nwb"
    return path, write_ecephys(path)


def _rows(ophys, where):
    keep = ophys.name == where["stimulus_name"]
    if "frame!=" in where:
        keep &= ophys.frame != where["frame!="]
    if "orientation!=" in where:
        keep &= np.isfinite(ophys.orientation)
    return np.flatnonzero(keep)


# ---------------------------------------------------------------------------- defaults
def test_default_table_is_refused_with_the_list(ophys):
    with pytest.raises(
        NeurodlValueError,
        match=r"allen_like\.nwb: .*no trials table and several intervals tables; .*--intervals "
        r"NAME\): spontaneous_presentations, stimulus_presentations\.$",
    ):
        load(ophys.path)


def test_natural_scenes_with_template_images_and_dff_by_default(ophys):
    recording = load(ophys.path, intervals=TABLE, where=SCENES)
    rows = _rows(ophys, SCENES)
    expected = window_means(ophys.dff, ophys.times, ophys.starts[rows], ophys.stops[rows])
    np.testing.assert_allclose(recording.responses, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(recording.stimulus["image_id"], ophys.frame[rows])
    np.testing.assert_array_equal(recording.images, ophys.scenes)
    assert "orientation" not in recording.stimulus  # NaN in every natural-scene row
    np.testing.assert_allclose(recording.neurons["depth"], ophys.depth)
    assert set(recording.neurons["cell_type"]) == {"exc", "inh"}
    choices = recording.meta["nwb"]
    assert choices["intervals"] == TABLE and choices["intervals_choice"] == "given"
    assert choices["series"] == "processing/ophys/dff/traces"
    assert choices["series_choice"] == "default: dF/F over raw fluorescence"
    assert choices["rows_in_table"] == ophys.name.size and choices["rows_read"] == rows.size
    assert choices["images"]["template"] == "natural_scenes"
    assert choices["images"]["choice"].startswith("auto")
    assert choices["images"]["frames"] == "all"
    assert choices["columns_skipped"] == {"orientation": "NaN in every row read"}


def test_gratings_rows_with_nan_dropped(ophys):
    with pytest.raises(DataValueError, match=r"'orientation' .* NaN .*--where orientation!=nan"):
        load(ophys.path, intervals=TABLE, where={"stimulus_name": "static_gratings"})
    recording = load(ophys.path, intervals=TABLE, where=GRATINGS)
    rows = _rows(ophys, GRATINGS)
    np.testing.assert_array_equal(recording.orientation, ophys.orientation[rows])
    assert recording.images is None and recording.meta["nwb"]["images"] is None
    assert recording.meta["nwb"]["where"] == GRATINGS


def test_blank_frames_outside_the_template_are_named(ophys):
    with pytest.raises(
        DataValueError,
        match=r"column 'frame' .* outside the template's 170 frames \(0-169\) in 4 rows, "
        r"e\.g\. -1; drop them with --where frame!=-1",
    ):
        load(ophys.path, intervals=TABLE, where={"stimulus_name": "natural_scenes"})


# ---------------------------------------------------------------------------- choices
@pytest.mark.parametrize(
    "name", ["corrected_fluorescence", "processing/ophys/corrected_fluorescence/traces"]
)
def test_series_by_container_or_path(ophys, name):
    recording = load(ophys.path, intervals=TABLE, where=SCENES, series=name)
    rows = _rows(ophys, SCENES)
    expected = window_means(ophys.raw, ophys.times, ophys.starts[rows], ophys.stops[rows])
    np.testing.assert_allclose(recording.responses, expected, rtol=1e-5)
    assert recording.meta["nwb"]["series_kind"] == "Fluorescence"


def test_window_relative_to_row_start(ophys):
    recording = load(ophys.path, intervals=TABLE, where=SCENES, window=(0.1, 0.35))
    rows = _rows(ophys, SCENES)
    starts = ophys.starts[rows]
    expected = window_means(ophys.dff, ophys.times, starts + 0.1, starts + 0.35)
    np.testing.assert_allclose(recording.responses, expected, rtol=1e-5, atol=1e-6)
    assert recording.meta["nwb"]["window_s"] == [0.1, 0.35]


def test_overlapping_windows_across_read_blocks(ophys, monkeypatch):
    from neurodl.data import _nwb_series

    monkeypatch.setattr(_nwb_series, "BLOCK_ELEMENTS", 7 * N_ROIS)  # 7 frames per block
    recording = load(ophys.path, intervals=TABLE, where=SCENES, window=(-0.2, 0.9))
    starts = ophys.starts[_rows(ophys, SCENES)]
    expected = window_means(ophys.dff, ophys.times, starts - 0.2, starts + 0.9)
    np.testing.assert_allclose(recording.responses, expected, rtol=1e-5, atol=1e-6)


def test_images_container_indexed_by_name_column(ophys):
    where = {"stimulus_name": "natural_scenes", "image_name": ["im3", "im0", "im4"]}
    recording = load(
        ophys.path, intervals=TABLE, where=where, images="natural_scenes_images:image_name"
    )
    rows = np.flatnonzero(np.isin(ophys.frame, [0, 3, 4]) & (ophys.name == "natural_scenes"))
    np.testing.assert_array_equal(
        recording.images[recording.stimulus["image_id"]], ophys.scenes[ophys.frame[rows]]
    )
    assert recording.meta["nwb"]["images"]["choice"] == "given"


def test_subset_of_frames_reads_only_those(ophys):
    where = {"stimulus_name": "natural_scenes", "frame": [7, 2]}
    recording = load(ophys.path, intervals=TABLE, where=where, trials=slice(0, 5))
    rows = np.flatnonzero((ophys.name == "natural_scenes") & np.isin(ophys.frame, [2, 7]))[:5]
    assert recording.images.shape == (2, 8, 10)
    np.testing.assert_array_equal(recording.images, ophys.scenes[[2, 7]])
    np.testing.assert_array_equal(recording.stimulus["frame"], ophys.frame[rows])
    np.testing.assert_array_equal(
        recording.stimulus["image_id"], (ophys.frame[rows] == 7).astype(int)
    )
    assert recording.meta["nwb"]["images"]["frames"] == [2, 7]


def test_neurons_subset_keeps_roi_columns(ophys):
    recording = load(ophys.path, intervals=TABLE, where=SCENES, neurons=[4, 0])
    np.testing.assert_allclose(recording.neurons["depth"], ophys.depth[[4, 0]])
    assert recording.n_neurons == 2


# ---------------------------------------------------------------------------- wrong names
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            {"intervals": "trials"},
            r"intervals must name one of .*\(spontaneous_presentations, "
            r"stimulus_presentations\); got 'trials'",
        ),
        (
            {"intervals": TABLE, "where": {"stim": "x"}},
            r"where names column 'stim', .*columns: frame, image_name, orientation, start_time, "
            r"stimulus_name, stop_time\.$",
        ),
        (
            {"intervals": TABLE, "where": {"stimulus_name": "movie"}},
            r"keeps none of the 444 rows .*values: natural_scenes, static_gratings\.$",
        ),
        (
            {"intervals": TABLE, "where": {"frame": "x"}},
            r"where: column 'frame' holds numbers; got 'x'",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "series": "dfof"},
            r"series must name one of .*\(processing/ophys/corrected_fluorescence/traces, "
            r"processing/ophys/dff/traces\); got 'dfof'",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "series": "traces"},
            r"matches several response series; give the full path",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "images": "scenes"},
            r"images must name one of .*\(natural_scenes, natural_scenes_images\); got 'scenes'",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "images": "natural_scenes:idx"},
            r"images column 'idx' is not a column .*columns: frame, image_name, stimulus_name\.$",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "images": "natural_scenes:image_name"},
            r"holds text, but the template is an ImageSeries",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "images": "natural_scenes_images:image_name"},
            r"names images the template lacks: im10, im100, .*--where image_name!=VALUE\.$",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "window": (0.3, 0.1)},
            r"window must be \(start, stop\)",
        ),
        (
            {"intervals": TABLE, "where": SCENES, "window": (5.01, 5.02)},
            r"row 0 window .* holds no samples",
        ),
    ],
)
def test_each_wrong_choice_is_one_line(ophys, options, message):
    with pytest.raises(ValueError, match=message) as info:
        load(ophys.path, **options)
    assert "\n" not in str(info.value)


def test_nwb_options_refused_for_other_formats(tmp_path, rng):
    path = save(make_recording(rng), tmp_path / "rec.npz")
    with pytest.raises(
        NeurodlValueError,
        match=r"rec\.npz: intervals=, where= \(--intervals, --where\) apply only to NWB",
    ):
        load(path, intervals="trials", where={"a": 1})


def test_file_without_intervals(tmp_path, ophys):
    import h5py

    path = tmp_path / "bare.nwb"
    path.write_bytes(ophys.path.read_bytes())
    with h5py.File(path, "a") as handle:
        del handle["intervals"]
    with pytest.raises(DataFormatError, match="has no intervals table"):
        load(path)


# ---------------------------------------------------------------------------- units
def test_units_spike_counts_in_rows_and_windows(ecephys):
    path, truth = ecephys
    recording = load(path)  # the only table, the only series
    counts = spike_counts(truth["spikes"], truth["starts"], truth["stops"])
    np.testing.assert_array_equal(recording.responses, counts)
    np.testing.assert_array_equal(recording.neurons["quality"], truth["quality"])
    np.testing.assert_allclose(recording.neurons["snr"], truth["snr"])
    choices = recording.meta["nwb"]
    assert choices["series"] == "units" and choices["unit"] == "spikes"
    assert choices["intervals_choice"] == "default: the only intervals table"

    recording = load(path, series="units", window=(0.05, 0.2), where={"orientation": "90"})
    rows = np.flatnonzero(truth["orientation"] == 90)
    starts = truth["starts"][rows]
    np.testing.assert_array_equal(
        recording.responses, spike_counts(truth["spikes"], starts + 0.05, starts + 0.2)
    )


# ---------------------------------------------------------------------------- describe
def test_describe_lists_everything(ophys):
    facts = describe_nwb(ophys.path)
    series = {s["path"]: s for s in facts["series"]}
    assert series["processing/ophys/dff/traces"]["kind"] == "DfOverF"
    assert series["processing/ophys/dff/traces"]["shape"] == [ophys.times.size, N_ROIS]
    assert series["processing/ophys/dff/traces"]["rate_hz"] == 10.0
    assert series["processing/ophys/corrected_fluorescence/traces"]["kind"] == "Fluorescence"
    assert facts["default_series"] == "processing/ophys/dff/traces"
    tables = {t["name"]: t for t in facts["intervals"]}
    assert tables[TABLE]["n_rows"] == ophys.name.size
    names = tables[TABLE]["columns"]["stimulus_name"]
    assert names["values"] == {"natural_scenes": 344, "static_gratings": 100}
    assert tables[TABLE]["columns"]["orientation"]["n_nan"] == 348
    templates = {t["name"]: t for t in facts["templates"]}
    assert templates["natural_scenes"]["shape"] == (N_SCENES, 8, 10)
    assert templates["natural_scenes_images"]["type"] == "Images"


def test_every_suggestion_loads(ophys, ecephys):
    facts = describe_nwb(ophys.path)
    by_name = {s["options"].get("where", {}).get("stimulus_name"): s for s in facts["suggestions"]}
    assert by_name["natural_scenes"]["options"] == {
        "intervals": TABLE,
        "where": SCENES,
        "images": "natural_scenes:frame",
    }
    assert by_name["natural_scenes"]["command"] == "encode"
    assert by_name["static_gratings"]["options"]["where"] == GRATINGS
    assert by_name["static_gratings"]["command"] == "decode"
    for described in (facts, describe_nwb(ecephys[0])):
        for suggestion in described["suggestions"]:
            if suggestion["options"]["intervals"] == "spontaneous_presentations":
                continue  # one row, no stimulus: listed, but there is nothing to analyse
            recording = load(described["file"], **suggestion["options"])
            assert recording.n_trials == suggestion["n_rows"]
