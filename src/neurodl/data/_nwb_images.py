"""NWB stimulus templates (``stimulus/templates``) as the recording's ``images`` and ``image_id``.

A template is an ``ImageSeries`` (frames along the first axis) or an ``Images`` container (its
``order_of_images``, else its images sorted by name). A column of the intervals table indexes the
template: integer frame numbers, or image names for an ``Images`` container.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data._formats_common import read_rows
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlValueError

__all__ = ["choose_images", "read_images", "template_shape", "templates_of"]

DEFAULT_COLUMN = "frame"
_LUMA = np.array([0.299, 0.587, 0.114])


def templates_of(nwbfile: Any) -> dict[str, Any]:
    """The file's stimulus templates by name."""
    return dict(nwbfile.stimulus_template)


def _images_in_order(template: Any) -> list[Any]:
    order = template.order_of_images
    if order is not None:
        return list(order.data)
    return [template.images[k] for k in sorted(template.images)]


def template_shape(template: Any) -> tuple[int, ...] | None:
    """(n_frames, height, width[, channels]) of a template; None when it holds no data."""
    from pynwb.base import Images

    if isinstance(template, Images):
        items = _images_in_order(template)
        return (len(items), *items[0].data.shape) if items else (0,)
    data = getattr(template, "data", None)
    return None if data is None or len(data.shape) < 3 else tuple(data.shape)


def _normalized(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _auto(
    table_name: str, stimulus: dict[str, NDArray[Any]], templates: dict[str, Any]
) -> tuple[str, str, str] | None:
    names = stimulus.get("stimulus_name")
    wanted = []
    if names is not None and np.unique(names).size == 1:
        wanted.append(str(names[0]))
    wanted.append(re.sub(r"_(presentations|trials)$", "", table_name))
    by_norm = {_normalized(t): t for t in templates}
    for name in wanted:
        template = by_norm.get(_normalized(name))
        if template is not None and DEFAULT_COLUMN in stimulus:
            return template, DEFAULT_COLUMN, "auto: template named like the rows' stimulus"
    if "image_id" in stimulus and ("images" in templates or len(templates) == 1):
        template = "images" if "images" in templates else next(iter(templates))
        return template, "image_id", "auto: image_id column (neurodl layout)"
    return None


def choose_images(
    path: Path,
    spec: str | None,
    table_name: str,
    stimulus: dict[str, NDArray[Any]],
    templates: dict[str, Any],
) -> tuple[str, str, str] | None:
    """(template, column, how chosen) from ``spec`` ("TEMPLATE[:COLUMN]") or the file; or None."""
    if spec is None:
        return _auto(table_name, stimulus, templates)
    template, _, column = str(spec).partition(":")
    column = column or DEFAULT_COLUMN
    if template not in templates:
        listed = ", ".join(sorted(templates)) or "none"
        raise NeurodlValueError(
            f"{path}: images must name one of the file's stimulus templates ({listed}); got "
            f"{template!r}."
        )
    if column not in stimulus:
        raise NeurodlValueError(
            f"{path}: images column {column!r} is not a column of table {table_name!r}; its "
            f"columns: {', '.join(sorted(stimulus))}."
        )
    return template, column, "given"


def _frames(
    path: Path, values: NDArray[Any], column: str, where: str, names: list[str] | None, n: int
) -> NDArray[np.intp]:
    """Template positions named by the column ``values`` (numbers, or image names)."""
    if values.dtype.kind == "U":
        if names is None:
            raise DataValueError(
                f"{path}: {where} holds text, but the template is an ImageSeries indexed by "
                "frame number; name a column of frame numbers."
            )
        position = {name: i for i, name in enumerate(names)}
        unknown = sorted({v for v in values.tolist() if v not in position})
        if unknown:
            raise DataValueError(
                f"{path}: {where} names images the template lacks: {', '.join(unknown[:10])}; "
                f"drop those rows with --where {column}!=VALUE."
            )
        return np.asarray([position[v] for v in values.tolist()], dtype=np.intp)
    if values.dtype.kind == "f" and not np.array_equal(values, np.round(values)):
        raise DataValueError(f"{path}: {where} must hold whole frame numbers.")
    frames = values.astype(np.intp)
    bad = (frames < 0) | (frames >= n)
    if bad.any():
        example = int(frames[bad][0])
        raise DataValueError(
            f"{path}: {where} is outside the template's {n} frames (0-{n - 1}) in "
            f"{int(bad.sum())} rows, e.g. {example}; drop them with --where {column}!={example}."
        )
    return frames


def _gray(images: NDArray[Any]) -> tuple[NDArray[Any], bool]:
    if images.ndim == 4 and images.shape[-1] in (3, 4):
        return np.tensordot(images[..., :3].astype(np.float32), _LUMA, axes=([3], [0])), True
    return images, False


def read_images(
    path: Path, template: Any, values: NDArray[Any], column: str, table: str, *, remap: bool
) -> tuple[NDArray[Any], NDArray[np.intp], dict[str, Any]]:
    """Images, per-row ``image_id`` and facts for ``meta`` from ``template`` and its index column.

    With ``remap`` only the frames used by the rows are read and ``image_id`` counts them in
    frame order (``meta`` keeps their frame numbers); else every frame is read and
    ``image_id`` is the frame number.
    """
    from pynwb.base import Images

    items = _images_in_order(template) if isinstance(template, Images) else None
    shape = template_shape(template)
    if shape is None or len(shape) not in (3, 4):
        raise DataFormatError(
            f"{path}: stimulus template {template.name!r} holds no (frames, height, width) image "
            "data in the file (external files are not read)."
        )
    names = None if items is None else [item.name for item in items]
    where = f"column {column!r} of table {table!r}"
    frames = _frames(path, values, column, where, names, shape[0])
    used = np.unique(frames)
    subset = remap and used.size < shape[0]
    if items is not None:
        chosen = [items[i] for i in used] if subset else items
        images = np.stack([np.asarray(item.data[()]) for item in chosen])
    else:
        images = read_rows(template.data, used if subset else None)
    images, converted = _gray(images)
    if images.ndim != 3:
        raise DataFormatError(
            f"{path}: stimulus template {template.name!r} has frames of shape {shape[1:]}; "
            "expected (height, width) or (height, width, 3)."
        )
    image_id = np.searchsorted(used, frames).astype(np.intp) if subset else frames
    facts = {
        "n_frames_in_template": int(shape[0]),
        "frames": used.tolist() if subset else "all",
        "rgb_to_gray": converted,
    }
    return images, image_id, facts
