"""Write a :class:`Recording` as an NWB file (the layout is described in ``_formats_nwb``)."""

from __future__ import annotations

import datetime
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import encode_meta
from neurodl.data._nwb_tables import TRIAL_RESERVED
from neurodl.data.recording import Recording
from neurodl.exceptions import DataValueError

__all__ = ["META_NAME", "write_nwb"]

META_NAME = "neurodl_meta"
_ROI_RESERVED = ("image_mask", "pixel_mask", "voxel_mask", "id")


def _check_names(recording: Recording) -> None:
    for name in recording.stimulus:
        if name in TRIAL_RESERVED:
            raise DataValueError(
                f"stimulus variable {name!r} cannot be saved to NWB: the trials table reserves "
                f"{list(TRIAL_RESERVED)}."
            )
    for name in recording.neurons:
        if name in _ROI_RESERVED:
            raise DataValueError(
                f"neuron variable {name!r} cannot be saved to NWB: the ROI table reserves "
                f"{list(_ROI_RESERVED)}."
            )


def _new_file(recording: Recording) -> Any:
    from pynwb import NWBFile

    source = recording.meta.get("source")
    return NWBFile(
        session_description=str(source) if source else "neurodl recording",
        identifier=str(uuid.uuid4()),
        session_start_time=datetime.datetime.now(datetime.UTC),
    )


def _add_rois(nwbfile: Any, recording: Recording) -> Any:
    """One PlaneSegmentation row per neuron (placeholder one-pixel masks + neuron columns)."""
    from hdmf.common import ElementIdentifiers, VectorData, VectorIndex
    from pynwb.ophys import OpticalChannel, PlaneSegmentation

    n_neurons = recording.n_neurons
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
    return rois


def _add_responses(nwbfile: Any, recording: Recording, rois: Any, wrap: Any) -> None:
    """processing/ophys: the ROI table and ``Fluorescence/responses``, one sample per trial."""
    from pynwb.ophys import Fluorescence, ImageSegmentation, RoiResponseSeries

    ophys = nwbfile.create_processing_module(name="ophys", description="neural responses")
    ophys.add(ImageSegmentation(plane_segmentations=[rois]))
    fluorescence = Fluorescence()
    ophys.add(fluorescence)
    fluorescence.add_roi_response_series(
        RoiResponseSeries(
            name="responses",
            data=wrap(recording.responses),
            rois=rois.create_roi_table_region(
                region=list(range(recording.n_neurons)), description="all"
            ),
            unit=str(recording.meta.get("units", "a.u.")),
            timestamps=np.arange(recording.n_trials, dtype=np.float64),
            description="one response per trial (rows) and neuron (columns)",
        )
    )


def _add_trials(nwbfile: Any, recording: Recording) -> None:
    """intervals/trials: trial i spans [i, i + 1) s; one column per stimulus variable."""
    from hdmf.common import ElementIdentifiers, VectorData
    from pynwb.epoch import TimeIntervals

    starts = np.arange(recording.n_trials, dtype=np.float64)
    columns = [
        VectorData(name="start_time", description="trial start (s)", data=starts),
        VectorData(name="stop_time", description="trial stop (s)", data=starts + 1.0),
    ]
    for name, values in recording.stimulus.items():
        columns.append(VectorData(name=name, description=f"stimulus variable {name}", data=values))
    nwbfile.trials = TimeIntervals(
        name="trials",
        description="one row per trial",
        id=ElementIdentifiers(name="id", data=np.arange(recording.n_trials)),
        columns=columns,
    )


def write_nwb(recording: Recording, path: Path, *, compression: bool) -> None:
    """Write ``recording`` as an NWB file to ``path`` (already a temporary file)."""
    from hdmf.backends.hdf5 import H5DataIO
    from pynwb import NWBHDF5IO
    from pynwb.image import ImageSeries

    _check_names(recording)

    def wrap(array: NDArray[Any]) -> Any:
        return H5DataIO(array, compression="gzip") if compression and array.size else array

    nwbfile = _new_file(recording)
    _add_responses(nwbfile, recording, _add_rois(nwbfile, recording), wrap)
    _add_trials(nwbfile, recording)
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
