"""Decode grating orientation from a simulated V1 population with neurodl's Python API.

Fits the linear, Bayesian, MLP and curriculum decoders on held-out trials, compares them with the
Cramér–Rao bound, measures a discrimination threshold, and runs the whole analysis
(``run_decoding``) into a folder of figures.

    python examples/decode.py --quick          # seconds
    python examples/decode.py -o decode-output # the full-size population
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

import neurodl
from neurodl.data.simulate import cramer_rao_median
from neurodl.decoding import (
    BayesDecoder,
    CurriculumDecoder,
    LinearDecoder,
    MLPDecoder,
    discrimination_threshold,
    run_decoding,
)
from neurodl.metrics import circular_error, median_abs_error


def main() -> None:
    parser = argparse.ArgumentParser(description="Decode orientation from simulated V1.")
    parser.add_argument("--quick", action="store_true", help="A small population (seconds).")
    parser.add_argument("-o", "--output", type=Path, default=None, help="Folder for figures.")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    n_neurons, n_trials = (300, 600) if args.quick else (2000, 6000)
    recording = neurodl.simulate_v1(n_neurons, n_trials, random_state=args.seed)
    bound = cramer_rao_median(recording)
    X, theta = recording.responses, recording.orientation
    n_train = int(0.75 * n_trials)
    print(f"{recording!r}; Cramér–Rao median error {bound:.2f}°")

    decoders = {
        "linear (ridge onto von Mises bumps)": LinearDecoder(),
        "Bayes (independent neurons)": BayesDecoder(),
        "MLP (classification head)": MLPDecoder(
            batch_size=64 if args.quick else 256, random_state=args.seed
        ),
        "curriculum (10 ReLU, raw degrees)": CurriculumDecoder(random_state=args.seed),
    }
    test_theta = theta[n_train:]
    for name, decoder in decoders.items():
        decoder.fit(X[:n_train], theta[:n_train])
        predicted = decoder.predict(X[n_train:])
        error = median_abs_error(test_theta, predicted)
        wrap = (test_theta < 20) | (test_theta > 340)
        near_wrap = float(np.median(circular_error(test_theta[wrap], predicted[wrap])))
        print(
            f"{name:<38} median error {error:6.2f}° ({error / bound:4.2f} x bound); "
            f"near 0/360°: {near_wrap:6.2f}°"
        )

    predicted = decoders["Bayes (independent neurons)"].predict(X[n_train:])
    threshold = discrimination_threshold(test_theta, predicted, n_resamples=200)
    low, high = threshold["threshold_deg_ci_low"], threshold["threshold_deg_ci_high"]
    print(
        f"discrimination threshold {threshold['threshold_deg']:.2f}° (95% CI {low:.2f}–{high:.2f}°)"
    )

    if args.output is not None:
        result = run_decoding(recording, decoder="bayes", quick=args.quick, random_state=args.seed)
        written = result.save(args.output)
        print("\n".join(result.summary))
        print(f"{len(written)} files (metrics, figures, report.html) in {args.output}")


if __name__ == "__main__":
    main()
