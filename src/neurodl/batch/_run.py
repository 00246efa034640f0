"""run_batch: many sessions on Dask distributed, one task per (session, analysis)."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from neurodl.batch._result import BatchResult, estimate_across_sessions
from neurodl.batch._sessions import Session, describe_file, name_sessions, read_inputs
from neurodl.batch._tasks import ANALYSES, LOAD_OPTIONS, run_session
from neurodl.exceptions import NeurodlValueError

__all__ = ["run_batch"]

logger = logging.getLogger(__name__)

_ADDRESS = re.compile(r"(?:[a-z][a-z0-9+.-]*://)?[^\s/]+:\d+")


def check_scheduler(scheduler: str) -> str:
    """``"local"`` or a scheduler address with its port (``tcp://HOST:PORT``); else an error."""
    if scheduler != "local" and not _ADDRESS.fullmatch(scheduler):
        raise NeurodlValueError(
            f"scheduler must be 'local' or an address with a port such as "
            f"'tcp://10.0.0.5:8786'; got {scheduler!r}."
        )
    return scheduler


def _check(analysis: str | Sequence[str], options: Mapping[str, Any] | None) -> list[str]:
    names = [analysis] if isinstance(analysis, str) else list(analysis)
    names = [n.strip() for name in names for n in name.split(",") if n.strip()]
    if not names:
        raise NeurodlValueError(f"analysis must name at least one of {sorted(ANALYSES)}.")
    for name in names:
        if name not in ANALYSES:
            raise NeurodlValueError(f"analysis must be one of {sorted(ANALYSES)}; got {name!r}.")
    for name in options or {}:
        if name not in ANALYSES:
            raise NeurodlValueError(
                f"options must be keyed by analysis name, one of {sorted(ANALYSES)}; got {name!r}."
            )
    return list(dict.fromkeys(names))


def _check_load_options(load_options: Mapping[str, Any] | None) -> dict[str, Any]:
    given = dict(load_options or {})
    unknown = sorted(set(given) - set(LOAD_OPTIONS))
    if unknown:
        raise NeurodlValueError(
            f"load_options must be keyword arguments of neurodl.load, any of "
            f"{sorted(LOAD_OPTIONS)}; got {unknown}."
        )
    return {k: v for k, v in given.items() if v is not None and v is not False}


@contextlib.contextmanager
def _connect(
    client: Any, scheduler: str, n_workers: int | None, n_tasks: int, retries: int = 2
) -> Iterator[Any]:
    """The Dask client to use: the given one, one to an address, or a new loopback LocalCluster.

    The LocalCluster's scheduler reschedules a task whose worker died ``retries`` times before
    it reports the task lost (Dask's ``allowed-failures``), and gives each worker one task at a
    time (``worker-saturation`` 1.0: a dying worker takes no queued session with it); its
    nannies set their workers up with :mod:`neurodl.batch.nanny`.
    """
    try:
        import dask
        from distributed import Client, LocalCluster
    except ImportError:
        raise NeurodlValueError(
            "neurodl batch needs Dask distributed: pip install 'neurodl[cluster]'."
        ) from None
    if client is not None:
        yield client
        return
    if scheduler != "local":
        with Client(scheduler, timeout="20s") as remote:
            yield remote
        return
    n = n_workers or max(1, min(os.cpu_count() or 1, n_tasks))
    scheduling = {
        "distributed.scheduler.allowed-failures": int(retries),
        "distributed.scheduler.worker-saturation": 1.0,
    }
    with dask.config.set(scheduling):
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address="127.0.0.1:0",  # any free port, loopback only
            worker_dashboard_address=None,
            silence_logs=logging.ERROR,
            preload_nanny=["neurodl.batch.nanny"],  # worker set-up for long numerical tasks
        )
    try:
        with Client(cluster) as local:
            yield local
    finally:
        cluster.close()


