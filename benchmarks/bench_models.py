"""Brain-like tilt networks: accuracy per model and seed, similarity to V1, model recovery.

Part 1 trains each built-in tilt network (``tilt-cnn``, ``tilt-dale``, ``tilt-fa``,
``tilt-rcnn``) on the default tilt task (2,000 training gratings of 48 x 64 pixels, 500
held-out test gratings, early stopping) for ``--seeds`` seeds and prints the held-out accuracy
per seed, its mean and SD, the gap to ``tilt-cnn`` in percentage points (paired by seed: mean
and SD) and the training time. Targets (issue 13): every model >= 0.95, ``tilt-dale`` and
``tilt-fa`` within 3 points of ``tilt-cnn``. It also checks the Dale network's signs after
training and prints tilt-fa's alignment angles (before training and at the last epoch).

Part 2 compares every trained network with two independent ``simulate_v1`` recordings (other
neurons, other trials) through ``run_rsa``, one model at a time: the layer is chosen on
recording A (highest similarity) and scored on recording B, so the score carries no selection
bias; B's noise ceiling is printed beside it.

Part 3 runs ``model_recovery`` on the four seed-0 networks (each at its chosen layer) with the
recording's conditions (orientation bins): recovery accuracy (the confusion matrix's diagonal)
with its 95% Clopper-Pearson interval and the simulated split-half ceiling, per neuron count
and noise level, and the confusion matrix at one setting.

Part 4 is the seed sweep behind tests/models/test_learning_rules.py: a 20-30-10 tanh network
learns a fixed random linear teacher by feedback alignment (plain SGD, lr 1.0, 150 full-batch
steps); hidden-layer alignment angle at the first and the last step.

Usage: python benchmarks/bench_models.py [--seeds N] [--quick] [--fa-seeds N] [--sweep N]
``--quick`` uses the quick training settings and 24 x 32 images (about a minute).
``--sweep N`` only reruns the thresholds of this issue's tests (quick feedback alignment, model
recovery) with seeds 0..N-1, in the table format of benchmarks/seed_sweep.py.
"""

from __future__ import annotations

import argparse
import os
import time
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from neurodl.data import simulate_v1
from neurodl.models import DaleLinear, compute_alignment_angles, with_learning_rule
from neurodl.rsa import model_recovery, run_rsa
from neurodl.rsa.networks import BUILTIN_MODELS
from neurodl.rsa.tilt import quick_settings, train_tilt_network
from neurodl.stimuli import make_grating

Trained = dict[str, list[dict[str, Any]]]


def train_all(n_seeds: int, quick: bool, size: tuple[int, int]) -> Trained:
    """Train every built-in network for seeds 0..n_seeds-1; keep module, accuracy, time."""
    out: Trained = {}
    for name, kind in BUILTIN_MODELS.items():
        for seed in range(n_seeds):
            settings = quick_settings(kind) if quick else {}
            start = time.perf_counter()
            module, accuracy, history = train_tilt_network(
                kind, image_size=size, random_state=seed, **settings
            )
            seconds = time.perf_counter() - start
            out.setdefault(name, []).append(
                {"module": module, "accuracy": accuracy, "seconds": seconds, "history": history}
            )
            print(f"{name} seed {seed}: {accuracy:.3f} in {seconds:.1f} s", flush=True)
    return out


def _sd(values: np.ndarray) -> float:
    return float(values.std(ddof=1)) if values.size > 1 else 0.0


def accuracy_table(trained: Trained) -> None:
    """Held-out accuracy per model and seed, gap to tilt-cnn and training time."""
    n = len(trained["tilt-cnn"])
    reference = np.array([run["accuracy"] for run in trained["tilt-cnn"]])
    print(f"\nHeld-out tilt accuracy, seeds 0-{n - 1} (chance 0.5; target >= 0.95)")
    print(f"{'model':<10} {'per seed':<28} {'mean':>6} {'sd':>6} {'gap pp':>12} {'train s':>8}")
    for name, runs in trained.items():
        acc = np.array([run["accuracy"] for run in runs])
        gap = 100 * (reference - acc)  # paired by seed: same gratings, same batches
        per_seed = " ".join(f"{v:.3f}" for v in acc)
        seconds = np.mean([run["seconds"] for run in runs])
        print(
            f"{name:<10} {per_seed:<28} {acc.mean():6.3f} {_sd(acc):6.3f} "
            f"{f'{gap.mean():+.1f} ± {_sd(gap):.1f}':>12} {seconds:8.1f}"
        )
    print("gap pp: tilt-cnn minus the model, paired by seed (mean ± sd over seeds).")
    signs = all(_dale_signs_hold(run["module"]) for run in trained["tilt-dale"])
    print(f"tilt-dale: every weight keeps its input's sign after training: {signs}")
    print("tilt-fa alignment angle (deg) to the true gradient, before training -> last epoch:")
    for seed, run in enumerate(trained["tilt-fa"]):
        angles = run["history"].alignment_angles
        text = ", ".join(f"{k} {v[0]:.0f} -> {v[-1]:.0f}" for k, v in angles.items() if k != "out")
        print(f"  seed {seed}: {text}")


