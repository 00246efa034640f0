"""Render the demo report with headless Chromium and check that it is one self-contained page.

Runs ``neurodl demo --quick`` into a fresh directory (or takes ``--report PATH``), checks the HTML
(every expected section present and reachable from the navigation bar, no http/https or ``//``
references, no scripts, stylesheets or fonts fetched from elsewhere, every ``<img>`` a data URI that
decodes as PNG), then screenshots the whole page with headless Chromium and cuts the screenshot into
tiles short enough to look at. Prints a table and where the screenshots are.

Not part of CI: Chromium is only needed here (Debian package ``chromium``). Without it the script
says so and exits 0. Exit status 1 when a check fails.

Usage: python benchmarks/check_report.py [--report PATH] [--out DIR] [--width 1280]
       [--height 14000] [--tile 1400] [--seed S] [--chromium PATH]
"""

from __future__ import annotations

import argparse
import base64
import binascii
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

EXPECTED_SECTIONS = ("data", "decoding", "convolution", "encoding", "comparison")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)
# references that would make the page fetch something from elsewhere
_EXTERNAL = (
    (re.compile(r"https?://", re.I), "an http(s) URL"),
    (re.compile(r"""(?:src|href|action|poster)\s*=\s*["']?\s*//""", re.I), "a '//' reference"),
    (re.compile(r"""url\(\s*["']?\s*(?!data:)""", re.I), "a CSS url() that is not a data URI"),
    (re.compile(r"@import|@font-face", re.I), "a CSS import or font"),
    (re.compile(r"<script\b", re.I), "a script"),
    (re.compile(r"<link\b", re.I), "a <link> element"),
    (re.compile(r"<(?:iframe|object|embed)\b", re.I), "an embedded document"),
)
_IMG = re.compile(r"<img\b[^>]*>", re.I)
_SRC = re.compile(r"""\bsrc\s*=\s*["']([^"']*)["']""", re.I)
_DATA_PNG = re.compile(r"data:image/png;base64,(.*)", re.S)


@dataclass
class PageCheck:
    """What the HTML checks found."""

    sections: list[str] = field(default_factory=list)
    images: list[tuple[int, int]] = field(default_factory=list)  # (width, height) of each PNG
    problems: list[str] = field(default_factory=list)


def check_html(page: str) -> PageCheck:
    """Check that ``page`` is self-contained and has every section, without a browser."""
    check = PageCheck()
    check.sections = re.findall(r'<section\s+id="([^"]+)"', page)
    for name in EXPECTED_SECTIONS:
        if name not in check.sections:
            check.problems.append(f"section '{name}' is missing")
    for target in re.findall(r'href="#([^"]*)"', page):
        if f'id="{target}"' not in page:
            check.problems.append(f"navigation link '#{target}' points at no element")
    for pattern, what in _EXTERNAL:
        for match in pattern.finditer(page):
            snippet = page[max(0, match.start() - 30) : match.end() + 30].replace("\n", " ")
            check.problems.append(f"{what} at character {match.start()}: ...{snippet}...")
    for number, tag in enumerate(_IMG.findall(page), start=1):
        src = _SRC.search(tag)
        if src is None:
            check.problems.append(f"<img> {number} has no src")
            continue
        data = _DATA_PNG.fullmatch(src.group(1))
        if data is None:
            check.problems.append(f"<img> {number} is not a PNG data URI: {src.group(1)[:60]!r}")
            continue
        try:
            raw = base64.b64decode(data.group(1), validate=True)
        except (binascii.Error, ValueError) as err:
            check.problems.append(f"<img> {number} is not valid base64: {err}")
            continue
        if not raw.startswith(PNG_SIGNATURE) or raw[12:16] != b"IHDR":
            check.problems.append(f"<img> {number} does not decode as a PNG")
            continue
        width, height = struct.unpack(">II", raw[16:24])
        check.images.append((int(width), int(height)))
        if "alt=" not in tag:
            check.problems.append(f"<img> {number} has no alt text")
    return check


def find_chromium(explicit: str | None) -> str | None:
    """The Chromium executable: ``explicit`` if given, else the first one on PATH."""
    if explicit:
        return explicit if Path(explicit).exists() or shutil.which(explicit) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def make_demo_report(out: Path, seed: int) -> tuple[Path, float]:
    """Run ``neurodl demo --quick`` into ``out/demo``; return the report path and the seconds."""
    env = dict(os.environ)
    src = Path(__file__).resolve().parents[1] / "src"
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(src), env.get("PYTHONPATH", "")) if p)
    env.setdefault("TQDM_DISABLE", "1")
    command = [sys.executable, "-m", "neurodl", "demo", "-o", str(out / "demo"), "--quick"]
    command += ["--seed", str(seed)]
    start = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"neurodl demo failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return out / "demo" / "report.html", seconds


