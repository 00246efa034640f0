"""NWB intervals tables: which one holds the trials, which rows to keep, which columns to read.

An NWB file may hold any number of intervals tables (``intervals/trials``, ``intervals/epochs``,
archive tables such as ``intervals/static_gratings_presentations``). One of them gives the rows
that become trials; ``where`` keeps the rows whose columns hold given values.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import h5py
import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import Index, read_rows
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError

__all__ = [
    "TRIAL_RESERVED",
    "choose_intervals",
    "column_values",
    "plain_columns",
    "rows_where",
    "stimulus_columns",
]

TRIAL_RESERVED = ("start_time", "stop_time", "tags", "timeseries", "id")
#: Intervals tables that never hold trials (not counted when picking the default table).
_NOT_TRIALS = ("invalid_times",)
_NOT_EQUAL = "!="


def column_values(column: Any, index: Index = None) -> NDArray[Any]:
    """Read a table column (optionally only the rows ``index``) as a numpy array; text as str."""
    data = column.data
    dtype = getattr(data, "dtype", None)
    if isinstance(data, h5py.Dataset) and dtype is not None and dtype.kind in "biuf":
        return read_rows(data, index)
    values = np.asarray(data[:])
    if values.dtype.kind in "OS":
        values = np.asarray(
            [v.decode() if isinstance(v, bytes) else str(v) for v in values.tolist()], dtype=str
        )
    return values if index is None else values[index]


def plain_columns(table: Any, skip: tuple[str, ...]) -> list[str]:
    """Names of the table's one-value-per-row columns (no ragged or reference columns)."""
    from hdmf.common import DynamicTableRegion, VectorIndex

    names = []
    for name in table.colnames:
        column = table[name]
        if name in skip or isinstance(column, (VectorIndex, DynamicTableRegion)):
            continue
        names.append(name)
    return names


def choose_intervals(path: Path, nwbfile: Any, name: str | None) -> tuple[Any, str]:
    """The intervals table named ``name`` (or the default one) and how it was chosen.

    Default: ``trials`` if present, else the only intervals table (``invalid_times`` never
    counts), else a one-line error listing the tables.
    """
    tables = dict(nwbfile.intervals)
    listed = ", ".join(sorted(tables)) or "none"
    if name is not None:
        if name not in tables:
            raise NeurodlValueError(
                f"{path}: intervals must name one of the file's intervals tables ({listed}); "
                f"got {name!r}."
            )
        return tables[name], "given"
    if "trials" in tables:
        return tables["trials"], "default: the trials table"
    candidates = sorted(n for n in tables if n not in _NOT_TRIALS)
    if len(candidates) == 1:
        return tables[candidates[0]], "default: the only intervals table"
    if not candidates:
        raise DataFormatError(
            f"{path}: the NWB file has no intervals table (no trials or presentations table); "
            "neurodl needs one row per trial with start_time, stop_time and stimulus columns."
        )
    raise NeurodlValueError(
        f"{path}: the NWB file has no trials table and several intervals tables; choose one with "
        f"intervals=NAME (--intervals NAME): {', '.join(candidates)}."
    )


def _match(values: NDArray[Any], wanted: Any, column: str, where_name: str) -> NDArray[np.bool_]:
    """Rows of ``values`` equal to ``wanted`` (a value or a list of values)."""
    items = list(wanted) if isinstance(wanted, (list, tuple, set, np.ndarray)) else [wanted]
    mask = np.zeros(values.shape[0], dtype=bool)
    for item in items:
        if values.dtype.kind in "biuf":
            try:
                number = float(item)
            except (TypeError, ValueError):
                raise NeurodlValueError(
                    f"where: column {column!r} holds numbers; got {item!r} in {where_name}."
                ) from None
            mask |= np.isnan(values) if np.isnan(number) else values == number
        else:
            mask |= values == str(item)
    return mask


def _shown_values(values: NDArray[Any], limit: int = 20) -> str:
    distinct = np.unique(values[~np.isnan(values)] if values.dtype.kind == "f" else values)
    shown = ", ".join(f"{v:g}" if values.dtype.kind in "biuf" else str(v) for v in distinct[:limit])
    return shown + (f", ... ({distinct.size} distinct)" if distinct.size > limit else "")


def rows_where(path: Path, table: Any, where: Mapping[str, Any] | None) -> NDArray[np.intp] | None:
    """Positions of the rows that satisfy every condition of ``where`` (None: all rows).

    Keys are column names (equal to the value, or to any value of a list) or ``"column!="``
    (different from the value); ``nan`` matches NaN in number columns.
    """
    if not where:
        return None
    if not isinstance(where, Mapping):
        raise NeurodlValueError(
            f"where must be a dict of column name to value; got {type(where).__name__}."
        )
    columns = plain_columns(table, ("id", "tags", "timeseries"))
    keep = np.ones(len(table), dtype=bool)
    for key, wanted in where.items():
        negate = str(key).endswith(_NOT_EQUAL)
        column = str(key)[: -len(_NOT_EQUAL)] if negate else str(key)
        if column not in columns:
            raise NeurodlValueError(
                f"{path}: where names column {column!r}, which table {table.name!r} does not "
                f"have; its columns: {', '.join(sorted(columns))}."
            )
        values = column_values(table[column])
        match = _match(values, wanted, column, f"where[{key!r}]")
        if not negate and not match.any():
            raise DataValueError(
                f"{path}: where {column}={wanted!r} keeps none of the {values.shape[0]} rows of "
                f"table {table.name!r}; its {column!r} values: {_shown_values(values)}."
            )
        keep &= ~match if negate else match
    if not keep.any():
        raise DataValueError(
            f"{path}: where {dict(where)!r} keeps none of the {len(table)} rows of table "
            f"{table.name!r}."
        )
    return np.flatnonzero(keep).astype(np.intp)


def stimulus_columns(
    path: Path, table: Any, rows: Index
) -> tuple[dict[str, NDArray[Any]], dict[str, str]]:
    """The table's per-row stimulus variables for ``rows``, and the columns left out (why)."""
    stimulus: dict[str, NDArray[Any]] = {}
    skipped: dict[str, str] = {}
    for name in plain_columns(table, TRIAL_RESERVED):
        values = column_values(table[name], rows)
        if values.ndim != 1:
            skipped[name] = f"{values.ndim}-D column"
        elif values.dtype.kind not in "biufU":
            skipped[name] = f"dtype {values.dtype}"
        elif values.dtype.kind == "f" and np.isnan(values).all():
            skipped[name] = "NaN in every row read"
        elif values.dtype.kind == "f" and not np.isfinite(values).all():
            bad = int((~np.isfinite(values)).sum())
            raise DataValueError(
                f"{path}: column {name!r} of table {table.name!r} is NaN or inf in {bad} of the "
                f"rows read (e.g. blank presentations); drop them with where={{'{name}!=': "
                f"'nan'}} (--where {name}!=nan)."
            )
        else:
            stimulus[name] = values
    return stimulus, skipped
