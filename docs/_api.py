"""Write the API reference's pages (docs/api/*.rst) from the ``__all__`` of neurodl's modules.

Each public object gets one page, at its canonical home: the first module of ``MODULES`` whose
``__all__`` names it. Later modules that re-export it link to that page. ``python docs/_api.py``
writes the pages; ``docs/conf.py`` calls ``write_pages`` before every build, and
``tests/test_docs.py`` checks that every public name of every public module is documented.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Page order: the analyses and their building blocks first, then the package's top level, whose
# names are mostly re-exports of these.
MODULES: list[tuple[str, str]] = [
    ("neurodl.data", "Recordings, files and the V1 simulator"),
    ("neurodl.stimuli", "Gratings, noise images and filter banks"),
    ("neurodl.metrics", "Metrics"),
    ("neurodl.decoding", "Decoding"),
    ("neurodl.encoding", "Encoding"),
    ("neurodl.rsa", "Representational similarity analysis"),
    ("neurodl.models", "Networks (torch modules)"),
    ("neurodl.training", "The training loop"),
    ("neurodl.results", "Results"),
    ("neurodl.plotting", "Plotting"),
    ("neurodl.report", "HTML reports"),
    ("neurodl.batch", "Many sessions on Dask"),
    ("neurodl.demo", "The demo"),
    ("neurodl.pose", "Movement from pose"),
    ("neurodl.pose.analysis", "Movement risk analysis"),
    ("neurodl.pose.io", "Keypoint files"),
    ("neurodl.pose.readers", "Keypoint file readers"),
    ("neurodl.pose.writers", "Keypoint file writers"),
    ("neurodl.pose.nwb", "Keypoints in NWB (ndx-pose)"),
    ("neurodl.pose.preprocess", "Pose preprocessing"),
    ("neurodl.pose.validation", "Validation against labels"),
    ("neurodl.pose.labels", "Labelled frames (COCO, DeepLabCut)"),
    ("neurodl.pose.detector", "Keypoint detector"),
    ("neurodl.pose.video", "Video input and output"),
    ("neurodl.pose.render", "Rendered infants"),
    ("neurodl.files", "Atomic file writing"),
    ("neurodl.exceptions", "Exceptions"),
    ("neurodl", "The neurodl package"),
]

# Modules whose names are all documented through the modules above (their package re-exports
# them) or that are not part of the Python API (the command line is documented in the guide).
NOT_PAGES = ("neurodl.cli",)


def public_modules() -> Iterator[str]:
    """Yield every module of neurodl whose dotted name has no part starting with ``_``."""
    package = importlib.import_module("neurodl")
    yield "neurodl"
    for info in pkgutil.walk_packages(package.__path__, "neurodl."):
        parts = info.name.split(".")
        if any(p.startswith("_") for p in parts) or info.name.startswith(NOT_PAGES):
            continue
        yield info.name


def _kind(obj: Any) -> str:
    if inspect.isclass(obj):
        return "class"
    if inspect.ismodule(obj):
        return "module"
    if callable(obj):
        return "function"
    return "data"


def _title(module_name: str) -> str:
    doc = (importlib.import_module(module_name).__doc__ or "").strip()
    first = doc.splitlines()[0].rstrip(".") if doc else module_name
    return re.sub(r":\w+:`~?([^`]+)`", r"``\1``", first)


def pages() -> list[tuple[str, str]]:
    """``MODULES``, plus each other public module that defines names no page documents yet.

    Such a module (``neurodl.rsa.tilt`` when ``neurodl.rsa`` re-exports only part of it) gets
    its own page after its package's, titled by its docstring's first line, so that a public
    name added anywhere is documented without editing this file.
    """
    listed = [m for m, _ in MODULES]
    result = list(MODULES)
    homes = _homes(listed)
    for module_name in public_modules():
        if module_name in listed:
            continue
        module = importlib.import_module(module_name)
        names = [n for n in getattr(module, "__all__", ()) if not n.startswith("_")]
        objs = [getattr(module, n) for n in names]
        if any(_kind(o) != "module" and id(o) not in homes for o in objs):
            parent = module_name.rsplit(".", 1)[0]
            after = max(
                (i for i, (m, _) in enumerate(result) if m == parent or m.startswith(parent + ".")),
                default=len(result) - 2,
            )
            result.insert(after + 1, (module_name, _title(module_name)))
            homes = _homes([m for m, _ in result])
    return result


def canonical_homes() -> dict[int, str]:
    """Map ``id(obj)`` of each documented object to its documented dotted name."""
    return _homes([m for m, _ in pages()])


def _homes(module_names: list[str]) -> dict[int, str]:
    homes: dict[int, str] = {}
    for module_name in module_names:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if _kind(obj) != "module":
                homes.setdefault(id(obj), f"{module_name}.{name}")
    return homes


_ROLE = {"class": "class", "function": "func", "data": "data"}


def _module_page(module_name: str, title: str, homes: dict[int, str]) -> str:
    module = importlib.import_module(module_name)
    own: dict[str, list[str]] = {"class": [], "function": [], "data": []}
    links: list[str] = []
    for name in sorted(module.__all__, key=str.lower):
        obj = getattr(module, name)
        kind = _kind(obj)
        if kind == "module":
            links.append(f"* :mod:`{module_name}.{name}`")
        elif homes[id(obj)] == f"{module_name}.{name}":
            own[kind].append(name)
        else:
            links.append(f"* ``{name}``: :py:{_ROLE[kind]}:`{homes[id(obj)]}`")
    heading = f"``{module_name}``: {title}"
    lines = [heading, "=" * len(heading), "", f".. automodule:: {module_name}", "   :no-members:"]
    lines += ["", f".. currentmodule:: {module_name}", ""]
    for kind, section, template in (
        ("class", "Classes", "class.rst"),
        ("function", "Functions", "function.rst"),
        ("data", "Constants", "data.rst"),
    ):
        if own[kind]:
            lines += [section, "-" * len(section), "", ".. autosummary::"]
            lines += ["   :toctree: generated/", f"   :template: {template}", ""]
            lines += [f"   {name}" for name in own[kind]] + [""]
    if links:
        lines += ["Also available here", "-------------------", ""]
        lines += ["These names are documented where they are defined:", "", *links, ""]
    return "\n".join(lines)


def write_pages(directory: Path) -> list[Path]:
    """Write one ``.rst`` page per module of ``MODULES`` and an index into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    modules = pages()
    homes = _homes([m for m, _ in modules])
    written = []
    for module_name, title in modules:
        path = directory / f"{module_name}.rst"
        text = _module_page(module_name, title, homes)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
        written.append(path)
    index = [
        "API reference",
        "=============",
        "",
        "Every public name of neurodl, generated from its docstring. Names that a package",
        "re-exports (``neurodl.run_decoding`` is ``neurodl.decoding.run_decoding``) are",
        "documented once, where they are defined, and linked from the other places.",
        "",
        ".. toctree::",
        "   :maxdepth: 1",
        "",
        *[f"   {module_name}" for module_name, _ in modules],
        "",
    ]
    (directory / "index.rst").write_text("\n".join(index), encoding="utf-8")
    return written


if __name__ == "__main__":
    for page in write_pages(Path(__file__).parent / "api"):
        print(page)
