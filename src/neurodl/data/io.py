"""Read and write recordings: :func:`load` and :func:`save`.

The format follows the file extension unless ``format`` is given:

=============  =========  ====================================================================
extension      format     what is read / written
=============  =========  ====================================================================
``.npz``       ``npz``    neurodl layout (read, write) or the curriculum layouts (read)
``.npy``       ``npy``    Stringer et al. (2021) per-recording pickled dict (read, trusted only)
``.h5/.hdf5``  ``hdf5``   neurodl layout as HDF5 datasets (read lazily, write)
``.nwb``       ``nwb``    Neurodata Without Borders via pynwb (read, write)
=============  =========  ====================================================================

neurodl ``.npz`` and HDF5 layout
--------------------------------
Both use the same keys (``.npz`` members / HDF5 datasets at the root of the file):

===================  ==========================  ================================================
key                  shape                       content
===================  ==========================  ================================================
``responses``        (n_trials, n_neurons)       float32 responses
``<name>``           (n_trials,)                 per-trial stimulus variable ``<name>``, e.g.
                                                 ``orientation`` (degrees), ``image_id`` (int)
``images``           (n_images, height, width)   optional float32 stimulus images
``neuron_<name>``    (n_neurons, ...)            per-neuron variable ``<name>`` (any trailing
                                                 shape; numbers or text)
``meta``             0-d text                    ``Recording.meta`` as a JSON object
===================  ==========================  ================================================

Every other root dataset of an HDF5 file is read as a per-trial variable (groups are ignored),
and so is every other ``.npz`` member. Text arrays are stored as numpy unicode arrays (``.npz``)
or UTF-8 strings (HDF5, with the numpy dtype kept in the dataset's ``dtype`` attribute), so no
pickle is ever needed. Inside ``meta``, numpy arrays and scalars are stored losslessly as
``{"__ndarray__": <base64 of the raw bytes>, "dtype": "<f4", "shape": [...]}`` (plus
``"scalar": true`` for numpy scalars) and come back as numpy arrays/scalars; tuples come back as
lists. HDF5 ``responses`` are read with hyperslabs, so ``load(..., trials=..., neurons=...)``
reads only the selected part of a large file. ``save(..., compression=True)`` gzips the HDF5
and NWB datasets or writes a compressed ``.npz``.

Curriculum ``.npz``: ``resp`` (n_orientations, n_neurons) trial-averaged with ``stimuli``
(n_orientations,) in degrees gives one trial per orientation; ``resp_train`` and ``resp_test``
(n_conditions, n_neurons) with ``stimuli`` give two repeats of each condition, marked by the
per-trial variable ``repeat`` (0 = ``resp_train``, 1 = ``resp_test``).

Stringer 2021 ``.npy``: a pickled dict with ``sresp`` (n_neurons, n_trials) and ``istim``
(n_trials,) in radians; responses are ``sresp`` transposed, ``orientation`` is
``degrees(istim) % 360``, other per-trial arrays become stimulus variables and per-neuron arrays
(``xpos``, ``ypos``, ...) neuron variables. Pickle can run arbitrary code, so it is refused
unless ``allow_pickle=True`` (``--allow-pickle`` on the command line).

NWB: see :mod:`neurodl.data._formats_nwb` for the layout written and what is read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from numpy.typing import ArrayLike

from neurodl.data.recording import Recording
from neurodl.exceptions import DataFormatError, NeurodlTypeError, NeurodlValueError
from neurodl.files import atomic_path

__all__ = [
    "FORMATS",
    "WRITABLE_FORMATS",
    "check_destination",
    "describe_nwb",
    "format_of",
    "load",
    "load_meta",
    "save",
]

#: Format names by file extension.
EXTENSIONS: dict[str, str] = {
    ".npz": "npz",
    ".npy": "npy",
    ".h5": "hdf5",
    ".hdf5": "hdf5",
    ".nwb": "nwb",
}
#: Formats that :func:`load` reads.
FORMATS: tuple[str, ...] = ("hdf5", "npy", "npz", "nwb")
#: Formats that :func:`save` writes.
WRITABLE_FORMATS: tuple[str, ...] = ("hdf5", "npz", "nwb")


def _format_of(path: Path, format: str | None, allowed: tuple[str, ...]) -> str:
    if format is not None:
        if format not in allowed:
            raise NeurodlValueError(
                f"format must be one of {{{', '.join(repr(f) for f in allowed)}}}; got {format!r}."
            )
        return format
    suffix = path.suffix.lower()
    fmt = EXTENSIONS.get(suffix)
    if fmt is None or fmt not in allowed:
        known = sorted(ext for ext, f in EXTENSIONS.items() if f in allowed)
        raise DataFormatError(
            f"{path}: unknown file extension {suffix or '(none)'!r}; supported extensions are "
            f"{', '.join(known)} (or pass format= one of {', '.join(allowed)})."
        )
    return fmt


def load(
    path: str | os.PathLike[str],
    *,
    allow_pickle: bool = False,
    format: str | None = None,
    trials: ArrayLike | slice | None = None,
    neurons: ArrayLike | slice | None = None,
    intervals: str | None = None,
    where: Mapping[str, Any] | None = None,
    series: str | None = None,
    window: tuple[float, float] | None = None,
    images: str | None = None,
) -> Recording:
    """Read a recording from a file.

    Parameters
    ----------
    path : str or path-like
        The file. Its extension picks the format (see the module docstring) unless ``format``
        is given.
    allow_pickle : bool, default False
        Trust the file and allow pickled content (needed for the Stringer 2021 ``.npy`` dicts).
        Only pass True for files from a source you trust: unpickling can run arbitrary code.
    format : {'npz', 'npy', 'hdf5', 'nwb'}, optional
        Override the format chosen by the extension.
    trials, neurons : int index array, boolean mask or slice, optional
        Read only these trials / neurons (all when None). HDF5 and NWB files read only the
        selected slices from disk. For NWB, ``trials`` counts the rows kept by ``where``.
    intervals : str, optional
        NWB only: the intervals table whose rows are the trials (default ``trials`` if present,
        else the only intervals table, else an error listing them).
    where : dict of str to value, optional
        NWB only: keep the rows whose column equals the value (or any value of a list), e.g.
        ``{"stimulus_name": "static_gratings"}``; a key ``"column!="`` keeps the rows that
        differ (``{"frame!=": -1}``); ``"nan"`` matches NaN.
    series : str, optional
        NWB only: the response series, by path (``processing/ophys/dff/traces``), its last
        parts, its container's name, or ``units`` (default ΔF/F over raw fluorescence when both
        exist, else the only one, else an error listing them).
    window : (float, float), optional
        NWB only: seconds from each row's start over which responses are averaged (imaging) or
        spikes counted (units); default each row's own [start_time, stop_time).
    images : str, optional
        NWB only: ``"TEMPLATE[:COLUMN]"``, the stimulus template (``stimulus/templates``) that
        gives ``images`` and the table column indexing its frames (default ``frame``). By
        default a template named like the rows' ``stimulus_name`` is used.

    Returns
    -------
    Recording

    Raises
    ------
    DataFormatError
        The file is missing, of an unknown type, truncated, corrupt or lacks a required key.
    DataValueError
        The contents are unusable (wrong shapes, lengths that disagree, NaN/inf, empty, text
        where numbers are expected).
    UnsafeFileError
        The file needs pickle and ``allow_pickle`` is False.

    Examples
    --------
    >>> rec = load("session.npz")  # doctest: +SKIP
    >>> rec = load("big.h5", neurons=slice(0, 500))  # doctest: +SKIP
    >>> rec = load(
    ...     "allen.nwb",
    ...     intervals="natural_scenes_presentations",
    ...     where={"frame!=": -1},
    ...     images="natural_scenes:frame",
    ... )  # doctest: +SKIP
    """
    from neurodl.data._formats_nwb import NWBOptions

    options = NWBOptions(intervals, where, series, window, images)
    path = Path(path)
    fmt = _format_of(path, format, FORMATS)
    if fmt != "nwb" and options.given():
        given = options.given()
        raise NeurodlValueError(
            f"{path}: {', '.join(n + '=' for n in given)} ({', '.join('--' + n for n in given)}) "
            f"apply only to NWB files; this file is read as {fmt}."
        )
    if not path.exists():
        raise DataFormatError(f"{path}: no such file.")
    if not path.is_file():
        raise DataFormatError(f"{path}: not a file.")
    if fmt == "npz":
        from neurodl.data._formats_npz import read_npz

        return read_npz(path, allow_pickle=allow_pickle, trials=trials, neurons=neurons)
    if fmt == "npy":
        from neurodl.data._formats_npz import read_npy

        return read_npy(path, allow_pickle=allow_pickle, trials=trials, neurons=neurons)
    if fmt == "hdf5":
        from neurodl.data._formats_hdf5 import read_hdf5

        return read_hdf5(path, trials=trials, neurons=neurons)
    from neurodl.data._formats_nwb import read_nwb

    return read_nwb(path, trials=trials, neurons=neurons, options=options)


def load_meta(path: str | os.PathLike[str], **load_options: Any) -> dict[str, Any]:
    """The ``meta`` of a recording file, reading as little of it as the format allows.

    A neurodl ``.npz`` gives its ``meta`` without reading any array; other files are read by
    :func:`load` (with ``load_options``, e.g. the NWB table and rows) for one trial and one
    neuron (HDF5 and NWB read only that slab from disk).

    Parameters
    ----------
    path : str or path-like
        The recording file.
    **load_options
        Keyword arguments of :func:`load` (``allow_pickle``, ``format``, the NWB options).

    Returns
    -------
    dict
        The recording's ``meta`` (for example ``session`` and ``subject``).

    Raises
    ------
    NeurodlError
        As :func:`load`, when the file cannot be read with these options.

    Examples
    --------
    >>> load_meta("m1_day1.npz").get("subject")  # doctest: +SKIP
    'm1'
    """
    reader = {k: v for k, v in load_options.items() if v is not None}
    if (
        set(reader) <= {"allow_pickle", "format"}
        and _format_of(Path(path), reader.get("format"), FORMATS) == "npz"
    ):
        from neurodl.data._formats_npz import read_npz_meta

        meta = read_npz_meta(Path(path))
        if meta is not None:
            return meta
    return dict(load(path, trials=[0], neurons=[0], **reader).meta)


def format_of(path: str | os.PathLike[str], format: str | None = None) -> str:
    """The format :func:`load` would read ``path`` as (from ``format`` or the extension)."""
    return _format_of(Path(path), format, FORMATS)


def describe_nwb(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe any NWB file pynwb can open, even one that the defaults of :func:`load` refuse.

    Returns
    -------
    dict
        ``series``: every response series (``path``, ``kind`` = DfOverF, Fluorescence,
        RoiResponseSeries or units, ``shape``, ``rate_hz``, ``unit``); ``default_series`` or
        ``series_error``; ``intervals``: every intervals table (``name``, ``n_rows``,
        ``columns`` with the distinct values of text columns and the range of number columns);
        ``templates``: stimulus templates (``name``, ``type``, ``shape``); ``suggestions``: for
        each stimulus table (and each ``stimulus_name`` in it) the :func:`load` options that
        read it and the command (``decode``/``encode``) that would analyse it.

    Examples
    --------
    >>> facts = describe_nwb("allen.nwb")  # doctest: +SKIP
    >>> load("allen.nwb", **facts["suggestions"][0]["options"])  # doctest: +SKIP
    """
    from neurodl.data._nwb_describe import describe_nwb as describe

    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"{path}: no such file.")
    return describe(path)


