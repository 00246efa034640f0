"""``.npz`` (neurodl and curriculum layouts) and Stringer 2021 ``.npy`` readers; the npz writer."""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from numpy.lib import format as npformat
from numpy.typing import NDArray

from neurodl.data._formats_common import (
    Index,
    check_per_neuron,
    check_per_trial,
    check_responses_shape,
    decode_meta,
    encode_meta,
    make_recording,
    normalize_index,
)
from neurodl.data.recording import Recording
from neurodl.exceptions import DataFormatError, DataValueError, UnsafeFileError

__all__ = ["read_npy", "read_npz", "write_npz"]

NEURON_PREFIX = "neuron_"
RESERVED = ("responses", "images", "meta")
_READ_ERRORS = (ValueError, OSError, EOFError, zipfile.BadZipFile, zlib.error)


def unsafe(path: Path, what: str) -> UnsafeFileError:
    """The refusal to unpickle ``path``, naming both ways to trust it."""
    return UnsafeFileError(
        f"{path}: {what} needs pickle to load, which can run arbitrary code; if you trust this "
        "file, pass allow_pickle=True (Python) or --allow-pickle (command line)."
    )


# ---------------------------------------------------------------------------- npz access
class _Archive:
    """Checked access to the members of an ``.npz`` archive."""

    def __init__(self, path: Path, allow_pickle: bool) -> None:
        self.path = path
        with open(path, "rb") as handle:
            magic = handle.read(4)
        if not zipfile.is_zipfile(path):
            if magic == b"PK\x03\x04":
                raise DataFormatError(
                    f"{path}: the .npz archive is truncated or corrupt (no zip directory found)."
                )
            raise DataFormatError(
                f"{path}: not an .npz archive (expected a zip file of .npy arrays, as written by "
                "numpy.savez)."
            )
        try:
            self.npz = np.load(path, allow_pickle=allow_pickle)
        except _READ_ERRORS as exc:
            raise DataFormatError(f"{path}: the .npz archive is corrupt ({exc}).") from None
        try:
            self.keys = list(self.npz.files)
            self.headers = {key: self._header(key) for key in self.keys}
        except _READ_ERRORS as exc:
            self.npz.close()
            raise DataFormatError(f"{path}: the .npz archive is corrupt ({exc}).") from None
        if not allow_pickle:
            for key, (_, dtype) in self.headers.items():
                if dtype is not None and dtype.hasobject:
                    self.npz.close()
                    raise unsafe(path, f"array {key!r} holds Python objects and")

    def _header(self, key: str) -> tuple[tuple[int, ...] | None, np.dtype | None]:
        with self.npz.zip.open(f"{key}.npy") as member:
            version = npformat.read_magic(member)
            if version == (1, 0):
                shape, _, dtype = npformat.read_array_header_1_0(member)
            elif version == (2, 0):
                shape, _, dtype = npformat.read_array_header_2_0(member)
            else:  # rare header versions: read lazily later
                return None, None
        return tuple(shape), np.dtype(dtype)

    def shape(self, key: str) -> tuple[int, ...]:
        shape = self.headers[key][0]
        return shape if shape is not None else self[key].shape

    def dtype(self, key: str) -> np.dtype:
        dtype = self.headers[key][1]
        return dtype if dtype is not None else self[key].dtype

    def __getitem__(self, key: str) -> NDArray[Any]:
        try:
            return np.asarray(self.npz[key])
        except _READ_ERRORS as exc:
            raise DataFormatError(
                f"{self.path}: array {key!r} in the .npz archive is truncated or corrupt ({exc})."
            ) from None

    def require(self, key: str, expected: str) -> None:
        if key not in self.keys:
            raise DataFormatError(
                f"{self.path}: missing array {key!r} ({expected}); found {sorted(self.keys)}."
            )

    def close(self) -> None:
        self.npz.close()


def _take(array: NDArray[Any], index: Index) -> NDArray[Any]:
    return array if index is None else array[index]