def _dale_signs_hold(module: nn.Module) -> bool:
    layers = [m for m in module.modules() if isinstance(m, DaleLinear)]
    for layer in layers:
        weight = layer.effective_weight().detach()
        exc = layer.excitatory
        if not ((weight[:, exc] >= 0).all() and (weight[:, ~exc] <= 0).all()):
            return False
    return bool(layers)


def similarity_table(trained: Trained, size: tuple[int, int], n_trials: int) -> dict[str, str]:
    """Layer chosen on recording A, similarity on recording B; returns seed 0's chosen layers."""
    recordings = [
        simulate_v1(500, n_trials, image_size=size, random_state=seed) for seed in (101, 102)
    ]
    options = {"n_resamples": 200, "n_permutations": 200, "figures": False}
    print("\nSimilarity to simulate_v1 (500 neurons, Pearson of correlation RDMs): layer chosen")
    print("on recording A, scored on independent recording B (mean over seeds, [min, max])")
    print(f"{'model':<10} {'chosen layers':<32} {'held-out similarity':>26} {'B ceiling':>14}")
    chosen_seed0: dict[str, str] = {}
    for name, runs in trained.items():
        scores, chosen, ceiling = [], [], (0.0, 0.0)
        for seed, run in enumerate(runs):
            a, b = (
                run_rsa(r, model=run["module"], random_state=seed, **options) for r in recordings
            )
            layers = a.metrics["layers"]
            best = max(layers, key=lambda k: layers[k]["similarity"])
            chosen.append(best)
            scores.append(b.metrics["layers"][best]["similarity"])
            ceiling = (b.metrics["noise_ceiling_lower"], b.metrics["noise_ceiling_upper"])
        chosen_seed0[name] = chosen[0]
        s = np.array(scores)
        labels = ",".join(sorted(set(chosen)))
        print(
            f"{name:<10} {labels:<32} {s.mean():8.3f} [{s.min():.3f}, {s.max():.3f}]"
            f"{'':>4} {ceiling[0]:.3f}-{ceiling[1]:.3f}"
        )
    return chosen_seed0


def recovery_table(trained: Trained, layers: dict[str, str], size: tuple[int, int]) -> None:
    """model_recovery of the seed-0 networks at their chosen layers."""
    centres = np.arange(36) * 10.0 + 5.0  # run_rsa's 36 orientation bins
    images = make_grating(centres, size=size, phase=90.0).reshape(36, *size)
    models = {name: runs[0]["module"] for name, runs in trained.items()}
    start = time.perf_counter()
    result = model_recovery(
        models,
        images,
        layers=layers,
        n_neurons=(50, 200, 1000),
        noise_levels=(0.5, 1.0, 2.0, 4.0, 8.0),
        n_simulations=50,
        random_state=0,
    )
    seconds = time.perf_counter() - start
    print(f"\nModel recovery of the 4 seed-0 networks at their chosen layers ({layers}),")
    print(f"36 conditions x 10 repeats, 50 simulations per model; chance {result.chance:.2f};")
    print(f"{seconds:.1f} s. Accuracy [95% CI] (simulated split-half ceiling)")
    print(f"{'noise':>6} " + " ".join(f"{f'{n} neurons':>26}" for n in result.n_neurons))
    for i, noise in enumerate(result.noise_levels):
        cells = [
            f"{result.accuracy[i, j]:.2f} [{result.accuracy_ci_low[i, j]:.2f}, "
            f"{result.accuracy_ci_high[i, j]:.2f}] ({result.noise_ceiling[i, j]:.2f})"
            for j in range(len(result.n_neurons))
        ]
        print(f"{noise:6.1f} " + " ".join(f"{c:>26}" for c in cells))
    i, j = result.noise_levels.index(2.0), result.n_neurons.index(200)
    print("Confusion at noise 2.0, 200 neurons (rows: generating model; columns: chosen):")
    print(" " * 10 + "".join(f"{n:>10}" for n in result.model_names))
    for g, name in enumerate(result.model_names):
        print(f"{name:<10}" + "".join(f"{c:>10d}" for c in result.confusion[i, j, g]))


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
    """Print the FA alignment angles of the teacher problem over seeds 0..n_seeds-1."""
    runs = np.array([alignment_run(seed) for seed in range(n_seeds)])
    print("\nFeedback alignment on a linear teacher: hidden-layer angle (deg) between update")
    print(f"and true gradient, seeds 0-{n_seeds - 1}: first step {runs[:, 0].min():.1f}-")
    print(f"{runs[:, 0].max():.1f}, last step {runs[:, 1].min():.1f}-{runs[:, 1].max():.1f}")
    print("(test bound: last < 80 and < first)")


