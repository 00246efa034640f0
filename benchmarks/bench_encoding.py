"""Benchmark the encoding models on a simulated V1 recording with known ground truth.

1,000 neurons; 4,000 training images and 200 held-out test images x 10 repeats (the simulator's
``test_set``). Each model is fitted in its own worker process (so its peak memory is its own) on
one training set, and scored on two held-out test sets of the same neurons: 1/f noise images and
gratings. Printed per row: mean FEVE over neurons with FEV > 0.15 (the ground truth scores about
1.0), fit time, training throughput (images x epochs / s), prediction throughput and peak memory.

    python benchmarks/bench_encoding.py                    # CNN and linear, trained on noise
    python benchmarks/bench_encoding.py --train noise gratings mix --parallel 6
    python benchmarks/bench_encoding.py --neurons 200 --train-images 1000   # a quick look

Training set: 1/f noise images (the default). Gratings at the simulator's one phase and spatial
frequency vary along a single dimension (orientation): both models fit them almost perfectly (FEVE
about 0.96 CNN, 0.97 linear on grating test images, measured with the earlier CNN defaults) without
learning where or what the receptive fields are, and fail on any other image (FEVE below 0 on noise
test images). Noise images drive every position, orientation, phase and frequency, so they identify
the receptive fields, separate the models (CNN far ahead of the linear filter-bank model) and carry
over to gratings. A half-and-half mix gives up some noise FEVE for grating FEVE; use it when the
grating responses themselves matter.

``--population independent`` scores the models on a second population built without the
simulator (``benchmarks/_independent_population.py``: LN and energy cells with Gabor receptive
fields, Gaussian noise whose variance grows with the mean, half gratings half 1/f noise images,
36 x 64 pixels, 200 test images x 10 repeats); it trains on its own mixed images (``--train`` is
ignored) and reports FEVE on the test images that are noise, gratings, and all of them.
``--zscore`` adds a row per model fitted to responses z-scored per neuron (FEVE on the same scale).

``--threads`` sets torch's threads per worker (2 = the 2-core target); with ``--parallel`` and
``taskset`` available, each worker is pinned to its own cores.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

TEST_IMAGES, TEST_REPEATS = 200, 10


def _recording(stimulus: str, n_neurons: int, n_train: int, seed: int) -> Any:
    from neurodl.data import simulate_v1

    return simulate_v1(
        n_neurons,
        n_train + TEST_IMAGES * TEST_REPEATS,
        test_images=TEST_IMAGES,
        test_repeats=TEST_REPEATS,
        stimulus=stimulus,  # type: ignore[arg-type]
        random_state=seed,
    )


def _split(recording: Any) -> tuple[Any, Any, Any, Any]:
    from neurodl.encoding.analysis import _test_repeats, _train_set, choose_test_images

    ids, how = choose_test_images(recording)
    assert how == "test_set"
    images, responses = _train_set(recording, ids)
    return images, responses, recording.images[ids], _test_repeats(recording, ids)


def _independent(args: argparse.Namespace) -> dict[str, Any]:
    """Train and test sets of the independent population, as ``worker`` uses them."""
    from _independent_population import make_independent_population

    pop = make_independent_population(args.neurons, args.train_images, seed=args.seed)
    return {
        "train": (pop.train_images, pop.train_responses),
        "noise": (pop.test_images[~pop.test_is_grating], pop.test_repeats[~pop.test_is_grating]),
        "gratings": (pop.test_images[pop.test_is_grating], pop.test_repeats[pop.test_is_grating]),
        "all": (pop.test_images, pop.test_repeats),
    }


def _zscore(images: Any, responses: Any, tests: dict[str, Any]) -> tuple[Any, Any, dict[str, Any]]:
    mean, sd = responses.mean(0), responses.std(0)
    sd = np.where(sd > 0, sd, 1.0)
    scaled = {k: (v[0], (v[1] - mean) / sd) for k, v in tests.items()}
    return images, (responses - mean) / sd, scaled


def worker(args: argparse.Namespace) -> dict[str, Any]:
    """Fit one model on one training set and score it on both test sets."""
    import torch

    from neurodl.encoding import CNNEncoder, LinearEncoder
    from neurodl.metrics import FEV_THRESHOLD, fev, feve

    torch.set_num_threads(args.threads)
    if args.population == "independent":
        pop = _independent(args)
        images, responses = pop.pop("train")
        tests = pop
    else:
        images, responses, tests = _simulator_sets(args)
    if args.zscore:
        images, responses, tests = _zscore(images, responses, tests)
    params = json.loads(args.params) if args.params else {}
    model = (
        CNNEncoder(random_state=args.seed, **params)
        if args.model == "cnn"
        else LinearEncoder(**params)
    )
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    tic = time.perf_counter()
    cpu = time.process_time()
    model.fit(images, responses)
    fit_seconds = time.perf_counter() - tic
    epochs = getattr(model, "n_iter_", 1)
    row: dict[str, Any] = {
        "model": args.model,
        "train": "own mix" if args.population == "independent" else args.train,
        "population": args.population + (" z" if args.zscore else ""),
        "fit_s": fit_seconds,
        "cpu_s": time.process_time() - cpu,
        "epochs": epochs,
        "train_img_s": images.shape[0] * epochs / fit_seconds,
        "params": params,
        "output": getattr(model, "output_", ""),
    }
    for test, (test_images, repeats) in tests.items():
        tic = time.perf_counter()
        prediction = model.predict(test_images)
        row["predict_img_s"] = test_images.shape[0] / (time.perf_counter() - tic)
        used = fev(repeats) > FEV_THRESHOLD
        row[f"feve_{test}"] = float(np.nanmean(feve(repeats, prediction)[used]))
        row[f"used_{test}"] = int(used.sum())
    row["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    row["data_mb"] = rss_before
    return row


def _simulator_sets(args: argparse.Namespace) -> tuple[Any, Any, dict[str, Any]]:
    """Training images and responses, and the noise and grating test sets, of the simulator."""
    data = {
        s: _split(_recording(s, args.neurons, args.train_images, args.seed))
        for s in ("noise", "gratings")
    }
    if args.train == "mix":
        half = args.train_images // 2
        images = np.concatenate([data["noise"][0][:half], data["gratings"][0][:half]])
        responses = np.concatenate([data["noise"][1][:half], data["gratings"][1][:half]])
    else:
        images, responses = data[args.train][0], data[args.train][1]
    return images, responses, {t: (data[t][2], data[t][3]) for t in ("noise", "gratings")}


def _run_worker(
    args: argparse.Namespace,
    job: tuple[str, str, str, str, bool],
    cores: str | None,
) -> dict[str, Any]:
    population, model, train, params, zscore = job
    command = [
        sys.executable,
        __file__,
        "--worker",
        "--model",
        model,
        "--train",
        train,
        "--neurons",
        str(args.neurons),
        "--train-images",
        str(args.train_images),
        "--seed",
        str(args.seed),
        "--threads",
        str(args.threads),
        "--params",
        params,
        "--population",
        population,
    ] + (["--zscore"] if zscore else [])
    if cores is not None:
        command = ["taskset", "-c", cores, *command]
    out = subprocess.run(command, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return {
            "model": model,
            "train": train,
            "population": population,
            "error": out.stderr.strip().splitlines()[-1:],
        }
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument(
        "--train", nargs="+", default=["noise"], choices=["noise", "gratings", "mix"]
    )
    parser.add_argument("--models", nargs="+", default=["cnn", "linear"], choices=["cnn", "linear"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument(
        "--cnn-params",
        nargs="*",
        default=[""],
        help="JSON dicts of CNNEncoder parameters, one row each ('' = defaults).",
    )
    parser.add_argument(
        "--population",
        nargs="+",
        default=["simulator"],
        choices=["simulator", "independent"],
        help="simulate_v1, and/or the independent LN + energy population.",
    )
    parser.add_argument("--zscore", action="store_true", help="Also fit z-scored responses.")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="cnn", help=argparse.SUPPRESS)
    parser.add_argument("--params", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        args.train = args.train[0]
        args.population = args.population[0]
        print(json.dumps(worker(args)))
        return

    jobs = []
    for population in args.population:
        trains = args.train if population == "simulator" else ["mix"]
        for train in trains:
            for model in args.models:
                for params in args.cnn_params if model == "cnn" else [""]:
                    for zscore in [False, True] if args.zscore else [False]:
                        jobs.append((population, model, train, params, zscore))
    pin = shutil.which("taskset") is not None and args.parallel > 1
    n_cores = os.cpu_count() or 1

    def run(k: int) -> dict[str, Any]:
        slot = k % args.parallel
        cores = None
        if pin:
            first = (slot * args.threads) % n_cores
            cores = ",".join(str(first + i) for i in range(args.threads))
        return _run_worker(args, jobs[k], cores)

    started = time.perf_counter()
    with ThreadPoolExecutor(args.parallel) as pool:
        rows = list(pool.map(run, range(len(jobs))))
    print(
        f"encoding benchmark: {args.neurons} neurons, {args.train_images} training images, "
        f"{TEST_IMAGES} test images x {TEST_REPEATS} repeats, {args.threads} torch threads per "
        f"fit, seed {args.seed}; FEVE = mean over neurons with FEV > 0.15 (ground truth ~1.0)"
    )
    header = (
        f"{'population':13} {'model':6} {'train':9} {'FEVE noise':>10} {'FEVE grat.':>10} "
        f"{'FEVE all':>8} {'fit s':>7} {'CPU s':>7} {'epochs':>6} {'train img/s':>11} "
        f"{'peak MB':>8} {'output':>11}  params"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        if "error" in row:
            print(f"{row['population']:13} {row['model']:6} {row['train']:9} error: {row['error']}")
            continue
        everything = row.get("feve_all")
        print(
            f"{row['population']:13} {row['model']:6} {row['train']:9} {row['feve_noise']:10.3f} "
            f"{row['feve_gratings']:10.3f} "
            f"{'-' if everything is None else format(everything, '.3f'):>8} {row['fit_s']:7.1f} "
            f"{row['cpu_s']:7.1f} {row['epochs']:6d} {row['train_img_s']:11.0f} "
            f"{row['peak_mb']:8.0f} {row['output']:>11}  "
            f"{json.dumps(row['params']) if row['params'] else 'defaults'}"
        )
    used = [r for r in rows if "used_noise" in r][:1]
    if used:
        print(
            f"neurons with FEV > 0.15: noise test {used[0]['used_noise']}, "
            f"gratings test {used[0]['used_gratings']}; wall {time.perf_counter() - started:.0f} s"
        )


if __name__ == "__main__":
    main()
