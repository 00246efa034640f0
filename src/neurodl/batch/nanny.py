"""Dask nanny preload that sets up worker processes for neurodl's long numerical tasks.

A batch task is one whole analysis (seconds to hours of numpy, scipy and torch in one thread pool),
not the many small tasks Dask's defaults are made for. Two of those defaults cost a batch task a
third of its time (measured with ``benchmarks/bench_batch.py``, one thread per task):

- the nanny starts each worker with ``MALLOC_TRIM_THRESHOLD_=65536``. Setting any glibc malloc
  threshold turns off glibc's adaptive mmap threshold, so every array above 128 KiB is a fresh
  ``mmap`` whose pages are faulted in and zeroed again on first touch, and freed with
  ``munmap``: array-heavy code ran up to 4x slower per call;
- the worker samples the stack of the running task every 10 ms for its dashboard profile, on
  another thread that takes the GIL: over a second of CPU per ten-second task.

The worker processes :func:`dask_setup` starts keep their pages instead: it sets glibc's
thresholds to the values its adaptive rule reaches for large arrays (arrays up to 32 MiB reuse
freed heap memory; the heap is trimmed when 64 MiB lie free at its top), explicitly, so that no
setting inherited from the parent process (Dask writes ``pre-spawn-environ`` into the environment
of the process that runs the nanny) applies; and it turns the profiler off.
``run_batch(scheduler="local")`` starts its LocalCluster with it; on a cluster of your own,
start the workers with it::

    dask worker tcp://10.0.0.5:8786 --nthreads 1 --preload-nanny neurodl.batch.nanny

Only the environment and configuration of workers started by that nanny change; other variables
of ``distributed.nanny.pre-spawn-environ`` (``OMP_NUM_THREADS=1`` and the like) are kept: each
batch task sets its own thread pools (``threads_per_task``).
"""

from __future__ import annotations

from typing import Any

__all__ = ["WORKER_CONFIG", "WORKER_ENVIRONMENT", "dask_setup"]

#: Dask configuration of the workers (nested as in dask.config).
WORKER_CONFIG: dict[str, Any] = {"distributed": {"worker": {"profile": {"enabled": False}}}}

#: glibc malloc settings of the worker processes (set before they start; bytes).
WORKER_ENVIRONMENT: dict[str, str] = {
    "MALLOC_MMAP_THRESHOLD_": str(32 * 2**20),
    "MALLOC_TRIM_THRESHOLD_": str(64 * 2**20),
}


def dask_setup(nanny: Any) -> None:
    """Set up a Dask nanny before it starts its worker process (the preload hook).

    Parameters
    ----------
    nanny : distributed.Nanny
        The nanny being started; its ``pre_spawn_env``, ``env`` and ``config`` are those its
        worker process (and any restart of it) is started with.
    """
    from dask.config import merge  # nested: other worker settings are kept

    nanny.pre_spawn_env.update(WORKER_ENVIRONMENT)  # what the worker process starts with
    nanny.env.update(WORKER_ENVIRONMENT)  # what its os.environ then shows
    nanny.config = merge(nanny.config, WORKER_CONFIG)
