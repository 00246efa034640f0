"""NWB files with the ndx-pose extension: ``PoseEstimation`` of ``PoseEstimationSeries``."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from neurodl.exceptions import DataFormatError
from neurodl.pose.data import Pose
from neurodl.pose.readers import OptionalDependencyError, _assemble

__all__ = ["read_nwb_pose", "write_nwb_pose"]


def _import_ndx_pose() -> None:
    try:
        import ndx_pose  # noqa: F401
    except ImportError:
        raise OptionalDependencyError(
            "NWB pose files need ndx-pose: pip install ndx-pose."
        ) from None


def write_nwb_pose(pose: Pose, path: str | Path) -> None:
    """Write ``pose`` as an NWB file with one ``PoseEstimation`` in the ``behavior`` module.

    The file is written to a temporary name and renamed when complete.
    """
    _import_ndx_pose()
    from ndx_pose import PoseEstimation, PoseEstimationSeries, Skeleton, Skeletons
    from pynwb import NWBHDF5IO, NWBFile

    from neurodl.files import atomic_path

    assert pose.confidence is not None
    nwb = NWBFile(
        session_description=f"pose of infant {pose.infant}",
        identifier=f"neurodl-pose-{pose.infant}",
        session_start_time=datetime(2000, 1, 1, tzinfo=UTC),
    )
    series = [
        PoseEstimationSeries(
            name=name,
            description=f"{name} keypoint",
            data=pose.positions[:, j],
            unit="pixels",
            reference_frame="(0, 0) is the top-left corner of the video frame.",
            rate=pose.fps,
            confidence=pose.confidence[:, j],
            confidence_definition="detector score",
        )
        for j, name in enumerate(pose.keypoints)
    ]
    index = {k: i for i, k in enumerate(pose.keypoints)}
    edges = np.array([[index[a], index[b]] for a, b in pose.skeleton], dtype=np.uint8).reshape(
        -1, 2
    )
    skeleton = Skeleton(name="infant", nodes=list(pose.keypoints), edges=edges)
    estimation = PoseEstimation(
        name="PoseEstimation",
        pose_estimation_series=series,
        description="infant keypoints",
        source_software="neurodl",
        skeleton=skeleton,
    )
    behavior = nwb.create_processing_module(name="behavior", description="infant movement")
    behavior.add(Skeletons(skeletons=[skeleton]))
    behavior.add(estimation)
    with atomic_path(Path(path), suffix=".nwb") as tmp, NWBHDF5IO(str(tmp), "w") as io:
        io.write(nwb)


def read_nwb_pose(path: str | Path, *, fps: float | None = None) -> Pose:
    """The first ``PoseEstimation`` in an NWB file (any processing module).

    The frame rate comes from the series' ``rate`` (or timestamps); ``fps`` overrides it.
    """
    _import_ndx_pose()
    from ndx_pose import PoseEstimation
    from pynwb import NWBHDF5IO

    try:
        with NWBHDF5IO(str(path), "r") as io:
            nwb = io.read()
            found = [o for o in nwb.objects.values() if isinstance(o, PoseEstimation)]
            if not found:
                raise DataFormatError(f"{path}: the NWB file has no ndx-pose PoseEstimation.")
            series = list(found[0].pose_estimation_series.values())
            names = [s.name for s in series]
            xy = np.stack([np.asarray(s.data[:], dtype=np.float64)[:, :2] for s in series], axis=1)
            conf = np.stack(
                [
                    np.asarray(s.confidence[:], dtype=np.float64)
                    if s.confidence is not None
                    else np.ones(xy.shape[0])
                    for s in series
                ],
                axis=1,
            )
            rate = series[0].rate
            if rate is None and series[0].timestamps is not None:
                rate = 1.0 / float(np.median(np.diff(np.asarray(series[0].timestamps[:]))))
    except DataFormatError:
        raise
    except (OSError, KeyError, ValueError) as exc:
        raise DataFormatError(f"{path}: not a readable NWB pose file ({exc}).") from None
    rate = fps or rate
    if not rate:
        raise DataFormatError(f"{path}: no frame rate in the file; give fps.")
    return _assemble(names, xy, conf, float(rate), str(path))
