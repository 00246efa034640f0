"""Every script in examples/ runs end to end at quick sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "extra", "says", "writes"),
    [
        ("decode.py", ["--quick"], "discrimination threshold", []),
        (
            "encode.py",
            ["--quick", "-o", "{out}"],
            "FEVE",
            ["filter_bank.png", "encoding/metrics.json", "encoding/report.html"],
        ),
        ("compare.py", ["--quick", "-o", "{out}"], "noise ceiling", ["metrics.json"]),
        ("load_your_file.py", [], "wrote", []),
        (
            "pose_video.py",
            ["--quick", "-o", "{out}"],
            "PCK@0.2",
            ["model/weights.pt", "test.csv", "test_annotated.mp4"],
        ),
    ],
)
def test_example_runs(tmp_path, script, extra, says, writes):
    args = [a.format(out=tmp_path / "out") for a in extra]
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert says in result.stdout, result.stdout[-2000:]
    for name in writes:
        assert (tmp_path / "out" / name).stat().st_size > 0, name