# ---------------------------------------------------------------------------- readers
def read_npz(path: Path, *, allow_pickle: bool, trials: Any, neurons: Any) -> Recording:
    """Read a neurodl or curriculum ``.npz`` (told apart by its keys)."""
    archive = _Archive(path, allow_pickle)
    try:
        keys = set(archive.keys)
        if "responses" in keys:
            return _read_neurodl(archive, trials, neurons)
        if keys & {"resp", "resp_train", "resp_test"}:
            return _read_curriculum(archive, trials, neurons)
        raise DataFormatError(
            f"{path}: missing array 'responses' (neurodl .npz) or 'resp' / 'resp_train' + "
            f"'resp_test' (curriculum .npz); found {sorted(keys)}."
        )
    finally:
        archive.close()


def _read_neurodl(archive: _Archive, trials: Any, neurons: Any) -> Recording:
    path = archive.path
    check_responses_shape(path, "responses", archive.shape("responses"), archive.dtype("responses"))
    n_trials, n_neurons = archive.shape("responses")
    t_index = normalize_index(trials, n_trials, "trials")
    n_index = normalize_index(neurons, n_neurons, "neurons")
    for key in archive.keys:
        if key in RESERVED:
            continue
        if key.startswith(NEURON_PREFIX):
            check_per_neuron(path, key, archive.shape(key), n_neurons)
        else:
            check_per_trial(path, key, archive.shape(key), n_trials)
    responses = archive["responses"]
    if t_index is not None:
        responses = responses[t_index]
    if n_index is not None:
        responses = responses[:, n_index]
    stimulus = {
        key: _take(archive[key], t_index)
        for key in archive.keys
        if key not in RESERVED and not key.startswith(NEURON_PREFIX)
    }
    neuron_info = {
        key[len(NEURON_PREFIX) :]: _take(archive[key], n_index)
        for key in archive.keys
        if key.startswith(NEURON_PREFIX)
    }
    images = archive["images"] if "images" in archive.keys else None
    meta = _meta_of(path, archive["meta"]) if "meta" in archive.keys else {}
    return make_recording(
        path, responses=responses, stimulus=stimulus, images=images, neurons=neuron_info, meta=meta
    )


def _meta_of(path: Path, raw: NDArray[Any]) -> dict[str, Any]:
    if raw.ndim != 0 or raw.dtype.kind != "U":
        raise DataFormatError(
            f"{path}: 'meta' must be a 0-d unicode array holding JSON; got dtype {raw.dtype} "
            f"and shape {raw.shape}."
        )
    return decode_meta(str(raw[()]), path)


def read_npz_meta(path: Path) -> dict[str, Any] | None:
    """The ``meta`` of a neurodl ``.npz`` without reading its arrays.

    None when the file is not a readable neurodl ``.npz`` (a curriculum file, a broken archive):
    :func:`read_npz` then reads it or says what is wrong.
    """
    try:
        with np.load(path, allow_pickle=False) as archive:
            if "responses" not in archive.files:
                return None
            return _meta_of(path, archive["meta"]) if "meta" in archive.files else {}
    except (OSError, ValueError, zipfile.BadZipFile):
        return None