def _quick_fa(seed: int) -> tuple[float, dict[str, list[float]]]:
    """tests/rsa/test_tilt_networks.py's quick feedback-alignment run with random_state=seed."""
    _, accuracy, history = train_tilt_network(
        "fa", image_size=(24, 32), random_state=seed, **quick_settings("fa")
    )
    return accuracy, history.alignment_angles


def _recovery_accuracy(seed: int, identical: bool) -> np.ndarray:
    """tests/rsa/test_recovery.py's two recovery runs with the network and seed replaced."""
    import copy

    from tests.rsa.test_recovery import IMAGES, _pooled_conv

    net = _pooled_conv(seed)
    if identical:
        models, layers = {"a": net, "b": copy.deepcopy(net)}, "2"
        settings = {"n_neurons": (20, 100), "noise_levels": (0.5, 2.0)}
    else:
        models, layers = {"pixels": IMAGES, "energy": net}, {"energy": "2"}
        settings = {"n_neurons": (50,), "noise_levels": (0.5, 5.0, 50.0)}
    result = model_recovery(models, IMAGES, layers=layers, random_state=seed, **settings)
    return result.accuracy


def sweep_table(n_seeds: int) -> None:
    """The thresholds of this issue's tests against seeds 0..n_seeds-1 (seed_sweep's format)."""
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    seeds = range(n_seeds)
    fa = [_quick_fa(seed) for seed in seeds]
    same = [float(_recovery_accuracy(seed, True).mean()) for seed in seeds]
    apart = [_recovery_accuracy(seed, False)[:, 0] for seed in seeds]
    rows = [
        ("rsa/test_tilt_networks::quick fa (accuracy)", 0.85, ">", [a for a, _ in fa]),
        (
            "rsa/test_tilt_networks::quick fa (last angle, deg)",
            90.0,
            "<",
            [max(angles["conv"][-1], angles["fc"][-1]) for _, angles in fa],
        ),
        ("rsa/test_recovery::identical (accuracy >)", 0.3, ">", same),
        ("rsa/test_recovery::identical (accuracy <)", 0.7, "<", same),
        ("rsa/test_recovery::low noise (accuracy >=)", 0.9, ">=", [a[0] for a in apart]),
        ("rsa/test_recovery::high noise (accuracy <=)", 0.8, "<=", [a[-1] for a in apart]),
    ]
    print(f"\nTest thresholds over seeds 0-{n_seeds - 1}")
    print(f"{'test':<52} {'thr':>7} {'min':>7} {'median':>7} {'max':>7} {'margin':>7}")
    for name, threshold, direction, values in rows:
        v = np.array(values, dtype=np.float64)
        margin = v.min() - threshold if direction.startswith(">") else threshold - v.max()
        print(
            f"{name:<52} {f'{direction} {threshold:g}':>7} {v.min():7.3f} {np.median(v):7.3f} "
            f"{v.max():7.3f} {margin:7.3f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--fa-seeds", type=int, default=20)
    parser.add_argument("--sweep", type=int, default=0, help="only the test-threshold sweep")
    args = parser.parse_args()
    torch.set_num_threads(max(1, int(os.environ.get("OMP_NUM_THREADS", "2"))))
    if args.sweep:
        sweep_table(args.sweep)
        return
    size = (24, 32) if args.quick else (48, 64)
    started = time.perf_counter()
    trained = train_all(args.seeds, args.quick, size)
    accuracy_table(trained)
    layers = similarity_table(trained, size, 900 if args.quick else 2000)
    recovery_table(trained, layers, size)
    alignment_table(args.fa_seeds)
    print(f"\nwhole benchmark: {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
