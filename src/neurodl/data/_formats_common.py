"""Helpers shared by the file-format readers and writers of :mod:`neurodl.data.io`.

Errors, index normalisation, the lossless JSON codec for ``meta`` and lazy slab
reads from HDF5 datasets live here so that each format module stays short.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data.recording import Recording
from neurodl.exceptions import (
    DataFormatError,
    DataValueError,
    NeurodlTypeError,
    NeurodlValueError,
)

__all__ = [
    "Index",
    "check_per_neuron",
    "check_per_trial",
    "check_responses_shape",
    "decode_meta",
    "encode_meta",
    "make_recording",
    "normalize_index",
    "read_rows",
    "read_table",
]

# A normalised selection: None for "everything", else an int array of positions.
Index = NDArray[np.intp] | None

_ARRAY_TAG = "__ndarray__"


# ---------------------------------------------------------------------------- recording + checks
def make_recording(path: Path, **fields: Any) -> Recording:
    """Build a :class:`Recording`, prefixing its validation errors with the file name."""
    try:
        return Recording(**fields)
    except DataValueError as exc:
        raise DataValueError(f"{path}: {exc}") from None


def check_responses_shape(path: Path, key: str, shape: tuple[int, ...], dtype: np.dtype) -> None:
    """Check that the response array named ``key`` is a non-empty numeric 2-D array."""
    if dtype.kind not in "biuf":
        raise DataValueError(f"{path}: {key!r} must be numeric; got dtype {dtype}.")
    if len(shape) != 2:
        raise DataValueError(
            f"{path}: {key!r} must be 2-D (n_trials, n_neurons); got shape {tuple(shape)}."
        )
    if shape[0] == 0 or shape[1] == 0:
        raise DataValueError(
            f"{path}: {key!r} must have at least one trial and one neuron; got shape "
            f"{tuple(shape)}."
        )


def check_per_trial(path: Path, key: str, shape: tuple[int, ...], n_trials: int) -> None:
    """Check that the per-trial array ``key`` has shape (n_trials,)."""
    if tuple(shape) != (n_trials,):
        raise DataValueError(
            f"{path}: per-trial array {key!r} must have shape ({n_trials},) to match the "
            f"responses; got {tuple(shape)}."
        )


def check_per_neuron(path: Path, key: str, shape: tuple[int, ...], n_neurons: int) -> None:
    """Check that the per-neuron array ``key`` has first dimension n_neurons."""
    if len(shape) == 0 or shape[0] != n_neurons:
        raise DataValueError(
            f"{path}: per-neuron array {key!r} must have first dimension {n_neurons} to match "
            f"the responses; got shape {tuple(shape)}."
        )


# ---------------------------------------------------------------------------- subsets
def normalize_index(selection: Any, size: int, name: str) -> Index:
    """Turn ``trials``/``neurons`` (None, slice, int array or boolean mask) into positions.

    Returns None when everything is selected, else an int array in the requested order (negative
    positions wrapped). Out-of-range positions raise :class:`NeurodlValueError`.
    """
    if selection is None:
        return None
    if isinstance(selection, slice):
        return np.arange(size, dtype=np.intp)[selection]
    array = np.asarray(selection)
    if array.dtype == bool:
        if array.shape != (size,):
            raise NeurodlValueError(
                f"{name} mask must have shape ({size},) to match the file; got {array.shape}."
            )
        return np.flatnonzero(array).astype(np.intp)
    if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
        raise NeurodlValueError(
            f"{name} must be a 1-D integer index, boolean mask or slice; got {array.dtype} array "
            f"of shape {array.shape}."
        )
    array = array.astype(np.intp)
    if array.size and (array.min() < -size or array.max() >= size):
        raise NeurodlValueError(
            f"{name} index out of range for {size} {name}; got values from {array.min()} to "
            f"{array.max()}."
        )
    return np.where(array < 0, array + size, array)


def _as_slab(index: NDArray[np.intp]) -> tuple[Any, NDArray[np.intp] | None]:
    """A sorted, duplicate-free HDF5 selection for ``index`` and the reorder to apply after."""
    unique, inverse = np.unique(index, return_inverse=True)
    reorder = None if np.array_equal(unique, index) else inverse.reshape(-1)
    if unique.size and unique[-1] - unique[0] + 1 == unique.size:
        return slice(int(unique[0]), int(unique[-1]) + 1), reorder
    return unique, reorder


def read_rows(dataset: Any, index: Index) -> NDArray[Any]:
    """Read the rows ``index`` (first axis) of an HDF5-like dataset without reading the rest."""
    if index is None:
        return np.asarray(dataset[()])
    if index.size == 0:
        return np.asarray(dataset[0:0])
    selection, reorder = _as_slab(index)
    out = np.asarray(dataset[selection])
    return out if reorder is None else out[reorder]


def read_table(
    dataset: Any, rows: Index, cols: Index, *, max_elements: int = 1 << 24
) -> NDArray[Any]:
    """Read ``dataset[rows][:, cols]`` of a 2-D HDF5-like dataset as hyperslabs.

    Only the selected rows are read; when both rows and columns are scattered the rows are read in
    blocks of at most ``max_elements`` values, so memory stays bounded for very large files.
    """
    n_rows = dataset.shape[0]
    if cols is None:
        return read_rows(dataset, rows)
    col_sel, col_reorder = _as_slab(cols)
    row_index = np.arange(n_rows, dtype=np.intp) if rows is None else rows
    if row_index.size == 0 or cols.size == 0:
        return np.zeros((row_index.size, cols.size), dtype=dataset.dtype)
    row_sel, row_reorder = _as_slab(row_index)
    if isinstance(row_sel, slice) or isinstance(col_sel, slice):
        out = np.asarray(dataset[row_sel, col_sel])
    else:
        lo, hi = int(col_sel[0]), int(col_sel[-1]) + 1
        step = max(1, max_elements // (hi - lo))
        blocks = [
            np.asarray(dataset[row_sel[i : i + step], lo:hi])[:, col_sel - lo]
            for i in range(0, row_sel.size, step)
        ]
        out = np.concatenate(blocks, axis=0)
    if row_reorder is not None:
        out = out[row_reorder]
    if col_reorder is not None:
        out = out[:, col_reorder]
    return out


# ---------------------------------------------------------------------------- meta as JSON
def _encode(value: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise NeurodlTypeError(
                    f"meta keys must be strings to be saved; got {key!r} in {where}."
                )
            out[key] = _encode(item, f"{where}[{key!r}]")
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise NeurodlTypeError(
                f"meta value {where} is an object array, which cannot be saved without pickle; "
                "use a numeric or string array."
            )
        encoded: dict[str, Any] = {
            _ARRAY_TAG: base64.b64encode(np.ascontiguousarray(array).tobytes()).decode("ascii"),
            "dtype": array.dtype.str,
            "shape": list(array.shape),
        }
        if isinstance(value, np.generic):
            encoded["scalar"] = True
        return encoded
    if isinstance(value, Path):
        return str(value)
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise NeurodlTypeError(
        f"meta value {where} has type {type(value).__name__}, which cannot be saved; use dicts, "
        "lists, strings, numbers, None or numpy arrays."
    )


def _decode_object(obj: dict[str, Any]) -> Any:
    if _ARRAY_TAG not in obj:
        return obj
    dtype = np.dtype(obj["dtype"])
    array = np.frombuffer(base64.b64decode(obj[_ARRAY_TAG]), dtype=dtype)
    array = array.reshape(obj["shape"]).copy()
    return array[()] if obj.get("scalar") else array


def encode_meta(meta: Mapping[str, Any]) -> str:
    """``meta`` as a JSON string; numpy arrays and scalars are stored losslessly (base64 bytes)."""
    return json.dumps(_encode(meta, "meta"))


def decode_meta(text: str, path: Path) -> dict[str, Any]:
    """Inverse of :func:`encode_meta`; a broken string raises :class:`DataFormatError`."""
    try:
        meta = json.loads(text, object_hook=_decode_object)
    except (ValueError, TypeError, KeyError) as exc:
        raise DataFormatError(f"{path}: 'meta' is not valid neurodl meta JSON ({exc}).") from None
    if not isinstance(meta, dict):
        raise DataFormatError(f"{path}: 'meta' must hold a JSON object; got {type(meta).__name__}.")
    return meta
