"""
A CNN encoding model and FEVE against the noise ceiling
=======================================================

An encoding model predicts every neuron's response from the image. How good is good? Neurons
are noisy: even a perfect model cannot predict the trial-to-trial noise. The fraction of
explainable variance explained (FEVE) scores a model on held-out images against that ceiling:
1 is as good as the repeats allow. :func:`~neurodl.encoding.run_encoding` fits a CNN (a
convolutional core with a factorised readout per neuron) and a linear baseline, and scores both
on test images that were never trained on.
"""

import neurodl
from neurodl.encoding import run_encoding

# sphinx_gallery_start_ignore
import os

QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")
# sphinx_gallery_end_ignore
# %%
# A recording with repeated test images
# -------------------------------------
# FEVE needs repeats: ``test_images`` images each shown ``test_repeats`` times. The training
# trials are gratings here, which a small network learns in seconds (the README's full run uses
# 1/f noise images, ``stimulus="noise"``, which pin down every receptive field).
n_neurons, n_trials = 100, 1500
# sphinx_gallery_start_ignore
if QUICK:
    n_neurons, n_trials = 60, 800
# sphinx_gallery_end_ignore
recording = neurodl.simulate_v1(
    n_neurons, n_trials, test_images=60, test_repeats=10, stimulus="gratings", random_state=0
)
print(recording)

# %%
# Fit and score
# -------------
# ``quick=True`` trains a smaller network for fewer epochs. Only neurons whose explainable
# variance (FEV) exceeds 0.15 are scored: for the others the ceiling itself is noise.
result = run_encoding(recording, model="cnn", quick=True, random_state=0)
for sentence in result.summary:
    print("*", sentence)

# %%
# The numbers
# -----------
m = result.metrics
low, high = m["feve_mean_ci_low"], m["feve_mean_ci_high"]
print(
    f"mean FEVE {m['feve_mean']:.2f} [{low:.2f}, {high:.2f}] over {m['n_neurons_used']} neurons; "
    f"linear baseline {m['linear_feve_mean']:.2f}; mean FEV {m['fev_mean']:.2f}"
)

# %%
# The figures: FEVE against each neuron's explainable variance, the distribution over
# neurons, predicted against measured responses, and receptive fields.
result
