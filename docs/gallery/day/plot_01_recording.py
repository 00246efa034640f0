"""
A recording: simulate one, look at it, save it and load it back
===============================================================

Every analysis in neurodl takes one object, the :class:`~neurodl.data.Recording`: the responses
of ``n_neurons`` neurons on ``n_trials`` trials, the stimulus shown on each trial, optional images,
and per-neuron information. This example makes one with the built-in V1 simulator, whose ground
truth (the best possible decoding error, each neuron's explainable variance) is known, so every
later number can be compared with the truth.
"""

# %%
# Simulate mouse V1
# -----------------
# :func:`~neurodl.data.simulate_v1` draws a population of simple, complex and untuned neurons
# and their responses to full-field gratings of random orientation (0–360°). With
# ``test_images`` it also shows natural-like test images, each repeated ``test_repeats`` times:
# repeats are what noise ceilings are made of.
import matplotlib.pyplot as plt
import numpy as np

import neurodl

recording = neurodl.simulate_v1(
    n_neurons=300, n_trials=800, test_images=20, test_repeats=5, random_state=0
)
print(recording)

# %%
# What it holds
# -------------
# ``responses`` is a float32 array of shape ``(n_trials, n_neurons)``; each per-trial stimulus
# variable (``orientation`` in degrees, ``image_id``) is an array of length ``n_trials``.
# Trials that share an ``image_id`` (or, without images, an orientation) are repeats of one
# *condition*.
print(recording.responses.shape, recording.responses.dtype)
print(sorted(recording.stimulus))
labels, counts = np.unique(recording.stimulus["image_id"], return_counts=True)
print(f"{(counts > 1).sum()} images shown more than once, {counts.max()} times at most")

# %%
# Tuning curves
# -------------
# The mean response of a few neurons against the grating's orientation (the grating trials are
# those with ``test_set == 0``; each grating is also an image, rendered at a random phase).
# The simulator records each neuron's type in ``neurons["cell_type"]``.
gratings = recording.select(trials=np.flatnonzero(recording.stimulus["test_set"] == 0))
bins = np.arange(0, 361, 15)
which = np.digitize(gratings.orientation, bins) - 1
fig, ax = plt.subplots(figsize=(6, 3.5))
for neuron in range(4):
    mean = [gratings.responses[which == b, neuron].mean() for b in range(len(bins) - 1)]
    kind = recording.neurons["cell_type"][neuron]
    ax.plot(bins[:-1] + 7.5, mean, marker="o", ms=3, label=f"neuron {neuron} ({kind})")
ax.set(xlabel="Stimulus orientation (°)", ylabel="Mean response", xticks=range(0, 361, 90))
ax.legend(frameon=False, fontsize=8)
fig.tight_layout()

# %%
# The ground truth
# ----------------
# Simulated recordings carry their truth in ``meta``. The Cramér–Rao median error is the
# median error of the best unbiased decoder given the population's Fisher information: no
# decoder can beat it on average, and the decoding example compares each decoder with it.
print(f"Cramér–Rao median error: {neurodl.cramer_rao_median(gratings):.2f}°")

# %%
# Save and load
# -------------
# :func:`~neurodl.data.save` writes ``.npz``, ``.h5`` and ``.nwb``; :func:`~neurodl.data.load`
# reads every format listed in :doc:`/guide/data` and checks it. Inputs are never modified and
# files are written atomically.
import tempfile
from pathlib import Path

folder = Path(tempfile.mkdtemp())
neurodl.save(recording, folder / "session.npz")
again = neurodl.load(folder / "session.npz")
print(again)
print("identical responses:", np.array_equal(again.responses, recording.responses))
