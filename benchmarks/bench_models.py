"""Brain-like tilt networks: held-out accuracy per model and seed, training time, FA alignment.

Part 1 trains each built-in tilt network (``tilt-cnn``, ``tilt-dale``, ``tilt-fa``,
``tilt-rcnn``) on the default tilt task (2,000 training gratings of 48 x 64 pixels, 500
held-out test gratings, early stopping) for ``--seeds`` seeds and prints the held-out accuracy
per seed, its mean and standard deviation, the gap to ``tilt-cnn`` in percentage points (mean
and spread over seeds) and the training time. Targets (issue 13): every model >= 0.95, and
``tilt-dale`` and ``tilt-fa`` within 3 points of ``tilt-cnn``.

Part 2 is the seed sweep behind tests/models/test_learning_rules.py: a 20-30-10 tanh network
learns a fixed random linear teacher by feedback alignment (plain SGD, lr 1.0, 150 full-batch
steps); the table gives the hidden layer's alignment angle between its FA update and the true
gradient at the first and the last step.

Usage: python benchmarks/bench_models.py [--seeds N] [--fa-seeds N] [--skip-training]
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurodl.models import compute_alignment_angles, with_learning_rule
from neurodl.rsa.networks import BUILTIN_MODELS
from neurodl.rsa.tilt import train_tilt_network


def accuracy_table(n_seeds: int) -> None:
    """Train every built-in tilt network for seeds 0..n_seeds-1 and print the table."""
    results: dict[str, list[float]] = {}
    seconds: dict[str, list[float]] = {}
    for name, kind in BUILTIN_MODELS.items():
        for seed in range(n_seeds):
            start = time.perf_counter()
            _, accuracy, _ = train_tilt_network(kind, random_state=seed)
            seconds.setdefault(name, []).append(time.perf_counter() - start)
            results.setdefault(name, []).append(accuracy)
            print(f"{name} seed {seed}: {accuracy:.3f} in {seconds[name][-1]:.1f} s", flush=True)
    reference = np.array(results["tilt-cnn"])
    print(f"\nHeld-out tilt accuracy, seeds 0-{n_seeds - 1} (chance 0.5; target >= 0.95)")
    print(f"{'model':<10} {'per seed':<28} {'mean':>6} {'sd':>6} {'gap pp':>14} {'train s':>8}")
    for name, values in results.items():
        acc = np.array(values)
        gap = 100 * (reference - acc)  # paired by seed: same gratings, same batches
        per_seed = " ".join(f"{v:.3f}" for v in acc)
        gap_text = f"{gap.mean():+.1f} ± {gap.std(ddof=1) if len(gap) > 1 else 0:.1f}"
        print(
            f"{name:<10} {per_seed:<28} {acc.mean():6.3f} "
            f"{acc.std(ddof=1) if len(acc) > 1 else 0:6.3f} {gap_text:>14} "
            f"{np.mean(seconds[name]):8.1f}"
        )
    print("gap pp: tilt-cnn minus the model, paired by seed (mean ± sd over seeds).")


def alignment_run(seed: int, steps: int = 150) -> tuple[float, float]:
    """First and last hidden-layer alignment angle of the test's FA problem."""
    generator = torch.Generator().manual_seed(seed)
    teacher = torch.randn(10, 20, generator=generator) / 20**0.5
    x = torch.randn(256, 20, generator=generator)
    y = x @ teacher.T
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 10))
    fa = with_learning_rule(net, "feedback_alignment", random_state=seed)
    optimizer = torch.optim.SGD(fa.parameters(), lr=1.0)
    angles = []
    for _ in range(steps):
        angles.append(compute_alignment_angles(fa, lambda m: F.mse_loss(m(x), y))["0"])
        optimizer.zero_grad()
        F.mse_loss(fa(x), y).backward()
        optimizer.step()
    return angles[0], angles[-1]


def alignment_table(n_seeds: int) -> None:
    """Print the FA alignment angles over seeds 0..n_seeds-1."""
    runs = [alignment_run(seed) for seed in range(n_seeds)]
    print("\nFeedback alignment: hidden-layer angle (degrees) between update and true gradient,")
    print(f"seeds 0-{n_seeds - 1}")
    print(f"{'seed':>4} {'first':>7} {'last':>7}")
    for seed, (first, last) in enumerate(runs):
        print(f"{seed:>4} {first:7.1f} {last:7.1f}")
    lasts = np.array([last for _, last in runs])
    print(f"last: max {lasts.max():.1f}, mean {lasts.mean():.1f} (test bound: < 80 and < first)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--fa-seeds", type=int, default=20)
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "2"))))
    if not args.skip_training:
        accuracy_table(args.seeds)
    alignment_table(args.fa_seeds)


if __name__ == "__main__":
    main()