def screenshot(chromium: str, report: Path, png: Path, width: int, height: int) -> float:
    """Screenshot ``report`` at ``width`` x ``height`` CSS pixels into ``png``; return seconds."""
    with tempfile.TemporaryDirectory(prefix="check-report-profile-") as profile:
        command = [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={profile}"]
        command += [f"--screenshot={png}", f"--window-size={width},{height}"]
        command.append(report.resolve().as_uri())
        start = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)
        seconds = time.perf_counter() - start
    if done.returncode != 0 or not png.exists():
        sys.exit(f"chromium failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def crop_and_tile(png: Path, tile: int) -> tuple[int, bool, list[Path]]:
    """Cut the blank canvas below the page off ``png`` and split it into tiles ``tile`` px tall.

    Returns the page height in pixels, whether the page filled the whole window (so that it may
    have been cut off), and the tile paths.
    """
    import numpy as np
    from PIL import Image

    with Image.open(png) as image:
        pixels = np.asarray(image.convert("RGB"))
    background = pixels[-1, 0]
    rows = np.flatnonzero(np.any(pixels != background, axis=(1, 2)))
    height = int(rows[-1]) + 1 if rows.size else pixels.shape[0]
    filled = height >= pixels.shape[0] - 2
    page = Image.fromarray(pixels[: height + 24])
    page.save(png)
    tiles = []
    for number, top in enumerate(range(0, page.height, tile), start=1):
        path = png.with_name(f"{png.stem}-{number:02d}.png")
        page.crop((0, top, page.width, min(page.height, top + tile))).save(path)
        tiles.append(path)
    return height, filled, tiles


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report", type=Path, help="report.html to check (default: run the demo)")
    parser.add_argument("--out", type=Path, help="where to write screenshots (default: a tmp dir)")
    parser.add_argument("--width", type=int, default=1280, help="window width in CSS pixels")
    parser.add_argument("--height", type=int, default=14000, help="window height to start with")
    parser.add_argument("--tile", type=int, default=1400, help="height of each screenshot tile")
    parser.add_argument("--seed", type=int, default=0, help="seed of the demo run")
    parser.add_argument("--chromium", help="Chromium executable (default: found on PATH)")
    return parser.parse_args()


def main() -> int:
    """Run the checks and print the table; 0 when all pass (or Chromium is missing), else 1."""
    args = _parse()
    chromium = find_chromium(args.chromium)
    if chromium is None:
        tried = [args.chromium] if args.chromium else list(CHROMIUM_NAMES)
        print(
            f"check_report: Chromium not found (tried {', '.join(tried)}); install the Debian "
            "package 'chromium' to run this check. Skipped."
        )
        return 0
    out = args.out or Path(tempfile.mkdtemp(prefix="neurodl-check-report-"))
    out.mkdir(parents=True, exist_ok=True)
    demo_seconds = None
    report = args.report
    if report is None:
        report, demo_seconds = make_demo_report(out, args.seed)
    if not report.is_file():
        sys.exit(f"--report: no file at {report}")
    page = report.read_text(encoding="utf-8")
    check = check_html(page)

    png = out / "report.png"
    window = args.height
    render_seconds = screenshot(chromium, report, png, args.width, window)
    height, filled, tiles = crop_and_tile(png, args.tile)
    if filled:  # the page is taller than the window: once more, tall enough
        window = 2 * window
        render_seconds = screenshot(chromium, report, png, args.width, window)
        height, filled, tiles = crop_and_tile(png, args.tile)
    if filled:
        check.problems.append(f"page taller than {window} px: the screenshot is cut off")

    widest = max((w for w, _ in check.images), default=0)
    rows = [
        ("sections found", f"{len(check.sections)}: " + ", ".join(check.sections)),
        ("images (PNG data URIs)", f"{len(check.images)}, widest {widest} px"),
        ("page size", f"{len(page.encode('utf-8')) / 1e6:.2f} MB"),
        ("page height", f"{height} px at {args.width} px wide"),
        ("render time", f"{render_seconds:.1f} s (Chromium, window {args.width}x{window})"),
    ]
    if demo_seconds is not None:
        rows.append(("demo --quick time", f"{demo_seconds:.1f} s"))
    rows.append(("problems", str(len(check.problems))))
    label_width = max(len(label) for label, _ in rows)
    print(f"{'check':<{label_width}}  result")
    print("-" * (label_width + 50))
    for label, value in rows:
        print(f"{label:<{label_width}}  {value}")
    print("-" * (label_width + 50))
    for problem in check.problems:
        print(f"PROBLEM: {problem}")
    print(f"report:     {report}")
    print(f"screenshot: {png} ({len(tiles)} tiles: {tiles[0].name} ... {tiles[-1].name})")
    return 1 if check.problems else 0


if __name__ == "__main__":
    sys.exit(main())
