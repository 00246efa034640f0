"""neurodl.batch: sessions, fingerprints, the nested bootstrap, and runs on a real LocalCluster."""

from __future__ import annotations

import csv
import itertools
import json
import os
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from neurodl.batch import (
    Session,
    fingerprint,
    hierarchical_bootstrap,
    read_inputs,
    run_batch,
    subject_mean,
)
from neurodl.batch._sessions import describe_file, name_sessions
from neurodl.cli import app
from neurodl.data import Recording, save
from neurodl.exceptions import DataFormatError, NeurodlValueError

distributed = pytest.importorskip("distributed")
WorkerPlugin = pytest.importorskip("distributed.diagnostics.plugin").WorkerPlugin


# ---------------------------------------------------------------- the nested bootstrap


def _exact_distribution() -> dict[float, Fraction]:
    """Subjects a = [0, 2] and b = [10]: every equally likely outcome of the two-level draw."""
    sessions = {"a": [0, 2], "b": [10]}
    exact: Counter[float] = Counter()
    for drawn in itertools.product("ab", repeat=2):  # subjects, with replacement
        inner = [itertools.product(sessions[s], repeat=len(sessions[s])) for s in drawn]
        for picks in itertools.product(*inner):  # sessions within each drawn subject
            weight = Fraction(1, 4) * np.prod([Fraction(1, len(p) ** len(p)) for p in picks])
            exact[float(np.mean([np.mean(p) for p in picks]))] += weight
    return dict(exact)


def test_hierarchical_bootstrap_matches_the_enumerated_distribution():
    exact = _exact_distribution()
    assert sum(exact.values()) == 1
    out = hierarchical_bootstrap(
        [0.0, 2.0, 10.0], ["a", "a", "b"], n_resamples=40000, random_state=3, return_samples=True
    )
    values, counts = np.unique(out["samples"], return_counts=True)
    assert set(values.tolist()) == set(exact)  # a session-level bootstrap would give 2/3, 4/3...
    for value, count in zip(values, counts, strict=True):
        assert abs(count / 40000 - float(exact[value])) < 0.01
    # P(stat <= 0) = 1/64 < 0.025 < P(stat <= 0.5) = 5/64; P(stat < 10) = 3/4 < 0.975
    assert (out["ci_low"], out["ci_high"]) == (0.5, 10.0)
    assert out["estimate"] == subject_mean([0.0, 2.0, 10.0], ["a", "a", "b"]) == 5.5
    assert (out["n_sessions"], out["n_subjects"]) == (3, 2)


def test_hierarchical_bootstrap_edges():
    out = hierarchical_bootstrap([1.0, np.nan], ["a", "b"], random_state=0)
    assert (out["estimate"], out["n_sessions"], out["n_subjects"]) == (1.0, 1, 1)
    assert np.isnan(out["ci_low"]) and np.isnan(out["ci_high"])
    with pytest.raises(NeurodlValueError, match="same length"):
        hierarchical_bootstrap([1.0, 2.0], ["a"])
    with pytest.raises(NeurodlValueError, match="confidence_level"):
        hierarchical_bootstrap([1.0, 2.0], ["a", "b"], confidence_level=95)


# ---------------------------------------------------------------- inputs and names


def test_manifest_paths_groups_and_errors(tmp_path):
    manifest = tmp_path / "sessions.csv"
    manifest.write_text("path,session,subject,area\nrec/a.npz,s1,m1,V1\n/abs/b.npz,,m2,LM\n")
    sessions = read_inputs([manifest, tmp_path / "c.h5"])
    assert [s.path for s in sessions] == [
        str(tmp_path / "rec" / "a.npz"),
        "/abs/b.npz",
        str(tmp_path / "c.h5"),
    ]
    assert (sessions[0].session, sessions[0].subject, sessions[0].groups) == (
        "s1",
        "m1",
        {"area": "V1"},
    )
    assert sessions[1].session is None and sessions[2].groups == {}
    (tmp_path / "bad.csv").write_text("file,session\nx.npz,s1\n")
    with pytest.raises(DataFormatError, match="needs a 'path' column"):
        read_inputs(tmp_path / "bad.csv")
    (tmp_path / "twice.csv").write_text("path,session\nx.npz,s1\ny.npz,s1\n")
    with pytest.raises(DataFormatError, match="repeated: \\['s1'\\]"):
        read_inputs(tmp_path / "twice.csv")


