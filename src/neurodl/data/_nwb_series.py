"""NWB response series: find them, choose one, and read one response per row window.

Candidates are every ``RoiResponseSeries`` (kind ``DfOverF`` or ``Fluorescence`` after the
container that holds it, else ``RoiResponseSeries``) and the ``units`` table. Imaging series are
averaged over the samples inside each window; units give spike counts in each window.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import (
    Index,
    check_responses_shape,
    normalize_index,
    read_table,
)
from neurodl.data._nwb_tables import column_values, plain_columns
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError

__all__ = ["SeriesInfo", "choose_series", "find_series", "read_responses", "series_times"]

_ROI_RESERVED = ("image_mask", "pixel_mask", "voxel_mask", "id")
_UNIT_SKIP = ("spike_times", "obs_intervals", "electrodes", "waveforms", "id")
#: Values read at a time (rows x neurons) when averaging a continuous series over windows.
BLOCK_ELEMENTS = 1 << 23


@dataclass(frozen=True)
class SeriesInfo:
    """One candidate response series: its path in the file, its kind and the pynwb object."""

    path: str
    kind: str
    obj: Any


def _object_path(obj: Any) -> str:
    """Path of ``obj`` inside the file, e.g. ``processing/ophys/dff/traces``."""
    data = getattr(obj, "data", None)
    if isinstance(data, h5py.Dataset):
        return data.name.strip("/").removesuffix("/data")
    names = []
    node = obj
    while node is not None and type(node).__name__ != "NWBFile":
        names.append(node.name)
        node = node.parent
    return "/".join(reversed(names))


def find_series(nwbfile: Any) -> list[SeriesInfo]:
    """Every response series of the file, sorted by path (``units`` for the units table)."""
    from pynwb.ophys import DfOverF, Fluorescence, RoiResponseSeries

    found = []
    for obj in nwbfile.objects.values():
        if isinstance(obj, RoiResponseSeries):
            parent = obj.parent
            kind = (
                "DfOverF"
                if isinstance(parent, DfOverF)
                else "Fluorescence"
                if isinstance(parent, Fluorescence)
                else "RoiResponseSeries"
            )
            found.append(SeriesInfo(_object_path(obj), kind, obj))
    if nwbfile.units is not None:
        found.append(SeriesInfo("units", "units", nwbfile.units))
    return sorted(found, key=lambda s: s.path)


def _matches(info: SeriesInfo, name: str) -> bool:
    parent = getattr(info.obj, "parent", None)
    return (
        info.path == name
        or info.path.endswith("/" + name)
        or (parent is not None and info.kind != "units" and parent.name == name)
    )


def choose_series(path: Path, candidates: list[SeriesInfo], name: str | None) -> tuple[Any, str]:
    """The series named ``name`` (a path, its last parts or its container) or the default one.

    Default: the ΔF/F series when there is exactly one and every other candidate is imaging
    (raw fluorescence), else the only series, else a one-line error listing them.
    """
    listed = ", ".join(c.path for c in candidates)
    if not candidates:
        raise DataFormatError(
            f"{path}: the NWB file has neither a RoiResponseSeries nor a units table to read "
            "responses from."
        )
    if name is not None:
        chosen = [c for c in candidates if _matches(c, name)]
        if len(chosen) == 1:
            return chosen[0], "given"
        if not chosen:
            raise NeurodlValueError(
                f"{path}: series must name one of the file's response series ({listed}); "
                f"got {name!r}."
            )
        raise NeurodlValueError(
            f"{path}: series {name!r} matches several response series; give the full path: "
            f"{', '.join(c.path for c in chosen)}."
        )
    if len(candidates) == 1:
        return candidates[0], "default: the only series"
    dff = [c for c in candidates if c.kind == "DfOverF"]
    if len(dff) == 1 and all(c.kind != "units" for c in candidates):
        return dff[0], "default: dF/F over raw fluorescence"
    raise NeurodlValueError(
        f"{path}: the NWB file has several response series; choose one with series=NAME "
        f"(--series NAME): {listed}."
    )


def series_times(series: Any) -> NDArray[np.float64]:
    """Sample times (s) of a TimeSeries, from its timestamps or its rate and starting time."""
    if series.timestamps is not None:
        return np.asarray(series.timestamps[()], dtype=np.float64)
    start = 0.0 if series.starting_time is None else float(series.starting_time)
    return start + np.arange(series.data.shape[0], dtype=np.float64) / float(series.rate)


def _window_sums(
    data: Any, first: NDArray[np.intp], last: NDArray[np.intp], cols: Index
) -> NDArray[np.float64]:
    """Sum of ``data[first[i]:last[i]][:, cols]`` for every i, reading blocks of rows once."""
    n_cols = data.shape[1] if cols is None else cols.size
    sums = np.zeros((first.size, n_cols), dtype=np.float64)
    step = max(1, BLOCK_ELEMENTS // max(n_cols, 1))
    for lo in range(int(first.min()), int(last.max()), step):
        hi = min(lo + step, int(last.max()))
        hit = np.flatnonzero((first < hi) & (last > lo))
        if hit.size == 0:
            continue
        a = np.clip(first[hit], lo, hi)
        b = np.clip(last[hit], lo, hi)
        begin, end = int(a.min()), int(b.max())
        block = read_table(data, np.arange(begin, end, dtype=np.intp), cols)
        for row, i, j in zip(hit, a - begin, b - begin, strict=True):
            sums[row] += block[i:j].sum(axis=0, dtype=np.float64)
    return sums


def _read_imaging(
    path: Path,
    info: SeriesInfo,
    starts: NDArray[np.float64],
    stops: NDArray[np.float64],
    neurons: Any,
) -> tuple[NDArray[Any], dict[str, NDArray[Any]], str]:
    series = info.obj
    data = series.data
    shape = tuple(data.shape)
    if len(shape) == 1:  # a single ROI
        data = np.asarray(data[()])[:, None]
        shape = data.shape
    check_responses_shape(path, info.path, shape, np.dtype(data.dtype))
    n_index = normalize_index(neurons, shape[1], "neurons")
    times = series_times(series)
    if np.any(np.diff(times) < 0):
        raise DataValueError(f"{path}: the timestamps of {info.path} must be sorted.")
    first = np.searchsorted(times, starts, side="left").astype(np.intp)
    last = np.searchsorted(times, stops, side="left").astype(np.intp)
    empty = np.flatnonzero(last <= first)
    if empty.size:
        i = int(empty[0])
        raise DataValueError(
            f"{path}: row {i} window [{starts[i]:g}, {stops[i]:g}) s holds no samples of "
            f"{info.path}; every window must contain at least one sample."
        )
    if np.all(last - first == 1):
        responses = read_table(data, first, n_index)
        how = f"{info.path}, one sample per row"
    else:
        sums = _window_sums(data, first, last, n_index)
        sums /= (last - first)[:, None]
        responses = sums.astype(np.float32)
        del sums
        how = f"{info.path}, averaged over the samples in each window"
    rows = np.asarray(series.rois.data[:], dtype=np.intp)
    rows = rows if n_index is None else rows[n_index]
    table = series.rois.table
    neuron_info = {
        name: column_values(table[name], rows) for name in plain_columns(table, _ROI_RESERVED)
    }
    return responses, neuron_info, how


def _read_units(
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
        name: column_values(units[name], n_index) for name in plain_columns(units, _UNIT_SKIP)
    }
    return counts, neuron_info, "units table: spike counts in each window"


def read_responses(
    path: Path,
    info: SeriesInfo,
    starts: NDArray[np.float64],
    stops: NDArray[np.float64],
    neurons: Any,
) -> tuple[NDArray[Any], dict[str, NDArray[Any]], str]:
    """Responses (n_rows, n_neurons), per-neuron columns and a sentence on how they were read."""
    if info.kind == "units":
        return _read_units(path, info.obj, starts, stops, neurons)
    return _read_imaging(path, info, starts, stops, neurons)
