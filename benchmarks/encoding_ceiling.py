"""How far the CNN encoder is from its own ceiling on the simulator, and which neurons fall short.

Fits ``CNNEncoder`` on the benchmark recording of ``bench_encoding.py`` (1,000 neurons, 4,000
1/f-noise training images, 200 test images x 10 repeats, seed 0) twice: on the single noisy
trials, as the benchmark does, and on the simulator's noise-free mean responses to the same
images. The second fit has no trial noise to average out, so its score is what the architecture
and the training budget allow (bias); the gap to the first is what trial noise costs (variance).
Printed per fit: FEVE (mean over neurons with FEV > 0.15, as in ``bench_encoding.py``), the R^2 of
the prediction against the noise-free test responses, and the mean FEVE of groups of neurons by
the simulator's ground truth (cell type, output exponent, spatial frequency).

    python benchmarks/encoding_ceiling.py                                   # default CNN
    python benchmarks/encoding_ceiling.py --params '{"ensemble_size": 1}'   # one network
    python benchmarks/encoding_ceiling.py --targets clean --threads 1      # one fit per core

Run two invocations (``--targets noisy`` and ``--targets clean``, one thread each) side by side
to use both cores.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import numpy as np
from bench_encoding import _recording, _split

GROUPS = {
    "simple": lambda n: n["cell_type"] == "simple",
    "complex": lambda n: n["cell_type"] == "complex",
    "p<1.3": lambda n: n["exponent"] < 1.3,
    "p>1.6": lambda n: n["exponent"] > 1.6,
    "f<3.3": lambda n: n["rf_spatial_frequency"] < 3.3,
    "f>4.9": lambda n: n["rf_spatial_frequency"] > 4.9,
}


def _data(args: argparse.Namespace) -> dict[str, Any]:
    from neurodl.data._sim_model import image_responses

    recording = _recording("noise", args.neurons, args.train_images, args.seed)
    images, responses, test_images, repeats = _split(recording)
    neurons = {k: np.asarray(v) for k, v in recording.neurons.items()}
    return {
        "images": images,
        "noisy": responses,
        "clean": image_responses(neurons, images),
        "test_images": test_images,
        "repeats": repeats,
        "test_clean": image_responses(neurons, test_images),
        "neurons": neurons,
    }


def _fit(data: dict[str, Any], target: str, params: dict[str, Any], seed: int) -> dict[str, Any]:
    from neurodl.encoding import CNNEncoder
    from neurodl.metrics import FEV_THRESHOLD, fev, feve

    model = CNNEncoder(random_state=seed, **params)
    cpu, wall = time.process_time(), time.perf_counter()
    model.fit(data["images"], data[target])
    row: dict[str, Any] = {
        "target": target,
        "cpu_s": time.process_time() - cpu,
        "wall_s": time.perf_counter() - wall,
        "epochs": model.n_iter_,
    }
    prediction = model.predict(data["test_images"]).astype(np.float64)
    used = fev(data["repeats"]) > FEV_THRESHOLD
    scores = feve(data["repeats"], prediction)
    truth = data["test_clean"].astype(np.float64)
    r2 = 1 - ((prediction - truth) ** 2).mean(0) / truth.var(0)
    row["feve"] = float(np.nanmean(scores[used]))
    row["r2_truth"] = float(np.mean(r2[used]))
    row["used"] = int(used.sum())
    for name, select in GROUPS.items():
        group = used & select(data["neurons"])
        row[name] = (float(np.nanmean(scores[group])), int(group.sum()))
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="", help="JSON dict of CNNEncoder parameters.")
    parser.add_argument(
        "--targets", nargs="+", default=["noisy", "clean"], choices=["noisy", "clean"]
    )
    parser.add_argument("--neurons", type=int, default=1000)
    parser.add_argument("--train-images", type=int, default=4000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(args.threads)
    params = json.loads(args.params) if args.params else {}
    data = _data(args)
    rows = [_fit(data, target, params, args.seed) for target in args.targets]
    print(
        f"CNNEncoder {json.dumps(params) if params else 'defaults'}; simulator seed {args.seed}, "
        f"{args.neurons} neurons, {args.train_images} training images; {args.threads} torch "
        f"threads. FEVE = mean over the {rows[0]['used']} neurons with FEV > 0.15; R2 truth = "
        "against the noise-free test responses. 'clean' = fitted to the noise-free means."
    )
    groups = "".join(f" {name:>7}" for name in GROUPS)
    header = f"{'target':7} {'FEVE':>6} {'R2 truth':>8}{groups} {'epochs':>6} {'CPU s':>6}"
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = "".join(f" {row[name][0]:7.3f}" for name in GROUPS)
        print(
            f"{row['target']:7} {row['feve']:6.3f} {row['r2_truth']:8.3f}{cells} "
            f"{row['epochs']:6d} {row['cpu_s']:6.0f}"
        )
    counts = ", ".join(f"{name} {rows[0][name][1]}" for name in GROUPS)
    print(f"neurons per group: {counts}")


if __name__ == "__main__":
    main()