def test_names_are_safe_unique_and_stable():
    sessions = [
        Session("/d/one.npz"),
        Session("/e/one.npz"),
        Session("/f/x.npz", session="m 1/day 2"),
        Session("/g/summary.json.npz", session="summary.json"),
        Session("/h/rec.h5"),
    ]
    name_sessions(sessions, {4: {"session": "day3", "subject": "mouse7"}})
    assert [s.name for s in sessions] == ["one", "one-2", "m_1_day_2", "summary.json-2", "day3"]
    assert [s.subject for s in sessions] == ["one", "one", "m 1/day 2", "summary.json", "mouse7"]


def test_fingerprint_fast_path_and_content_change(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(b"a" * 10)
    first = fingerprint(str(path))
    assert first["size"] == 10 and len(first["sha256"]) == 64
    assert fingerprint(str(path), {**first, "sha256": "cached"})["sha256"] == "cached"
    path.write_bytes(b"b" * 10)
    os.utime(path, ns=(first["mtime_ns"] + 10**9, first["mtime_ns"] + 10**9))
    assert fingerprint(str(path), first)["sha256"] not in (first["sha256"], "cached")


# ---------------------------------------------------------------- on a real LocalCluster


@pytest.fixture(scope="module")
def client():
    """One loopback cluster of two worker processes for the whole module."""
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            host="127.0.0.1",
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as dask_client,
    ):
        yield dask_client


def _write(path, seed, subject=None, session=None):
    rng = np.random.default_rng(seed)
    theta = rng.uniform(0, 360, 160)
    preferred = rng.uniform(0, 360, 24)
    mean = np.exp(2 * (np.cos(np.deg2rad(theta[:, None] - preferred)) - 1)) * 2
    meta = {k: v for k, v in (("subject", subject), ("session", session)) if v}
    rec = Recording(mean + 0.4 * rng.standard_normal(mean.shape), {"orientation": theta}, meta=meta)
    save(rec, path)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("recordings")
    good = [
        _write(root / "a.npz", 1, "m1", "m1-day1"),
        _write(root / "b.npz", 2, "m1", "m1-day2"),
        _write(root / "c.npz", 3, "m2", "m2-day1"),
    ]
    bad = root / "broken.npz"
    bad.write_bytes(b"this is not a zip file")
    return [*good, bad]


# seconds per session: no curves, few bootstraps (the figures are still drawn and saved)
DECODE = {"quick": True, "decoder": "bayes", "folds": 3, "curves": False, "n_resamples": 20}
QUICK = {"decode": DECODE, "encode": {"quick": True}}


def test_batch_isolates_faults_and_saves_each_session(client, files, tmp_path):
    out = tmp_path / "out"
    # encode fails on every session: an option the analysis refuses (the recordings have only
    # orientations, which encoding now renders as gratings, so "no images" no longer fails)
    failing = {"decode": DECODE, "encode": {"quick": True, "max_neurons": 0}}
    result = run_batch(
        files, analysis="decode,encode", options=failing, output=out, client=client, figures=False
    )
    by = {(r["session"], r["analysis"]): r for r in result.records}
    assert {k for k, r in by.items() if r["status"] == "done"} == {
        ("m1-day1", "decode"),
        ("m1-day2", "decode"),
        ("m2-day1", "decode"),
    }
    assert "broken.npz" in by["broken", "decode"]["reason"]  # the bad file, one line
    assert "max_neurons" in by["m1-day1", "encode"]["reason"]  # the failing analysis
    workers = {str(w.name) for w in client.cluster.workers.values()}
    for session in ("m1-day1", "m1-day2", "m2-day1"):
        folder = out / session / "decode"
        manifest = json.loads((folder / "manifest.json").read_text())
        assert set(manifest["outputs"]) <= {p.name for p in folder.iterdir()}
        assert manifest["parameters"]["batch"]["worker"] in workers
        assert manifest["command"] == "batch decode" and manifest["seed"] == 0
        assert not (out / session / "encode").exists()
    decode = result.estimates["decode"]["median_abs_error_deg"]
    assert (decode["n_sessions"], decode["n_subjects"]) == (3, 2)
    assert decode["ci_low"] <= decode["estimate"] <= decode["ci_high"] < 40
    assert result.estimates["encode"] == {}
    assert set(result.save()) == {"summary.csv", "summary.json", "report.html", "manifest.json"}
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert len(rows) == 8 and rows[0]["session"] == "m1-day1" and rows[0]["subject"] == "m1"
    assert {r["status"] for r in rows} == {"done", "failed"}
    page = (out / "report.html").read_text()
    assert "Across sessions" in page and "2 subjects" in page and page.count("<img") >= 2


