"""
The tilt network and RSA: ceilings and permutation tests
========================================================

Does a network trained to tell left from right tilt represent orientation the way V1 does?
Representational similarity analysis (RSA) compares the two without matching units to neurons:
each side is summarised by a representational dissimilarity matrix (RDM), the distance between
its responses to every pair of conditions, and the two RDMs are compared. The comparison means
something only beside the data's noise ceiling (how well the best possible model could match an
RDM this noisy) and a test against chance.
"""

import neurodl
from neurodl.rsa import compare_rdms, compute_rdm, run_rsa

# sphinx_gallery_start_ignore
import os

QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")
# sphinx_gallery_end_ignore
n_neurons, n_trials = 300, 1200
# sphinx_gallery_start_ignore
if QUICK:
    n_neurons, n_trials = 200, 600
# sphinx_gallery_end_ignore
recording = neurodl.simulate_v1(n_neurons, n_trials, test_images=24, test_repeats=4, random_state=0)

# %%
# RDMs by hand
# ------------
# Conditions are orientation bins; :func:`~neurodl.rsa.compute_rdm` takes an array of shape
# ``(n_conditions, n_channels)`` and :func:`~neurodl.rsa.compare_rdms` two RDMs.
import numpy as np

bins = (recording.orientation // 30).astype(int)
means = np.stack([recording.responses[bins == b].mean(axis=0) for b in range(12)])
rdm = compute_rdm(means, method="correlation")
print(rdm.shape)
print("the RDM against itself:", compare_rdms(rdm, rdm, method="pearson"))

# %%
# The whole analysis
# ------------------
# :func:`~neurodl.rsa.run_rsa` trains the curriculum's tilt CNN
# (:class:`~neurodl.models.TiltCNN`), reads every layer's activations to the conditions'
# gratings, and compares each layer's RDM with the data's: a bootstrap interval over conditions,
# a permutation p-value, and the noise ceiling band. ``rdm="crossnobis"`` uses cross-validated
# distances, unbiased by noise, which need the repeats.
result = run_rsa(recording, rdm="crossnobis", compare="pearson", quick=True, random_state=0)
for sentence in result.summary:
    print("*", sentence)

# %%
# Per layer
# ---------
# ``metrics["layers"]`` holds each layer's similarity with its interval and p-value; a layer
# inside the noise ceiling band matches the data as well as the data allow.
m = result.metrics
print(f"noise ceiling [{m['noise_ceiling_lower']:.2f}, {m['noise_ceiling_upper']:.2f}]")
for layer, v in m["layers"].items():
    print(
        f"{layer:>8}: {v['similarity']:.2f} [{v['similarity_ci_low']:.2f}, "
        f"{v['similarity_ci_high']:.2f}], p = {v['p_value']:.3f}"
    )

# %%
# The figures: the RDMs, each layer's similarity against the ceiling, and tuning.
result
