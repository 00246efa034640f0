"""One self-contained HTML report from analysis results and figures.

Figures are embedded as PNG data URIs; the page has no external links, scripts or fonts, so it opens
from disk in any browser and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import io
import re
import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from neurodl.results import AnalysisResult

__all__ = [
    "ReportSection",
    "figure_to_data_uri",
    "format_estimate",
    "metric_rows",
    "render_report",
    "render_section",
]

# Layout: a sticky navigation bar, full-width tables with numbers that never wrap, figures at
# their natural size (never enlarged, shrunk only to fit the page) and top-aligned in rows. A figure
# shrunk to fit links to itself: its :target state shows it at full size in a scrolling box.
_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;
background:#f6f7f9;color:#1d2330;line-height:1.5}
main{max-width:1180px;margin:0 auto;padding:16px 28px 60px}
h1{font-size:1.9em;margin:0.2em 0}
h2{border-bottom:2px solid #d0d5de;padding-bottom:4px;margin-top:1.8em}
section,figure{scroll-margin-top:56px}
nav{position:sticky;top:0;z-index:2;background:#f6f7f9;border-bottom:1px solid #d0d5de;
padding:8px 0;margin:0 0 4px}
nav a{margin-right:18px;color:#2a5db0;text-decoration:none;font-weight:600}
nav a:hover{text-decoration:underline}
.lede{color:#4a5365;margin:0.4em 0}
.tbl{overflow-x:auto}
table{border-collapse:collapse;margin:12px 0;background:#fff;font-size:0.95em;width:100%}
td,th{border:1px solid #d6dae2;padding:5px 10px;text-align:left;vertical-align:top}
th{background:#eef1f5}
td.name{min-width:11em;font-weight:600}
td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
ul.says{padding-left:1.3em}ul.says li{margin:3px 0}
.figs{display:flex;flex-wrap:wrap;gap:14px;align-items:flex-start;margin-top:12px}
figure{margin:0;background:#fff;border:1px solid #d6dae2;padding:8px;max-width:100%;
box-sizing:border-box}
figure img{max-width:100%;height:auto;display:block}
figure a{cursor:zoom-in}
figure:target{overflow-x:auto}
figure:target img{max-width:none}
figure:target a{cursor:default}
figure .fit,figure:target .big{display:none}
figure:target .fit{display:inline}
figcaption{font-size:0.88em;color:#4a5365;margin-top:4px;max-width:60em}
figcaption a{cursor:pointer;color:#2a5db0}
footer{margin-top:40px;color:#6b7385;font-size:0.85em}
"""

# a figure shrunk below this share of its natural width gets a link to its full size
_ZOOM_BELOW = 0.95
# the widest an image is shown: <main>'s max-width less its padding, the figure's padding and border
_CONTENT_PX = 1180 - 2 * 28 - 2 * 8 - 2 * 1
_ACRONYMS = {"cnn": "CNN", "fev": "FEV", "feve": "FEVE", "pca": "PCA", "rdm": "RDM", "rdms": "RDMs"}
_MINUS = re.compile(r"(?<![\w.])-(?=\.?\d)")


@dataclass
class ReportSection:
    """One section of the report.

    Attributes
    ----------
    title : str
        Heading, also the anchor in the navigation bar.
    intro : str
        One or two sentences saying what question the section answers.
    rows : list of (quantity, value, meaning)
        The table of numbers: a name, the formatted value (with its confidence interval), and one
        plain sentence saying what it means and what its bound, ceiling or chance level is.
    figures : dict of str to matplotlib Figure or str
        Figures by caption; a string is an already rendered PNG data URI (see :meth:`freeze`).
    notes : list of str
        Further sentences shown below the table.
    """

    title: str
    intro: str = ""
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def freeze(self) -> ReportSection:
        """Render every figure to a PNG data URI now and close it, freeing its memory."""
        import matplotlib.pyplot as plt

        for caption, fig in list(self.figures.items()):
            if not isinstance(fig, str):
                self.figures[caption] = figure_to_data_uri(fig)
                plt.close(fig)
        return self

    @classmethod
    def from_result(
        cls, title: str, intro: str, result: AnalysisResult, rows: list[tuple[str, str, str]]
    ) -> ReportSection:
        """A section showing ``result``'s figures and summary sentences beside ``rows``."""
        return cls(title, intro, rows, dict(result.figures), list(result.summary))


