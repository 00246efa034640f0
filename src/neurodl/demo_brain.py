"""The demo's "Brain-like networks" section: several networks against V1, with the controls.

Called by :func:`neurodl.demo.run_demo`; kept apart so that the demo module stays readable.
"""

from __future__ import annotations

from typing import Any

from neurodl.data import Recording
from neurodl.report import ReportSection

__all__ = ["BRAIN_MODELS", "brain_section"]

#: The networks the demo compares: the curriculum's CNN, its Dale's-law, feedback-alignment
#: and recurrent variants.
BRAIN_MODELS = ("tilt-cnn", "tilt-dale", "tilt-fa", "tilt-rcnn")

#: Quick settings of the section (the whole demo stays within its time budget): fewer seeds,
#: twins, resamples and halvings than ``run_rsa``'s defaults.
DEMO_SETTINGS: dict[str, Any] = {
    "n_seeds": 2,
    "n_untrained": 2,
    "n_resamples": 200,
    "n_permutations": 200,
    "n_layer_splits": 4,
    "quick": True,
}

#: Trials the section uses at most (a seeded random subset): its cost grows with the number of
#: distinct images, which every network of every seed and initialisation sees.
MAX_TRIALS = 600

INTRO = (
    "Is a more brain-like network (Dale's law, feedback alignment instead of backpropagation, "
    "recurrence) more like V1 than the standard CNN? Each network is trained on the tilt task "
    "with {n_seeds} seeds (quick training; run_rsa uses 3 by default), shown beside its untrained "
    "twin ({n_untrained} random initialisations), a pixel baseline and a Gabor energy model. "
    "The best layer is chosen on half of the orientation conditions and scored on the other "
    "half, and differences between networks are tested against the spread over seeds."
    "{subset}"
)


def _fmt(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3f}"


def _held(entry: dict[str, Any]) -> str:
    text = (
        f"{_fmt(entry['held_out_similarity'])} [{_fmt(entry['held_out_similarity_ci_low'])}, "
        f"{_fmt(entry['held_out_similarity_ci_high'])}]"
    )
    sd = entry["held_out_per_instance"]["sd"]
    return text + (f", sd {sd:.3f}" if sd is not None else "")


def _model_rows(name: str, entry: dict[str, Any]) -> list[tuple[str, str, str]]:
    acc = entry["task_accuracy"]
    twin = entry.get("untrained")
    rows = [
        (
            f"{name}: held-out similarity",
            _held(entry),
            f"Layer chosen on half of the conditions ({entry['chosen_layer']}, in "
            f"{entry['chosen_layer_fraction']:.0%} of the halvings), scored on the other half; "
            f"mean over {entry['n_instances']} seeds with its 95% interval. The naive maximum "
            f"over layers, {_fmt(entry['naive_best_similarity'])}, is biased upwards.",
        )
    ]
    if acc is not None:
        values = ", ".join(_fmt(v) for v in acc["values"])
        rows.append(
            (
                f"{name}: task accuracy",
                _fmt(acc["mean"]),
                f"Held-out tilt accuracy per seed: {values}.",
            )
        )
    if twin is not None:
        diff = entry["differences"]["untrained"]
        rows.append(
            (
                f"{name}: untrained twin",
                _held(twin),
                f"Same architecture, random weights ({twin['n_instances']} initialisations). "
                f"Trained minus untrained {diff['difference']:+.3f}, p = {diff['p_value']:.2g}.",
            )
        )
    return rows


def brain_section(
    recording: Recording, *, seed: int, device: str = "cpu"
) -> tuple[ReportSection, dict[str, Any]]:
    """Run the comparison of :data:`BRAIN_MODELS` with quick settings; the section and metrics."""
    import numpy as np

    from neurodl.rsa import run_rsa

    subset = ""
    if recording.n_trials > MAX_TRIALS:
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(recording.n_trials, MAX_TRIALS, replace=False))
        subset = f" (On a random {MAX_TRIALS:,} of the {recording.n_trials:,} trials, for time.)"
        recording = recording.select(keep)
    done = run_rsa(
        recording,
        model=list(BRAIN_MODELS),
        random_state=seed,
        device=device,
        recovery=True,
        **DEMO_SETTINGS,
    )
    m = done.metrics
    rows: list[tuple[str, str, str]] = [
        (
            "Noise ceiling of a half",
            f"lower {_fmt(m['held_out_noise_ceiling_lower'])}, upper "
            f"{_fmt(m['held_out_noise_ceiling_upper'])}",
            "The best any model could score on half of the conditions, given the data's noise.",
        )
    ]
    for name, entry in m["models"].items():
        rows += _model_rows(name, entry)
    labels = {"pixels": "the images' pixels", "energy": "Gabor energy model of V1 complex cells"}
    for name, entry in m["controls"].items():
        rows.append((f"Control: {name}", _held(entry), f"Held-out similarity of {labels[name]}."))
    figures = {
        "Similarity by layer, trained and untrained, with the controls": done.figures[
            "model_similarity"
        ]
    }
    if "recovery_confusion" in done.figures:
        figures["Model recovery: which model the comparison picks"] = done.figures[
            "recovery_confusion"
        ]
    notes = [
        s
        for s in done.summary
        if s.startswith(("No model", "Model recovery")) or " scores above " in s
    ]
    section = ReportSection(
        "Brain-like networks",
        INTRO.format(**DEMO_SETTINGS, subset=subset),
        rows,
        figures,
        notes,
    )
    metrics: dict[str, Any] = {
        key: m[key] for key in ("models", "controls", "model_recovery") if key in m
    }
    metrics["settings"] = {**DEMO_SETTINGS, "n_trials": recording.n_trials}
    return section, metrics
