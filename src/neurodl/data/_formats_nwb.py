"""Neurodata Without Borders (NWB) reader and writer, through pynwb.

Layout written by :func:`neurodl.save` for ``.nwb``:

========================================================  ======================================
NWB object                                                holds
========================================================  ======================================
``processing/ophys/Fluorescence/responses``               ``RoiResponseSeries``: responses
(``RoiResponseSeries``)                                   (n_trials, n_neurons), one sample per
                                                          trial, timestamps = trial start times
``processing/ophys/ImageSegmentation/rois``               ``PlaneSegmentation``, one row per
(``PlaneSegmentation``)                                   neuron; each neuron variable is a
                                                          column (placeholder one-pixel masks)
``intervals/trials``                                      one row per trial: trial ``i`` spans
                                                          [i, i + 1) s; one column per stimulus
                                                          variable
``stimulus/templates/images`` (``ImageSeries``)           images (n_images, height, width)
``scratch/neurodl_meta``                                  ``Recording.meta`` as JSON (same codec
                                                          as the ``.npz`` ``meta``)
========================================================  ======================================

Reading accepts any NWB file with a trials table: the responses come from a
``RoiResponseSeries`` (the one named ``responses`` if there are several, else the first by name)
or, if there is none, from the ``units`` table as spike counts in each trial's
[start_time, stop_time) window. A series with one sample inside each trial's window is read as
is; a continuous series is averaged over the samples inside each trial's window. The stimulus
variables are the trials table's columns other than ``start_time``, ``stop_time``, ``tags`` and
``timeseries``; the neuron variables are the ROI (or unit) table's plain columns.
"""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import (
    Index,
    check_responses_shape,
    decode_meta,
    encode_meta,
    make_recording,
    normalize_index,
    read_rows,
    read_table,
)
from neurodl.data.recording import Recording
from neurodl.exceptions import DataFormatError, DataValueError

__all__ = ["read_nwb", "write_nwb"]

META_NAME = "neurodl_meta"
_TRIAL_RESERVED = ("start_time", "stop_time", "tags", "timeseries", "id")
_ROI_RESERVED = ("image_mask", "pixel_mask", "voxel_mask", "id")
_UNIT_SKIP = ("spike_times", "obs_intervals", "electrodes", "waveforms", "id")


# ---------------------------------------------------------------------------- reading
def read_nwb(path: Path, *, trials: Any, neurons: Any) -> Recording:
    """Read responses, trial stimulus columns, neuron columns and images from an NWB file."""
    from pynwb import NWBHDF5IO

    if not h5py.is_hdf5(path):
        raise DataFormatError(f"{path}: not an NWB file (no HDF5 signature found).")
    try:
        io = NWBHDF5IO(str(path), "r")
    except Exception as exc:  # pynwb/hdmf raise many types on damaged files
        raise DataFormatError(f"{path}: the NWB file is truncated or corrupt ({exc}).") from None
    try:
        try:
            nwbfile = io.read()
        except Exception as exc:
            raise DataFormatError(f"{path}: cannot read the NWB file ({exc}).") from None
        return _from_nwbfile(path, nwbfile, trials, neurons)
    except OSError as exc:
        raise DataFormatError(f"{path}: the NWB file is truncated or corrupt ({exc}).") from None
    finally:
        io.close()


def _values(column: Any, index: Index = None) -> NDArray[Any]:
    """Read a table column (optionally only the rows ``index``) as a numpy array."""
    data = column.data
    dtype = getattr(data, "dtype", None)
    if isinstance(data, h5py.Dataset) and dtype is not None and dtype.kind in "biuf":
        return read_rows(data, index)
    values = np.asarray(data[:])
    if values.dtype.kind in "OS":
        values = np.asarray(
            [v.decode() if isinstance(v, bytes) else v for v in values.tolist()], dtype=str
        )
    return values if index is None else values[index]


def _plain_columns(table: Any, skip: tuple[str, ...]) -> list[str]:
    """Names of the table's one-value-per-row columns (no ragged or reference columns)."""
    from hdmf.common import DynamicTableRegion, VectorIndex

    names = []
    for name in table.colnames:
        column = table[name]
        if name in skip or isinstance(column, (VectorIndex, DynamicTableRegion)):
            continue
        names.append(name)
    return names


