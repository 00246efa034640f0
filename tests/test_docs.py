"""The documentation: every public name has a reference page; the built site works offline.

The site tests read ``docs/_build/html`` (``make docs`` or ``make docs-quick``). Without a built
site they skip, unless ``NEURODL_REQUIRE_DOCS=1`` (``make test`` builds the site first and sets
it), when a missing site fails. The browser test runs when Debian's ``chromium`` is installed.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import shutil
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SITE = DOCS / "_build" / "html"
sys.path.insert(0, str(DOCS))
api = importlib.import_module("_api")


def test_every_public_name_has_a_reference_entry():
    homes = api.canonical_homes()
    missing = []
    for module_name in api.public_modules():
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if not api._kind(obj) == "module" and id(obj) not in homes:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"public names without a reference page (see docs/_api.py): {missing}"


def test_reference_pages_list_each_module_once(tmp_path):
    written = api.write_pages(tmp_path)
    assert [p.stem for p in written] == [m for m, _ in api.pages()]
    assert [m for m, _ in api.MODULES] == [m for m, _ in api.pages() if m in dict(api.MODULES)]
    text = (tmp_path / "neurodl.decoding.rst").read_text()
    assert "   run_decoding" in text and ":toctree: generated/" in text
    top = (tmp_path / "neurodl.rst").read_text()
    assert ":py:func:`neurodl.decoding.run_decoding`" in top  # a re-export links to its home


@pytest.fixture(scope="module")
def site() -> Path:
    if not (SITE / "index.html").exists():
        if os.environ.get("NEURODL_REQUIRE_DOCS") == "1":
            pytest.fail(f"no built site at {SITE}: run `make docs-quick` first")
        pytest.skip("no built documentation (make docs-quick)")
    return SITE


class _Refs(HTMLParser):
    """Collect every URL a page loads (scripts, styles, images, frames) and every link."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in ("script", "img", "iframe", "source", "video", "audio", "embed") and a.get("src"):
            self.loads.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel", "") not in ("canonical",):
            self.loads.append(a["href"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("srcset"):
            self.loads += [part.split()[0] for part in a["srcset"].split(",") if part.strip()]


def _pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def _local(url: str) -> bool:
    return not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", url) or url.startswith("data:")


def test_site_has_every_section(site):
    for page in (
        "index.html",
        "guide/concepts.html",
        "guide/cli.html",
        "guide/data.html",
        "guide/scale.html",
        "guide/reproducibility.html",
        "auto_examples/index.html",
        "api/index.html",
        "api/generated/neurodl.decoding.run_decoding.html",
        "api/generated/neurodl.data.Recording.html",
    ):
        assert (site / page).exists(), page
    examples = sorted((DOCS / "gallery").rglob("plot_*.py"))
    assert len(examples) >= 12
    for example in examples:
        rel = example.relative_to(DOCS / "gallery").with_suffix(".html")
        html = (site / "auto_examples" / rel).read_text(encoding="utf-8")
        assert "sphx-glr-script-out" in html or "sphx-glr-single-img" in html, rel


def test_every_homepage_name_has_a_page(site):
    homes = api.canonical_homes()
    missing = [n for n in homes.values() if not (site / "api/generated" / f"{n}.html").exists()]
    assert not missing, missing


def test_no_page_loads_anything_from_outside(site):
    """Every script, style, image and font is a file of the site: it works offline."""
    outside = []
    for page in _pages(site):
        text = page.read_text(encoding="utf-8")
        refs = _Refs()
        refs.feed(text)
        outside += [f"{page.relative_to(site)}: {u}" for u in refs.loads if not _local(u)]
        outside += [
            f"{page.relative_to(site)}: @import/url {u}"
            for u in re.findall(r"url\(['\"]?(https?:[^'\")]+)", text)
        ]
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8", errors="replace")
        for pattern in (r"url\(['\"]?(https?:[^'\")]+)", r"@import\s+['\"]?(https?:[^'\";]+)"):
            outside += [f"{css.name}: {u}" for u in re.findall(pattern, text)]
    assert not outside, outside[:20]


def test_local_links_and_images_resolve(site):
    broken = []
    for page in _pages(site):
        refs = _Refs()
        refs.feed(page.read_text(encoding="utf-8"))
        for url in refs.loads + refs.links:
            if not _local(url) or url.startswith(("data:", "#")):
                continue
            target = url.split("#")[0].split("?")[0]
            if target and not (page.parent / target).resolve().exists():
                broken.append(f"{page.relative_to(site)} -> {url}")
    assert not broken, broken[:20]


def test_gallery_embeds_its_figures(site):
    images = list((site / "_images").glob("sphx_glr_plot_*.png"))
    assert len(images) >= 12
    assert all(p.stat().st_size > 1000 for p in images)
    html = (site / "auto_examples/day/plot_02_decoders.html").read_text(encoding="utf-8")
    assert re.search(r'<img [^>]*src="[^"]*sphx_glr_plot_02_decoders_001\.png"', html)
    # the reference links back to the examples that use a name (sphinx-gallery backreferences)
    ref = (site / "api/generated/neurodl.decoding.LinearDecoder.html").read_text(encoding="utf-8")
    assert "plot_02_decoders.html" in ref


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

# A page that opens a page of the site in a frame, waits until it has loaded, and writes what it
# loaded (every resource the browser fetched, every image and whether it decoded) into its body.
_PROBE = """<!doctype html><html><body><iframe id="f" src="%s" width="1200" height="900"></iframe>
<script>
function report(out) {
  var pre = document.createElement("pre");
  pre.id = "probe"; pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}
document.getElementById("f").onload = function () {
  var d = document.getElementById("f").contentWindow.document;
  var out = {title: d.title, text: d.body.innerText.length, styles: d.styleSheets.length,
             images: []};
  var srcs = Array.from(d.images).map(function (i) { return i.src; });
  if (!srcs.length) { report(out); return; }
  srcs.forEach(function (src) {  // load each image (lazy ones too) and check that it decodes
    var img = new Image();
    img.onload = img.onerror = function () {
      out.images.push([src, img.naturalWidth > 0]);
      if (out.images.length === srcs.length) report(out);
    };
    img.src = src;
  });
};
</script></body></html>"""


def _page_requests(netlog: Path) -> list[str]:
    """URLs of the network requests a page started (the browser's own have no origin)."""
    log = json.loads(netlog.read_text(encoding="utf-8"))
    start = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        e["params"]["url"]
        for e in log["events"]
        if e["type"] == start
        and "url" in e.get("params", {})
        and e["params"].get("initiator") != "not an origin"
    ]


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed")
@pytest.mark.parametrize(
    "page",
    [
        "index.html",
        "guide/data.html",
        "auto_examples/day/plot_03_threshold_bound.html",
        "api/generated/neurodl.decoding.LinearDecoder.html",
    ],
)
def test_pages_render_in_headless_chromium(site, page, tmp_path):
    """Headless Chromium renders the page offline: styles apply, images decode, and the page asks
    for nothing over the network (Chromium's net log records every network request; file
    reads are not network requests)."""
    probe = tmp_path / "probe.html"
    probe.write_text(_PROBE % (site / page).as_uri(), encoding="utf-8")
    result = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--allow-file-access-from-files",
            f"--user-data-dir={tmp_path / 'profile'}",
            # no host name resolves and no proxy answers: a request that tried to leave fails
            # (Chromium's own update and account checks fail here too, before any DNS lookup)
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--disable-background-networking",
            "--disable-component-update",
            f"--log-net-log={tmp_path / 'netlog.json'}",
            "--virtual-time-budget=10000",
            "--dump-dom",
            probe.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = re.search(r'<pre id="probe">(.*?)</pre>', result.stdout, re.S)
    assert found, result.stdout[-2000:]
    loaded = json.loads(unescape(found.group(1)))
    assert "neurodl" in loaded["title"] and loaded["text"] > 200
    assert loaded["styles"] >= 2, "the theme's style sheets did not load"
    assert _page_requests(tmp_path / "netlog.json") == []
    assert all(ok for _, ok in loaded["images"]), loaded["images"]
    if "auto_examples" in page:
        assert len(loaded["images"]) >= 5  # the result's figures
