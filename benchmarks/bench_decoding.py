"""Decoding benchmark: accuracy against the Cramér–Rao bound, fit time, and memory at scale.

Simulated V1 population (``neurodl.simulate_v1``), trained on the first ``--train`` trials and
scored on the next ``--test``. For each decoder: median absolute error, its ratio to the
Cramér–Rao median of the population, fit and predict time. scikit-learn baselines run in the same
process: ``RidgeCV`` onto (cos, sin) of the angle and ``LogisticRegression`` over 36 bins.

``--memory`` instead fits ``LinearDecoder`` on 20,000 neurons x 4,000 trials (synthetic tuned
responses, made in float32 blocks) and reports peak resident memory against the data size.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/bench_decoding.py            # accuracy table
    OMP_NUM_THREADS=2 python benchmarks/bench_decoding.py --memory   # memory check
"""

from __future__ import annotations

import argparse
import resource
import time
from typing import Any

import numpy as np
from sklearn.linear_model import LogisticRegression, RidgeCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from neurodl.data import simulate_v1
from neurodl.data.simulate import cramer_rao_median
from neurodl.decoding import BayesDecoder, CurriculumDecoder, LinearDecoder, MLPDecoder
from neurodl.metrics import median_abs_error

TARGET_FIT_S = {"LinearDecoder": 5.0, "BayesDecoder": 10.0, "MLPDecoder": 30.0}


class SklearnRidgeCosSin:
    """scikit-learn RidgeCV onto (cos, sin); angle = atan2 of the prediction."""

    def __init__(self) -> None:
        self.model = RidgeCV(alphas=np.logspace(-2, 5, 15))

    def fit(self, X: np.ndarray, y: np.ndarray) -> SklearnRidgeCosSin:
        phase = np.deg2rad(y)
        self.model.fit(X, np.c_[np.cos(phase), np.sin(phase)])
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        out = self.model.predict(X)
        return np.mod(np.rad2deg(np.arctan2(out[:, 1], out[:, 0])), 360)


