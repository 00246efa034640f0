"""Time neurodl.save / neurodl.load per format and the lazy HDF5 subset read; print a table.

Usage: python benchmarks/bench_io.py [--neurons N] [--trials T]
"""

from __future__ import annotations

import argparse
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np

from neurodl.data import Recording, load, save


def _recording(n_trials: int, n_neurons: int, seed: int = 0) -> Recording:
    rng = np.random.default_rng(seed)
    return Recording(
        rng.normal(size=(n_trials, n_neurons)).astype(np.float32),
        stimulus={
            "orientation": rng.uniform(0, 360, n_trials),
            "image_id": np.arange(n_trials) % 100,
        },
        images=rng.normal(size=(100, 48, 64)).astype(np.float32),
        neurons={
            "preferred_orientation": rng.uniform(0, 360, n_neurons),
            "position": rng.uniform(0, 64, (n_neurons, 2)),
            "cell_type": rng.choice(["simple", "complex", "untuned"], n_neurons),
        },
        meta={"source": "benchmark", "ground_truth": {"fisher_information": rng.random(360)}},
    )


def _timed(func, *args, **kwargs):  # type: ignore[no-untyped-def]
    tracemalloc.start()
    start = time.perf_counter()
    out = func(*args, **kwargs)
    elapsed = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, elapsed, peak / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--neurons", type=int, default=20000)
    parser.add_argument("--trials", type=int, default=4000)
    args = parser.parse_args()
    recording = _recording(args.trials, args.neurons)
    size_mb = recording.responses.nbytes / 2**20
    print(f"responses: {args.trials} trials x {args.neurons} neurons ({size_mb:.0f} MB float32)")
    print(f"{'format':<22}{'save s':>9}{'load s':>9}{'load peak MB':>14}{'file MB':>10}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("rec.npz", "rec.h5", "rec.nwb"):
            path = Path(tmp) / name
            _, t_save, _ = _timed(save, recording, path)
            _, t_load, peak = _timed(load, path)
            mb = path.stat().st_size / 2**20
            print(f"{path.suffix:<22}{t_save:>9.2f}{t_load:>9.2f}{peak:>14.0f}{mb:>10.0f}")
        subsets = {
            "100 neurons": {"neurons": np.arange(0, args.neurons, args.neurons // 100)},
            "500 trials": {"trials": slice(1000, 1500)},
        }
        for suffix in (".h5", ".nwb"):
            path = Path(tmp) / f"rec{suffix}"
            for label, selection in subsets.items():
                _, t_load, peak = _timed(load, path, **selection)
                print(f"{suffix + ' ' + label:<22}{'':>9}{t_load:>9.2f}{peak:>14.0f}{'':>10}")


if __name__ == "__main__":
    main()
