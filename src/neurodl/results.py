"""The result of a whole analysis: numbers, figures and sentences for the CLI and the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["AnalysisResult"]


@dataclass
class AnalysisResult:
    """What ``run_decoding``, ``run_encoding`` and ``run_rsa`` return.

    Attributes
    ----------
    metrics : dict
        JSON-able numbers (written to ``metrics.json``).
    figures : dict of str to matplotlib Figure
        Figures by file stem (``"psychometric"`` → ``psychometric.png``).
    summary : list of str
        One plain sentence per headline number: what it means and what its bound, ceiling or chance
        level is (used by the HTML report and the terminal summary).
    parameters : dict
        The resolved parameters of the run (for ``manifest.json``).
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
