"""HDF5 reader (lazy, hyperslab subsets) and writer for the neurodl layout (see :mod:`.io`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import (
    check_per_neuron,
    check_per_trial,
    check_responses_shape,
    decode_meta,
    encode_meta,
    make_recording,
    normalize_index,
    read_rows,
    read_table,
)
from neurodl.data._formats_npz import NEURON_PREFIX, RESERVED, arrays_of, check_names
from neurodl.data.recording import Recording
from neurodl.exceptions import DataFormatError, DataValueError

__all__ = ["read_hdf5", "write_hdf5"]


def _open(path: Path) -> h5py.File:
    if not h5py.is_hdf5(path):
        raise DataFormatError(f"{path}: not an HDF5 file (no HDF5 signature found).")
    try:
        return h5py.File(path, "r")
    except OSError as exc:
        raise DataFormatError(f"{path}: the HDF5 file is truncated or corrupt ({exc}).") from None


def _dataset(path: Path, handle: h5py.File, key: str) -> h5py.Dataset:
    obj = handle[key]
    if not isinstance(obj, h5py.Dataset):
        raise DataFormatError(f"{path}: {key!r} must be a dataset; got a {type(obj).__name__}.")
    return obj


def _dtype_of(dataset: h5py.Dataset) -> np.dtype:
    """The numpy dtype the dataset reads as (text reads as unicode)."""
    if h5py.check_string_dtype(dataset.dtype) is not None:
        return np.dtype(str(dataset.attrs.get("dtype", "<U1")))
    return dataset.dtype


def _read(path: Path, dataset: h5py.Dataset, index: Any) -> NDArray[Any]:
    try:
        if h5py.check_string_dtype(dataset.dtype) is not None:
            values = read_rows(dataset.asstr(), index)
            dtype = dataset.attrs.get("dtype")
            return np.asarray(values.tolist(), dtype=str(dtype) if dtype else str)
        if dataset.dtype.hasobject or dataset.dtype.kind not in "biuf":
            raise DataValueError(
                f"{path}: {dataset.name.lstrip('/')!r} must be numeric or text; got HDF5 dtype "
                f"{dataset.dtype}."
            )
        return read_rows(dataset, index)
    except OSError as exc:
        raise DataFormatError(
            f"{path}: dataset {dataset.name.lstrip('/')!r} is truncated or corrupt ({exc})."
        ) from None


def read_hdf5(path: Path, *, trials: Any, neurons: Any) -> Recording:
    """Read the neurodl HDF5 layout; only the selected trials/neurons are read from disk."""
    with _open(path) as handle:
        keys = list(handle.keys())
        if "responses" not in keys:
            raise DataFormatError(
                f"{path}: missing dataset 'responses' (n_trials, n_neurons); found {sorted(keys)}."
            )
        data = _dataset(path, handle, "responses")
        check_responses_shape(path, "responses", data.shape, _dtype_of(data))
        n_trials, n_neurons = data.shape
        t_index = normalize_index(trials, n_trials, "trials")
        n_index = normalize_index(neurons, n_neurons, "neurons")
        datasets = {
            key: _dataset(path, handle, key)
            for key in keys
            if key not in ("responses", "meta") and isinstance(handle[key], h5py.Dataset)
        }
        for key, dataset in datasets.items():
            if key.startswith(NEURON_PREFIX):
                check_per_neuron(path, key, dataset.shape, n_neurons)
            elif key != "images":
                check_per_trial(path, key, dataset.shape, n_trials)
        try:
            responses = read_table(data, t_index, n_index)
        except OSError as exc:
            raise DataFormatError(
                f"{path}: dataset 'responses' is truncated or corrupt ({exc})."
            ) from None
        stimulus = {
            key: _read(path, ds, t_index)
            for key, ds in datasets.items()
            if key not in RESERVED and not key.startswith(NEURON_PREFIX)
        }
        neuron_info = {
            key[len(NEURON_PREFIX) :]: _read(path, ds, n_index)
            for key, ds in datasets.items()
            if key.startswith(NEURON_PREFIX)
        }
        images = _read(path, datasets["images"], None) if "images" in datasets else None
        meta = _read_meta(path, handle)
    return make_recording(
        path, responses=responses, stimulus=stimulus, images=images, neurons=neuron_info, meta=meta
    )


def _read_meta(path: Path, handle: h5py.File) -> dict[str, Any]:
    if "meta" in handle:
        raw = _dataset(path, handle, "meta")
        if raw.shape != () or h5py.check_string_dtype(raw.dtype) is None:
            raise DataFormatError(
                f"{path}: 'meta' must be a scalar text dataset holding JSON; got dtype "
                f"{raw.dtype} and shape {raw.shape}."
            )
        return decode_meta(raw.asstr()[()], path)
    if "meta" in handle.attrs:
        text = handle.attrs["meta"]
        return decode_meta(text.decode() if isinstance(text, bytes) else str(text), path)
    return {"source": "HDF5", "file": path.name}


def write_hdf5(recording: Recording, path: Path, *, compression: bool) -> None:
    """Write the neurodl layout as HDF5 datasets to ``path`` (already a temporary file)."""
    check_names(recording, allow_slash=False)
    options: dict[str, Any] = {"compression": "gzip", "shuffle": True} if compression else {}
    with h5py.File(path, "w") as handle:
        handle.attrs["format"] = "neurodl"
        handle.attrs["format_version"] = 1
        for key, values in arrays_of(recording).items():
            if values.dtype.kind == "U":
                ds = handle.create_dataset(
                    key, data=values.astype(object), dtype=h5py.string_dtype("utf-8")
                )
                ds.attrs["dtype"] = values.dtype.str
            elif values.size and values.ndim:
                handle.create_dataset(key, data=values, **options)
            else:
                handle.create_dataset(key, data=values)
        handle.create_dataset(
            "meta", data=encode_meta(recording.meta), dtype=h5py.string_dtype("utf-8")
        )
