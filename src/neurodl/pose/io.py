"""Loading and saving poses: format detection, neurodl's ``.npz``, manifests, ``movement`` export.

Formats told from the path: a directory of JSON frames → OpenPose; ``.csv`` → DeepLabCut;
``.h5``/``.hdf5`` → SLEAP analysis (has ``tracks``) or DeepLabCut (pandas table); ``.slp`` → SLEAP
through sleap-io (optional extra ``neurodl[sleap]``); ``.nwb`` → NWB with ndx-pose; ``.npz`` →
neurodl.

neurodl ``.npz``: ``positions`` (frames, keypoints, 2) float, ``confidence`` (frames, keypoints),
``keypoints`` (keypoints,) str, ``fps`` scalar, ``meta`` a JSON string (``infant``,
``age_weeks``, ...).
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from neurodl.exceptions import DataFormatError, DataValueError
from neurodl.pose.data import REQUIRED_KEYPOINTS, Pose
from neurodl.pose.readers import OptionalDependencyError

__all__ = [
    "KEYPOINT_FORMATS",
    "detect_format",
    "load_manifest",
    "load_pose",
    "save_pose",
    "to_movement",
    "write_study",
]

_NEEDS_FPS = {"openpose", "dlc_csv", "dlc_h5", "sleap", "slp"}


def detect_format(path: str | Path) -> str:
    """The format of ``path``: ``openpose``, ``dlc_csv``, ``dlc_h5``, ``sleap`` (analysis ``.h5``),
    ``slp``, ``nwb`` or ``npz``."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(2, "No such file or directory", str(path))
    if path.is_dir():
        return "openpose"
    suffix = path.suffix.lower()
    if suffix in (".h5", ".hdf5"):
        import h5py

        try:
            with h5py.File(path, "r") as f:
                return "sleap" if "tracks" in f else "dlc_h5"
        except OSError:
            raise DataFormatError(f"{path}: not an HDF5 file.") from None
    formats = {".csv": "dlc_csv", ".nwb": "nwb", ".npz": "npz", ".slp": "slp"}
    if suffix not in formats:
        raise DataFormatError(
            f"{path}: unknown keypoint format {suffix!r}; expected a directory of OpenPose JSON, "
            ".csv, .h5, .slp, .nwb or .npz."
        )
    return formats[suffix]


def _read_npz(path: Path) -> Pose:
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in ("positions", "keypoints", "fps") if k not in data]
            if missing:
                raise DataFormatError(f"{path}: missing key {missing[0]!r} (neurodl pose .npz).")
            meta = json.loads(str(data["meta"])) if "meta" in data else {}
            conf = data["confidence"] if "confidence" in data else None
            return Pose(
                data["positions"],
                conf,
                keypoints=tuple(str(k) for k in data["keypoints"]),
                fps=float(data["fps"]),
                meta=meta,
            )
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        if isinstance(exc, DataFormatError | DataValueError):
            raise
        raise DataFormatError(f"{path}: not a readable .npz file ({exc}).") from None


def save_pose(pose: Pose, path: str | Path) -> None:
    """Save ``pose`` as neurodl ``.npz`` (atomically)."""
    from neurodl.files import atomic_path, to_jsonable

    keep = {k: v for k, v in pose.meta.items() if k != "preprocessing"}
    assert pose.confidence is not None
    with atomic_path(Path(path), suffix=".npz") as tmp:
        np.savez_compressed(
            tmp,
            positions=pose.positions,
            confidence=pose.confidence,
            keypoints=np.array(pose.keypoints),
            fps=pose.fps,
            meta=json.dumps(to_jsonable(keep)),
        )


def load_pose(
    path: str | Path,
    *,
    fps: float | None = None,
    infant: str | None = None,
    age_weeks: float | None = None,
    require: bool = True,
) -> Pose:
    """Read one video's keypoints from any supported format (see the module docstring).

    Parameters
    ----------
    path : str or Path
        File, or directory of OpenPose JSON frames.
    fps : float, optional
        Frame rate; required for formats that do not store it (OpenPose, DeepLabCut, SLEAP).
    infant, age_weeks : optional
        Metadata to set (override what the file holds).
    require : bool
        Raise one clear error naming the first keypoint the movement features need and the file
        lacks.
    """
    from neurodl.pose import nwb, readers

    path = Path(path)
    kind = detect_format(path)
    if kind in _NEEDS_FPS and not fps:
        raise DataValueError(
            f"{path}: this format stores no frame rate; give fps (manifest column 'fps')."
        )
    read = {
        "openpose": readers.read_openpose,
        "dlc_csv": readers.read_dlc_csv,
        "dlc_h5": readers.read_dlc_h5,
        "sleap": readers.read_sleap_h5,
        "slp": readers.read_sleap_slp,
    }
    if kind == "npz":
        pose = _read_npz(path)
        pose.fps = float(fps) if fps else pose.fps
    elif kind == "nwb":
        pose = nwb.read_nwb_pose(path, fps=fps)
    else:
        pose = read[kind](path, fps=float(fps))  # type: ignore[arg-type]
    pose.meta.update(source=str(path), format=kind)
    if infant is not None:
        pose.meta["infant"] = str(infant)
    if age_weeks is not None:
        pose.meta["age_weeks"] = float(age_weeks)
    if require:
        missing = [k for k in REQUIRED_KEYPOINTS if k not in pose.keypoints]
        if missing:
            raise DataValueError(
                f"{path}: keypoint {missing[0]!r} is missing (needed for movement features)."
            )
    return pose


