"""One self-contained HTML report from analysis results and figures.

Figures are embedded as PNG data URIs; the page has no external links, scripts or fonts, so it opens
from disk in any browser and can be mailed as one file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from neurodl.results import AnalysisResult

__all__ = ["ReportSection", "figure_to_data_uri", "render_report"]

_CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Helvetica,Arial,sans-serif;margin:0;
background:#f6f7f9;color:#1d2330;line-height:1.5}
main{max-width:1100px;margin:0 auto;padding:24px 28px 60px}
h1{font-size:1.9em;margin:0.2em 0}h2{border-bottom:2px solid #d0d5de;padding-bottom:4px;
margin-top:2.2em}
nav a{margin-right:14px;color:#2a5db0;text-decoration:none}
.lede{color:#4a5365}
table{border-collapse:collapse;margin:12px 0;background:#fff;font-size:0.95em}
td,th{border:1px solid #d6dae2;padding:5px 10px;text-align:left;vertical-align:top}
th{background:#eef1f5}td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.figs{display:flex;flex-wrap:wrap;gap:14px}
figure{margin:0;background:#fff;border:1px solid #d6dae2;padding:8px;max-width:520px}
figure img{max-width:100%;height:auto;display:block}
figcaption{font-size:0.85em;color:#4a5365;margin-top:4px}
ul.says li{margin:3px 0}
footer{margin-top:40px;color:#6b7385;font-size:0.85em}
"""


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
    figures : dict of str to matplotlib Figure
        Figures by caption.
    notes : list of str
        Further sentences shown below the table.
    """

    title: str
    intro: str = ""
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

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


def _section_html(section: ReportSection) -> str:
    esc = html.escape
    parts = [f'<section id="{_anchor(section.title)}"><h2>{esc(section.title)}</h2>']
    if section.intro:
        parts.append(f'<p class="lede">{esc(section.intro)}</p>')
    if section.rows:
        parts.append("<table><tr><th>Quantity</th><th>Value</th><th>What it means</th></tr>")
        for name, value, meaning in section.rows:
            parts.append(
                f'<tr><td>{esc(name)}</td><td class="num">{esc(value)}</td>'
                f"<td>{esc(meaning)}</td></tr>"
            )
        parts.append("</table>")
    if section.notes:
        parts.append('<ul class="says">')
        parts.extend(f"<li>{esc(note)}</li>" for note in section.notes)
        parts.append("</ul>")
    if section.figures:
        parts.append('<div class="figs">')
        for caption, fig in section.figures.items():
            uri = figure_to_data_uri(fig)
            parts.append(
                f'<figure><img alt="{esc(caption)}" src="{uri}">'
                f"<figcaption>{esc(caption)}</figcaption></figure>"
            )
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
    nav = " ".join(f'<a href="#{_anchor(s.title)}">{esc(s.title)}</a>' for s in sections)
    body = "\n".join(_section_html(s) for s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{_CSS}</style></head><body><main>"
        f'<h1>{esc(title)}</h1><p class="lede">{esc(subtitle)}</p><nav>{nav}</nav>\n'
        f"{body}\n<footer>Made by neurodl. Every number comes with what it is compared "
        "against: chance, the Cramér–Rao bound or the noise ceiling.</footer>"
        "</main></body></html>\n"
    )