def _threads(client: Any, scheduler: str, threads: int | None) -> int:
    """Threads each task may use: cores over concurrent tasks on a local cluster, else 1."""
    if threads is not None:
        return max(1, int(threads))
    if scheduler == "local":
        slots = sum(client.nthreads().values()) or 1
        return max(1, (os.cpu_count() or 1) // slots)
    return 1


def _describe(
    client: Any, sessions: list[Session], load_options: Mapping[str, Any]
) -> dict[int, dict[str, Any]]:
    """Read session/subject from each file's meta on the workers (only where no manifest said)."""
    todo = [i for i, s in enumerate(sessions) if s.session is None or s.subject is None]
    if not todo:
        return {}
    futures = client.map(
        describe_file,
        [sessions[i].path for i in todo],
        load_options=dict(load_options),
        pure=False,
        key=[f"neurodl-describe-{i}-{time.time_ns()}" for i in todo],
    )
    return dict(zip(todo, client.gather(futures), strict=True))


def _progress(total: int, verbose: int) -> Any:
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        unit="task",
        desc="sessions",
        disable=verbose < 1 or not sys.stderr.isatty(),
        file=sys.stderr,
    )


def _run_tasks(client: Any, specs: list[dict[str, Any]], retries: int, verbose: int) -> list[dict]:
    """Submit every task and collect the small records as they finish (progress on a terminal)."""
    from distributed import as_completed

    stamp = time.time_ns()
    # one call, one task group ("neurodl-batch": the number after it ends Dask's group name): the
    # scheduler sees the whole group at once and, when it is over twice the threads, queues it
    # and hands each worker one task at a time (a worker that dies takes no other task with it)
    submitted = client.map(
        run_session,
        specs,
        key=[f"neurodl-batch-{stamp}-{spec['name']}-{spec['analysis']}" for spec in specs],
        pure=False,
        retries=retries,
    )
    futures = {future: i for i, future in enumerate(submitted)}
    records: list[dict[str, Any] | None] = [None] * len(specs)
    counts = {"done": 0, "skipped": 0, "failed": 0}
    bar = _progress(len(specs), verbose)
    try:
        for future in as_completed(futures):
            i = futures.pop(future)
            try:
                record = future.result()
            except Exception as exc:  # e.g. KilledWorker after the retries
                from neurodl.batch._sessions import one_line

                record = run_session({**specs[i], "error": f"task lost: {one_line(exc)}"})
                record["worker"] = ""
            records[i] = record
            counts[record["status"]] += 1
            bar.set_postfix(counts, refresh=False)
            bar.update()
            future.release()
    except BaseException:
        client.cancel(list(futures))
        raise
    finally:
        bar.close()
    return [r for r in records if r is not None]