def _read_curriculum(archive: _Archive, trials: Any, neurons: Any) -> Recording:
    path = archive.path
    archive.require("stimuli", "stimulus orientation in degrees, one per row of the responses")
    split = "resp" not in archive.keys
    names = ["resp_train", "resp_test"] if split else ["resp"]
    for name in names:
        archive.require(name, "trial-averaged responses (n_conditions, n_neurons)")
        check_responses_shape(path, name, archive.shape(name), archive.dtype(name))
    if split and archive.shape("resp_train") != archive.shape("resp_test"):
        raise DataValueError(
            f"{path}: 'resp_train' and 'resp_test' must have the same shape; got "
            f"{archive.shape('resp_train')} and {archive.shape('resp_test')}."
        )
    n_conditions = archive.shape(names[0])[0]
    check_per_trial(path, "stimuli", archive.shape("stimuli"), n_conditions)
    stimuli = archive["stimuli"]
    if stimuli.dtype.kind not in "iuf":
        raise DataValueError(
            f"{path}: 'stimuli' must hold numeric orientations in degrees; got dtype "
            f"{stimuli.dtype}."
        )
    responses = np.concatenate([archive[name] for name in names], axis=0)
    stimulus: dict[str, NDArray[Any]] = {
        "orientation": np.tile(stimuli.astype(np.float64), len(names))
    }
    notes = ["trial-averaged"]
    if split:
        stimulus["repeat"] = np.repeat(np.arange(2), n_conditions)
        notes.append(
            "two repeats of each condition: repeat 0 = 'resp_train', repeat 1 = 'resp_test', "
            "each averaged over disjoint trials"
        )
    t_index = normalize_index(trials, responses.shape[0], "trials")
    n_index = normalize_index(neurons, responses.shape[1], "neurons")
    responses = _take(_take(responses, t_index).T, n_index).T
    stimulus = {key: _take(value, t_index) for key, value in stimulus.items()}
    meta = {
        "source": f"curriculum .npz ({'split' if split else 'one row per orientation'})",
        "file": path.name,
        "units": "trial-averaged response",
        "preprocessing": notes,
    }
    return make_recording(path, responses=responses, stimulus=stimulus, meta=meta)


_STRINGER_NEURON_KEYS = ("xpos", "ypos", "zpos", "depth", "iplane", "redcell")


def read_npy(path: Path, *, allow_pickle: bool, trials: Any, neurons: Any) -> Recording:
    """Read a Stringer et al. (2021) per-recording ``.npy`` (a pickled dict); needs trust."""
    data = _load_pickled_dict(path, allow_pickle)
    for key, expected in (("sresp", "responses (n_neurons, n_trials)"), ("istim", "radians")):
        if key not in data:
            raise DataFormatError(
                f"{path}: missing key {key!r} ({expected}); found {sorted(map(str, data))}."
            )
    sresp = np.asarray(data["sresp"])
    check_responses_shape(path, "sresp", sresp.shape, sresp.dtype)
    n_neurons, n_trials = sresp.shape
    istim = np.asarray(data["istim"])
    check_per_trial(path, "istim", istim.shape, n_trials)
    if istim.dtype.kind not in "iuf":
        raise DataValueError(f"{path}: 'istim' must hold numeric radians; got {istim.dtype}.")
    stimulus: dict[str, NDArray[Any]] = {"orientation": np.degrees(istim.astype(float)) % 360.0}
    neuron_info, extra, ignored = _stringer_variables(data, n_neurons, n_trials)
    stimulus.update(extra)
    t_index = normalize_index(trials, n_trials, "trials")
    n_index = normalize_index(neurons, n_neurons, "neurons")
    responses = _take(_take(sresp, n_index).T, t_index)
    meta = {
        "source": "Stringer et al. 2021 .npy",
        "file": path.name,
        "preprocessing": [
            "responses = sresp transposed to (n_trials, n_neurons)",
            "orientation = degrees(istim) mod 360",
        ],
        "ignored_keys": sorted(ignored),
    }
    return make_recording(
        path,
        responses=responses,
        stimulus={k: _take(v, t_index) for k, v in stimulus.items()},
        neurons={k: _take(v, n_index) for k, v in neuron_info.items()},
        meta=meta,
    )


