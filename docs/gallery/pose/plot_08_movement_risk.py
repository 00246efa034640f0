"""
Movement from pose: keypoints → features → surprise → ROC
=========================================================

General movements of young infants predict cerebral palsy; Chambers et al. (2020) scored them
from pose with kinematic features and a normative model of typically developing infants. neurodl
follows the same path: keypoints per video, preprocessing that removes the camera and the body
size, 32 kinematic features, a model fitted on reference infants, and a surprise score per
infant, validated against labels with intervals. The infants here are simulated: the example
shows that the method finds a signal that is there, not how well movement predicts cerebral
palsy.
"""

import matplotlib.pyplot as plt
import numpy as np

from neurodl.pose import (
    FEATURE_NAMES,
    compute_features,
    preprocess_pose,
    simulate_infant_movements,
)
from neurodl.pose.analysis import run_movement_risk

# sphinx_gallery_start_ignore
import os

QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")
# sphinx_gallery_end_ignore
# %%
# Simulated infants
# -----------------
# Typical movers, and atypical movers (cramped-synchronised, poor repertoire, one-sided weakness)
# with nuisances that must not look like risk: camera distance, rotation, frame rate, body size,
# tracking jitter, missing points. Half of the typical infants form the reference group.
n_infants, duration = 60, 30.0
# sphinx_gallery_start_ignore
if QUICK:
    n_infants, duration = 40, 20.0
# sphinx_gallery_end_ignore
poses = simulate_infant_movements(
    n_infants, atypical_fraction=0.3, severity=0.6, duration=duration, random_state=0
)
pose = poses[0]
print(pose.positions.shape, f"{pose.fps:.0f} fps", pose.meta["label"], pose.keypoints[:6])

# %%
# Preprocessing and features
# --------------------------
# :func:`~neurodl.pose.preprocess_pose` drops low-confidence points, fills short gaps, smooths,
# rotates the upper and lower body to the shoulder and hip lines and divides by the trunk
# length. :func:`~neurodl.pose.compute_features` turns one video into 32 numbers, named in
# :data:`~neurodl.pose.FEATURE_NAMES`.
clean = preprocess_pose(pose)
features = compute_features(clean)
for name, value in list(zip(FEATURE_NAMES, features, strict=True))[:4]:
    print(f"{name}: {value:.3f}")
print(f"... {len(features)} features in all")

fig, ax = plt.subplots(figsize=(6, 3))
wrist = clean.keypoints.index("left_wrist")
t = np.arange(clean.n_frames) / clean.fps
ax.plot(t, clean.positions[:, wrist, 0], label="x")
ax.plot(t, clean.positions[:, wrist, 1], label="y")
ax.set(xlabel="Time (s)", ylabel="Left wrist (trunk lengths)")
ax.legend(frameon=False)
fig.tight_layout()

# %%
# Surprise against the reference, and the ROC
# -------------------------------------------
# :func:`~neurodl.pose.analysis.run_movement_risk` fits the normative model on the reference
# infants (scored leave-one-out) and scores everyone: surprise, a z against the reference and a
# one-sided p-value. With labels it reports the ROC AUC with a stratified bootstrap interval.
result = run_movement_risk(poses, model="shrinkage", n_resamples=500, random_state=0)
for sentence in result.summary:
    print("*", sentence)
print({k: result.scores[0][k] for k in ("infant", "group", "label", "surprise", "z", "p_value")})

# %%
# The figures: the most surprising infant's features against the reference, surprise by group
# and the ROC.
result
