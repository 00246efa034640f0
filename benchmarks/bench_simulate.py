"""Benchmark of ``simulate_v1``: wall time and peak memory, each size in a fresh process.

Target (issue #2): 20,000 neurons x 4,000 trials at 48 x 64 in under 60 s and 4 GB on 2 cores.

Usage::

    python benchmarks/bench_simulate.py            # the default sizes
    python benchmarks/bench_simulate.py 2000x4000  # chosen sizes, NEURONSxTRIALS
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

DEFAULT_SIZES = ("2000x4000", "20000x4000")


def worker(size: str) -> None:
    """Simulate one recording and print its figures as JSON (runs in a fresh process)."""
    import numpy as np

    from neurodl.data.simulate import simulate_v1

    n_neurons, n_trials = (int(v) for v in size.split("x"))
    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    rec = simulate_v1(n_neurons, n_trials, random_state=0)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # Linux: kilobytes
    gt = rec.meta["ground_truth"]
    ev = rec.neurons["explainable_variance"]
    local = float(np.median(gt["fisher_information_local"]))
    print(
        json.dumps(
            {
                "size": size,
                "wall_s": wall,
                "peak_mb": peak_kb / 1024,
                "import_mb": baseline_kb / 1024,
                "output_mb": (rec.responses.nbytes + rec.images.nbytes) / 2**20,
                "cr_median": gt["cramer_rao_median_deg"],
                "cr_rms": gt["cramer_rao_rms_deg"],
                "jitter_x_info": gt["orientation_jitter_deg"] ** 2 * local,
                "ev_median": float(np.median(ev)),
                "ev_p90": float(np.percentile(ev, 90)),
            }
        )
    )


def main(sizes: list[str]) -> None:
    rows = []
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--worker", size],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    header = (
        f"{'neurons x trials':>17} {'wall (s)':>9} {'peak RSS (MB)':>14} {'after import':>13} "
        f"{'output (MB)':>12} {'CR median':>10} {'CR rms':>7} {'σδ²·I0':>7} "
        f"{'EV median':>10} {'EV p90':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['size']:>17} {r['wall_s']:9.1f} {r['peak_mb']:14.0f} {r['import_mb']:13.0f} "
            f"{r['output_mb']:12.0f} {r['cr_median']:9.3f}° {r['cr_rms']:6.3f}° "
            f"{r['jitter_x_info']:7.1f} {r['ev_median']:10.3f} {r['ev_p90']:7.3f}"
        )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        worker(sys.argv[2])
    else:
        main(sys.argv[1:] or list(DEFAULT_SIZES))
