"""Does a network trained to tell left from right tilt represent orientation the way V1 does?

Simulates a V1 recording with a repeated test set, trains the curriculum's tilt CNN, and compares
each of its layers with the data by RSA, with bootstrap intervals, permutation p-values and the
data's noise ceiling. Figures go to ``--output``.

    python examples/compare.py --quick -o rsa_example
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import neurodl
from neurodl.rsa import run_rsa


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("rsa_example"))
    parser.add_argument("--quick", action="store_true", help="small sizes, seconds")
    args = parser.parse_args()

    if args.quick:
        recording = neurodl.simulate_v1(
            n_neurons=200, n_trials=600, test_images=24, test_repeats=4, random_state=0
        )
    else:
        recording = neurodl.simulate_v1(
            n_neurons=2000, n_trials=5000, test_images=72, test_repeats=10, random_state=0
        )
    result = run_rsa(
        recording, rdm="crossnobis", compare="pearson", quick=args.quick, random_state=0
    )

    print("\n".join(result.summary))
    result.save(args.output)
    print(f"metrics, figures and report.html written to {args.output}/")


if __name__ == "__main__":
    main()
