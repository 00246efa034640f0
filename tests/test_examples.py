"""Every script in examples/ runs end to end at quick sizes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize(
    ("script", "extra"),
    [
        ("decode.py", ["--quick"]),
        ("encode.py", ["--quick", "-o", "{out}"]),
        ("compare.py", ["--quick", "-o", "{out}"]),
        ("load_your_file.py", []),
        ("pose_video.py", ["--quick", "-o", "{out}"]),
    ],
)
def test_example_runs(tmp_path, script, extra):
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
    assert result.stdout.strip(), "an example should print what it found"