def _from_nwbfile(path: Path, nwbfile: Any, trials: Any, neurons: Any) -> Recording:
    from pynwb.ophys import RoiResponseSeries

    table = nwbfile.trials
    if table is None:
        raise DataFormatError(
            f"{path}: the NWB file has no trials table (intervals/trials); neurodl needs one row "
            "per trial with start_time, stop_time and stimulus columns."
        )
    starts = np.asarray(table["start_time"].data[:], dtype=np.float64)
    stops = np.asarray(table["stop_time"].data[:], dtype=np.float64)
    n_trials = starts.size
    if n_trials == 0:
        raise DataValueError(f"{path}: the trials table is empty; need at least one trial.")
    t_index = normalize_index(trials, n_trials, "trials")
    stimulus = {
        name: _values(table[name], t_index) for name in _plain_columns(table, _TRIAL_RESERVED)
    }
    if t_index is not None:
        starts, stops = starts[t_index], stops[t_index]

    series = sorted(
        (obj for obj in nwbfile.objects.values() if isinstance(obj, RoiResponseSeries)),
        key=lambda s: (s.name != "responses", s.name),
    )
    if series:
        responses, neuron_info, source = _from_series(path, series[0], starts, stops, neurons)
    elif nwbfile.units is not None:
        responses, neuron_info, source = _from_units(path, nwbfile.units, starts, stops, neurons)
    else:
        raise DataFormatError(
            f"{path}: the NWB file has neither a RoiResponseSeries nor a units table to read "
            "responses from."
        )
    scratch = nwbfile.scratch
    if META_NAME in scratch:
        text = scratch[META_NAME].data
        text = text[()] if isinstance(text, h5py.Dataset) else text
        meta = decode_meta(text.decode() if isinstance(text, bytes) else str(text), path)
    else:
        meta = {
            "source": "NWB",
            "file": path.name,
            "session_description": str(nwbfile.session_description),
            "identifier": str(nwbfile.identifier),
            "responses_from": source,
        }
    images = _images(nwbfile) if "image_id" in stimulus else None
    return make_recording(
        path,
        responses=responses,
        stimulus=stimulus,
        images=images,
        neurons=neuron_info,
        meta=meta,
    )


def _from_series(
    path: Path, series: Any, starts: NDArray[np.float64], stops: NDArray[np.float64], neurons: Any
) -> tuple[NDArray[Any], dict[str, NDArray[Any]], str]:
    data = series.data
    key = f"RoiResponseSeries {series.name!r}"
    shape = tuple(data.shape)
    if len(shape) == 1:  # a single ROI
        data = np.asarray(data[()])[:, None]
        shape = data.shape
    check_responses_shape(path, key, shape, np.dtype(data.dtype))
    n_samples, n_rois = shape
    n_index = normalize_index(neurons, n_rois, "neurons")
    if series.timestamps is not None:
        times = np.asarray(series.timestamps[()], dtype=np.float64)
    else:
        times = series.starting_time + np.arange(n_samples) / series.rate
    if np.any(np.diff(times) < 0):
        raise DataValueError(f"{path}: the timestamps of {key} must be sorted.")
    first = np.searchsorted(times, starts, side="left")
    last = np.searchsorted(times, stops, side="left")
    empty = np.flatnonzero(last <= first)
    if empty.size:
        i = int(empty[0])
        raise DataValueError(
            f"{path}: trial {i} [{starts[i]:g}, {stops[i]:g}) s holds no samples of {key}; every "
            "trial window must contain at least one sample."
        )
    if np.all(last - first == 1):
        responses = read_table(data, first.astype(np.intp), n_index)
        how = f"{key}, one sample per trial"
    else:
        responses = np.stack(
            [
                read_table(data, np.arange(a, b, dtype=np.intp), n_index).mean(0, dtype=np.float64)
                for a, b in zip(first, last, strict=True)
            ]
        )
        how = f"{key}, averaged over the samples in each trial window"
    rows = np.asarray(series.rois.data[:], dtype=np.intp)
    rows = rows if n_index is None else rows[n_index]
    roi_table = series.rois.table
    neuron_info = {
        name: _values(roi_table[name], rows) for name in _plain_columns(roi_table, _ROI_RESERVED)
    }
    return responses, neuron_info, how


def _from_units(
    path: Path, units: Any, starts: NDArray[np.float64], stops: NDArray[np.float64], neurons: Any
) -> tuple[NDArray[Any], dict[str, NDArray[Any]], str]:
    if "spike_times" not in units.colnames:
        raise DataFormatError(f"{path}: the units table has no 'spike_times' column.")
    index = units["spike_times"]
    ends = np.asarray(index.data[:], dtype=np.int64)
    n_index = normalize_index(neurons, ends.size, "neurons")
    chosen = np.arange(ends.size) if n_index is None else n_index
    spikes = index.target.data
    begins = np.concatenate([[0], ends[:-1]])
    counts = np.empty((starts.size, chosen.size), dtype=np.float32)
    for column, unit in enumerate(chosen):
        times = np.sort(np.asarray(spikes[begins[unit] : ends[unit]], dtype=np.float64))
        counts[:, column] = np.searchsorted(times, stops, "left") - np.searchsorted(
            times, starts, "left"
        )
    neuron_info = {
        name: _values(units[name], None if n_index is None else n_index)
        for name in _plain_columns(units, _UNIT_SKIP)
    }
    return counts, neuron_info, "units table: spike counts in each trial window"