def test_resume_skips_complete_sessions_and_reruns_changed_ones(client, files, tmp_path):
    out = tmp_path / "out"
    inputs = [_write(tmp_path / "a.npz", 1, "m1", "s1"), _write(tmp_path / "b.npz", 2, "m2", "s2")]
    first = run_batch(inputs, options=QUICK, output=out, client=client, figures=False)
    assert [r["status"] for r in first.records] == ["done", "done"]
    _write(tmp_path / "b.npz", 20, "m2", "s2")  # new content, same session
    again = run_batch(inputs, options=QUICK, output=out, client=client, figures=False)
    assert [r["status"] for r in again.records] == ["skipped", "done"]
    assert again.records[0]["median_abs_error_deg"] == first.records[0]["median_abs_error_deg"]
    assert again.records[0]["worker"] == first.records[0]["worker"]  # who computed the outputs
    other = {"decode": {**DECODE, "folds": 4}}  # new parameters: both rerun
    third = run_batch(inputs, options=other, output=out, client=client, figures=False)
    assert [r["status"] for r in third.records] == ["done", "done"]
    assert json.loads((out / "s1" / "decode" / "metrics.json").read_text())["n_folds"] == 4
    fresh = run_batch(
        inputs[:1], options=other, output=out, client=client, resume=False, figures=False
    )
    assert [r["status"] for r in fresh.records] == ["done"]
    assert not list((out / "s1" / "decode").glob("*.png"))
    fresh = run_batch(inputs[:1], options=other, output=out, client=client, figures=True)
    assert [r["status"] for r in fresh.records] == ["done"]  # figures asked for: recomputed
    assert (out / "s1" / "decode" / "decoded_vs_true.png").is_file()


def test_cli_batch_on_a_scheduler_address(client, files, tmp_path):
    manifest = tmp_path / "sessions.csv"
    rows = [f"{files[0]},x,m1,V1", f"{files[2]},y,m2,LM"]
    manifest.write_text("path,session,subject,area\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    address = client.scheduler.address
    args = ["batch", str(manifest), "-o", str(out), "--quick", "--decoder", "bayes", "--no-figures"]
    result = CliRunner().invoke(app, [*args, "--scheduler", address])
    assert result.exit_code == 0, result.output
    assert "2 tasks: 2 done, 0 skipped" in result.output
    table = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["session"], r["area"], r["status"]) for r in table] == [
        ("x", "V1", "done"),
        ("y", "LM", "done"),
    ]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["across_sessions"]["decode"]["threshold_deg"]["n_subjects"] == 2
    bad = CliRunner().invoke(
        app, ["batch", str(files[3]), "-o", str(out), "--quick", "--scheduler", address]
    )
    assert bad.exit_code == 1 and "failed: broken (decode)" in bad.output


