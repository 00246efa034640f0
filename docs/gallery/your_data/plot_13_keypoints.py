"""
Your keypoints: DeepLabCut CSV, SLEAP, OpenPose, NWB (ndx-pose)
===============================================================

The movement analysis reads keypoints from the tools labs use. :func:`~neurodl.pose.io.load_pose`
tells the format from the file (a ``.csv`` is DeepLabCut or Lightning Pose, an ``.h5`` with
``tracks`` is SLEAP, one without is DeepLabCut, a folder of ``*_keypoints.json`` is OpenPose, an
``.nwb`` holds ndx-pose) and maps the keypoint names onto one canonical body (``LWrist``,
``wrist_l`` and ``left wrist`` are all ``left_wrist``). OpenPose, DeepLabCut and SLEAP files do
not store the frame rate: pass ``fps``.
"""

import tempfile
from pathlib import Path

import numpy as np

from neurodl.pose import simulate_infant_movements
from neurodl.pose.io import load_pose, write_study

folder = Path(tempfile.mkdtemp())
poses = simulate_infant_movements(2, duration=5.0, random_state=0)

# %%
# One study, every format
# -----------------------
# :func:`~neurodl.pose.io.write_study` writes one keypoint file per video and a
# ``manifest.csv`` (``infant``, ``path``, ``group``, ``age_weeks``, ``fps``, ``label``), the
# input of ``neurodl pose score``.
for file_format in ("dlc_csv", "sleap", "openpose", "nwb"):
    manifest = write_study(poses, folder / file_format, file_format=file_format)
    first = sorted(p for p in (folder / file_format).rglob("*") if p.is_file())[0]
    print(f"{file_format:>9}: {manifest.name} and e.g. {first.relative_to(folder)}")

# %%
# A DeepLabCut CSV
# ----------------
# Header rows ``scorer``, ``bodyparts`` and ``coords`` (and ``individuals`` for multi-animal
# projects, where the individual with most tracked points is used), then ``x``, ``y`` and
# ``likelihood`` per keypoint and frame.
csv = next(p for p in sorted((folder / "dlc_csv").rglob("*.csv")) if p.name != "manifest.csv")
for line in csv.read_text().splitlines()[:5]:
    print(",".join(line.split(",")[:7]), "...")
pose = load_pose(csv, fps=poses[0].fps)
print(pose.positions.shape, pose.keypoints[:4], f"{pose.fps:.0f} fps")
print("same positions:", np.allclose(pose.positions, poses[0].positions, equal_nan=True))

# %%
# The other formats load the same way
# -----------------------------------
for file_format in ("sleap", "openpose", "nwb"):
    first = sorted((folder / file_format / "keypoints").iterdir())[0]
    other = load_pose(first, fps=poses[0].fps)
    print(f"{file_format:>9}: {other.positions.shape}, {other.fps:.0f} fps")
