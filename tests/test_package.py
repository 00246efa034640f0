"""The package's public surface."""

from __future__ import annotations

import subprocess
import sys

import pytest

import neurodl


def test_every_public_name_resolves():
    for name in neurodl.__all__:
        assert getattr(neurodl, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        neurodl.nope  # noqa: B018


def test_import_and_info_do_not_load_torch():
    code = "import sys, neurodl, neurodl.cli; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_python_dash_m_runs_the_cli():
    out = subprocess.run(
        [sys.executable, "-m", "neurodl", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("simulate", "info", "decode", "encode", "rsa", "demo"):
        assert command in out.stdout