def test_cli_batch_passes_the_nwb_options_to_each_load(client, files, tmp_path):
    pytest.importorskip("pynwb")
    rng = np.random.default_rng(0)
    theta = rng.uniform(0, 360, 160)
    preferred = rng.uniform(0, 360, 24)
    mean = np.exp(2 * (np.cos(np.deg2rad(theta[:, None] - preferred)) - 1)) * 2
    rec = Recording(
        mean + 0.4 * rng.standard_normal(mean.shape),
        {"orientation": theta, "block": np.repeat(["a", "b"], 80)},
        meta={"subject": "m3", "session": "m3-day1"},
    )
    save(rec, tmp_path / "m3.nwb")
    out = tmp_path / "out"
    args = ["batch", str(tmp_path / "m3.nwb"), str(files[0]), "-o", str(out), "--quick"]
    args += ["--decoder", "bayes", "--no-figures", "--where", "block=a"]
    result = CliRunner().invoke(app, [*args, "--scheduler", client.scheduler.address])
    assert result.exit_code == 1, result.output  # the .npz session: NWB options refused
    assert "failed: a (decode): " in result.output and "apply only to NWB" in result.output
    manifest = json.loads((out / "m3-day1" / "decode" / "manifest.json").read_text())
    loading = manifest["parameters"]["loading"]  # as neurodl decode records it
    assert loading["where"] == {"block": "a"} and loading["rows_read"] == 80
    assert manifest["parameters"]["batch"]["options"]["where"] == {"block": "a"}


def _die(recording, options, random_state, figures):
    """A test analysis: session m1-day1's worker process dies mid-task, on every try."""
    from neurodl.batch import ANALYSES

    if recording.meta["session"] == "m1-day1":
        attempts = Path(options["marker"])
        attempts.write_text(attempts.read_text() + "x" if attempts.exists() else "x")
        os._exit(1)  # no exception, no clean-up: the process is gone
    options.pop("marker")
    return ANALYSES["decode"].run(recording, options, random_state, figures)


class _DyingAnalysis(WorkerPlugin):
    """Adds the analysis "die" on every worker, restarted ones included."""

    def setup(self, worker):
        from neurodl.batch import ANALYSES, Analysis

        ANALYSES["die"] = Analysis(_die, ANALYSES["decode"].headline)


def test_a_worker_that_dies_mid_task_is_retried_then_reported(files, tmp_path, monkeypatch):
    import sys

    import cloudpickle

    from neurodl.batch import ANALYSES, Analysis
    from neurodl.batch._run import _connect

    monkeypatch.setitem(ANALYSES, "die", Analysis(_die, ANALYSES["decode"].headline))
    attempts = tmp_path / "attempts"
    options = {"die": {**DECODE, "marker": str(attempts)}}
    cloudpickle.register_pickle_by_value(sys.modules[__name__])  # restarted workers: no import
    try:
        with _connect(None, "local", 1, 3, retries=1) as local:  # one retry after a death
            local.register_plugin(_DyingAnalysis(), name="die")
            result = run_batch(
                files[:3], analysis="die", options=options, output=tmp_path / "o", client=local
            )
    finally:
        cloudpickle.unregister_pickle_by_value(sys.modules[__name__])
    by = {r["session"]: r for r in result.records}
    assert attempts.read_text() == "xx"  # the first try and one retry, each on a fresh worker
    assert by["m1-day1"]["status"] == "failed"  # then reported, not hung
    assert by["m1-day1"]["reason"].startswith("task lost: ")
    # the others unharmed ("skipped" when a worker died after one finished, before its record
    # left: its rerun found its outputs complete)
    assert {by["m1-day2"]["status"], by["m2-day1"]["status"]} <= {"done", "skipped"}
    for session in ("m1-day2", "m2-day1"):
        assert (tmp_path / "o" / session / "die" / "decoded_vs_true.png").is_file()
    assert not list((tmp_path / "o").glob("*/.*"))  # nothing half-written is left


class _Interrupt:
    """A progress bar whose first update is a Ctrl-C (KeyboardInterrupt) in the client."""

    def update(self):
        raise KeyboardInterrupt

    def set_postfix(self, *args, **kwargs):
        pass

    def close(self):
        pass


def _idle(dask_worker):
    return not dask_worker.state.executing


