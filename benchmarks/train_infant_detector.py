"""Train the keypoint detector shipped with neurodl (``load_infant_detector``).

Rendered supine infants only (no real images, no downloaded weights): 100 infants × 10 frames at
128×128 (``make_rendered_dataset(..., random_state=1000)``, the training set of seed 0 in
``benchmarks/bench_pose_video.py``), ``KeypointDetector`` with its defaults and
``random_state=0``, one torch thread (training on CPU with one thread is deterministic). Writes
``src/neurodl/pose/_models/infant14`` (``config.json`` + ``weights.pt``, ~1 MB) unless ``-o`` says
otherwise, and prints PCK@0.2 on rendered infants it never saw (``random_state=5000``).

    OMP_NUM_THREADS=1 nice -n 19 python benchmarks/train_infant_detector.py
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    import torch

    from neurodl.metrics.pose import pose_error_summary
    from neurodl.pose.detector import SHIPPED_DETECTOR, KeypointDetector
    from neurodl.pose.render import make_rendered_dataset
    from neurodl.pose.skeleton import CANONICAL_KEYPOINTS, CANONICAL_SKELETON

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=SHIPPED_DETECTOR)
    args = parser.parse_args()
    torch.set_num_threads(1)
    names = CANONICAL_KEYPOINTS[:14]
    frames, points, _ = make_rendered_dataset(100, 10, image_size=(128, 128), random_state=1000)
    test_x, test_y, _ = make_rendered_dataset(20, 20, image_size=(128, 128), random_state=5000)
    start = time.perf_counter()
    detector = KeypointDetector(keypoint_names=names, random_state=0).fit(frames, points)
    print(f"trained in {time.perf_counter() - start:.0f} s, {detector.n_iter_} epochs")
    skeleton = [
        (names.index(a), names.index(b)) for a, b in CANONICAL_SKELETON if a in names and b in names
    ]
    detector.save(args.output, skeleton=skeleton)
    predicted, _ = detector.predict(test_x)
    summary = pose_error_summary(test_y, predicted, names)
    print(f"PCK@0.2 {summary['pck']:.3f}, RMSE {summary['rmse_px']:.2f} px on unseen infants")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
