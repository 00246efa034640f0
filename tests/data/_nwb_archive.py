"""Small NWB files structured the way archives write them (Allen Brain Observatory style).

``write_ophys``: two-photon imaging, no trials table:
- ``processing/ophys/dff/traces`` (DfOverF) and ``processing/ophys/corrected_fluorescence/traces``
  (Fluorescence, raw), both on the ROI table ``cell_specimen_table`` (columns ``depth``,
  ``cell_type``), sampled at 10 Hz;
- ``intervals/stimulus_presentations``: grating rows (``stimulus_name`` = static_gratings,
  ``orientation``, ``frame`` = -1, a few blank sweeps with NaN orientation) then natural-scene
  rows (``stimulus_name`` = natural_scenes, ``frame`` into the template, -1 for blanks,
  ``image_name``, ``orientation`` NaN); ``intervals/spontaneous_presentations`` (one row);
- ``stimulus/templates/natural_scenes`` (ImageSeries) and ``natural_scenes_images`` (Images of
  the first five scenes, named ``im<frame>``).

``write_ecephys``: a ``units`` table (spike times, ``quality`` text and ``snr`` columns) and
``intervals/drifting_gratings_presentations``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from hdmf.common import ElementIdentifiers, VectorData
from pynwb import NWBHDF5IO, NWBFile
from pynwb.base import Images
from pynwb.epoch import TimeIntervals
from pynwb.image import GrayscaleImage, ImageSeries
from pynwb.ophys import (
    DfOverF,
    Fluorescence,
    ImageSegmentation,
    OpticalChannel,
    PlaneSegmentation,
    RoiResponseSeries,
)

RATE = 10.0
N_ROIS = 15
N_SCENES = 170
SCENE_REPEATS = 2
ORIENTATIONS = np.arange(0.0, 180.0, 30.0)
GRATING_REPEATS = 16
N_NAMED = 5  # images of the Images container (im0 ... im4)
IMAGE_SHAPE = (8, 10)


@dataclass
class Ophys:
    """What ``write_ophys`` wrote, for the tests' expected values."""

    path: Path
    dff: np.ndarray
    raw: np.ndarray
    times: np.ndarray
    starts: np.ndarray
    stops: np.ndarray
    name: np.ndarray
    orientation: np.ndarray
    frame: np.ndarray
    scenes: np.ndarray
    depth: np.ndarray


def _nwbfile() -> NWBFile:
    return NWBFile(
        session_description="archive-style session",
        identifier="archive-1",
        session_start_time=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC),
    )