def figure_to_data_uri(fig: Any, *, dpi: int = 90) -> str:
    """Render a matplotlib figure to a ``data:image/png;base64,...`` URI."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _anchor(title: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in title.lower()).strip("-")


def _caption(key: str) -> str:
    """A readable caption: a file stem such as ``"feve_vs_fev"`` becomes ``"FEVE vs. FEV"``."""
    if not re.fullmatch(r"[a-z0-9_]+", key):
        return key
    words = [_ACRONYMS.get(w, "vs." if w == "vs" else w) for w in key.split("_") if w]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _number_text(text: str) -> str:
    """Escape ``text`` for HTML and write minus signs as U+2212 (a hyphen reads as a dash)."""
    return html.escape(_MINUS.sub("\u2212", text))


def _png_width(uri: str) -> int:
    """Width in pixels of a PNG data URI (from its IHDR chunk)."""
    head = base64.b64decode(uri.split(",", 1)[1][:32])
    return int(struct.unpack(">I", head[16:20])[0])


def _figure_html(section_id: str, number: int, caption: str, fig: Any) -> str:
    esc = html.escape
    uri = fig if isinstance(fig, str) else figure_to_data_uri(fig)
    width = _png_width(uri)
    text = _caption(caption)
    img = f'<img alt="{esc(text)}" width="{width}" src="{uri}">'
    if width * _ZOOM_BELOW <= _CONTENT_PX:
        return f"<figure>{img}<figcaption>{esc(text)}</figcaption></figure>"
    fig_id = f"{section_id}-fig{number}"
    return (
        f'<figure id="{fig_id}"><span id="{fig_id}-fit"></span>'
        f'<a href="#{fig_id}" title="Show at full size">{img}</a>'
        f'<figcaption>{esc(text)} <span class="big">(shrunk to fit the page: click it for full '
        'size)</span><span class="fit">(full size: scroll sideways, or '
        f'<a href="#{fig_id}-fit">fit it to the page</a>)</span></figcaption></figure>'
    )


def format_estimate(metrics: Mapping[str, Any], name: str) -> str:
    """``metrics[name]`` with its interval, e.g. ``"0.842 [0.81, 0.86]"`` (4 significant digits).

    Examples
    --------
    >>> format_estimate({"auc": 0.91234, "auc_ci_low": 0.85, "auc_ci_high": 0.96}, "auc")
    '0.9123 [0.85, 0.96]'
    """
    value = metrics[name]
    text = f"{value:.4g}" if isinstance(value, float) else str(value)
    low, high = metrics.get(f"{name}_ci_low"), metrics.get(f"{name}_ci_high")
    if isinstance(low, (int, float)) and isinstance(high, (int, float)):
        text += f" [{low:.4g}, {high:.4g}]"
    return text


def metric_rows(
    metrics: Mapping[str, Any], descriptions: Mapping[str, str] | None = None
) -> list[tuple[str, str, str]]:
    """Table rows (quantity, value with interval, meaning) for the scalar metrics of a result.

    Interval bounds (``*_ci_low``, ``*_ci_high``) are shown beside their estimate, not as rows of
    their own; nested sections and lists are left to the analysis's own figures and notes.
    """
    descriptions = descriptions or {}
    level = metrics.get("confidence_level")
    rows = []
    for name, value in metrics.items():
        scalar = isinstance(value, (int, float, str)) and not isinstance(value, bool)
        if not scalar or name.endswith(("_ci_low", "_ci_high")) or name == "confidence_level":
            continue
        meaning = descriptions.get(name, "")
        if f"{name}_ci_low" in metrics and isinstance(level, (int, float)):
            meaning = f"{meaning} [{level:.0%} confidence interval]".strip()
        rows.append((_caption(name), format_estimate(metrics, name), meaning))
    return rows


def render_section(section: ReportSection) -> str:
    """One section as an HTML fragment (for notebooks: ``AnalysisResult._repr_html_``)."""
    return f'<div class="neurodl-result">{_section_html(section)}</div>'


def _section_html(section: ReportSection) -> str:
    esc = html.escape
    section_id = _anchor(section.title)
    parts = [f'<section id="{section_id}"><h2>{esc(section.title)}</h2>']
    if section.intro:
        parts.append(f'<p class="lede">{esc(section.intro)}</p>')
    if section.rows:
        parts.append('<div class="tbl"><table>')
        parts.append("<tr><th>Quantity</th><th>Value</th><th>What it means</th></tr>")
        for name, value, meaning in section.rows:
            parts.append(
                f'<tr><td class="name">{esc(name)}</td><td class="num">{_number_text(value)}</td>'
                f"<td>{_number_text(meaning)}</td></tr>"
            )
        parts.append("</table></div>")
    if section.notes:
        parts.append('<ul class="says">')
        parts.extend(f"<li>{_number_text(note)}</li>" for note in section.notes)
        parts.append("</ul>")
    if section.figures:
        parts.append('<div class="figs">')
        for number, (caption, fig) in enumerate(section.figures.items(), start=1):
            parts.append(_figure_html(section_id, number, caption, fig))
        parts.append("</div>")
    parts.append("</section>")
    return "\n".join(parts)


def render_report(
    sections: Sequence[ReportSection], *, title: str = "neurodl report", subtitle: str = ""
) -> str:
    """Render sections into one self-contained HTML page and return it as a string.

    Examples
    --------
    >>> page = render_report([ReportSection("Data", "What was recorded.")])
    >>> page.startswith("<!DOCTYPE html>") and 'id="data"' in page
    True
    """
    esc = html.escape
    links = [f'<a href="#{_anchor(s.title)}">{esc(s.title)}</a>' for s in sections]
    nav = " ".join([*links, '<a href="#top">Top</a>'])
    lede = f'<p class="lede">{esc(subtitle)}</p>' if subtitle else ""
    body = "\n".join(_section_html(s) for s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1 id="top">{esc(title)}</h1>{lede}<nav>{nav}</nav>\n'
        f"{body}\n<footer>Made by neurodl. Every number comes with what it is compared "
        "against: chance, the Cramér–Rao bound or the noise ceiling.</footer>"
        "</main></body></html>\n"
    )
