"""Many sessions on Dask distributed: fault-isolated, resumable, with across-session statistics.

:func:`run_batch` runs ``decode``, ``encode`` and/or ``rsa`` on every session, one Dask task per
(session, analysis), on a loopback LocalCluster or an existing scheduler. Each worker loads its
own file by path and saves the session's outputs exactly as the single command would, into
``<output>/<session>/<analysis>/``; the scheduler and the client only ever see small records.
:meth:`BatchResult.save` writes ``summary.csv``, ``summary.json`` and ``report.html`` with each
headline number's across-session estimate and a hierarchical-bootstrap confidence interval
(:func:`hierarchical_bootstrap`: subjects resampled, then sessions within each subject).

Examples
--------
>>> from neurodl.batch import run_batch
>>> result = run_batch(["m1_s1.npz", "m1_s2.npz", "m2_s1.npz"], analysis="decode",
...                    options={"decode": {"quick": True}}, output="out")  # doctest: +SKIP
>>> result.save()  # doctest: +SKIP
"""

from neurodl.batch._result import BatchResult, estimate_across_sessions
from neurodl.batch._run import run_batch
from neurodl.batch._sessions import Session, fingerprint, read_inputs
from neurodl.batch._stats import hierarchical_bootstrap, subject_mean
from neurodl.batch._tasks import ANALYSES, Analysis

__all__ = [
    "ANALYSES",
    "Analysis",
    "BatchResult",
    "Session",
    "estimate_across_sessions",
    "fingerprint",
    "hierarchical_bootstrap",
    "read_inputs",
    "run_batch",
    "subject_mean",
]
