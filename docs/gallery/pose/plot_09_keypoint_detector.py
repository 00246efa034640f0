"""
Label frames → train a keypoint detector → track a video
========================================================

Before movement can be scored, keypoints must come out of video. The usual route (DeepLabCut,
SLEAP) is to label a few hundred frames, train a heatmap network on them and run it on every
frame of every video. :class:`~neurodl.pose.detector.KeypointDetector` does this with the
scikit-learn contract, and ``neurodl pose train`` / ``neurodl pose detect`` do it from the
command line. The frames here are rendered infants whose keypoints are known exactly, so the
detections can be scored.

The detector below trains for a few epochs on small frames, to fit in a documentation build; it
learns the rough layout of the body, not the precise joints. The README reports what the default
training reaches (PCK\\@0.2 about 0.9 on 128 × 128 frames of unseen infants).
"""

import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from PIL import Image

from neurodl.metrics import pose_error_summary
from neurodl.pose.detector import KeypointDetector
from neurodl.pose.labels import (
    PoseLabels,
    read_labels,
    write_coco_keypoints,
    write_dlc_predictions,
)
from neurodl.pose.render import (
    make_rendered_dataset,
    render_infant_video,
    simulate_supine_keypoints,
)
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS
from neurodl.pose.video import read_video

# sphinx_gallery_start_ignore
import os

QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")
# sphinx_gallery_end_ignore
# %%
# Labelled frames
# ---------------
# A labelled frame is an image and the ``(x, y)`` pixel position of each keypoint (NaN where
# it is not visible). Here: 4 frames each of 40 rendered infants, each with their own body,
# clothes and room, written as a COCO keypoint file with the frames beside it, the format
# ``neurodl pose train`` reads (a DeepLabCut labelled-data CSV works too).
n_infants, max_iter = 40, 20
# sphinx_gallery_start_ignore
if QUICK:
    n_infants, max_iter = 12, 3
# sphinx_gallery_end_ignore
names = CANONICAL_KEYPOINTS[:14]
frames, keypoints, _ = make_rendered_dataset(n_infants, 4, image_size=(64, 64), random_state=0)
print(frames.shape, keypoints.shape)  # (n_frames, height, width, 3), (n_frames, 14, 2)

folder = Path(tempfile.mkdtemp())
files = []
for i, frame in enumerate(frames):
    Image.fromarray(frame).save(folder / f"frame{i:03d}.png")
    files.append(f"frame{i:03d}.png")
write_coco_keypoints(folder / "labels.json", PoseLabels(files, keypoints, names))
labels = read_labels(folder / "labels.json")
print(len(labels.images), "labelled frames of", len(labels.names), "keypoints")

fig, axes = plt.subplots(1, 4, figsize=(9, 2.6))
for ax, i in zip(axes, range(0, 16, 4), strict=True):
    ax.imshow(frames[i])
    ax.scatter(keypoints[i, :, 0], keypoints[i, :, 1], s=8, c="red")
    ax.set_axis_off()
fig.suptitle("Rendered frames and their keypoints")
fig.tight_layout()

# %%
# Train
# -----
# ``fit(images, keypoints)`` trains a small heatmap network; left and right keypoints are
# swapped when an image is mirrored during augmentation. ``loss_curve_`` and
# ``validation_scores_`` are the learning curves (the held-out frames choose the epoch).
detector = KeypointDetector(keypoint_names=names, max_iter=max_iter, random_state=0)
detector.fit(frames, keypoints)
fig, ax = plt.subplots(figsize=(5, 3))
ax.plot(np.arange(1, len(detector.loss_curve_) + 1), detector.loss_curve_, marker="o")
ax.set(xlabel="Epoch", ylabel="Training loss")
fig.tight_layout()

# %%
# Track a new infant's video
# --------------------------
# A video of an infant never seen in training, decoded frame by frame; ``predict`` returns the
# keypoints and a confidence per keypoint (the heatmap's peak). The CSV written is DeepLabCut's
# pose format, which the movement analysis of the previous example reads.
truth = simulate_supine_keypoints(20, image_size=(64, 64), random_state=99)
render_infant_video(truth, folder / "test.mp4", image_size=(64, 64), random_state=99)
video = read_video(folder / "test.mp4")
predicted, confidence = detector.predict(video)
write_dlc_predictions(folder / "test.csv", predicted, confidence, names)
summary = pose_error_summary(truth[:, : len(names)], predicted, names)
print(
    f"PCK@0.2 {summary['pck']:.2f}, RMSE {summary['rmse_px']:.1f} px "
    f"(torso {summary['torso_length_px']:.0f} px); mean confidence {confidence.mean():.2f}"
)

fig, axes = plt.subplots(1, 3, figsize=(7, 2.6))
for ax, i in zip(axes, (0, 10, 19), strict=True):
    ax.imshow(video[i])
    ax.scatter(truth[i, : len(names), 0], truth[i, : len(names), 1], s=8, c="white", label="true")
    ax.scatter(predicted[i, :, 0], predicted[i, :, 1], s=8, c="red", label="detected")
    ax.set_axis_off()
axes[0].legend(fontsize=7, loc="lower left")
fig.tight_layout()