def _rows(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """stimulus_name, orientation and frame of each presentation, gratings block first."""
    gratings = np.concatenate([np.repeat(ORIENTATIONS, GRATING_REPEATS), np.full(4, np.nan)])
    gratings = rng.permutation(gratings)
    scenes = rng.permutation(
        np.concatenate([np.tile(np.arange(N_SCENES), SCENE_REPEATS), -np.ones(4)])
    )
    name = np.array(["static_gratings"] * gratings.size + ["natural_scenes"] * scenes.size)
    orientation = np.concatenate([gratings, np.full(scenes.size, np.nan)])
    frame = np.concatenate([-np.ones(gratings.size), scenes]).astype(np.int64)
    return name, orientation, frame


def _traces(rng, times, starts, stops, orientation, frame, scenes):
    """dF/F: noise plus a tuned or image-driven response inside each presentation window."""
    preferred = rng.uniform(0, 180, N_ROIS)
    weights = rng.standard_normal((N_ROIS, scenes[0].size)) / 4
    drive = np.zeros((starts.size, N_ROIS))
    grating = np.isfinite(orientation)
    delta = np.deg2rad(orientation[grating, None] - preferred)
    drive[grating] = 2 * np.exp(2 * (np.cos(2 * delta) - 1))
    scene = frame >= 0
    drive[scene] = np.maximum(scenes.reshape(N_SCENES, -1)[frame[scene]] @ weights.T, 0)
    dff = 0.2 * rng.standard_normal((times.size, N_ROIS))
    for i, (a, b) in enumerate(zip(starts, stops, strict=True)):
        dff[(times >= a) & (times < b)] += drive[i]
    return dff.astype(np.float32)


def _add_ophys(nwbfile: NWBFile, dff: np.ndarray, raw: np.ndarray, depth: np.ndarray) -> None:
    device = nwbfile.create_device(name="2p")
    plane = nwbfile.create_imaging_plane(
        name="imaging_plane_1",
        optical_channel=OpticalChannel(name="green", description="g", emission_lambda=520.0),
        description="VISp layer 2/3",
        device=device,
        excitation_lambda=910.0,
        indicator="GCaMP6f",
        location="VISp",
    )
    module = nwbfile.create_processing_module(name="ophys", description="processed 2p data")
    segmentation = ImageSegmentation(name="image_segmentation")
    module.add(segmentation)
    cells = PlaneSegmentation(name="cell_specimen_table", description="cells", imaging_plane=plane)
    segmentation.add_plane_segmentation(cells)
    cells.add_column("depth", "imaging depth (um)")
    cells.add_column("cell_type", "putative type")
    for i in range(N_ROIS):
        cells.add_roi(pixel_mask=[(i, i, 1.0)], depth=depth[i], cell_type="exc" if i % 3 else "inh")
    for container, data in (
        (DfOverF(name="dff"), dff),
        (Fluorescence(name="corrected_fluorescence"), raw),
    ):
        module.add(container)
        container.add_roi_response_series(
            RoiResponseSeries(
                name="traces",
                data=data,
                rois=cells.create_roi_table_region(region=list(range(N_ROIS)), description="all"),
                unit="NA",
                rate=RATE,
                starting_time=0.0,
            )
        )


def _add_table(nwbfile: NWBFile, name: str, starts, stops, **columns) -> None:
    """An intervals table built column by column (as archive writers do; fast)."""
    data = {"start_time": np.asarray(starts, float), "stop_time": np.asarray(stops, float)}
    data.update(columns)
    nwbfile.add_time_intervals(
        TimeIntervals(
            name=name,
            description=f"{name} of the session",
            id=ElementIdentifiers(name="id", data=np.arange(len(starts))),
            columns=[VectorData(name=k, description=k, data=v) for k, v in data.items()],
        )
    )


def _add_templates(nwbfile: NWBFile, scenes: np.ndarray) -> None:
    nwbfile.add_stimulus_template(
        ImageSeries(name="natural_scenes", data=scenes, unit="NA", rate=1.0, description="scenes")
    )
    pictures = [GrayscaleImage(name=f"im{i}", data=scenes[i]) for i in range(N_NAMED)]
    nwbfile.add_stimulus_template(Images(name="natural_scenes_images", images=pictures))


def write_ophys(path: Path, seed: int = 0) -> Ophys:
    """Write the imaging file described in the module docstring and return its contents."""
    rng = np.random.default_rng(seed)
    name, orientation, frame = _rows(rng)
    starts = 2.0 + 0.5 * np.arange(name.size)
    stops = starts + 0.4
    times = np.arange(int((stops[-1] + 5.0) * RATE)) / RATE
    scenes = rng.random((N_SCENES, *IMAGE_SHAPE)).astype(np.float32)
    dff = _traces(rng, times, starts, stops, orientation, frame, scenes)
    raw = (100 * dff + 500).astype(np.float32)
    depth = rng.uniform(150, 300, N_ROIS)
    nwbfile = _nwbfile()
    _add_ophys(nwbfile, dff, raw, depth)
    image_name = np.array([f"im{f}" if f >= 0 else "blank" for f in frame])
    _add_table(
        nwbfile,
        "stimulus_presentations",
        starts,
        stops,
        stimulus_name=name,
        orientation=orientation,
        frame=frame,
        image_name=image_name,
    )
    _add_table(nwbfile, "spontaneous_presentations", [0.0], [2.0])
    _add_templates(nwbfile, scenes)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return Ophys(path, dff, raw, times, starts, stops, name, orientation, frame, scenes, depth)


def write_ecephys(path: Path, seed: int = 0) -> dict[str, np.ndarray]:
    """A units table and one drifting-gratings table; returns spikes, windows and columns."""
    rng = np.random.default_rng(seed)
    orientation = np.tile(np.arange(0.0, 360.0, 45.0), 6)
    starts = 1.0 + np.arange(orientation.size) * 1.0
    stops = starts + 0.5
    nwbfile = _nwbfile()
    nwbfile.add_unit_column(name="quality", description="sorting quality")
    nwbfile.add_unit_column(name="snr", description="signal to noise")
    spikes = [np.sort(rng.uniform(0, stops[-1] + 1, rng.integers(20, 200))) for _ in range(8)]
    quality = np.array(["good", "noise"] * 4)
    snr = rng.uniform(1, 5, 8)
    for unit, times in enumerate(spikes):
        nwbfile.add_unit(spike_times=times, quality=quality[unit], snr=snr[unit])
    _add_table(
        nwbfile,
        "drifting_gratings_presentations",
        starts,
        stops,
        stimulus_name=np.array(["drifting_gratings"] * orientation.size),
        orientation=orientation,
    )
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return {
        "starts": starts,
        "stops": stops,
        "orientation": orientation,
        "quality": quality,
        "snr": snr,
        "spikes": spikes,
    }


def window_means(data: np.ndarray, times: np.ndarray, starts, stops) -> np.ndarray:
    """Mean of ``data`` over the samples in each [start, stop) window (the expected responses)."""
    return np.stack(
        [data[(times >= a) & (times < b)].mean(0) for a, b in zip(starts, stops, strict=True)]
    )


def spike_counts(spikes, starts, stops) -> np.ndarray:
    """Spikes of each unit in each [start, stop) window."""
    return np.stack(
        [[np.sum((s >= a) & (s < b)) for s in spikes] for a, b in zip(starts, stops, strict=True)]
    )
