"""neurodl.rsa against rsatoolbox 0.3.2, side by side in one run.

Data: ``--conditions`` x ``--channels`` x ``--repeats`` (default 360 x 5,000 x 5) float64
patterns with a smooth ring structure plus independent noise per repeat. Steps: correlation
RDM, crossnobis RDM (with neurodl's peak memory), shrinkage noise estimate, one comparison, and
1,000-resample condition bootstraps with noise ceilings (Pearson and rho-a), where neurodl
replays rsatoolbox's own resamples so that every resample's value can be compared.

rsatoolbox's slow steps take minutes (shrinkage ~5 min, rho-a bootstrap ~7 min on 2 cores).
``--reduce-slow K`` runs them on 1/K of the residual rows (all repeats of 1/K of the
conditions, for the shrinkage estimate) or on 1/K of the resamples
(bootstraps) and scales their time up by K (both loops are linear in that size); the results
are then compared on the same reduced inputs. The printed table says when this was done.

Usage: python benchmarks/bench_rsa.py [--conditions N] [--channels P] [--repeats R]
       [--n-bootstrap B] [--reduce-slow K] [--blas-threads T]
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import time
import tracemalloc
import warnings
from collections.abc import Callable
from typing import Any

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np
import rsatoolbox as rt
from rsatoolbox.data.noise import cov_from_unbalanced

from neurodl.rsa import (
    bootstrap_rdm_comparison,
    compare_rdms,
    compute_rdm,
    estimate_noise,
    rdm_to_vector,
)


def timed(func: Callable[[], Any], repeat: int = 1) -> tuple[float, Any]:
    best, value = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        value = func()
        best = min(best, time.perf_counter() - start)
    return best, value


def rel_diff(ours: Any, theirs: Any) -> float:
    a = np.asarray(ours, dtype=np.float64).ravel()
    b = np.asarray(theirs, dtype=np.float64).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    return float(np.max(np.abs(a[ok] - b[ok])) / np.max(np.abs(b[ok])))


def make_data(n: int, p: int, r: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi, n, endpoint=False)
    basis = rng.standard_normal((4, p))
    means = np.stack([np.cos(angle), np.sin(angle), np.cos(2 * angle), np.sin(2 * angle)], 1)
    signal = means @ basis + 0.5 * rng.standard_normal((n, p))
    x = np.concatenate([signal + 2.0 * rng.standard_normal((n, p)) for _ in range(r)])
    conditions = np.tile(np.arange(n), r)
    folds = np.repeat(np.arange(r), n)
    return x, conditions, folds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conditions", type=int, default=360)
    parser.add_argument("--channels", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--n-bootstrap", type=int, default=1000)
    parser.add_argument("--reduce-slow", type=int, default=1)
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=None,
        help="limit BLAS threads for both libraries (1 is faster on a busy shared machine)",
    )
    args = parser.parse_args()
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        threadpool_limits(args.blas_threads)
    n, p, r, k = args.conditions, args.channels, args.repeats, max(args.reduce_slow, 1)
    warnings.filterwarnings("ignore")
    x, c, folds = make_data(n, p, r)
    ds = rt.data.Dataset(x, obs_descriptors={"c": c, "fold": folds})
    rows: list[tuple[str, float, float, str, float, str]] = []

    t_rt, theirs = timed(lambda: rt.rdm.calc_rdm(ds, method="correlation", descriptor="c"))
    t_nd, ours = timed(lambda: compute_rdm(x, c, method="correlation"), 3)
    rows.append(
        (
            "correlation RDM",
            t_rt,
            t_nd,
            ">= 3x",
            rel_diff(rdm_to_vector(ours), theirs.get_vectors()[0]),
            "",
        )
    )

    t_rt, theirs = timed(
        lambda: rt.rdm.calc_rdm(ds, method="crossnobis", descriptor="c", cv_descriptor="fold")
    )
    t_nd, ours = timed(lambda: compute_rdm(x, c, method="crossnobis", folds=folds), 3)
    tracemalloc.start()
    compute_rdm(x, c, method="crossnobis", folds=folds)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rows.append(
        (
            "crossnobis RDM",
            t_rt,
            t_nd,
            ">= 8x",
            rel_diff(rdm_to_vector(ours), theirs.get_vectors()[0]),
            f"peak extra memory {peak / x.nbytes:.2f}x the data",
        )
    )

    sub = c < max(n // k, 3)  # all repeats of 1/k of the conditions
    ds_sub = rt.data.Dataset(x[sub], obs_descriptors={"c": c[sub]})
    t_rt, theirs = timed(lambda: cov_from_unbalanced(ds_sub, "c", method="shrinkage_diag"))
    _, ours_sub = timed(lambda: estimate_noise(x[sub], c[sub], method="shrinkage_diag"))
    t_nd, _ = timed(lambda: estimate_noise(x, c, method="shrinkage_diag"))
    note = f"rsatoolbox on 1/{k} of rows, time x{k}" if k > 1 else ""
    rows.append(
        ("shrinkage noise (diag)", t_rt * k, t_nd, ">= 30x", rel_diff(ours_sub, theirs), note)
    )
    del theirs, ours_sub

    data_rdms = np.stack(
        [compute_rdm(x[folds == f], c[folds == f], method="correlation") for f in range(r)]
    )
    model = compute_rdm(
        x.reshape(r, n, p).mean(0) + np.random.default_rng(1).standard_normal((n, p)),
        method="euclidean",
    )
    rt_model = rt.rdm.RDMs(rdm_to_vector(model)[None])
    rt_data = rt.rdm.RDMs(rdm_to_vector(data_rdms))
    rt_data0 = rt.rdm.RDMs(rdm_to_vector(data_rdms[0])[None])
    t_rt, theirs = timed(
        lambda: rt.rdm.compare(rt_model, rt_data0, method="corr"),
        3,
    )
    model_vec, data_vec = rdm_to_vector(model), rdm_to_vector(data_rdms[0])
    t_nd, ours = timed(lambda: compare_rdms(model_vec, data_vec, method="pearson"), 3)
    rows.append(("one comparison (pearson)", t_rt, t_nd, ">= 3x", rel_diff(ours, theirs), ""))

    n_boot = args.n_bootstrap
    # the rank bootstraps run numba-compiled code: compiled on first use after an install (and
    # cached on disk), loaded from that cache later; done once here, outside the timings
    tiny = model[:6, :6]
    t_compile, _ = timed(
        lambda: bootstrap_rdm_comparison(tiny, np.stack([tiny, tiny.T]), method="rho_a")
    )
    for method, rt_method in (("pearson", "corr"), ("rho_a", "rho-a")):
        n_rt = max(n_boot // k, 1)
        np.random.seed(0)  # noqa: NPY002 - rsatoolbox draws from numpy's global generator
        t_rt, res = timed(
            lambda m=rt_method, b=n_rt: rt.inference.eval_bootstrap_pattern(
                [rt.model.ModelFixed("m", rt_model)], rt_data, method=m, N=b
            )
        )
        np.random.seed(0)  # noqa: NPY002 - replay the same draws
        drawn = np.array([np.random.randint(0, n, size=n) for _ in range(n_boot)])  # noqa: NPY002
        t_nd, ours = timed(
            lambda m=method, d=drawn: bootstrap_rdm_comparison(
                model, data_rdms, method=m, resamples=d
            )
        )
        diff = max(
            rel_diff(ours.samples[:n_rt], res.evaluations),
            rel_diff(ours.ceiling_samples[:n_rt].T, res.noise_ceiling),
        )
        note = f"rsatoolbox on {n_rt} resamples, time x{k}" if k > 1 else ""
        if method == "rho_a":
            note += f"{'; ' if note else ''}first use (compile or load) {t_compile:.1f} s, untimed"
        rows.append(
            (
                f"bootstrap {n_boot} + ceiling ({method})",
                t_rt * n_boot / n_rt,
                t_nd,
                ">= 100x",
                diff,
                note,
            )
        )

    version = importlib.metadata.version("rsatoolbox")
    print(
        f"neurodl.rsa vs rsatoolbox {version}: {n} conditions x {p} channels x {r} repeats, "
        f"float64, {os.cpu_count()} CPUs, BLAS threads: {args.blas_threads or 'default'}"
    )
    header = (
        f"{'step':<32} {'rsatoolbox s':>12} {'neurodl s':>10} {'speed-up':>9} {'target':>9} "
        f"{'max rel diff':>13}  note"
    )
    print(header)
    print("-" * len(header))
    for name, a, b, target, diff, note in rows:
        print(f"{name:<32} {a:>12.3f} {b:>10.3f} {a / b:>8.1f}x {target:>9} {diff:>13.2e}  {note}")
    print("max rel diff = max |neurodl - rsatoolbox| / max |rsatoolbox| over all compared values")


if __name__ == "__main__":
    main()