def test_ctrl_c_keeps_complete_sessions_only_and_a_rerun_resumes(client, tmp_path, monkeypatch):
    from neurodl.batch import _run
    from neurodl.batch._tasks import read_complete

    inputs = [_write(tmp_path / f"{k}.npz", k, f"m{k}", f"s{k}") for k in range(4)]
    out = tmp_path / "out"
    with monkeypatch.context() as patch:
        patch.setattr(_run, "_progress", lambda total, verbose: _Interrupt())
        with pytest.raises(KeyboardInterrupt):
            run_batch(inputs, options=QUICK, output=out, client=client, figures=False)
    for _ in range(300):  # the cancelled task that was running finishes on its worker
        if all(client.run(_idle).values()):
            break
        time.sleep(0.1)
    folders = [p for p in out.glob("*/decode")]
    assert folders  # the first finished session, and any that finished before the interrupt
    assert all(read_complete(folder) is not None for folder in folders)
    assert not list(out.glob("*/.*"))  # no half-written folder
    again = run_batch(inputs, options=QUICK, output=out, client=client, figures=False)
    status = {r["session"]: r["status"] for r in again.records}
    assert list(status.values()).count("skipped") == len(folders)
    assert set(status.values()) <= {"skipped", "done"}


@pytest.mark.parametrize(
    "args, message",
    [
        (["--analysis", "decode,spikes"], "must be one or more of decode, encode, rsa"),
        (["--decoder", "lin"], "must be one of linear, bayes, mlp, curriculum"),
        (["--scheduler", "nonsense"], "must be 'local' or an address with a port"),
    ],
)
def test_cli_batch_bad_usage_exits_2(tmp_path, args, message):
    result = CliRunner().invoke(app, ["batch", "x.npz", "-o", str(tmp_path / "o"), *args])
    assert result.exit_code == 2
    assert message in " ".join(result.output.replace("│", " ").split())


def _worker_setup() -> tuple[str | None, bool]:
    import dask

    enabled = dask.config.get("distributed.worker.profile.enabled")
    return os.environ.get("MALLOC_MMAP_THRESHOLD_"), enabled


def test_local_cluster_listens_on_loopback_only_and_sets_up_its_workers():
    psutil = pytest.importorskip("psutil")
    from neurodl.batch._run import _connect

    with _connect(None, "local", 1, 1) as local:
        assert local.scheduler.address.startswith("tcp://127.0.0.1:")
        # neurodl.batch.nanny: large arrays reuse the heap, no stack sampling
        assert list(local.run(_worker_setup).values()) == [(str(2**25), False)]
        me = psutil.Process()
        listening = [
            c.laddr.ip
            for p in [me, *me.children(recursive=True)]
            for c in p.net_connections(kind="inet")
            if c.status == psutil.CONN_LISTEN
        ]
    assert len(listening) >= 3 and set(listening) == {"127.0.0.1"}  # scheduler, dashboard, worker


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"analysis": "spikes"}, "analysis must be one of"),
        ({"options": {"decoding": {}}}, "options must be keyed by analysis name"),
        ({"scheduler": "10.0.0.5"}, "scheduler must be 'local' or an address"),
    ],
)
def test_run_batch_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(NeurodlValueError, match=message):
        run_batch([tmp_path / "a.npz"], output=tmp_path / "o", **kwargs)


def test_plot_across_sessions_draws_sessions_estimate_and_band():
    from neurodl.plotting.batch import plot_across_sessions, plot_session_times

    ax = plot_across_sessions(
        [1.0, 2.0, np.nan, 4.0], ["a", "a", "b", "c"], estimate=2.5, ci=(1.5, 3.5), label="x (°)"
    )
    points = ax.collections[0].get_offsets()
    assert points.shape == (3, 2) and sorted(points[:, 1]) == [1.0, 2.0, 4.0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_ylabel() == "x (°)" and ax.lines[0].get_ydata()[0] == 2.5
    assert len(ax.patches) == 1  # the CI band
    ax = plot_session_times(["s1", "s2"], [1.0, 3.0], ["done", "failed"])
    assert [p.get_width() for p in ax.patches[:2]] == [1.0, 3.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["done", "failed"]


def test_describe_reads_meta_or_says_why(files):
    assert describe_file(str(files[0])) == {"session": "m1-day1", "subject": "m1"}
    assert "broken.npz" in describe_file(str(files[3]))["error"]
