"""Labelled training frames: COCO keypoint JSON and DeepLabCut labelled-data CSV, read and written.

:class:`PoseLabels` holds image file names, keypoints of shape (n_images, n_keypoints, 2) in pixels
(x, y; NaN where a keypoint is not labelled), the keypoint names and the skeleton (0-based pairs in
Python; COCO files store it 1-based, as COCO defines it). Pixel centres are at integer coordinates.

DeepLabCut's pose-estimation CSV (one row per video frame, ``x``, ``y``, ``likelihood`` per
keypoint) is written by :func:`write_dlc_predictions`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from neurodl.exceptions import DataFormatError, DataValueError
from neurodl.files import write_json, write_text_atomic

__all__ = [
    "PoseLabels",
    "read_coco_keypoints",
    "read_dlc_labels",
    "read_dlc_predictions",
    "read_labels",
    "write_coco_keypoints",
    "write_dlc_labels",
    "write_dlc_predictions",
]


@dataclass
class PoseLabels:
    """Keypoints labelled on image files.

    Attributes
    ----------
    images : list of str
        Image file names, relative to ``root`` (as stored in the label file).
    keypoints : ndarray of shape (n_images, n_keypoints, 2)
        x, y in pixels; NaN where not labelled.
    names : tuple of str
        Keypoint names, in column order.
    skeleton : tuple of (int, int)
        Pairs of keypoint indices (0-based) joined by a line when drawn.
    root : Path
        Folder the image names are relative to (the label file's folder when read).
    visible : ndarray of bool of shape (n_images, n_keypoints)
        Labelled and visible (COCO ``v == 2``); labelled keypoints are visible in DeepLabCut.
    """

    images: list[str]
    keypoints: np.ndarray
    names: tuple[str, ...]
    skeleton: tuple[tuple[int, int], ...] = ()
    root: Path = field(default_factory=Path)
    visible: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.keypoints = np.asarray(self.keypoints, dtype=np.float64)
        n, k = len(self.images), len(self.names)
        if self.keypoints.shape != (n, k, 2):
            raise DataValueError(
                f"keypoints must have shape (n_images, n_keypoints, 2) = ({n}, {k}, 2); got "
                f"{self.keypoints.shape}."
            )
        if self.visible is None:
            self.visible = np.all(np.isfinite(self.keypoints), axis=2)
        for i, j in self.skeleton:
            if not (0 <= i < k and 0 <= j < k):
                raise DataValueError(
                    f"skeleton pair ({i}, {j}) names a keypoint outside 0..{k - 1}."
                )

    def image_paths(self) -> list[Path]:
        """Each image's path: ``root / name``, else ``root / basename`` when only that exists."""
        paths = []
        for name in self.images:
            path = self.root / name
            if not path.exists() and (self.root / Path(name).name).exists():
                path = self.root / Path(name).name
            paths.append(path)
        return paths

    def load_images(self) -> np.ndarray:
        """All images as one RGB uint8 array of shape (n_images, height, width, 3)."""
        from neurodl.pose.video import read_image

        frames = []
        for path in self.image_paths():
            if not path.exists():
                raise DataFormatError(f"labelled image {str(path)!r} does not exist.")
            frames.append(read_image(path))
        shapes = {frame.shape for frame in frames}
        if len(shapes) > 1:
            raise DataValueError(f"labelled images must share one size; found {sorted(shapes)}.")
        if not frames:
            raise DataValueError("the label file holds no labelled images.")
        return np.stack(frames)


def read_labels(path: Path | str) -> PoseLabels:
    """Read a COCO keypoint ``.json`` or a DeepLabCut labelled-data ``.csv`` by its suffix."""
    path = Path(path)
    if path.suffix.lower() == ".json":
        return read_coco_keypoints(path)
    if path.suffix.lower() == ".csv":
        return read_dlc_labels(path)
    raise DataFormatError(
        f"labels {str(path)!r} must be a COCO keypoint .json or a DeepLabCut .csv file."
    )


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(f"labels {str(path)!r} do not exist.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DataFormatError(f"labels {str(path)!r} are not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise DataFormatError(f"labels {str(path)!r} must hold a JSON object.")
    missing = [key for key in ("images", "annotations", "categories") if key not in data]
    if missing:
        raise DataFormatError(f"COCO labels {str(path)!r} lack {missing}.")
    return data


def _coco_category(path: Path, data: dict) -> tuple[int, tuple[str, ...], tuple]:
    cats = [c for c in data["categories"] if isinstance(c, dict) and c.get("keypoints")]
    if not cats:
        raise DataFormatError(f"COCO labels {str(path)!r} have no category with keypoints.")
    cat = cats[0]
    names = tuple(str(name) for name in cat["keypoints"])
    k = len(names)
    skeleton = []
    for pair in cat.get("skeleton", []):
        if len(pair) != 2 or not all(isinstance(v, int) and 1 <= v <= k for v in pair):
            raise DataValueError(
                f"COCO labels {str(path)!r}: skeleton pair {pair} must name keypoints 1..{k} "
                "(COCO skeletons are 1-based)."
            )
        skeleton.append((pair[0] - 1, pair[1] - 1))
    return int(cat.get("id", 1)), names, tuple(skeleton)


def read_coco_keypoints(path: Path | str) -> PoseLabels:
    """Read COCO keypoint labels (images, annotations ``[x, y, v] × K``, categories).

    The first category with keypoints is used; per image, the annotation with most labelled
    keypoints. ``v = 0`` reads as NaN, ``v = 1`` as labelled but hidden, ``v = 2`` as visible.
    Images without an annotation are left out.
    """
    path = Path(path)
    data = _load_json(path)
    cat_id, names, skeleton = _coco_category(path, data)
    files = {img["id"]: img["file_name"] for img in data["images"] if "file_name" in img}
    best: dict[int, np.ndarray] = {}
    for ann in data["annotations"]:
        if ann.get("category_id", cat_id) != cat_id:
            continue
        if ann.get("image_id") not in files:
            raise DataValueError(
                f"COCO labels {str(path)!r}: annotation {ann.get('id')} refers to unknown image "
                f"{ann.get('image_id')!r}."
            )
        values = np.asarray(ann.get("keypoints", []), dtype=np.float64)
        if values.shape != (3 * len(names),):
            raise DataValueError(
                f"COCO labels {str(path)!r}: annotation {ann.get('id')} has {values.size} "
                f"keypoint values; expected 3 × {len(names)} keypoint names."
            )
        values = values.reshape(-1, 3)
        old = best.get(ann["image_id"])
        if old is None or (values[:, 2] > 0).sum() > (old[:, 2] > 0).sum():
            best[ann["image_id"]] = values
    ids = [i for i in files if i in best]
    if not ids:
        raise DataValueError(f"COCO labels {str(path)!r} hold no annotated images.")
    triples = np.stack([best[i] for i in ids])
    keypoints = np.where(triples[..., 2:] > 0, triples[..., :2], np.nan)
    return PoseLabels(
        images=[str(files[i]) for i in ids],
        keypoints=keypoints,
        names=names,
        skeleton=skeleton,
        root=path.parent,
        visible=triples[..., 2] >= 2,
    )


def write_coco_keypoints(
    path: Path | str,
    labels: PoseLabels,
    *,
    category: str = "infant",
    image_size: tuple[int, int] | None = None,
) -> None:
    """Write ``labels`` as COCO keypoint JSON (skeleton 1-based); ``image_size``: (H, W)."""
    images, annotations = [], []
    visible = labels.visible if labels.visible is not None else np.ones(labels.keypoints.shape[:2])
    for i, (name, points) in enumerate(zip(labels.images, labels.keypoints, strict=True)):
        image = {"id": i + 1, "file_name": name}
        if image_size is not None:
            image.update(height=int(image_size[0]), width=int(image_size[1]))
        images.append(image)
        known = np.all(np.isfinite(points), axis=1)
        v = np.where(known, np.where(visible[i], 2, 1), 0)
        triples = np.column_stack([np.where(known[:, None], points, 0.0), v]).ravel()
        lo = points[known].min(0) if known.any() else np.zeros(2)
        hi = points[known].max(0) if known.any() else np.zeros(2)
        annotations.append(
            {
                "id": i + 1,
                "image_id": i + 1,
                "category_id": 1,
                "keypoints": [
                    round(float(x), 3) if j % 3 < 2 else int(x) for j, x in enumerate(triples)
                ],
                "num_keypoints": int(known.sum()),
                "bbox": [float(lo[0]), float(lo[1]), float(hi[0] - lo[0]), float(hi[1] - lo[1])],
                "area": float((hi[0] - lo[0]) * (hi[1] - lo[1])),
                "iscrowd": 0,
            }
        )
    category_entry = {
        "id": 1,
        "name": category,
        "supercategory": "person",
        "keypoints": list(labels.names),
        "skeleton": [[i + 1, j + 1] for i, j in labels.skeleton],
    }
    write_json(
        Path(path), {"images": images, "annotations": annotations, "categories": [category_entry]}
    )


def _read_dlc_table(path: Path) -> tuple[list[list[str]], int]:
    """The CSV rows and the number of index columns (1 in old DeepLabCut files, 3 in new ones)."""
    try:
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    except FileNotFoundError:
        raise DataFormatError(f"file {str(path)!r} does not exist.") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise DataFormatError(f"file {str(path)!r} is not a readable CSV: {exc}.") from None
    if len(rows) < 3 or not rows[0] or rows[0][0] != "scorer":
        raise DataFormatError(
            f"file {str(path)!r} is not a DeepLabCut CSV (header rows scorer/bodyparts/coords)."
        )
    if rows[1] and rows[1][0] == "individuals":
        raise DataFormatError(
            f"file {str(path)!r} is a multi-animal DeepLabCut CSV; only single-animal files are "
            "read."
        )
    if rows[1][:1] != ["bodyparts"] or rows[2][:1] != ["coords"]:
        raise DataFormatError(f"file {str(path)!r}: header rows must be scorer/bodyparts/coords.")
    n_index = next((i for i, c in enumerate(rows[2]) if c in ("x", "y", "likelihood")), 0)
    if n_index == 0:
        raise DataFormatError(f"file {str(path)!r}: the coords row names no x/y columns.")
    return rows, n_index


def _dlc_columns(path: Path, rows: list[list[str]], n_index: int, fields: tuple[str, ...]):
    parts, coords = rows[1][n_index:], rows[2][n_index:]
    names = tuple(dict.fromkeys(parts))
    expected = [c for _ in names for c in fields]
    if coords != expected or parts != [n for n in names for _ in fields]:
        raise DataFormatError(
            f"file {str(path)!r}: each bodypart must have the columns {list(fields)} in order."
        )
    values = []
    for r, row in enumerate(rows[3:], start=4):
        if len(row) != len(rows[2]):
            raise DataFormatError(f"file {str(path)!r}: row {r} has {len(row)} cells.")
        try:
            values.append([float(c) if c.strip() else np.nan for c in row[n_index:]])
        except ValueError:
            raise DataFormatError(f"file {str(path)!r}: row {r} holds a non-number.") from None
    table = np.asarray(values, dtype=np.float64).reshape(len(values), len(names), len(fields))
    return names, table


def read_dlc_labels(path: Path | str) -> PoseLabels:
    """Read a DeepLabCut labelled-data CSV (``CollectedData_<scorer>.csv``).

    Image names are taken from the index column(s) (``labeled-data/<video>/img001.png``); the
    images are looked up next to the CSV, by their full relative name or by their base name.
    """
    path = Path(path)
    rows, n_index = _read_dlc_table(path)
    names, table = _dlc_columns(path, rows, n_index, ("x", "y"))
    images = ["/".join(c for c in row[:n_index] if c) for row in rows[3:]]
    root = path.parent
    if images and not (root / images[0]).exists() and not (root / Path(images[0]).name).exists():
        for parent in path.parents[1:3]:
            if (parent / images[0]).exists():
                root = parent
                break
    return PoseLabels(images=images, keypoints=table, names=names, root=root)


def _dlc_header(scorer: str, names: Sequence[str], fields: tuple[str, ...]) -> list[list[str]]:
    return [
        ["scorer"] + [scorer] * (len(names) * len(fields)),
        ["bodyparts"] + [n for n in names for _ in fields],
        ["coords"] + [f for _ in names for f in fields],
    ]


def _write_csv(path: Path, rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    write_text_atomic(Path(path), buffer.getvalue())


def _cell(value: float) -> str:
    return "" if not np.isfinite(value) else f"{value:.4f}"


def write_dlc_labels(path: Path | str, labels: PoseLabels, *, scorer: str = "neurodl") -> None:
    """Write ``labels`` as a DeepLabCut labelled-data CSV (one index column, empty = unlabelled)."""
    rows = _dlc_header(scorer, labels.names, ("x", "y"))
    for name, points in zip(labels.images, labels.keypoints, strict=True):
        rows.append([name] + [_cell(v) for v in points.ravel()])
    _write_csv(Path(path), rows)


def write_dlc_predictions(
    path: Path | str,
    keypoints: np.ndarray,
    confidence: np.ndarray,
    names: Sequence[str],
    *,
    scorer: str = "neurodl",
) -> None:
    """Write detections as DeepLabCut's pose CSV: ``x``, ``y``, ``likelihood`` per keypoint.

    Parameters
    ----------
    keypoints : ndarray of shape (n_frames, n_keypoints, 2)
    confidence : ndarray of shape (n_frames, n_keypoints)
        In [0, 1].
    """
    keypoints, confidence = np.asarray(keypoints), np.asarray(confidence)
    if keypoints.shape[1:] != (len(names), 2) or confidence.shape != keypoints.shape[:2]:
        raise DataValueError(
            f"keypoints {keypoints.shape} and confidence {confidence.shape} do not match "
            f"{len(names)} names."
        )
    rows = _dlc_header(scorer, names, ("x", "y", "likelihood"))
    table = np.concatenate([keypoints, confidence[..., None]], axis=2)
    for t, frame in enumerate(table):
        rows.append([str(t)] + [_cell(v) for v in frame.ravel()])
    _write_csv(Path(path), rows)


def read_dlc_predictions(path: Path | str) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """Read a DeepLabCut pose CSV: keypoints (n, K, 2), likelihood (n, K) and the names."""
    path = Path(path)
    rows, n_index = _read_dlc_table(path)
    names, table = _dlc_columns(path, rows, n_index, ("x", "y", "likelihood"))
    return table[..., :2], table[..., 2], names