def run_batch(
    paths_or_manifest: str | os.PathLike[str] | Iterable[Any],
    *,
    analysis: str | Sequence[str] = ("decode",),
    options: Mapping[str, Mapping[str, Any]] | None = None,
    load_options: Mapping[str, Any] | None = None,
    output: str | os.PathLike[str] = "neurodl-batch",
    client: Any = None,
    scheduler: str = "local",
    n_workers: int | None = None,
    threads_per_task: int | None = None,
    resume: bool = True,
    figures: bool = True,
    retries: int = 2,
    n_resamples: int = 10000,
    confidence_level: float = 0.95,
    random_state: int = 0,
    verbose: int = 0,
) -> BatchResult:
    """Run analyses over many sessions on Dask distributed; save each session as the CLI would.

    One task per (session, analysis) runs on a worker: it loads the recording by path, runs the
    analysis (:data:`neurodl.batch.ANALYSES`), draws its figures and saves it into
    ``output/<session>/<analysis>/`` (metrics.json, figures, report.html, manifest.json, as the
    single command writes them), and returns only a small record. A bad file or a failing
    analysis fails that session alone, with a one-line reason.

    Parameters
    ----------
    paths_or_manifest : path or sequence of paths
        Recording files and/or CSV manifests (see :func:`neurodl.batch.read_inputs`). Workers open
        the paths as given, so on a remote cluster they must be valid on the workers.
    analysis : str or sequence of str
        Any of ``"decode"``, ``"encode"``, ``"rsa"`` (or one comma-separated string).
    options : dict, optional
        Options per analysis, e.g. ``{"decode": {"decoder": "bayes", "quick": True}}``; keyword
        arguments of the analysis (the reader's options below may be given here too, for one
        analysis only).
    load_options : dict, optional
        Keyword arguments of :func:`neurodl.load` for every session: ``allow_pickle`` and the
        NWB choices ``intervals``, ``where``, ``series``, ``window``, ``images`` (as
        ``neurodl decode`` takes them; on another format they fail the session with one line).
        Recorded, with the choices the reader made, in each session's manifest.
    output : path
        Output folder (on a remote cluster: a folder the workers can write, e.g. shared storage).
    client : distributed.Client, optional
        Use this client (and its cluster); ``scheduler`` is then ignored.
    scheduler : str
        ``"local"`` starts a LocalCluster of worker processes; it listens on 127.0.0.1 only
        (scheduler, workers, nannies, and the dashboard on a free port; workers have none);
        ``"tcp://HOST:PORT"`` connects to an existing scheduler.
    n_workers : int, optional
        Workers of the local cluster (default: the cores, at most one per task).
    threads_per_task : int, optional
        BLAS/torch threads per task (default: cores per local worker; 1 on a remote cluster).
    resume : bool
        Skip tasks whose complete outputs record the same input content and parameters hash.
    figures : bool
        Draw and save each session's figures (on its worker); False saves the numbers and the
        HTML page only, which for small recordings is most of the time saved.
    retries : int
        How often a task is run again when its worker died under it (on the local cluster;
        Dask's ``allowed-failures``, a setting of the scheduler on a cluster of your own) or
        when it raised outside the analysis (Dask's retries); then the session is failed with
        the reason ("task lost: ...") and the others go on.
    n_resamples, confidence_level, random_state
        Of the hierarchical bootstrap across sessions; ``random_state`` also seeds each analysis.
    verbose : int
        1 shows a progress bar over tasks on a terminal.

    Returns
    -------
    BatchResult
        Call :meth:`BatchResult.save` to write summary.csv, summary.json and report.html.
    """
    names = _check(analysis, options)
    if client is None:
        check_scheduler(scheduler)
    reader = _check_load_options(load_options)
    opts = {name: {**reader, **dict((options or {}).get(name, {}))} for name in names}
    sessions = read_inputs(paths_or_manifest)
    out = Path(output).expanduser().absolute()
    if any(o.get("allow_pickle") for o in opts.values()):
        reader["allow_pickle"] = True  # trusted for one analysis: trusted to read the meta
    started = time.time()
    n_tasks = len(sessions) * len(names)
    with _connect(client, scheduler, n_workers, n_tasks, retries) as dask_client:
        described = _describe(dask_client, sessions, reader)
        name_sessions(sessions, described)
        threads = _threads(dask_client, scheduler if client is None else "", threads_per_task)
        specs = [
            {
                "path": str(Path(s.path).expanduser().absolute()),
                "name": s.name,
                "session": s.session,
                "subject": s.subject,
                "groups": s.groups,
                "analysis": name,
                "options": opts[name],
                "random_state": random_state,
                "figures": figures,
                "output": str(out),
                "resume": resume,
                "threads": threads,
                "error": described.get(i, {}).get("error", ""),
            }
            for i, s in enumerate(sessions)
            for name in names
        ]
        out.mkdir(parents=True, exist_ok=True)
        records = _run_tasks(dask_client, specs, retries, verbose)
    groups = tuple(dict.fromkeys(g for s in sessions for g in s.groups))
    parameters = {
        "analysis": names,
        "options": opts,
        "load_options": reader,
        "inputs": [s.path for s in sessions],
        "scheduler": scheduler if client is None else "client",
        "resume": resume,
        "figures": figures,
        "threads_per_task": threads,
        "random_state": random_state,
        "n_resamples": n_resamples,
        "confidence_level": confidence_level,
    }
    estimates = estimate_across_sessions(
        records,
        groups=groups,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        random_state=random_state,
    )
    return BatchResult(records, estimates, parameters, out, groups, started)