def _load_pickled_dict(path: Path, allow_pickle: bool) -> dict[Any, Any]:
    """The dict pickled in an object ``.npy``: the header is read first, unpickled if trusted."""
    try:
        with open(path, "rb") as handle:
            version = npformat.read_magic(handle)
            if version == (1, 0):
                _, _, dtype = npformat.read_array_header_1_0(handle)
            else:
                _, _, dtype = npformat.read_array_header_2_0(handle)
    except (ValueError, OSError, EOFError) as exc:
        raise DataFormatError(f"{path}: not a readable .npy file ({exc}).") from None
    if not np.dtype(dtype).hasobject:
        raise DataFormatError(
            f"{path}: expected a pickled dict with 'sresp' and 'istim' (Stringer 2021 layout); "
            f"got a plain array of dtype {np.dtype(dtype)}."
        )
    if not allow_pickle:
        raise unsafe(path, "this .npy file (a pickled dict)")
    try:
        content = np.load(path, allow_pickle=True)
        data = content.item() if content.ndim == 0 else content
    except Exception as exc:  # unpickling can fail in many ways on a damaged file
        raise DataFormatError(
            f"{path}: the pickled .npy file is truncated or corrupt ({exc})."
        ) from None
    if not isinstance(data, dict):
        raise DataFormatError(
            f"{path}: expected a pickled dict with 'sresp' and 'istim'; got {type(data).__name__}."
        )
    return data


def _stringer_variables(
    data: dict[Any, Any], n_neurons: int, n_trials: int
) -> tuple[dict[str, NDArray[Any]], dict[str, NDArray[Any]], list[str]]:
    """The dict's other arrays: per neuron, per trial, and the names of those ignored."""
    neuron_info: dict[str, NDArray[Any]] = {}
    stimulus: dict[str, NDArray[Any]] = {}
    ignored = []
    for key, value in data.items():
        if key in ("sresp", "istim"):
            continue
        array = np.asarray(value)
        if array.dtype.kind not in "biufU" or array.ndim == 0:
            ignored.append(str(key))
        elif array.shape[0] == n_neurons and (
            key in _STRINGER_NEURON_KEYS or n_neurons != n_trials
        ):
            neuron_info[str(key)] = array
        elif array.shape == (n_trials,):
            stimulus[str(key)] = array
        else:
            ignored.append(str(key))
    if "xpos" in neuron_info and "ypos" in neuron_info:
        neuron_info["position"] = np.column_stack([neuron_info["xpos"], neuron_info["ypos"]])
    return neuron_info, stimulus, ignored


# ---------------------------------------------------------------------------- writer
def check_names(recording: Recording, *, allow_slash: bool = True) -> None:
    """Refuse variable names that would collide with the reserved keys of the file layout."""
    for name in recording.stimulus:
        if name in RESERVED or name.startswith(NEURON_PREFIX) or (not allow_slash and "/" in name):
            raise DataValueError(
                f"stimulus variable {name!r} cannot be saved: names {list(RESERVED)}, names "
                f"starting with {NEURON_PREFIX!r}{'' if allow_slash else ' and names with /'} "
                "are reserved."
            )
    if not allow_slash:
        for name in recording.neurons:
            if "/" in name:
                raise DataValueError(f"neuron variable {name!r} cannot be saved: '/' in name.")


def arrays_of(recording: Recording) -> dict[str, NDArray[Any]]:
    """The arrays of the neurodl layout, by key (shared by the npz and HDF5 writers)."""
    arrays: dict[str, NDArray[Any]] = {"responses": recording.responses}
    arrays.update(recording.stimulus)
    if recording.images is not None:
        arrays["images"] = recording.images
    for name, values in recording.neurons.items():
        arrays[NEURON_PREFIX + name] = values
    return arrays


def write_npz(recording: Recording, path: Path, *, compression: bool) -> None:
    """Write the neurodl ``.npz`` layout to ``path`` (already a temporary file)."""
    check_names(recording)
    arrays = arrays_of(recording)
    for key, value in arrays.items():
        if value.dtype.hasobject:
            raise DataValueError(f"array {key!r} holds Python objects and cannot be saved.")
    arrays["meta"] = np.array(encode_meta(recording.meta))
    with open(path, "wb") as handle:
        if compression:
            np.savez_compressed(handle, **arrays)  # type: ignore[arg-type]
        else:
            np.savez(handle, **arrays)  # type: ignore[arg-type]
