"""
Your data as arrays: neurodl .npz, the curriculum's files, HDF5, Stringer's .npy
================================================================================

:func:`neurodl.load` picks the reader from the file's extension and checks the file: a missing
key, a wrong shape, lengths that disagree, NaN or an empty array is answered by one line naming
the file, the key and what was expected. This example writes each array format from plain numpy
and loads it.
"""

import tempfile
from pathlib import Path

import numpy as np

import neurodl

folder = Path(tempfile.mkdtemp())
rng = np.random.default_rng(0)

# %%
# The neurodl ``.npz``
# --------------------
# ``responses`` of shape ``(n_trials, n_neurons)``; per-trial arrays by name (``orientation`` in
# degrees, ``image_id``); optional ``images`` of shape ``(n_images, height, width)``; per-neuron
# arrays prefixed ``neuron_``; ``meta`` a JSON string. No pickle is involved.
orientation = rng.uniform(0, 360, 200)
np.savez(
    folder / "mine.npz",
    responses=rng.poisson(2.0, (200, 50)).astype(np.float32),
    orientation=orientation,
    neuron_depth=rng.uniform(100, 300, 50),
    meta='{"subject": "m1", "units": "deconvolved events"}',
)
recording = neurodl.load(folder / "mine.npz")
print(recording, recording.meta["subject"])

# %%
# The curriculum's files
# ----------------------
# Trial-averaged responses in 1° bins (``resp`` of shape ``(360, n_neurons)`` and ``stimuli``
# in degrees), or split into two halves at 6° (``resp_train``, ``resp_test``): the halves are
# read as two repeats of 60 conditions, so noise ceilings work.
np.savez(folder / "bins.npz", resp=rng.random((360, 50)), stimuli=np.arange(360.0))
print(neurodl.load(folder / "bins.npz"))
np.savez(
    folder / "split.npz",
    resp_train=rng.random((60, 50)),
    resp_test=rng.random((60, 50)),
    stimuli=np.arange(0.0, 360.0, 6.0),
)
split = neurodl.load(folder / "split.npz")
print(split, np.unique(split.stimulus["repeat"]))

# %%
# HDF5
# ----
# The ``.npz`` names as datasets of one ``.h5`` file. ``load`` can read only some trials and
# neurons of a large file.
neurodl.save(recording, folder / "mine.h5")
part = neurodl.load(folder / "mine.h5", trials=slice(0, 100), neurons=[0, 1, 2])
print(part)

# %%
# Stringer et al. (2021) ``.npy`` files
# -------------------------------------
# These hold a pickled dict (``sresp`` of shape ``(n_neurons, n_trials)``, ``istim`` in
# radians). Unpickling can run code, so neurodl refuses unless you trust the file:
with open(folder / "stringer.npy", "wb") as handle:
    np.save(
        handle,
        {"sresp": rng.random((50, 200)), "istim": rng.uniform(0, 2 * np.pi, 200)},
        allow_pickle=True,
    )
try:
    neurodl.load(folder / "stringer.npy")
except neurodl.UnsafeFileError as error:
    print("refused:", error)
print(neurodl.load(folder / "stringer.npy", allow_pickle=True))

# %%
# What a bad file says
# --------------------
np.savez(folder / "bad.npz", responses=rng.random((200, 50)), orientation=orientation[:150])
try:
    neurodl.load(folder / "bad.npz")
except neurodl.NeurodlError as error:
    print(type(error).__name__, ":", error)