def _images(nwbfile: Any) -> NDArray[Any] | None:
    from pynwb.base import Images
    from pynwb.image import ImageSeries

    templates = nwbfile.stimulus_template
    if "images" in templates:
        template = templates["images"]
    elif len(templates) == 1:
        template = next(iter(templates.values()))
    else:
        return None
    if isinstance(template, ImageSeries) and template.data is not None:
        return np.asarray(template.data[()])
    if isinstance(template, Images):
        order = template.order_of_images
        items = (
            list(order.data)
            if order is not None
            else [template.images[k] for k in sorted(template.images)]
        )
        return np.stack([np.asarray(image.data[()]) for image in items])
    return None


# ---------------------------------------------------------------------------- writing
def _check_names(recording: Recording) -> None:
    for name in recording.stimulus:
        if name in _TRIAL_RESERVED:
            raise DataValueError(
                f"stimulus variable {name!r} cannot be saved to NWB: the trials table reserves "
                f"{list(_TRIAL_RESERVED)}."
            )
    for name in recording.neurons:
        if name in _ROI_RESERVED:
            raise DataValueError(
                f"neuron variable {name!r} cannot be saved to NWB: the ROI table reserves "
                f"{list(_ROI_RESERVED)}."
            )


def write_nwb(recording: Recording, path: Path, *, compression: bool) -> None:
    """Write ``recording`` as an NWB file to ``path`` (already a temporary file)."""
    from hdmf.backends.hdf5 import H5DataIO
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
    from pynwb import NWBHDF5IO, NWBFile
    from pynwb.epoch import TimeIntervals
    from pynwb.image import ImageSeries
    from pynwb.ophys import (
        Fluorescence,
        ImageSegmentation,
        OpticalChannel,
        PlaneSegmentation,
        RoiResponseSeries,
    )

    _check_names(recording)

    def wrap(array: NDArray[Any]) -> Any:
        return H5DataIO(array, compression="gzip") if compression and array.size else array

    n_trials, n_neurons = recording.n_trials, recording.n_neurons
    source = recording.meta.get("source")
    nwbfile = NWBFile(
        session_description=str(source) if source else "neurodl recording",
        identifier=str(uuid.uuid4()),
        session_start_time=datetime.datetime.now(datetime.UTC),
    )
    device = nwbfile.create_device(name="microscope", description="unknown (written by neurodl)")
    plane = nwbfile.create_imaging_plane(
        name="imaging_plane",
        optical_channel=OpticalChannel(name="channel", description="unknown", emission_lambda=0.0),
        description="unknown (written by neurodl)",
        device=device,
        excitation_lambda=0.0,
        indicator="unknown",
        location="unknown",
    )
    mask = np.zeros(n_neurons, dtype=[("x", "<u4"), ("y", "<u4"), ("weight", "<f4")])
    mask["weight"] = 1.0
    mask_data = VectorData(name="pixel_mask", description="placeholder one-pixel masks", data=mask)
    columns: list[Any] = [
        mask_data,
        VectorIndex(name="pixel_mask_index", data=np.arange(1, n_neurons + 1), target=mask_data),
    ]
    for name, values in recording.neurons.items():
        columns.append(VectorData(name=name, description=f"neuron variable {name}", data=values))
    rois = PlaneSegmentation(
        name="rois",
        description="one row per neuron (neurodl keeps no ROI footprints)",
        imaging_plane=plane,
        id=ElementIdentifiers(name="id", data=np.arange(n_neurons)),
        columns=columns,
    )
    ophys = nwbfile.create_processing_module(name="ophys", description="neural responses")
    ophys.add(ImageSegmentation(plane_segmentations=[rois]))
    fluorescence = Fluorescence()
    ophys.add(fluorescence)
    starts = np.arange(n_trials, dtype=np.float64)
    fluorescence.add_roi_response_series(
        RoiResponseSeries(
            name="responses",
            data=wrap(recording.responses),
            rois=rois.create_roi_table_region(region=list(range(n_neurons)), description="all"),
            unit=str(recording.meta.get("units", "a.u.")),
            timestamps=starts,
            description="one response per trial (rows) and neuron (columns)",
        )
    )
    trial_columns = [
        VectorData(name="start_time", description="trial start (s)", data=starts),
        VectorData(name="stop_time", description="trial stop (s)", data=starts + 1.0),
    ]
    for name, values in recording.stimulus.items():
        trial_columns.append(
            VectorData(name=name, description=f"stimulus variable {name}", data=values)
        )
    nwbfile.trials = TimeIntervals(
        name="trials",
        description="one row per trial",
        id=ElementIdentifiers(name="id", data=np.arange(n_trials)),
        columns=trial_columns,
    )
    if recording.images is not None:
        nwbfile.add_stimulus_template(
            ImageSeries(
                name="images",
                data=wrap(recording.images),
                unit="a.u.",
                rate=1.0,
                description="stimulus images (image, height, width), indexed by trials.image_id",
            )
        )
    nwbfile.add_scratch(
        encode_meta(recording.meta), name=META_NAME, description="neurodl Recording.meta as JSON"
    )
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
