"""``neurodl batch`` on Dask: speed-up of 2 workers over 1, overhead per session, scheduler memory.

Simulates ``--sessions`` recordings (default twelve of 2,000 neurons x 2,000 trials, four mice),
then, on a scheduler and workers started here as separate processes on 127.0.0.1 (``dask
scheduler`` / ``dask worker``, reached through ``--scheduler ADDRESS`` like any existing
cluster):

1. the single command, session after session in this process: load, ``run_decoding``,
   ``AnalysisResult.save`` (what ``neurodl decode FILE -o DIR`` does, without its start-up);
2. ``run_batch`` with 1 worker, then with 2 workers (``--threads`` per task in all three, 1 by
   default: like with like; the workers are started with ``--preload-nanny neurodl.batch.nanny``
   as the README says and as ``--scheduler local`` does);
3. the scheduler's resident memory after each run, and after runs of 12, 24 and 48 small
   sessions (it holds only the small records of each task, never the data).

Targets: 2 workers >= 1.7x faster than 1; per-session overhead of the batch (1 worker) over the
single command <= 10%; scheduler memory flat as sessions grow.

Usage: python benchmarks/bench_batch.py [--sessions 12] [--neurons 2000] [--trials 2000] [--full]
[--threads 1]
(``--full`` runs the decode analysis in full instead of ``--quick``.)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil


def _simulate(folder: Path, n: int, neurons: int, trials: int) -> list[Path]:
    from neurodl.data import save, simulate_v1

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(n):
        path = folder / f"rec{k:02d}.npz"
        if not path.exists():
            rec = simulate_v1(neurons, trials, random_state=k)
            rec.meta.update(subject=f"mouse{k % 4}", session=f"mouse{k % 4}-day{k // 4}")
            save(rec, path)
        paths.append(path)
    return paths


def _single(
    paths: list[Path], out: Path, options: dict, threads: int
) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of the single command's work per session, in this process."""
    import torch
    from threadpoolctl import threadpool_limits

    from neurodl.data import load
    from neurodl.decoding import run_decoding

    torch.set_num_threads(threads)
    seconds, cpu = [], []
    with threadpool_limits(limits=threads):
        for path in paths:
            tic, cpu_tic = time.perf_counter(), time.process_time()
            result = run_decoding(load(path), random_state=0, n_jobs=1, **options)
            result.save(out / path.stem, command="decode", inputs={"file": str(path)})
            seconds.append(time.perf_counter() - tic)
            cpu.append(time.process_time() - cpu_tic)
    return seconds, cpu


