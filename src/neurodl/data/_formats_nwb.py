"""Neurodata Without Borders (NWB) reader, through pynwb (the writer is in ``_nwb_write``).

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

Reading accepts NWB files as archives and labs write them. Each choice has a default and an
option (:class:`NWBOptions`; ``load(..., intervals=, where=, series=, window=, images=)``):

- the rows: an intervals table (``trials``, else the only table, else the user names one),
  filtered by ``where`` (``{"stimulus_name": "static_gratings"}``; ``{"frame!=": -1}``);
- the responses: a ``RoiResponseSeries`` (ΔF/F over raw fluorescence when both exist) averaged
  over the samples in each row's window, or the ``units`` table's spike counts in each window;
  the window is the row's [start_time, stop_time) or ``window`` seconds from its start;
- the images: a stimulus template indexed by a column (``frame`` by default), named by the
  user or picked when it is named like the rows' ``stimulus_name``.

The stimulus variables are the table's one-value-per-row columns other than ``start_time``,
``stop_time``, ``tags`` and ``timeseries``; the neuron variables are the ROI (or unit) table's
plain columns. Every choice is recorded in ``meta["nwb"]``.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import decode_meta, make_recording, normalize_index
from neurodl.data._nwb_images import choose_images, read_images, templates_of
from neurodl.data._nwb_series import choose_series, find_series, read_responses
from neurodl.data._nwb_tables import (
    choose_intervals,
    column_values,
    rows_where,
    stimulus_columns,
)
from neurodl.data._nwb_write import META_NAME, write_nwb
from neurodl.data.recording import Recording
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError

__all__ = ["NWBOptions", "open_nwb", "read_nwb", "write_nwb"]


@dataclass(frozen=True)
class NWBOptions:
    """What to read from an NWB file; None everywhere means the defaults."""

    intervals: str | None = None
    where: Mapping[str, Any] | None = None
    series: str | None = None
    window: tuple[float, float] | None = None
    images: str | None = None

    def given(self) -> list[str]:
        """Names of the options set (not None)."""
        return [f.name for f in fields(self) if getattr(self, f.name) is not None]

    def checked_window(self) -> tuple[float, float] | None:
        """``window`` as two floats, checked (finite, start < stop)."""
        if self.window is None:
            return None
        try:
            start, stop = (float(v) for v in self.window)
        except (TypeError, ValueError):
            start = stop = math.nan
        if not (math.isfinite(start) and math.isfinite(stop) and start < stop):
            raise NeurodlValueError(
                "window must be (start, stop) in seconds from each row's start, with start < "
                f"stop; got {self.window!r}."
            )
        return start, stop


@contextlib.contextmanager
def open_nwb(path: Path) -> Iterator[Any]:
    """Open an NWB file read-only and yield the ``NWBFile``; damaged files raise one line."""
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
        yield nwbfile
    except OSError as exc:
        raise DataFormatError(f"{path}: the NWB file is truncated or corrupt ({exc}).") from None
    finally:
        io.close()


def read_nwb(path: Path, *, trials: Any, neurons: Any, options: NWBOptions) -> Recording:
    """Read responses, stimulus columns, neuron columns and images from an NWB file."""
    window = options.checked_window()
    with open_nwb(path) as nwbfile:
        return _from_nwbfile(path, nwbfile, trials, neurons, options, window)


def _rows(
    path: Path, nwbfile: Any, options: NWBOptions, trials: Any
) -> tuple[Any, NDArray[np.intp] | None, dict[str, Any]]:
    """The intervals table, the positions of the rows read (None: all) and the choices made."""
    table, how = choose_intervals(path, nwbfile, options.intervals)
    n_rows = len(table)
    if n_rows == 0:
        raise DataValueError(f"{path}: the {table.name} table is empty; need at least one row.")
    kept = rows_where(path, table, options.where)
    n_kept = n_rows if kept is None else kept.size
    t_index = normalize_index(trials, n_kept, "trials")
    rows = kept if t_index is None else (t_index if kept is None else kept[t_index])
    choices = {
        "intervals": table.name,
        "intervals_choice": how,
        "where": None if not options.where else {str(k): v for k, v in options.where.items()},
        "rows_in_table": n_rows,
        "rows_read": n_rows if rows is None else int(rows.size),
    }
    return table, rows, choices


def _windows(
    table: Any, rows: NDArray[np.intp] | None, window: tuple[float, float] | None
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    starts = column_values(table["start_time"], rows).astype(np.float64)
    if window is not None:
        return starts + window[0], starts + window[1]
    return starts, column_values(table["stop_time"], rows).astype(np.float64)


def _add_images(
    path: Path, nwbfile: Any, table: Any, stimulus: dict[str, NDArray[Any]], spec: str | None
) -> tuple[NDArray[Any] | None, dict[str, Any] | None]:
    """Read the stimulus template into images and ``stimulus['image_id']`` (in place)."""
    templates = templates_of(nwbfile)
    chosen = choose_images(path, spec, table.name, stimulus, templates)
    if chosen is None:
        return None, None
    name, column, how = chosen
    images, image_id, facts = read_images(
        path,
        templates[name],
        stimulus[column],
        column,
        table.name,
        remap=column != "image_id",
    )
    stimulus["image_id"] = image_id
    return images, {"template": name, "column": column, "choice": how, **facts}


def _meta(path: Path, nwbfile: Any) -> dict[str, Any]:
    scratch = nwbfile.scratch
    if META_NAME in scratch:
        text = scratch[META_NAME].data
        text = text[()] if isinstance(text, h5py.Dataset) else text
        return decode_meta(text.decode() if isinstance(text, bytes) else str(text), path)
    return {
        "source": "NWB",
        "file": path.name,
        "session_description": str(nwbfile.session_description),
        "identifier": str(nwbfile.identifier),
    }


def _from_nwbfile(
    path: Path,
    nwbfile: Any,
    trials: Any,
    neurons: Any,
    options: NWBOptions,
    window: tuple[float, float] | None,
) -> Recording:
    table, rows, choices = _rows(path, nwbfile, options, trials)
    starts, stops = _windows(table, rows, window)
    stimulus, skipped = stimulus_columns(path, table, rows)
    info, series_how = choose_series(path, find_series(nwbfile), options.series)
    responses, neuron_info, how = read_responses(path, info, starts, stops, neurons)
    images, image_facts = _add_images(path, nwbfile, table, stimulus, options.images)
    choices.update(
        series=info.path,
        series_kind=info.kind,
        series_choice=series_how,
        unit="spikes" if info.kind == "units" else str(info.obj.unit),
        window_s=None if window is None else list(window),
        responses_from=how,
        images=image_facts,
        columns_skipped=skipped,
    )
    meta = _meta(path, nwbfile)
    if "responses_from" not in meta and meta.get("source") == "NWB":
        meta["responses_from"] = how
    meta["nwb"] = choices
    return make_recording(
        path,
        responses=responses,
        stimulus=stimulus,
        images=images,
        neurons=neuron_info,
        meta=meta,
    )
