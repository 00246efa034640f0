"""What an NWB file holds, for ``neurodl info``: series, intervals tables, templates, how to load.

Works on any NWB file pynwb can open, including files neurodl cannot analyse with the defaults.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_nwb import open_nwb
from neurodl.data._nwb_images import choose_images, template_shape, templates_of
from neurodl.data._nwb_series import SeriesInfo, choose_series, find_series, series_times
from neurodl.data._nwb_tables import TRIAL_RESERVED, column_values, plain_columns
from neurodl.exceptions import NeurodlError

__all__ = ["describe_nwb"]

_SHOWN_VALUES = 12
_NOT_STIMULUS = ("invalid_times",)


def _series_facts(info: SeriesInfo) -> dict[str, Any]:
    obj = info.obj
    if info.kind == "units":
        spikes = obj["spike_times"].target.data if "spike_times" in obj.colnames else []
        return {
            "path": info.path,
            "kind": "units",
            "shape": [len(obj)],
            "n_spikes": len(spikes),
            "unit": "spikes",
            "columns": plain_columns(obj, ("spike_times", "electrodes", "id")),
        }
    rate: float | None = None
    if obj.rate is not None:
        rate = float(obj.rate)
    else:
        head = series_times(obj)[:1001]
        if head.size > 1:
            rate = float(1.0 / np.median(np.diff(head)))
    return {
        "path": info.path,
        "kind": info.kind,
        "shape": list(obj.data.shape),
        "rate_hz": rate,
        "unit": str(obj.unit),
    }


def _column_facts(values: NDArray[Any]) -> dict[str, Any]:
    if values.ndim != 1:
        return {"kind": f"{values.ndim}-D", "shape": list(values.shape[1:])}
    if values.dtype.kind == "U":
        distinct, counts = np.unique(values, return_counts=True)
        shown = zip(distinct[:_SHOWN_VALUES], counts[:_SHOWN_VALUES], strict=True)
        return {
            "kind": "text",
            "n_distinct": int(distinct.size),
            "values": {str(v): int(c) for v, c in shown},
        }
    if values.dtype.kind not in "biuf":
        return {"kind": str(values.dtype)}
    finite = values[np.isfinite(values)] if values.dtype.kind == "f" else values
    return {
        "kind": "number",
        "n_distinct": int(np.unique(finite).size),
        "min": float(finite.min()) if finite.size else None,
        "max": float(finite.max()) if finite.size else None,
        "n_nan": int(values.size - finite.size),
    }


def _table_facts(table: Any) -> dict[str, Any]:
    columns = plain_columns(table, TRIAL_RESERVED)
    return {
        "name": table.name,
        "n_rows": len(table),
        "columns": {name: _column_facts(column_values(table[name])) for name in columns},
    }


def _rows_for(table: Any, value: str | None) -> tuple[dict[str, Any], NDArray[np.bool_]]:
    """``where`` for one stimulus of a table, dropping rows whose number columns are NaN."""
    mask = np.ones(len(table), dtype=bool)
    where: dict[str, Any] = {}
    if value is not None:
        where["stimulus_name"] = value
        mask &= column_values(table["stimulus_name"]) == value
    for name in plain_columns(table, TRIAL_RESERVED):
        values = column_values(table[name])
        nan = np.isnan(values[mask]) if values.ndim == 1 and values.dtype.kind == "f" else None
        if nan is not None and nan.any() and not nan.all():
            where[f"{name}!="] = "nan"
            mask &= ~np.isnan(values)
    return where, mask


def _images_for(
    table: Any, mask: NDArray[np.bool_], where: dict[str, Any], templates: dict[str, Any]
) -> str | None:
    """``TEMPLATE:COLUMN`` for these rows when a template is named like them.

    Rows whose frame lies outside the template are dropped from ``mask`` and ``where``.
    """
    columns = plain_columns(table, TRIAL_RESERVED)
    stimulus: dict[str, NDArray[Any]] = {}
    for name in ("stimulus_name", "frame"):
        if name in columns:
            stimulus[name] = column_values(table[name])[mask]
    chosen = choose_images(Path(), None, table.name, stimulus, templates)
    if chosen is None or chosen[1] != "frame" or stimulus["frame"].dtype.kind not in "iuf":
        return None
    shape = template_shape(templates[chosen[0]])
    if shape is None:
        return None
    frames = column_values(table["frame"])
    outside = mask & ((frames < 0) | (frames >= shape[0]))
    if outside.any():
        bad = [int(v) if float(v).is_integer() else float(v) for v in np.unique(frames[outside])]
        where["frame!="] = bad if len(bad) > 1 else bad[0]
        mask &= ~outside
    return f"{chosen[0]}:{chosen[1]}"


def _command(table: Any, mask: NDArray[np.bool_], images: str | None) -> dict[str, Any]:
    """The analysis for these rows: ``encode`` with images, ``decode`` with orientations.

    Orientations all below 180° (static gratings) are decoded with period 180.
    """
    if images:
        return {"command": "encode", "command_options": {}}
    if "orientation" not in table.colnames:
        return {"command": None, "command_options": {}}
    orientation = column_values(table["orientation"])[mask]
    below = orientation.dtype.kind in "iuf" and bool(np.all(orientation < 180))
    return {"command": "decode", "command_options": {"period": 180} if below else {}}


def _suggestions(
    nwbfile: Any, templates: dict[str, Any], series: str | None
) -> list[dict[str, Any]]:
    """The options that would analyse each stimulus table (one per stimulus_name value)."""
    out = []
    for name, table in sorted(dict(nwbfile.intervals).items()):
        if name in _NOT_STIMULUS or len(table) == 0:
            continue
        values: list[str | None] = [None]
        if "stimulus_name" in table.colnames:
            distinct = np.unique(column_values(table["stimulus_name"]))
            values = [str(v) for v in distinct] if distinct.size > 1 else [None]
        for value in values:
            where, mask = _rows_for(table, value)
            options: dict[str, Any] = {"intervals": name}
            options.update({"where": where} if where else {})
            options.update({"series": series} if series else {})
            images = _images_for(table, mask, where, templates)
            options.update({"images": images} if images else {})
            analysis = _command(table, mask, images)
            out.append({"options": options, "n_rows": int(mask.sum()), **analysis})
    return out


def describe_nwb(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Describe an NWB file: response series, intervals tables, templates and how to load each.

    Returns a dict with ``series`` (path, kind, shape, rate, unit), ``default_series`` (or
    ``series_error``), ``intervals`` (name, row count, facts per column), ``templates`` (name,
    type, shape) and ``suggestions`` (the ``load`` options and command for each stimulus table).
    """
    path = Path(path)
    with open_nwb(path) as nwbfile:
        candidates = find_series(nwbfile)
        try:
            default_series, error = choose_series(path, candidates, None)[0].path, None
        except NeurodlError as exc:
            default_series, error = None, str(exc)
        preferred = [c.path for c in candidates if c.kind == "DfOverF"] + [
            c.path for c in candidates
        ]
        templates = templates_of(nwbfile)
        fallback = preferred[0] if error and preferred else None
        return {
            "file": str(path),
            "session_description": str(nwbfile.session_description),
            "series": [_series_facts(c) for c in candidates],
            "default_series": default_series,
            "series_error": error,
            "intervals": [_table_facts(t) for _, t in sorted(dict(nwbfile.intervals).items())],
            "templates": [
                {"name": n, "type": type(t).__name__, "shape": template_shape(t)}
                for n, t in sorted(templates.items())
            ],
            "suggestions": _suggestions(nwbfile, templates, fallback),
        }
