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
    for command in ("simulate", "info", "decode", "encode", "rsa", "batch", "pose", "demo"):
        assert command in out.stdout
    pose = subprocess.run(
        [sys.executable, "-m", "neurodl", "pose", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for command in ("simulate", "score", "train", "detect"):
        assert command in pose.stdout


def test_lazy_names_match_the_type_checking_imports():
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(neurodl))
    checked = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for inner in node.body
        if isinstance(inner, ast.ImportFrom)
        for alias in inner.names
    }
    assert checked == set(neurodl._LAZY_NAMES)


def test_public_surface_of_subpackages():
    import neurodl.models as models
    import neurodl.plotting as plotting

    assert {"NeurodlValueError", "NeurodlTypeError", "circular_error", "feve"} <= set(
        neurodl.__all__
    )
    assert neurodl.NeurodlValueError.__mro__[1:3] == (neurodl.NeurodlError, ValueError)
    assert {"TiltCNN", "EncodingCNN", "MLP"} <= set(models.__all__)
    assert {"plot_rdm", "plot_psychometric", "plot_feve_vs_fev"} <= set(plotting.__all__)
    for package in (models, plotting):
        for name in package.__all__:
            assert callable(getattr(package, name)), name
    assert len(neurodl.__all__) == len(set(neurodl.__all__))


def test_option_errors_list_sorted_choices():
    from neurodl.exceptions import NeurodlValueError, check_option

    assert check_option("rdm", "pearson", {"pearson", "euclidean"}) == "pearson"
    with pytest.raises(NeurodlValueError, match=r"^x must be one of \{'a', 'b', 'c'\}; got 'd'\.$"):
        check_option("x", "d", ("c", "a", "b"))
    with pytest.raises(NeurodlValueError, match=r"got 3\.$"):
        check_option("x", 3, ("a",))


# which neurodl packages each layer may import (the architecture in the README); a package
# missing here is not checked yet
_LAYERS = {
    "exceptions": set(),
    "_linalg": set(),
    "files": {"exceptions"},
    "stimuli": {"exceptions"},
    "metrics": {"exceptions"},
    "training": {"exceptions"},
    "models": {"exceptions"},
    "data": {"exceptions", "files", "stimuli"},
    "decoding": {"_linalg", "data", "exceptions", "metrics", "models", "results", "training"},
    "encoding": {
        "_linalg",
        "data",
        "exceptions",
        "metrics",
        "models",
        "results",
        "stimuli",
        "training",
    },
    "rsa": {"data", "exceptions", "metrics", "models", "results", "stimuli", "training"},
    "pose": {"exceptions", "files", "metrics", "models", "results", "training"},
}


def _imported_packages(package: str) -> set[str]:
    import ast
    from pathlib import Path

    import neurodl

    root = Path(neurodl.__file__).parent
    files = [root / f"{package}.py"] if (root / f"{package}.py").exists() else []
    files += sorted((root / package).rglob("*.py")) if (root / package).is_dir() else []
    found = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            found |= {n.split(".")[1] for n in names if n.startswith("neurodl.")}
    return found - {package}


@pytest.mark.parametrize("package", sorted(_LAYERS))
def test_layers_import_only_what_lies_beneath(package):
    assert _imported_packages(package) <= _LAYERS[package]
