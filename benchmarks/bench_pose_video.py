"""Benchmark the keypoint detector on rendered supine infants that it never saw in training.

Per seed: ``--train-infants`` infants × ``--frames-per-infant`` frames (default 1,000 × 1 =
1,000 labelled frames at 128×128; frames from many videos, as DeepLabCut advises, beat fewer
videos: seed 0, PCK 0.960 from 1,000 × 1 against 0.950 from 250 × 4 with heatmap sigma 0.7 on
the old 20-infant test set and, with older defaults, 0.916 from 250 × 4 against 0.908 from
100 × 10) train a ``KeypointDetector``
with its defaults (early stopping on 10% of the frames); a test set of other infants (new body
sizes, proportions, skin, clothes, textures, rooms, lighting, blur and toys; own seed) scores it.
Printed per seed: PCK@0.2 of the torso length, RMSE and median error in pixels, mean error as a
percentage of infant length, epochs, training wall time and CPU time, and detection throughput at
128×128 with torch set to 1 thread and to 2 threads; then the spread over seeds, the worst
keypoints, and the anchors from the literature.

    python benchmarks/bench_pose_video.py                        # seeds 0 1 2, the targets
    python benchmarks/bench_pose_video.py --seeds 0 --train-infants 20 --epochs 3   # a quick look
    python benchmarks/bench_pose_video.py --risk-infants 120   # + movement risk (the target)

``--risk-infants N`` (per seed, after training) closes the loop: N infants of the movement
simulator (``simulate_infant_movements``: 30 % atypical at severity 0.6, ``--risk-duration`` s at
30 fps, no camera or tracking nuisances) are rendered, tracked by the trained detector and scored
by ``run_movement_risk`` twice, on the detections and on the true keypoints
(``neurodl.pose.detection_check.compare_risk_on_detections``). Target: the two ROC AUCs within
0.05. The difference is printed with a paired bootstrap interval (the same infants resampled for
both): about ±0.12 with 40 infants (seed 0: -0.119 [-0.247, 0.000]) and ±0.03-0.05 with 120
(seeds 0-2), so judge the target on 100 or more infants.

A detector to ship with neurodl (``neurodl.pose.detector.load_infant_detector``) is seed 0's:
``python benchmarks/bench_pose_video.py --seeds 0 --save-model src/neurodl/pose/_models/infant14``
(one torch thread; rendered infants only; no real images, no downloaded weights).

Infant length (for the percentage) is the sum of nose–neck, neck–mid-hip, and the mean of the two
legs' hip–knee + knee–ankle, per frame: a posture-independent body length.

Training runs with ``--threads`` torch threads (default 1: on a shared machine a second OpenMP
thread spins while the other core is busy, which made training several times slower here). The
CPU seconds of the training process are printed beside the wall time: on a busy machine they are
the better estimate of the wall time on two idle cores.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import numpy as np

ANCHORS = (
    "Anchors: DeepLabCut (Mathis et al. 2018) reaches test errors about equal to human labelling "
    "variability (~2.7 px on 640×480 mouse frames) after ~200 labelled frames with an ImageNet-"
    "pretrained ResNet-50; Passmore et al. 2024 (DeepLabCut on infant videos): keypoint error "
    "3.7% of infant length. neurodl trains from scratch (no pretrained weights) on rendered "
    "infants; its numbers are not on real videos."
)


def _body_length(points: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    i = {name: k for k, name in enumerate(names)}

    def seg(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(points[:, i[a]] - points[:, i[b]], axis=1)

    hips = (points[:, i["left_hip"]] + points[:, i["right_hip"]]) / 2
    trunk = np.linalg.norm(points[:, i["neck"]] - hips, axis=1)
    legs = [
        seg(f"{s}_hip", f"{s}_knee") + seg(f"{s}_knee", f"{s}_ankle") for s in ("left", "right")
    ]
    return seg("nose", "neck") + trunk + (legs[0] + legs[1]) / 2


def _throughput(detector, frames: np.ndarray, threads: int) -> float:  # type: ignore[no-untyped-def]
    import torch

    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        detector.predict(frames[:64])
        start = time.perf_counter()
        detector.predict(frames)
        return len(frames) / (time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)


def _run_seed(seed: int, args: argparse.Namespace) -> dict:
    import torch

    from neurodl.metrics.pose import pose_error_summary
    from neurodl.pose.detector import KeypointDetector
    from neurodl.pose.render import make_rendered_dataset
    from neurodl.pose.skeleton import CANONICAL_KEYPOINTS

    names = CANONICAL_KEYPOINTS[:14]
    size = (args.size, args.size)
    t0 = time.perf_counter()
    train_x, train_y, _ = make_rendered_dataset(
        args.train_infants,
        args.frames_per_infant,
        image_size=size,
        movement_fraction=args.movement_fraction,
        random_state=1000 + seed,
    )
    test_x, test_y, _ = make_rendered_dataset(
        args.test_infants, args.test_frames, image_size=size, random_state=5000 + seed
    )
    render_s = time.perf_counter() - t0
    torch.set_num_threads(args.threads)
    detector = KeypointDetector(keypoint_names=names, random_state=seed)
    if args.epochs is not None:
        detector.set_params(max_iter=args.epochs)
    if args.params:
        detector.set_params(
            **{
                k: tuple(v) if isinstance(v, list) else v
                for k, v in json.loads(args.params).items()
            }
        )
    cpu0, wall0 = time.process_time(), time.perf_counter()
    if args.load_model is None:
        detector.fit(train_x, train_y)
    else:  # score a saved detector (its training time is not measured here)
        detector = KeypointDetector.load(args.load_model)
    fit_wall, fit_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    predicted, _ = detector.predict(test_x)
    summary = pose_error_summary(test_y, predicted, names)
    errors = np.linalg.norm(predicted - test_y, axis=-1)
    percent = 100 * np.mean(errors / _body_length(test_y, names)[:, None])
    if args.save_model is not None:
        from neurodl.pose.skeleton import CANONICAL_SKELETON

        edges = [(a, b) for a, b in CANONICAL_SKELETON if a in names and b in names]
        detector.save(
            args.save_model, skeleton=[(names.index(a), names.index(b)) for a, b in edges]
        )
    risk = _risk(detector, seed, args) if args.risk_infants else None
    return {
        "risk": risk,
        "seed": seed,
        "n_train": len(train_x),
        "n_test": len(test_x),
        "render_s": render_s,
        "summary": summary,
        "percent_length": percent,
        "epochs": detector.n_iter_,
        "fit_wall": fit_wall,
        "fit_cpu": fit_cpu,
        "fps1": _throughput(detector, test_x[:256], 1),
        "fps2": _throughput(detector, test_x[:256], 2),
    }


def _risk(detector, seed: int, args: argparse.Namespace) -> dict:  # type: ignore[no-untyped-def]
    from neurodl.pose import simulate_infant_movements
    from neurodl.pose.detection_check import compare_risk_on_detections

    poses = simulate_infant_movements(
        args.risk_infants,
        atypical_fraction=0.3,
        severity=0.6,
        duration=args.risk_duration,
        nuisance=0.0,
        random_state=9000 + seed,
    )
    out = compare_risk_on_detections(
        detector, poses, image_size=(args.size, args.size), random_state=seed
    )
    print(
        f"  seed {seed} movement risk on {out['n_infants']} rendered infants "
        f"({out['n_frames']} frames, PCK@0.2 {out['pck']:.3f}, {out['wall_seconds']:.0f} s): "
        f"ROC AUC true keypoints {out['roc_auc_true']:.3f} "
        f"[{out['roc_auc_true_ci_low']:.3f}, {out['roc_auc_true_ci_high']:.3f}], detected "
        f"{out['roc_auc_detected']:.3f} [{out['roc_auc_detected_ci_low']:.3f}, "
        f"{out['roc_auc_detected_ci_high']:.3f}], difference {out['roc_auc_difference']:+.3f} "
        f"[{out['roc_auc_difference_ci_low']:+.3f}, {out['roc_auc_difference_ci_high']:+.3f}] "
        "(paired bootstrap; target within 0.05)",
        flush=True,
    )
    return out


def _print_row(r: dict) -> None:
    s = r["summary"]
    print(
        f"| {r['seed']:>4} | {r['n_train']:>5} | {r['n_test']:>4} | {s['pck']:.3f} | "
        f"{s['rmse_px']:6.2f} | {s['median_error_px']:6.2f} | {r['percent_length']:5.2f} | "
        f"{r['epochs']:>3} | {r['fit_wall']:7.0f} | {r['fit_cpu']:7.0f} | {r['fps1']:6.0f} | "
        f"{r['fps2']:6.0f} |",
        flush=True,
    )


def _print_spread(rows: list[dict]) -> None:
    def spread(values: list[float], fmt: str) -> str:
        v = np.asarray(values, dtype=float)
        return (
            f"{v.mean():{fmt}} ± {v.std(ddof=1) if len(v) > 1 else 0:{fmt}} "
            f"[{v.min():{fmt}}, {v.max():{fmt}}]"
        )

    print(f"\nover {len(rows)} seeds: mean ± SD [min, max]")
    print(
        f"  PCK@0.2          {spread([r['summary']['pck'] for r in rows], '.3f')}   target >= 0.95"
    )
    print(f"  RMSE px          {spread([r['summary']['rmse_px'] for r in rows], '.2f')}")
    print(f"  error % length   {spread([r['percent_length'] for r in rows], '.2f')}")
    print(f"  training wall s  {spread([r['fit_wall'] for r in rows], '.0f')}   target <= 600")
    print(f"  training CPU s   {spread([r['fit_cpu'] for r in rows], '.0f')}")
    print(f"  frames/s, 1 thr  {spread([r['fps1'] for r in rows], '.0f')}   target >= 100")
    print(f"  frames/s, 2 thr  {spread([r['fps2'] for r in rows], '.0f')}")
    per = {}
    for r in rows:
        for name, values in r["summary"]["per_keypoint"].items():
            per.setdefault(name, []).append(values["pck"])
    print("  PCK per keypoint (per seed): " + "; ".join(
        f"{n} " + "/".join(f"{v:.3f}" for v in per[n]) for n in per
    ))  # fmt: skip
    risks = [r["risk"] for r in rows if r["risk"] is not None]
    if risks:
        diffs = [abs(r["roc_auc_difference"]) for r in risks]
        print(f"  |AUC detected - AUC true|  {spread(diffs, '.3f')}   target <= 0.05")
    worst = sorted(per, key=lambda n: np.mean(per[n]))[:4]
    print("  worst keypoints (mean PCK): " + ", ".join(f"{n} {np.mean(per[n]):.3f}" for n in worst))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--train-infants", type=int, default=1000)
    parser.add_argument("--frames-per-infant", type=int, default=1)
    parser.add_argument("--test-infants", type=int, default=200)
    parser.add_argument("--test-frames", type=int, default=4)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument(
        "--movement-fraction",
        type=float,
        default=0.5,
        help="training infants that move as the movement-risk simulator's (the test set: none)",
    )
    parser.add_argument("--epochs", type=int, default=None, help="default: the detector's")
    parser.add_argument("--threads", type=int, default=1, help="torch threads for training")
    parser.add_argument("--save-model", type=Path, default=None, help="save the last seed's model")
    parser.add_argument("--params", default="", help="JSON dict of KeypointDetector parameters")
    parser.add_argument("--load-model", type=Path, default=None, help="score this saved model")
    parser.add_argument("--risk-infants", type=int, default=0, help="movement-risk infants")
    parser.add_argument("--risk-duration", type=float, default=20.0, help="seconds per infant")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        "| seed | train | test | PCK@0.2 | RMSE px | median px | % length | ep | wall s | CPU s "
        "| fps 1t | fps 2t |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for seed in args.seeds:
        rows.append(_run_seed(seed, args))
        _print_row(rows[-1])
    _print_spread(rows)
    print(f"load average at end: {os.getloadavg()[0]:.1f}")
    print(ANCHORS)


if __name__ == "__main__":
    main()