def _manifest_rows(path: Path) -> list[dict[str, str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataFormatError(f"{path}: manifest is not UTF-8 text.") from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if not rows:
        raise DataFormatError(f"{path}: manifest has no rows.")
    for column in ("infant", "path", "group"):
        if column not in rows[0]:
            raise DataFormatError(
                f"{path}: manifest lacks the column {column!r} (needs infant, path, group)."
            )
    return rows


def _number(value: str | None, what: str, where: str) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value)
    except ValueError:
        raise DataValueError(f"{where}: {what} must be a number; got {value!r}.") from None


def load_manifest(path: str | Path) -> list[Pose]:
    """Read every video of a manifest CSV.

    Columns: ``infant``, ``path`` (absolute or relative to the manifest's folder), ``group``
    (``reference`` or ``test``), optional ``age_weeks``, ``fps``, ``label`` (1 atypical, 0 typical).
    """
    path = Path(path)
    poses = []
    for i, row in enumerate(_manifest_rows(path), start=2):
        where = f"{path}, line {i}"
        group = (row.get("group") or "").strip().lower()
        if group not in ("reference", "test"):
            raise DataValueError(
                f"{where}: group must be 'reference' or 'test'; got {row.get('group')!r}."
            )
        label = _number(row.get("label"), "label", where)
        if label is not None and label not in (0, 1):
            raise DataValueError(f"{where}: label must be 0 or 1; got {row.get('label')!r}.")
        file = Path(row["path"].strip())
        file = file if file.is_absolute() else path.parent / file
        pose = load_pose(
            file,
            fps=_number(row.get("fps"), "fps", where),
            infant=row["infant"].strip(),
            age_weeks=_number(row.get("age_weeks"), "age_weeks", where),
        )
        pose.meta |= {"group": group, "label": None if label is None else int(label)}
        poses.append(pose)
    return poses


def to_movement(pose: Pose) -> Any:
    """The pose as an xarray Dataset in the ``movement`` package's layout (version ≥ 0.17).

    ``position`` (time, space, keypoint, individual) and ``confidence`` (time, keypoint,
    individual), time in seconds, one individual (the infant); ``fps`` and ``source_software`` as
    attributes. Needs xarray (``pip install 'neurodl[pose]'``).
    """
    try:
        import xarray as xr
    except ImportError:
        raise OptionalDependencyError(
            "to_movement needs xarray: pip install 'neurodl[pose]' (or xarray)."
        ) from None
    time = np.arange(pose.n_frames) / pose.fps
    coords = {
        "time": time,
        "space": ["x", "y"],
        "keypoint": list(pose.keypoints),
        "individual": [pose.infant],
    }
    position = np.transpose(pose.positions, (0, 2, 1))[..., None]
    assert pose.confidence is not None
    return xr.Dataset(
        {
            "position": (("time", "space", "keypoint", "individual"), position),
            "confidence": (("time", "keypoint", "individual"), pose.confidence[..., None]),
        },
        coords=coords,
        attrs={
            "fps": pose.fps,
            "time_unit": "seconds",
            "source_software": "neurodl",
            "source_file": str(pose.meta.get("source") or ""),
            "ds_type": "poses",
        },
    )


KEYPOINT_FORMATS: tuple[str, ...] = ("npz", "openpose", "dlc_csv", "dlc_h5", "sleap", "nwb")
_SUFFIX = {
    "npz": ".npz",
    "openpose": "",
    "dlc_csv": ".csv",
    "dlc_h5": ".h5",
    "sleap": ".h5",
    "nwb": ".nwb",
}


def write_study(poses: list[Pose], directory: str | Path, *, file_format: str = "npz") -> Path:
    """Write each pose as a keypoint file and a ``manifest.csv`` beside them; return the manifest.

    ``file_format``: ``npz``, ``openpose``, ``dlc_csv``, ``dlc_h5``, ``sleap`` or ``nwb``. The
    manifest has ``infant``, ``path`` (relative), ``group``, ``age_weeks``, ``fps``, ``label``.
    """
    from neurodl.exceptions import check_option
    from neurodl.files import write_text_atomic
    from neurodl.pose import nwb, writers

    write = {
        "npz": save_pose,
        "openpose": writers.write_openpose,
        "dlc_csv": writers.write_dlc_csv,
        "dlc_h5": writers.write_dlc_h5,
        "sleap": writers.write_sleap_h5,
        "nwb": nwb.write_nwb_pose,
    }
    check_option("file_format", file_format, KEYPOINT_FORMATS)
    folder = Path(directory)
    (folder / "keypoints").mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(["infant", "path", "group", "age_weeks", "fps", "label"])
    for pose in poses:
        name = f"keypoints/{pose.infant}_v{pose.meta.get('video', 0)}{_SUFFIX[file_format]}"
        write[file_format](pose, folder / name)  # type: ignore[operator]
        label = pose.meta.get("label")
        out.writerow(
            [
                pose.infant,
                name,
                pose.meta.get("group", "test"),
                pose.age_weeks or "",
                pose.fps,
                "" if label is None else int(label),
            ]
        )
    write_text_atomic(folder / "manifest.csv", buffer.getvalue())
    return folder / "manifest.csv"
