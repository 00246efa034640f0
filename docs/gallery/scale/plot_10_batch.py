"""
Many sessions on a Dask cluster
===============================

A study has many sessions from several animals. :func:`~neurodl.batch.run_batch` (``neurodl
batch`` on the command line) runs an analysis on every session, one Dask task per session and
analysis, saves each session exactly as the single command would, keeps going when one session
fails, and summarises each headline number across sessions with a hierarchical bootstrap
(subjects, then sessions within subjects): sessions of one animal are not independent.

This example runs on a local in-process cluster; ``scheduler="tcp://HOST:PORT"`` (or
``--scheduler``) sends the same tasks to a cluster you started, and ``client=`` takes a
``distributed.Client`` you already hold.
"""

import tempfile
from pathlib import Path

from distributed import Client

import neurodl
from neurodl.batch import run_batch

# sphinx_gallery_start_ignore
import os

QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")
import logging

logging.getLogger("distributed").setLevel(logging.WARNING)  # Dask logs at INFO by default
# sphinx_gallery_end_ignore
# %%
# Sessions and a manifest
# -----------------------
# Four small simulated sessions from two mice, plus one broken file, listed in a CSV manifest
# with ``path``, ``session`` and ``subject`` columns (any other column, such as ``area``, is
# carried into the summary).
folder = Path(tempfile.mkdtemp())
rows = ["path,session,subject,area"]
for i, (subject, seed) in enumerate([("m1", 1), ("m1", 2), ("m2", 3), ("m2", 4)]):
    recording = neurodl.simulate_v1(120, 400, random_state=seed)
    neurodl.save(recording, folder / f"s{i}.npz")
    rows.append(f"s{i}.npz,{subject}_day{i % 2 + 1},{subject},V1")
(folder / "broken.npz").write_bytes(b"not a recording")
rows.append("broken.npz,m3_day1,m3,V1")
(folder / "sessions.csv").write_text("\n".join(rows) + "\n")
print((folder / "sessions.csv").read_text())

# %%
# Run
# ---
# With a script that starts a cluster of worker *processes*, guard it with
# ``if __name__ == "__main__":``. Here the cluster runs in this process (``processes=False``).
with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=None) as client:
    result = run_batch(
        folder / "sessions.csv",
        analysis="decode",
        options={"decode": {"quick": True}},
        output=folder / "batch-out",
        client=client,
        figures=False,
        n_resamples=2000,
    )
print(result.counts())
for sentence in result.summary_sentences():
    print("*", sentence)

# %%
# What was written
# ----------------
# ``DIR/<session>/decode/`` holds what ``neurodl decode`` writes; the failed session has a
# one-line reason in ``summary.csv``; running the same call again skips the complete sessions
# (``resume=False`` recomputes them).
result.save()
for line in result.to_csv().splitlines():
    print(line[:110])
print(sorted(p.name for p in (folder / "batch-out").iterdir()))