class Cluster:
    """A scheduler and workers as separate processes, like a cluster a user started."""

    def __init__(self, folder: Path) -> None:
        self.file = folder / "scheduler.json"
        command = [sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1"]
        options = ["--port", "0", "--dashboard-address", "127.0.0.1:0"]
        self.scheduler = subprocess.Popen(
            [*command, *options, "--scheduler-file", str(self.file)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        while not self.file.exists():
            time.sleep(0.2)
        time.sleep(0.5)
        self.address = json.loads(self.file.read_text())["address"]
        self.workers: subprocess.Popen | None = None

    def start_workers(self, n: int) -> None:
        from distributed import Client

        self.stop_workers()
        command = [sys.executable, "-m", "distributed.cli.dask_worker", self.address]
        options = ["--nworkers", str(n), "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]
        # the worker set-up run_batch's own LocalCluster gets, as the README tells cluster users
        options += ["--preload-nanny", "neurodl.batch.nanny"]
        self.workers = subprocess.Popen(
            [*command, *options],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with Client(self.address) as client:
            client.wait_for_workers(n, timeout=120)
            # warm the workers as this process is warm: imports are not per-session overhead
            client.run(lambda: __import__("neurodl.decoding") and __import__("matplotlib.pyplot"))

    def stop_workers(self) -> None:
        if self.workers is not None:
            self.workers.terminate()
            self.workers.wait(60)
            self.workers = None
            time.sleep(1)

    def rss_mib(self) -> float:
        return psutil.Process(self.scheduler.pid).memory_info().rss / 2**20

    def close(self) -> None:
        self.stop_workers()
        self.scheduler.terminate()
        self.scheduler.wait(60)


def _batch(
    paths: list[Path], out: Path, address: str, options: dict, threads: int = 1, **kwargs: Any
) -> tuple[float, float, float]:
    from neurodl.batch import run_batch

    tic = time.perf_counter()
    result = run_batch(
        [str(p) for p in paths],
        options={"decode": options},
        output=out,
        scheduler=address,
        threads_per_task=threads,
        resume=False,
        **kwargs,
    )
    wall = time.perf_counter() - tic
    assert result.n_failed == 0, [r["reason"] for r in result.records if r["reason"]]
    result.save()
    records = result.records
    return wall, sum(r["seconds"] for r in records), sum(r["cpu_seconds"] for r in records)


def _memory_rows(cluster: Cluster, root: Path) -> list[tuple[int, float]]:
    """Scheduler RSS after batches of 12, 24 and 48 small sessions (numbers only)."""
    small = _simulate(root / "small", 12, 100, 200) * 4  # repeated files get names -2, -3, -4
    options = {"quick": True, "curves": False, "n_resamples": 20}
    rows = []
    for n in (12, 24, 48):
        _batch(small[:n], root / f"small-out-{n}", cluster.address, options, figures=False)
        rows.append((n, cluster.rss_mib()))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=12)
    parser.add_argument("--neurons", type=int, default=2000)
    parser.add_argument("--trials", type=int, default=2000)
    parser.add_argument("--full", action="store_true", help="decode in full, not --quick")
    parser.add_argument("--threads", type=int, default=1, help="threads per session, all runs")
    args = parser.parse_args()
    options = {} if args.full else {"quick": True}
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = _simulate(root, args.sessions, args.neurons, args.trials)
        single, single_cpu = _single(paths, root / "single", options, args.threads)
        cluster = Cluster(root)
        try:
            rss = [("scheduler started", cluster.rss_mib())]
            walls, tasks, cpus = {}, {}, {}
            for n in (1, 2):
                cluster.start_workers(n)
                walls[n], tasks[n], cpus[n] = _batch(
                    paths, root / f"batch{n}", cluster.address, options, args.threads
                )
                rss.append((f"after {args.sessions} sessions, {n} worker(s)", cluster.rss_mib()))
            memory = _memory_rows(cluster, root)
        finally:
            cluster.close()
    n = args.sessions
    mode = "full" if args.full else "--quick"
    print(f"\n{n} sessions of {args.neurons} neurons x {args.trials} trials, decode ({mode})")
    print(f"{args.threads} thread(s) per session in every run")
    header = f"{'run':<30}{'wall (s)':>9}{'wall/session':>14}{'task s/session':>16}"
    print(header + f"{'CPU s/session':>15}")
    row = f"{'single command, sequential':<30}{sum(single):>9.1f}{sum(single) / n:>14.2f}"
    print(row + f"{'':>16}{sum(single_cpu) / n:>15.2f}")
    for k in (1, 2):
        row = f"{f'neurodl batch, {k} worker(s)':<30}{walls[k]:>9.1f}{walls[k] / n:>14.2f}"
        print(row + f"{tasks[k] / n:>16.2f}{cpus[k] / n:>15.2f}")
    print("(task s and CPU s: measured inside each task; CPU s of the whole worker process)")
    overhead = walls[1] / sum(single) - 1
    in_task = tasks[1] / sum(single) - 1
    in_cpu = cpus[1] / sum(single_cpu) - 1
    speedup = walls[1] / walls[2]
    print(f"\nspeed-up, 2 workers over 1: {speedup:.2f}x (target >= 1.7x)")
    print(f"overhead per session, batch (1 worker) over single: {overhead:+.1%} (target <= 10%)")
    print(f"  of which inside the tasks (hashing, loading, analysis, saving): {in_task:+.1%}")
    print(f"  CPU time per session, batch (1 worker) over single: {in_cpu:+.1%}")
    print(f"\n{'scheduler resident memory':<40}{'MiB':>8}")
    for label, mib in rss:
        print(f"{label:<40}{mib:>8.1f}")
    for k, mib in memory:
        print(f"{f'after {k} small sessions':<40}{mib:>8.1f}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
