"""The result of a whole analysis: numbers, figures and sentences, and how they are saved."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["AnalysisResult", "resolve_seed"]


def resolve_seed(random_state: int | None) -> int:
    """The seed a run uses: ``random_state`` itself, or a fresh one drawn when it is None.

    Analyses record the returned seed in their parameters, so a run without a seed can still be
    repeated exactly.

    Examples
    --------
    >>> resolve_seed(7)
    7
    >>> 0 <= resolve_seed(None) < 2**31
    True
    """
    if random_state is None:
        import secrets

        return secrets.randbelow(2**31)
    if isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer)):
        from neurodl.exceptions import NeurodlTypeError

        raise NeurodlTypeError(
            f"random_state must be an int or None; got {type(random_state).__name__}."
        )
    return int(random_state)


@dataclass
class AnalysisResult:
    """What every ``run_*`` analysis returns.

    Attributes
    ----------
    metrics : dict
        JSON-able numbers (written to ``metrics.json``). Headline numbers follow one scheme:
        ``<name>``, ``<name>_ci_low``, ``<name>_ci_high``, one ``confidence_level`` and
        ``wall_seconds``.
    figures : dict of str to matplotlib Figure
        Figures by file stem (``"psychometric"`` → ``psychometric.png``).
    summary : list of str
        One plain sentence per headline number: what it means and what its bound, ceiling or chance
        level is (used by the HTML page and the terminal summary).
    parameters : dict
        The resolved parameters of the run (for ``manifest.json``).
    title : str
        The analysis, as a heading ("Decoding", "Movement risk", ...).
    descriptions : dict of str to str
        Optional: what a metric means, by metric name (the third column of the HTML table).
    kind : str
        Which analysis made it ("decoding", "encoding", ...): names the figure set that
        :meth:`draw` draws.
    data : dict
        The arrays the figures are drawn from (predictions, curves, maps: not written to
        ``metrics.json``). Kept also when the run was made with ``figures=False``, so the figures
        can be drawn later with :meth:`draw`.

    Examples
    --------
    >>> result = AnalysisResult({"accuracy": 0.9, "accuracy_ci_low": 0.85,
    ...                          "accuracy_ci_high": 0.94, "confidence_level": 0.95},
    ...                         title="Decoding")
    >>> "0.9 [0.85, 0.94]" in result._repr_html_()
    True
    """

    metrics: dict[str, Any] = field(default_factory=dict)
    figures: dict[str, Any] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    title: str = "Analysis"
    descriptions: dict[str, str] = field(default_factory=dict)
    kind: str = ""
    data: dict[str, Any] = field(default_factory=dict, repr=False)

    def draw(self) -> dict[str, Any]:
        """Draw the figures from the result's numbers (``data`` and ``metrics``) and keep them.

        The analyses call this when run with ``figures=True``; a result made with
        ``figures=False`` (on a cluster, say) can be drawn afterwards the same way.

        Returns
        -------
        dict of str to matplotlib Figure
            The figures by file stem, also stored in :attr:`figures`.
        """
        from neurodl.plotting.figures import draw_figures

        self.figures = draw_figures(self)
        return self.figures

    def _section(self, figures: dict[str, Any] | None = None) -> Any:
        from neurodl.report import ReportSection, metric_rows

        return ReportSection(
            self.title,
            rows=metric_rows(self.metrics, self.descriptions),
            figures=dict(self.figures if figures is None else figures),
            notes=list(self.summary),
        )

    def to_html(self, *, subtitle: str = "", figures: dict[str, Any] | None = None) -> str:
        """The result as one self-contained HTML page (numbers, sentences, embedded figures).

        ``figures`` replaces the result's figures, e.g. by PNG data URIs already rendered.
        """
        from neurodl.report import render_report

        section = self._section(figures)
        return render_report([section], title=f"neurodl: {self.title}", subtitle=subtitle)

    def _repr_html_(self) -> str:
        from neurodl.report import render_section

        return render_section(self._section())

    def save(
        self,
        directory: str | Path,
        *,
        command: str | None = None,
        inputs: dict[str, Any] | None = None,
        seed: int | None = None,
        device: str | None = None,
        started: float | None = None,
    ) -> list[str]:
        """Write ``metrics.json``, one PNG per figure, ``report.html`` and ``manifest.json``.

        A new ``directory`` appears only once every file in it is complete; into an existing
        folder each file is replaced atomically, ``manifest.json`` last.

        Parameters
        ----------
        directory : str or Path
            Output folder (created with its parents).
        command : str, optional
            What produced the result, for the manifest (the CLI passes its command name).
        inputs : dict, optional
            What was read (for example ``{"file": path}``), recorded in the manifest.
        seed : int, optional
            The seed; by default ``parameters["random_state"]`` when present.
        device : str, optional
            Torch device used; by default ``parameters["device"]`` when present.
        started : float, optional
            ``time.time()`` at the start of the run, for the manifest's wall time; by default the
            result's ``wall_seconds`` metric is used.

        Returns
        -------
        list of str
            The names of the files written.
        """
        from neurodl.files import (
            atomic_directory,
            atomic_path,
            figure_png,
            write_json,
            write_manifest,
            write_text_atomic,
        )

        if started is None:
            started = time.time() - float(self.metrics.get("wall_seconds") or 0.0)
        if seed is None:
            seed = self.parameters.get("random_state")
        if device is None:
            device = self.parameters.get("device")
        with atomic_directory(Path(directory)) as folder:
            write_json(folder / "metrics.json", self.metrics)
            outputs = ["metrics.json", "report.html", "manifest.json"]
            uris = {}
            for stem, figure in self.figures.items():  # each figure rendered once: file and page
                png = figure_png(figure)
                with atomic_path(folder / f"{stem}.png", suffix=".png") as tmp:
                    tmp.write_bytes(png)
                uris[stem] = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
                outputs.append(f"{stem}.png")
            write_text_atomic(folder / "report.html", self.to_html(figures=uris))
            if self.figures:
                import matplotlib.pyplot as plt

                for figure in self.figures.values():
                    plt.close(figure)
            write_manifest(
                folder,
                command=command or self.title.lower(),
                parameters={**dict(inputs or {}), **self.parameters},
                seed=seed,
                started=started,
                device=device,
                outputs=outputs,
            )
        return outputs
