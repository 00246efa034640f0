"""Detection throughput of the default ``KeypointDetector`` at 128×128, by torch thread count.

The speed does not depend on the weights, so a detector trained for one epoch on random frames is
timed on ``--frames`` frames (``predict``: padding, the network on each frame and its mirror image
(``flip_test``, the default with left/right keypoint names), sub-pixel decoding); ``--no-flip``
times one pass. Printed per
thread count: frames per second of wall time (best of ``--repeats``) and frames per CPU second of
the process (on a busy machine, wall time includes waiting for a core; frames per CPU second × the
number of idle cores used estimates the rate on an idle machine).

    python benchmarks/bench_pose_throughput.py
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np


def main() -> None:
    import torch

    from neurodl.pose.detector import KeypointDetector

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=512)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keypoints", type=int, default=14)
    parser.add_argument("--no-flip", action="store_true", help="one pass per frame")
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    shape = (args.frames, args.size, args.size, 3)
    frames = rng.integers(0, 255, shape, dtype=np.uint8)
    points = rng.uniform(10, args.size - 10, (16, args.keypoints, 2))
    torch.set_num_threads(1)
    names = [f"{side}_point{k}" for k in range(args.keypoints // 2) for side in ("left", "right")]
    names += ["centre"] * (args.keypoints % 2)
    detector = KeypointDetector(
        keypoint_names=names,
        flip_test=not args.no_flip,
        max_iter=1,
        early_stopping=False,
        random_state=0,
    )
    detector.fit(frames[:16], points)
    n_params = sum(p.numel() for p in detector.module_.parameters())
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    flip = "one pass" if args.no_flip else "flip testing (two passes)"
    print(f"default detector: {n_params} parameters, {args.keypoints} keypoints, {flip}")
    print("| threads | frames | wall frames/s (best) | frames per CPU s (best) |")
    print("|---:|---:|---:|---:|")
    for threads in (1, 2):
        torch.set_num_threads(threads)
        detector.predict(frames[:64])
        wall, cpu = [], []
        for _ in range(args.repeats):
            w0, c0 = time.perf_counter(), time.process_time()
            detector.predict(frames)
            wall.append(args.frames / (time.perf_counter() - w0))
            cpu.append(args.frames / max(time.process_time() - c0, 1e-9))
        print(f"| {threads} | {args.frames} | {max(wall):.0f} | {max(cpu):.0f} |")
    print(f"load average at end: {os.getloadavg()[0]:.1f}; target: >= 100 frames/s on 2 cores")


if __name__ == "__main__":
    main()
