"""Encoding models on a simulated V1 recording: filter bank, CNN vs linear, FEVE, receptive fields.

python examples/encode.py --quick      # seconds
python examples/encode.py -o encode_out  # the full analysis (a few minutes on 2 cores)
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from neurodl.data import simulate_v1
from neurodl.encoding import compute_filter_responses, run_encoding
from neurodl.plotting.encoding import plot_activation_grid, plot_filter_bank
from neurodl.stimuli import filter_bank_names, make_filter_bank, make_grating


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=Path("encode_example"))
    parser.add_argument("--quick", action="store_true", help="A small run that takes seconds.")
    args = parser.parse_args()
    args.output.mkdir(parents=True, exist_ok=True)

    # the convolution lesson: a filter bank and its responses to gratings
    bank = make_filter_bank(9)
    gratings = make_grating([0.0, 45.0, 90.0, 135.0], size=(48, 64))
    plot_filter_bank(bank, names=filter_bank_names()).savefig(args.output / "filter_bank.png")
    activations = compute_filter_responses(gratings, bank)
    plot_activation_grid(gratings, activations, channel_names=filter_bank_names()).savefig(
        args.output / "activations.png"
    )

    # an encoding model of every neuron, judged on held-out noise images against the ceiling
    # quick: gratings (one dimension of variation, learned in seconds); full: 1/f noise images,
    # which pin down every receptive field (see benchmarks/bench_encoding.py)
    n_neurons, n_trials = (100, 1500) if args.quick else (1000, 6000)
    recording = simulate_v1(
        n_neurons,
        n_trials,
        test_images=60 if args.quick else 200,
        test_repeats=10,
        stimulus="gratings" if args.quick else "noise",
        random_state=0,
    )
    result = run_encoding(recording, model="cnn", random_state=0, quick=args.quick)
    result.save(args.output / "encoding")
    print("\n".join(result.summary))
    print(f"figures in {args.output}/ and the analysis in {args.output / 'encoding'}/")


if __name__ == "__main__":
    main()
