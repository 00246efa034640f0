"""Sphinx configuration of neurodl's documentation (``make docs``; ``make docs-quick`` for CI).

Everything the site needs is installed with the ``dev`` extra and shipped with the site: no
remote inventories, fonts, scripts or MathJax, so the pages work offline from a file URL.
``NEURODL_DOCS_QUICK=1`` makes the gallery examples use their quick sizes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS))

from _api import write_pages  # noqa: E402
from sphinx_gallery.sorting import ExplicitOrder, FileNameSortKey  # noqa: E402

import neurodl  # noqa: E402

API_PAGES = write_pages(DOCS / "api")
QUICK = os.environ.get("NEURODL_DOCS_QUICK", "") not in ("", "0")

project = "neurodl"
author = "the neurodl developers"
copyright = "the neurodl developers"
release = version = neurodl.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

if not QUICK:  # highlighted source pages ([source] links): the full build only
    extensions.append("sphinx.ext.viewcode")

templates_path = ["_templates"]
exclude_patterns = ["_build", "gallery"]
default_role = "py:obj"
nitpicky = False

# API reference: one page per public name (docs/_api.py lists them), numpydoc sections.
# (the pages are listed, not found: a page new since the last build is generated too)
autosummary_generate = [str(p.relative_to(DOCS)) for p in API_PAGES]
autosummary_imported_members = True
autodoc_default_options = {"member-order": "bysource"}
autodoc_typehints = "none"  # numpydoc's Parameters section already gives each type
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
numpydoc_use_plots = False
# No intersphinx: the build never fetches another project's inventory.

# Gallery: the curriculum day in order, then "your data".
sphinx_gallery_conf = {
    "examples_dirs": ["gallery"],
    "gallery_dirs": ["auto_examples"],
    "subsection_order": ExplicitOrder(
        [
            "gallery/day",
            "gallery/pose",
            "gallery/scale",
            "gallery/your_data",
        ]
    ),
    "within_subsection_order": FileNameSortKey,
    "filename_pattern": r"/plot_",
    "ignore_pattern": r"__init__\.py",
    "doc_module": ("neurodl",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"neurodl": None},
    "inspect_global_variables": True,
    "remove_config_comments": True,
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
    "download_all_examples": False,
    "show_memory": False,
    "show_signature": False,
    "matplotlib_animations": False,
    "image_scrapers": ("matplotlib",),
    "reset_modules": ("matplotlib",),
    "capture_repr": ("_repr_html_", "__repr__"),
    "min_reported_time": 0,
    # the timing tables would load jQuery and DataTables from a CDN; each example's page still
    # says how long it ran
    "write_computation_times": False,
}
os.environ.setdefault("OMP_NUM_THREADS", "1")

# HTML: Furo ships its own CSS, JS and icons and uses the system's fonts; nothing remote.
html_theme = "furo"
html_title = f"neurodl {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False
html_copy_source = False
# Sphinx would load MathJax from a CDN on pages with math: formulas are shown as their source.
html_math_renderer = "plain"
# sphinx-gallery's configuration holds functions, so Sphinx cannot cache it (harmless).
suppress_warnings = ["config.cache"]

# A gallery built at one size is rerun at the other: sphinx-gallery only reruns changed files.
_MODE_FILE = DOCS / "auto_examples" / ".neurodl-docs-mode"
_MODE = "quick" if QUICK else "full"
if not _MODE_FILE.exists() or _MODE_FILE.read_text(encoding="utf-8") != _MODE:
    sphinx_gallery_conf["run_stale_examples"] = True
    _MODE_FILE.parent.mkdir(parents=True, exist_ok=True)
    _MODE_FILE.write_text(_MODE, encoding="utf-8")


def _visit_math(self, node):  # type: ignore[no-untyped-def]
    from html import escape

    self.body.append(f'<code class="math">{escape(node.astext())}</code>')
    raise _skip()


def _visit_math_block(self, node):  # type: ignore[no-untyped-def]
    from html import escape

    self.body.append(f'<pre class="math">{escape(node.astext())}</pre>')
    raise _skip()


def _skip():  # type: ignore[no-untyped-def]
    from docutils import nodes

    return nodes.SkipNode


def setup(app):  # type: ignore[no-untyped-def]
    """Register the offline math renderer (formulas as text, no MathJax)."""
    app.add_html_math_renderer("plain", (_visit_math, None), (_visit_math_block, None))
