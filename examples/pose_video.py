"""Keypoints from video: render labelled infants, train a detector, track a new video, score it.

    python examples/pose_video.py -o pose-example            # about 10 minutes on 2 CPU cores
    python examples/pose_video.py -o pose-example --quick    # seconds; the detector learns little

Writes into the output folder: ``train_labels.json`` (COCO, with the frames beside it), the model
folder, ``test.mp4`` (an infant never seen in training), ``test.csv`` (DeepLabCut format) and
``test_annotated.mp4`` (detections drawn on the frames); prints PCK@0.2 and the RMSE.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from neurodl.metrics.pose import pose_error_summary
from neurodl.pose.detector import KeypointDetector
from neurodl.pose.labels import PoseLabels, write_coco_keypoints, write_dlc_predictions
from neurodl.pose.render import (
    make_rendered_dataset,
    render_infant_video,
    simulate_supine_keypoints,
)
from neurodl.pose.skeleton import CANONICAL_KEYPOINTS, CANONICAL_SKELETON
from neurodl.pose.video import annotate_video, read_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, required=True)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: runs in seconds")
    args = parser.parse_args()
    out = args.output
    out.mkdir(parents=True, exist_ok=True)
    size = (64, 64) if args.quick else (128, 128)
    names = CANONICAL_KEYPOINTS[:14]

    # 1. Labelled frames: many rendered infants (each its own body, clothes and room).
    n_infants, per_infant = (4, 4) if args.quick else (100, 10)
    frames, keypoints, _ = make_rendered_dataset(
        n_infants, per_infant, image_size=size, random_state=0
    )
    folder = out / "train_frames"
    folder.mkdir(exist_ok=True)
    from PIL import Image

    images = []
    for i, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{i:05d}.png")
        images.append(f"train_frames/{i:05d}.png")
    write_coco_keypoints(out / "train_labels.json", PoseLabels(images, keypoints, names))

    # 2. Train (the CLI does the same: neurodl pose train train_labels.json -o model).
    detector = KeypointDetector(
        keypoint_names=names, random_state=0, max_iter=2 if args.quick else 60
    )
    detector.fit(frames, keypoints)
    detector.save(out / "model")

    # 3. A new infant's video, tracked frame by frame, scored against its exact keypoints.
    truth = simulate_supine_keypoints(30 if args.quick else 150, image_size=size, random_state=99)
    render_infant_video(truth, out / "test.mp4", image_size=size, random_state=99)
    truth = truth[:, : len(names)]
    predicted, confidence = detector.predict(read_video(out / "test.mp4"))
    write_dlc_predictions(out / "test.csv", predicted, confidence, names)
    annotate_video(
        out / "test.mp4",
        predicted,
        out / "test_annotated.mp4",
        skeleton=[
            (names.index(a), names.index(b))
            for a, b in CANONICAL_SKELETON
            if a in names and b in names
        ],
        confidence=confidence,
    )
    summary = pose_error_summary(truth, predicted, names)
    print(
        f"PCK@0.2 {summary['pck']:.3f}, RMSE {summary['rmse_px']:.2f} px, "
        f"median error {summary['median_error_px']:.2f} px "
        f"(torso {summary['torso_length_px']:.1f} px), "
        f"mean confidence {np.mean(confidence):.2f}"
    )


if __name__ == "__main__":
    main()