class SklearnLogistic36:
    """scikit-learn LogisticRegression over 36 orientation bins (z-scored inputs); bin centre."""

    def __init__(self, seed: int) -> None:
        self.model = make_pipeline(
            StandardScaler(), LogisticRegression(C=0.01, max_iter=300, random_state=seed)
        )

    def fit(self, X: np.ndarray, y: np.ndarray) -> SklearnLogistic36:
        self.model.fit(X, (np.mod(y, 360) // 10).astype(int))
        return self

    def predict(self, X: np.ndarray) -> np.ndarray:
        return self.model.predict(X) * 10.0 + 5.0


def accuracy(args: argparse.Namespace) -> None:
    n_total = args.train + args.test
    start = time.perf_counter()
    recording = simulate_v1(args.neurons, n_total, random_state=args.seed)
    print(f"simulated {recording!r} in {time.perf_counter() - start:.1f} s")
    bound = cramer_rao_median(recording)
    X, y = recording.responses, recording.orientation
    train, test = slice(0, args.train), slice(args.train, n_total)
    decoders: list[tuple[str, Any]] = [
        ("LinearDecoder", LinearDecoder()),
        ("BayesDecoder", BayesDecoder()),
        ("MLPDecoder", MLPDecoder(random_state=args.seed)),
        ("CurriculumDecoder", CurriculumDecoder(random_state=args.seed)),
        ("sklearn RidgeCV (cos, sin)", SklearnRidgeCosSin()),
        ("sklearn LogisticRegr. 36 bins C=.01", SklearnLogistic36(args.seed)),
    ]
    rows = []
    for name, decoder in decoders:
        start, cpu = time.perf_counter(), time.process_time()
        decoder.fit(X[train], y[train])
        fit_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
        start = time.perf_counter()
        predicted = decoder.predict(X[test])
        predict_s = time.perf_counter() - start
        error = median_abs_error(y[test], predicted)
        rows.append((name, error, error / bound, fit_s, cpu_s, predict_s))
        print(f"  done {name}", flush=True)
    print()
    print(
        f"{args.neurons} neurons, {args.train} train / {args.test} test trials, seed {args.seed}; "
        f"Cramér–Rao median {bound:.3f}°"
    )
    header = (
        f"{'decoder':<36} {'median err (°)':>14} {'x bound':>8} {'fit (s)':>8} "
        f"{'CPU (s)':>8} {'pred (s)':>8}"
    )
    print(header)
    print("-" * len(header))
    for name, error, ratio, fit_s, cpu_s, predict_s in rows:
        print(
            f"{name:<36} {error:>14.3f} {ratio:>8.2f} {fit_s:>8.2f} {cpu_s:>8.2f} {predict_s:>8.2f}"
        )
    print("-" * len(header))
    ours = {row[0]: (row[2], row[3]) for row in rows[:4]}
    best_sklearn = min(row[2] for row in rows[4:])
    best = min(ours[n][0] for n in ("LinearDecoder", "BayesDecoder", "MLPDecoder"))
    print(f"target best neurodl <= 1.3x bound: {best:.2f}x {'ok' if best <= 1.3 else 'MISSED'}")
    mlp = ours["MLPDecoder"][0]
    print(f"target MLPDecoder <= 2x bound: {mlp:.2f}x {'ok' if mlp <= 2 else 'MISSED'}")
    for name in ("LinearDecoder", "BayesDecoder", "MLPDecoder"):
        ratio, fit_s = ours[name]
        beats = "ok" if ratio <= best_sklearn else "MISSED"
        fast = "ok" if fit_s <= TARGET_FIT_S[name] else "MISSED"
        print(
            f"target {name}: at least as accurate as the best sklearn baseline "
            f"({ratio:.2f}x vs {best_sklearn:.2f}x) {beats}; fit <= {TARGET_FIT_S[name]:.0f} s "
            f"({fit_s:.2f} s) {fast}"
        )


def _rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * resource.getpagesize() / 2**20


def memory(args: argparse.Namespace) -> None:
    n_trials, n_neurons = args.memory_trials, args.memory_neurons
    rng = np.random.default_rng(args.seed)
    theta = rng.uniform(0, 360, n_trials)
    preferred = rng.uniform(0, 360, n_neurons).astype(np.float32)
    X = np.empty((n_trials, n_neurons), dtype=np.float32)
    for i in range(0, n_trials, 256):
        phase = np.deg2rad(theta[i : i + 256, None] - preferred[None, :]).astype(np.float32)
        block = np.exp(2.0 * (np.cos(phase) - 1.0))
        X[i : i + 256] = block + rng.standard_normal(block.shape, dtype=np.float32)
    del phase, block
    data_mb = X.nbytes / 2**20
    before = _rss_mb()
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start, cpu = time.perf_counter(), time.process_time()
    decoder = LinearDecoder().fit(X, theta)
    fit_s, cpu_s = time.perf_counter() - start, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    error = median_abs_error(theta[:500], decoder.predict(X[:500]))
    print(f"LinearDecoder on {n_neurons} neurons x {n_trials} trials (float32)")
    print(f"{'data (MB)':<34} {data_mb:>10.0f}")
    print(f"{'RSS before fit (MB)':<34} {before:>10.0f}")
    print(f"{'peak RSS during fit (MB)':<34} {max(peak, peak_before):>10.0f}")
    extra = max(peak, peak_before) - before
    print(f"{'extra memory of the fit (MB)':<34} {extra:>10.0f}  ({extra / data_mb:.2f} x data)")
    print(f"{'fit time (s)':<34} {fit_s:>10.1f}")
    print(f"{'fit CPU time (s)':<34} {cpu_s:>10.1f}")
    print(f"{'training-set median error (°)':<34} {error:>10.2f}")
    print(
        f"target: no copies beyond twice the data (extra <= 1 x data): "
        f"{'ok' if extra <= data_mb else 'MISSED'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--neurons", type=int, default=2000)
    parser.add_argument("--train", type=int, default=4000)
    parser.add_argument("--test", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--memory", action="store_true", help="Run the 20,000 x 4,000 check.")
    parser.add_argument("--memory-neurons", type=int, default=20_000)
    parser.add_argument("--memory-trials", type=int, default=4_000)
    args = parser.parse_args()
    if args.memory:
        memory(args)
    else:
        accuracy(args)


if __name__ == "__main__":
    main()