def check_destination(
    path: str | os.PathLike[str], *, format: str | None = None, overwrite: bool = True
) -> str:
    """Check that :func:`save` can write ``path`` and return the format it would use.

    Lets a caller (e.g. ``neurodl simulate``) refuse a bad destination before doing the work.
    """
    path = Path(path)
    fmt = _format_of(path, format, WRITABLE_FORMATS)
    if path.is_dir():
        raise NeurodlValueError(f"{path} is a directory; give a file name.")
    if path.exists() and not overwrite:
        raise NeurodlValueError(f"{path} exists; pass overwrite=True to replace it.")
    if not path.parent.is_dir():
        raise NeurodlValueError(f"{path}: directory {str(path.parent)!r} does not exist.")
    return fmt


def save(
    recording: Recording,
    path: str | os.PathLike[str],
    *,
    format: str | None = None,
    overwrite: bool = True,
    compression: bool = False,
) -> Path:
    """Write a recording to a file, atomically.

    The file is written under a temporary name in the same directory and then renamed, so a
    reader never sees a half-written file and an existing file is replaced only on success.

    Parameters
    ----------
    recording : Recording
        What to write.
    path : str or path-like
        Destination; its extension (``.npz``, ``.h5``/``.hdf5``, ``.nwb``) picks the format
        unless ``format`` is given.
    format : {'npz', 'hdf5', 'nwb'}, optional
        Override the format chosen by the extension.
    overwrite : bool, default True
        Replace an existing file; when False an existing file raises NeurodlValueError.
    compression : bool, default False
        Compress the arrays (zip deflate for ``.npz``, gzip for HDF5 and NWB).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> save(recording, "session.npz")  # doctest: +SKIP
    PosixPath('session.npz')
    """
    if not isinstance(recording, Recording):
        raise NeurodlTypeError(
            f"recording must be a neurodl Recording; got {type(recording).__name__}."
        )
    path = Path(path)
    fmt = check_destination(path, format=format, overwrite=overwrite)
    writer: Any
    if fmt == "npz":
        from neurodl.data._formats_npz import write_npz

        writer = write_npz
    elif fmt == "hdf5":
        from neurodl.data._formats_hdf5 import write_hdf5

        writer = write_hdf5
    else:
        from neurodl.data._nwb_write import write_nwb

        writer = write_nwb
    with atomic_path(path, suffix=f".tmp.{fmt}") as tmp:
        writer(recording, tmp, compression=compression)
    return path
