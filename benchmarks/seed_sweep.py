"""Rerun every quality assertion of the test suite on something trained or resampled, seeds 0-9.

Each check recomputes one test's number with the seed of its training or resampling replaced
by 0..9 (the test's data stay as the test makes them: a pinned seed does not pin a trained
network across CPUs, which take other floating-point paths, so the seed stands in for the
machine). The table gives the test's threshold, the spread over seeds and the margin (how far
the worst seed stays from the threshold; negative = some seed fails). Tests set their
thresholds from this table with margin: at least the seeds' whole range, and at least 0.09 (or
a tenth of the scale) below the worst seed. Checks of deterministic estimators on fixed data
(ridge, Bayes, closed forms) are not here: no seed changes them.

    OMP_NUM_THREADS=1 python benchmarks/seed_sweep.py [--seeds 10] [--only SUBSTRING]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the tests' own data makers
# tests/ is a namespace package; some dependencies install a regular top-level "tests" package
# into site-packages, which would win the import: bind the name to this repository's folder
_tests = types.ModuleType("tests")
_tests.__path__ = [str(ROOT / "tests")]
sys.modules["tests"] = _tests

from neurodl.metrics import feve, median_abs_error  # noqa: E402


@dataclass
class Check:
    """One asserted number: ``value(seed)`` must stay above (">") or below ("<") ``threshold``."""

    test: str
    threshold: float
    direction: str
    value: Callable[[int], float]


# ---------------------------------------------------------------- encoding
_CACHE: dict[tuple[str, int], object] = {}


def _ln():
    from tests.encoding.conftest import make_ln_data

    if ("ln", 0) not in _CACHE:
        _CACHE[("ln", 0)] = make_ln_data()
    return _CACHE[("ln", 0)]


def _trained_cnn(seed: int):
    """The ``trained_cnn`` fixture of tests/encoding/conftest.py with random_state=seed."""
    from neurodl.encoding import CNNEncoder

    key = ("cnn", seed)
    if key not in _CACHE:
        d = _ln()
        model = CNNEncoder(
            channels=(8,),
            kernel_sizes=(7,),
            downsample=1,
            max_iter=20,
            batch_size=32,
            random_state=seed,
        )
        _CACHE[key] = model.fit(d.train_images, d.train_responses)
    return _CACHE[key]


def cnn_feve(seed: int) -> float:
    d = _ln()
    return float(np.nanmean(feve(d.test_repeats, _trained_cnn(seed).predict(d.test_images))))


def cnn_gradient_r(seed: int) -> float:
    from neurodl.encoding import compute_gradient_rf

    d = _ln()
    g = compute_gradient_rf(_trained_cnn(seed), d.test_images[:8])
    return float(
        np.median(
            [abs(np.corrcoef(g[k].ravel(), d.filters[k].ravel())[0, 1]) for k in range(len(g))]
        )
    )


def cnn_mask_error(seed: int) -> float:
    from neurodl.encoding import compute_readout_masks

    d = _ln()
    masks = compute_readout_masks(_trained_cnn(seed))
    envelope = np.abs(d.filters)
    errors = []
    for k in range(masks.shape[0]):
        peak = np.unravel_index(np.argmax(np.abs(masks[k])), masks[k].shape)
        true = np.unravel_index(np.argmax(envelope[k]), envelope[k].shape)
        errors.append(np.hypot(peak[0] - true[0], peak[1] - true[1]))
    return float(np.median(errors))


def cnn_sta_r(seed: int) -> float:
    from neurodl.encoding import compute_reverse_correlation

    d = _ln()
    sta = compute_reverse_correlation(_trained_cnn(seed), n_images=3000, random_state=seed)
    return float(
        np.median(
            [np.corrcoef(sta[k].ravel(), d.filters[k].ravel())[0, 1] for k in range(len(sta))]
        )
    )


def _quick_gratings(seed: int):
    from neurodl.data import simulate_v1
    from neurodl.encoding import run_encoding

    key = ("gratings", seed)
    if key not in _CACHE:
        rec = simulate_v1(
            40, 900, test_images=30, test_repeats=5, image_size=(24, 32), random_state=0
        )
        _CACHE[key] = run_encoding(rec, quick=True, random_state=seed, figures=False).metrics
    return _CACHE[key]


def zscored_feve(seed: int) -> float:
    from tests.encoding.test_signs import CNN_PARAMS

    from neurodl.encoding import CNNEncoder

    d = _ln()
    mean, sd = d.train_responses.mean(0), d.train_responses.std(0)
    model = CNNEncoder(random_state=seed, **CNN_PARAMS).fit(
        d.train_images, (d.train_responses - mean) / sd
    )
    return float(np.nanmean(feve((d.test_repeats - mean) / sd, model.predict(d.test_images))))


def one_degree_corr(seed: int) -> float:
    from tests.encoding.conftest import write_curriculum_files

    from neurodl.data import load
    from neurodl.encoding import run_encoding

    with tempfile.TemporaryDirectory() as directory:
        path = write_curriculum_files(Path(directory))["one_degree"]
        return float(
            run_encoding(load(path), quick=True, random_state=seed, figures=False).metrics[
                "corr_to_average_mean"
            ]
        )


# ---------------------------------------------------------------- decoding
def _population():
    from tests.decoding.conftest import make_population

    return make_population(np.random.default_rng(12345))


def mlp_error(seed: int) -> float:
    from neurodl.decoding import make_decoder

    X, theta, _ = _population()
    decoder = make_decoder(
        "mlp", hidden_layer_sizes=(32,), max_iter=60, batch_size=32, random_state=seed
    )
    return float(median_abs_error(decoder.fit(X[:300], theta[:300]).predict(X[300:]), theta[300:]))


def shuffled_error(name: str, seed: int) -> float:
    """test_decoder_beats_chance_and_shuffle_does_not: the decoder fitted to shuffled labels."""
    from neurodl.decoding import make_decoder

    X, theta, _ = _population()
    shuffled = np.random.default_rng(seed + 1).permutation(theta[:300])
    options = {"random_state": seed} if name == "mlp" else {}
    if name == "mlp":
        options.update(hidden_layer_sizes=(32,), max_iter=60, batch_size=32)
    decoder = make_decoder(name, **options)
    return float(median_abs_error(decoder.fit(X[:300], shuffled).predict(X[300:]), theta[300:]))


def mlp_shuffled_error(seed: int) -> float:
    from neurodl.decoding import make_decoder

    X, theta, _ = _population()
    shuffled = np.random.default_rng(seed + 1).permutation(theta[:300])
    decoder = make_decoder(
        "mlp", hidden_layer_sizes=(32,), max_iter=60, batch_size=32, random_state=seed
    )
    return float(median_abs_error(decoder.fit(X[:300], shuffled).predict(X[300:]), theta[300:]))


def mlp_regression_error(seed: int) -> float:
    from neurodl.decoding import MLPDecoder

    X, theta, _ = _population()
    decoder = MLPDecoder(
        head="regression",
        l1=1e-4,
        alpha=1e-3,
        hidden_layer_sizes=(32,),
        max_iter=60,
        batch_size=32,
        random_state=seed,
    )
    return float(median_abs_error(decoder.fit(X, theta).predict(X), theta))


def bayes_shuffle_control(seed: int) -> float:
    from tests.decoding.conftest import make_population

    from neurodl.decoding import shuffle_control

    X, theta, image_id = make_population(np.random.default_rng(12345), n_trials=400, repeats=2)
    control = shuffle_control("bayes", X, theta, groups=image_id, folds=4, random_state=seed)
    return float(control["median_abs_error_deg"])


# ---------------------------------------------------------------- comparison and bootstraps
def tilt_accuracy(seed: int) -> float:
    from neurodl.rsa import train_tilt_cnn

    _net, acc, _ = train_tilt_cnn(
        image_size=(24, 32), n_train=256, n_test=128, max_epochs=4, random_state=seed
    )
    return float(acc)


def rsa_noise_ceiling(seed: int) -> float:
    from tests.rsa._rsa_data import SmallNet, tuned_recording

    from neurodl.rsa import run_rsa

    rec = tuned_recording(np.random.default_rng(12345), n_trials=720)
    result = run_rsa(
        rec,
        model=SmallNet(),
        layers=["head"],
        n_resamples=20,
        n_permutations=20,
        random_state=seed,
        figures=False,  # the metric does not depend on them (20+ figures piled up)
    )
    return float(result.metrics["noise_ceiling_lower"])


def bootstrap_width(seed: int) -> float:
    from neurodl.metrics import bootstrap_ci

    x = np.random.default_rng(12345).normal(10.0, 1.0, size=200)
    low, high = bootstrap_ci(np.mean, x, n_resamples=500, random_state=seed)
    return float(high - low)


def permutation_uniformity(seed: int) -> float:
    import scipy.stats

    from neurodl.rsa import permutation_test, vector_to_rdm

    rng = np.random.default_rng(seed)
    p = [
        permutation_test(
            vector_to_rdm(rng.random(28)),
            vector_to_rdm(rng.random(28)),
            n_permutations=99,
            random_state=rng,
        ).p_values[0]
        for _ in range(150)
    ]
    return float(scipy.stats.kstest(p, "uniform").pvalue)


CHECKS = [
    Check("encoding/test_estimators::cnn_recovers_ln (FEVE)", 0.6, ">", cnn_feve),
    Check("encoding/test_estimators::cnn_recovers_ln (gradient r)", 0.9, ">", cnn_gradient_r),
    Check("encoding/test_receptive_fields::masks_peak (px)", 2.5, "<", cnn_mask_error),
    Check("encoding/test_receptive_fields::reverse_corr (r)", 0.8, ">", cnn_sta_r),
    Check(
        "encoding/test_analysis::simulated_gratings (FEVE)",
        0.65,
        ">",
        lambda s: float(_quick_gratings(s)["feve_mean"]),
    ),
    Check(
        "encoding/test_analysis::simulated_gratings (tuning r)",
        0.9,
        ">",
        lambda s: float(_quick_gratings(s)["tuning_corr_mean"]),
    ),
    Check("encoding/test_signs::zscored (FEVE)", 0.6, ">", zscored_feve),
    Check("encoding/test_gratings_only::one_degree (r)", 0.6, ">", one_degree_corr),
    Check("decoding/test_decoders::mlp (error deg)", 15.0, "<", mlp_error),
    Check("decoding/test_decoders::mlp shuffled (error deg)", 40.0, ">", mlp_shuffled_error),
    Check(
        "decoding/test_decoders::linear shuffled (error deg)",
        40.0,
        ">",
        lambda s: shuffled_error("linear", s),
    ),
    Check(
        "decoding/test_decoders::bayes shuffled (error deg)",
        40.0,
        ">",
        lambda s: shuffled_error("bayes", s),
    ),
    Check("decoding/test_decoders::mlp_regression (error deg)", 20.0, "<", mlp_regression_error),
    Check("decoding/test_analyses::shuffle_control (>)", 60.0, ">", bayes_shuffle_control),
    Check("decoding/test_analyses::shuffle_control (<)", 120.0, "<", bayes_shuffle_control),
    Check("rsa/test_tilt::train_tilt_cnn (accuracy)", 0.7, ">", tilt_accuracy),
    Check("rsa/test_analysis::noise_ceiling_lower", 0.8, ">", rsa_noise_ceiling),
    Check("test_metrics_encoding::bootstrap_ci width (>)", 0.15, ">", bootstrap_width),
    Check("test_metrics_encoding::bootstrap_ci width (<)", 0.4, "<", bootstrap_width),
    Check("rsa/test_inference::p uniform (KS p)", 0.001, ">", permutation_uniformity),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--only", default="", help="run the checks whose name contains this")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"{'test':<58} {'thr':>7} {'min':>8} {'median':>8} {'max':>8} {'margin':>8} {'s':>5}")
    for check in CHECKS:
        if args.only not in check.test:
            continue
        tic = time.perf_counter()
        values = np.array([check.value(seed) for seed in range(args.seeds)])
        worst = values.min() if check.direction == ">" else values.max()
        margin = worst - check.threshold if check.direction == ">" else check.threshold - worst
        print(
            f"{check.test:<58} {check.direction}{check.threshold:>6.3g} {values.min():>8.3f} "
            f"{np.median(values):>8.3f} {values.max():>8.3f} {margin:>8.3f} "
            f"{time.perf_counter() - tic:>5.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
