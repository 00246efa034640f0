"""The figures of whole analyses, drawn from a result's numbers (``result.data``, ``metrics``).

The analyses compute; this module draws. :meth:`neurodl.results.AnalysisResult.draw` calls
:func:`draw_figures`, which picks the figure set by the result's ``kind``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt

from neurodl.exceptions import NeurodlValueError
from neurodl.plotting._rsa_figures import rsa_figures
from neurodl.plotting.pose import movement_figures

__all__ = ["decoding_figures", "draw_figures", "encoding_figures", "rsa_figures"]


class _Figures(dict[str, Any]):
    """Figures by file stem; ``new(stem, size)`` adds a figure and returns its Axes."""

    def new(self, stem: str, size: tuple[float, float]) -> Any:
        fig, ax = plt.subplots(figsize=size)
        self[stem] = fig
        return ax


def decoding_figures(data: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures of :func:`neurodl.decoding.run_decoding`, by file stem."""
    from neurodl.plotting import decoding as plots

    figures = _Figures()
    y_true, y_pred, period = data["y_true"], data["y_pred"], data["period"]
    bound = metrics.get("cramer_rao_median_deg")
    plots.plot_decoded_vs_true(
        y_true, y_pred, period=period, ax=figures.new("decoded_vs_true", (4.5, 4.2))
    )
    plots.plot_error_vs_orientation(
        y_true, y_pred, period=period, bound=bound, ax=figures.new("error_vs_orientation", (5, 3.5))
    )
    plots.plot_psychometric(data["threshold"], ax=figures.new("psychometric", (4.5, 3.5)))
    if data.get("neuron_curve") is not None:
        plots.plot_neuron_curve(
            data["neuron_curve"], ax=figures.new("error_vs_neurons", (4.5, 3.5))
        )
    if data.get("trial_curve") is not None:
        plots.plot_trial_curve(
            data["trial_curve"], bound=bound, ax=figures.new("error_vs_trials", (4.5, 3.5))
        )
    if "loss_curve" in data:
        plots.plot_loss_curve(
            data["loss_curve"], data["validation_scores"], ax=figures.new("loss_curve", (5, 3.5))
        )
        centres, tuning = data["hidden_tuning"]
        plots.plot_hidden_tuning(centres, tuning, ax=figures.new("hidden_tuning", (5, 3.5)))
    if "sorted_weights" in data:
        weights, preferred = data["sorted_weights"]
        plots.plot_sorted_weights(
            weights,
            preferred,
            unit_label=data["weights_unit"],
            ax=figures.new("sorted_weights", (5, 4)),
        )
    return dict(figures)


def encoding_figures(data: dict[str, Any], metrics: dict[str, Any]) -> dict[str, Any]:
    """The figures of :func:`neurodl.encoding.run_encoding`, by file stem."""
    from neurodl.plotting import encoding as plots

    figures: dict[str, Any] = {}
    label, best, ids = data["model_label"], data["best_neurons"], data["neuron_ids"]
    if "fev" in data:
        figures["feve_vs_fev"] = plots.plot_feve_vs_fev(
            data["fev"], data["feve"], label=label
        ).figure
        figures["feve_histogram"] = plots.plot_feve_histogram(data["feve_used"]).figure
    figures["predicted_vs_measured"] = plots.plot_predicted_vs_measured(
        data["measured"], data["predicted"], neurons=best, neuron_ids=ids
    )
    tuning = data["tuning"]
    figures["tuning_curves"] = plots.plot_tuning_comparison(
        tuning["grid"],
        tuning["model"],
        tuning.get("measured"),
        measured_orientations=tuning.get("measured_grid"),
        neurons=best,
        measured_label=tuning.get("source", "measured"),
        neuron_ids=ids,
    )
    filters = data["filters"]
    figures["learned_filters"] = plots.plot_filter_bank(
        filters["weights"], names=filters.get("names"), title=filters["title"]
    )
    fields = data["receptive_fields"]
    figures["receptive_fields"] = plots.plot_receptive_fields(
        fields["maps"], titles=fields["titles"], n_cols=len(best), title=fields["title"]
    )
    return figures


_FIGURE_SETS: dict[str, Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]] = {
    "decoding": decoding_figures,
    "encoding": encoding_figures,
    "rsa": rsa_figures,
    "movement_risk": lambda data, metrics: movement_figures(**data, metrics=metrics),
}


def draw_figures(result: Any) -> dict[str, Any]:
    """The figures of an :class:`~neurodl.results.AnalysisResult`, drawn from its numbers."""
    draw = _FIGURE_SETS.get(result.kind)
    if draw is None or not result.data:
        raise NeurodlValueError(
            f"this result (kind {result.kind!r}) carries no figure data to draw from; the "
            f"analyses that do: {', '.join(sorted(_FIGURE_SETS))}."
        )
    return draw(result.data, result.metrics)
