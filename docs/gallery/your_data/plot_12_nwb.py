"""
Your NWB file: from an archive (DANDI, Allen) or your lab
=========================================================

Archive NWB files rarely look like the file neurodl writes: several response series, no
``trials`` table but a presentations table mixing stimuli, natural scenes as a stimulus
template. :func:`neurodl.data.describe_nwb` (``neurodl info FILE`` on the command line)
describes what a file holds and prints the call that would analyse each stimulus table;
:func:`neurodl.load` takes the same choices as keyword arguments. This example writes a small
archive-like file with pynwb and reads it.
"""

import datetime
import tempfile
from pathlib import Path

import numpy as np
from hdmf.common import VectorData
from pynwb import NWBHDF5IO, NWBFile
from pynwb.epoch import TimeIntervals
from pynwb.ophys import DfOverF, ImageSegmentation, OpticalChannel, RoiResponseSeries

import neurodl
from neurodl.data import describe_nwb

folder = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)

# %%
# An archive-like file
# --------------------
# Two-photon ΔF/F of 20 cells at 10 Hz and one ``stimulus_presentations`` table with a row per
# presentation: static gratings (an ``orientation`` column, with blank sweeps as NaN) and a
# second stimulus. Any NWB file with a ``RoiResponseSeries`` (or a ``units`` table) and an
# intervals table with stimulus columns has this shape.
n_cells, rate = 20, 10.0
names = np.array(["static_gratings"] * 60 + ["spontaneous"] * 10)
orientation = np.concatenate([np.repeat(np.arange(0.0, 180.0, 30.0), 9), np.full(16, np.nan)])
starts = 1.0 + 0.5 * np.arange(names.size)
times = np.arange(0, starts[-1] + 2, 1 / rate)
preferred = rng.uniform(0, 180, n_cells)
dff = 0.2 * rng.standard_normal((times.size, n_cells))
for start, angle in zip(starts, orientation, strict=True):
    if np.isfinite(angle):
        tuning = np.exp(2 * (np.cos(2 * np.deg2rad(angle - preferred)) - 1))
        dff[(times >= start) & (times < start + 0.4)] += 2 * tuning

nwbfile = NWBFile(
    session_description="archive-like session",
    identifier="example",
    session_start_time=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC),
)
plane = nwbfile.create_imaging_plane(
    name="plane",
    optical_channel=OpticalChannel(name="green", description="GCaMP", emission_lambda=520.0),
    description="V1 layer 2/3",
    device=nwbfile.create_device(name="2p"),
    excitation_lambda=910.0,
    indicator="GCaMP6f",
    location="VISp",
)
ophys = nwbfile.create_processing_module(name="ophys", description="processed")
segmentation = ImageSegmentation(name="image_segmentation")
ophys.add(segmentation)
cells = segmentation.create_plane_segmentation(
    name="cells", description="cells", imaging_plane=plane
)
for i in range(n_cells):
    cells.add_roi(pixel_mask=[(i, i, 1.0)])
rois = cells.create_roi_table_region(region=list(range(n_cells)), description="all")
ophys.add(DfOverF(name="dff"))
ophys["dff"].add_roi_response_series(
    RoiResponseSeries(name="traces", data=dff, rois=rois, unit="NA", rate=rate)
)
columns = {
    "start_time": starts,
    "stop_time": starts + 0.4,
    "stimulus_name": names,
    "orientation": orientation,
}
nwbfile.add_time_intervals(
    TimeIntervals(
        name="stimulus_presentations",
        description="one row per presentation",
        columns=[VectorData(name=k, description=k, data=v) for k, v in columns.items()],
    )
)
with NWBHDF5IO(str(folder / "session.nwb"), "w") as io:
    io.write(nwbfile)

# %%
# What is in it
# -------------
# What ``neurodl info session.nwb`` prints, as a dict: the response series, the intervals
# tables and their columns, and a suggested way to read each stimulus.
facts = describe_nwb(folder / "session.nwb")
print("series:", [s["path"] for s in facts["series"]])
for table in facts["intervals"]:
    print(f"table {table['name']} ({table['n_rows']} rows):")
    for column, about in table["columns"].items():
        print(f"    {column}: {about}")
for suggestion in facts["suggestions"]:
    print("read with", suggestion["options"], f"({suggestion['n_rows']} rows)")

# %%
# Load the gratings
# -----------------
# ``intervals`` picks the table, ``where`` keeps rows (``"column!="`` drops them; ``"nan"``
# matches NaN), ``series`` the response series and ``window`` the seconds after each row's start
# to average over. Every choice is recorded in ``recording.meta["nwb"]``.
recording = neurodl.load(
    folder / "session.nwb",
    intervals="stimulus_presentations",
    where={"stimulus_name": "static_gratings", "orientation!=": "nan"},
    window=(0.0, 0.4),
)
print(recording)
print(recording.meta["nwb"])

# %%
# A wrong name is answered with the valid ones:
try:
    neurodl.load(folder / "session.nwb", intervals="trials")
except neurodl.NeurodlError as error:
    print(error)

# %%
# neurodl's own NWB files
# -----------------------
# :func:`neurodl.save` writes a recording as NWB (responses, a ``trials`` table, images as a
# stimulus template); such a file loads without options.
neurodl.save(neurodl.simulate_v1(50, 200, random_state=0), folder / "simulated.nwb")
print(neurodl.load(folder / "simulated.nwb"))
