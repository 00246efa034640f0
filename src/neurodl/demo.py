"""The whole analysis on one recording: data, decoding, convolution, encoding and comparison;
then movement risk on simulated infants' keypoints.

:func:`run_demo` is what ``neurodl demo`` calls; it returns the report sections and every number, so
that the CLI only writes files.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurodl.data import Recording, simulate_v1
from neurodl.exceptions import DataValueError
from neurodl.report import ReportSection
from neurodl.results import AnalysisResult

__all__ = ["DemoResult", "make_demo_recording", "run_demo"]

logger = logging.getLogger(__name__)


@dataclass
class DemoResult:
    """Everything the demo produced.

    Attributes
    ----------
    sections : list of ReportSection
        Data, Decoding, Convolution, Encoding, Comparison, Brain-like networks (those that
        apply to the data).
    metrics : dict
        ``{"data": ..., "decoding": ..., "encoding": ..., "rsa": ...,
        "brain_like_networks": ...}``.
    timings : dict of str to float
        Seconds spent in each step.
    skipped : dict of str to str
        Steps that the data did not allow, with the reason.
    """

    sections: list[ReportSection] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


def make_demo_recording(*, quick: bool = False, seed: int = 0) -> Recording:
    """The embedded default: a simulated V1 recording of gratings with a repeated test set."""
    if quick:
        return simulate_v1(
            n_neurons=300, n_trials=900, test_images=30, test_repeats=5, random_state=seed
        )
    return simulate_v1(
        n_neurons=2000, n_trials=5000, test_images=100, test_repeats=10, random_state=seed
    )


def _fmt(value: Any, decimals: int = 3) -> str:
    """A number with a fixed number of decimals (integers as they are; None as n/a)."""
    if value is None:
        return "n/a"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    if not np.isfinite(value):
        return "n/a"
    return f"{value:.1f}" if abs(value) >= 100 else f"{value:.{decimals}f}"


def _with_ci(
    metrics: dict[str, Any], key: str, low: str, high: str, unit: str = "", decimals: int = 3
) -> str:
    text = _fmt(metrics.get(key), decimals) + unit
    if metrics.get(low) is not None and metrics.get(high) is not None:
        text += f" [{_fmt(metrics[low], decimals)}, {_fmt(metrics[high], decimals)}]{unit}"
    return text


def _data_section(recording: Recording) -> tuple[ReportSection, dict[str, Any]]:
    from neurodl.plotting.data import plot_raster, plot_tuning_curves

    summary = recording.summary()
    figures: dict[str, Any] = {}
    rows = [
        ("Trials", str(summary["n_trials"]), "Stimulus presentations in the recording."),
        ("Neurons", str(summary["n_neurons"]), "Recorded (or simulated) cells."),
        (
            "Conditions",
            f"{summary['n_conditions']} (repeats {summary['repeats_min']}–"
            f"{summary['repeats_max']})",
            "Distinct stimuli; repeats of the same image give the noise ceilings below.",
        ),
    ]
    truth = recording.ground_truth
    if "explainable_variance" in recording.neurons:
        ev = recording.neurons["explainable_variance"]
        rows.append(
            (
                "Explainable variance, ground truth (median of all neurons)",
                _fmt(np.median(ev)),
                "Share of a neuron's response variance that the stimulus explains, from the "
                "simulator. Most V1 neurons are weakly driven by any one grating; the Encoding "
                "section estimates the same quantity (FEV) from repeats, for the neurons it "
                "scores.",
            )
        )
    if truth is not None and truth.get("cramer_rao_median_deg") is not None:
        rows.append(
            (
                "Cramér–Rao median error",
                f"{_fmt(truth['cramer_rao_median_deg'], 2)}°",
                "The smallest median decoding error any unbiased decoder can reach on one trial "
                "of this population (from the simulator's Fisher information).",
            )
        )
    if "orientation" in recording.stimulus:
        figures["Responses sorted by preferred orientation"] = plot_raster(recording).figure
        figures["Tuning curves"] = plot_tuning_curves(recording).figure
    section = ReportSection(
        "Data",
        "What was recorded: the population's responses to the stimuli, neuron by neuron.",
        rows,
        figures,
    )
    return section, summary


def _decoding_rows(m: dict[str, Any]) -> list[tuple[str, str, str]]:
    rows = [
        (
            "Median absolute error",
            _with_ci(
                m,
                "median_abs_error_deg",
                "median_abs_error_deg_ci_low",
                "median_abs_error_deg_ci_high",
                "°",
                2,
            ),
            f"Half of the held-out trials are decoded within this many degrees; chance is "
            f"{_fmt(m.get('chance_median_abs_error_deg'), 0)}°.",
        ),
        (
            "Discrimination threshold",
            _with_ci(m, "threshold_deg", "threshold_deg_ci_low", "threshold_deg_ci_high", "°", 2),
            "The orientation difference the decoder tells apart on 75% of trial pairs "
            "(Stringer et al. 2021 found 0.35° in mouse V1).",
        ),
    ]
    if m.get("cramer_rao_median_deg") is not None:
        rows.append(
            (
                "Cramér–Rao median error",
                _fmt(m["cramer_rao_median_deg"], 2) + "°",
                "The bound: no unbiased decoder can do better on average.",
            )
        )
    return rows


def _encoding_rows(m: dict[str, Any]) -> list[tuple[str, str, str]]:
    fitted = m.get("n_neurons_fitted", m.get("n_neurons"))
    recorded = m.get("n_neurons_recorded", m.get("n_neurons"))
    scored = f"{m.get('n_neurons_used')} of the {fitted} fitted neurons"
    if fitted != recorded:
        scored += f" (a random subset of the {recorded} recorded)"
    rows = [
        (
            "FEVE, CNN (mean)",
            _with_ci(m, "feve_mean", "feve_mean_ci_low", "feve_mean_ci_high"),
            f"Fraction of the explainable variance the CNN predicts on held-out images, over the "
            f"{scored} whose FEV exceeds {m.get('fev_threshold', 0.15)}; 1 is the noise ceiling.",
        ),
        (
            "FEVE, linear filter-bank model (mean)",
            _with_ci(m, "linear_feve_mean", "linear_feve_mean_ci_low", "linear_feve_mean_ci_high"),
            "The curriculum's model (fixed filters and a linear readout), the baseline.",
        ),
        (
            "Correlation to the repeat average (CNN)",
            _fmt(m.get("corr_to_average_mean")),
            f"Correlation of prediction and the mean over repeats of each test image; the "
            f"oracle (leave-one-repeat-out) correlation is {_fmt(m.get('oracle_corr_mean'))}.",
        ),
        (
            "FEV, estimated from repeats (mean)",
            _fmt(m.get("fev_mean")),
            "Mean over the fitted neurons of the fraction of variance that repeats of an image "
            "share (the rest is trial-to-trial noise).",
        ),
    ]
    return rows


def _layer_meaning(layer: dict[str, Any], lower: Any, method: str) -> str:
    from neurodl.rsa._report import layer_verdict

    verdict = layer_verdict(layer, lower) or "undefined"
    return f"{method} similarity of this layer's RDM to V1's: {verdict}."


def _rsa_rows(m: dict[str, Any]) -> list[tuple[str, str, str]]:
    lower, upper = m.get("noise_ceiling_lower"), m.get("noise_ceiling_upper")
    ceiling_note = "How similar the true model could be to the data's RDM given its noise."
    if lower is not None and lower <= 0:
        ceiling_note += (
            " The lower bound is not above zero: the data RDM is too noisy for firm conclusions "
            "(more trials or neurons would help)."
        )
    rows = [
        (
            "Task accuracy",
            _fmt(m.get("task_test_accuracy")),
            "Held-out accuracy of the network at telling left from right tilt; chance is 0.5.",
        ),
        ("Noise ceiling", f"lower {_fmt(lower)}, upper {_fmt(upper)}", ceiling_note),
    ]
    method = str(m.get("compare_method", "")).capitalize() or "The"
    for name, layer in (m.get("layers") or {}).items():
        rows.append(
            (
                f"Layer {name}",
                _with_ci(layer, "similarity", "similarity_ci_low", "similarity_ci_high")
                + f", p = {_fmt(layer.get('p_value'))}"
                + (f" ({m['n_permutations']} permutations)" if m.get("n_permutations") else ""),
                _layer_meaning(layer, lower, method),
            )
        )
    return rows


def run_demo(
    recording: Recording | None = None,
    *,
    quick: bool = False,
    seed: int = 0,
    device: str = "cpu",
    on_step: Callable[[str], None] | None = None,
) -> DemoResult:
    """Run the whole analysis on ``recording`` (the simulated V1 default when None).

    Steps the data cannot support (no orientation for decoding and comparison, neither images
    nor orientations for encoding; a recording of gratings without images is encoded on
    gratings rendered from its orientations, see :func:`neurodl.encoding.run_encoding`) are
    skipped and listed in ``skipped``; a recording with none of them is an error.
    With the simulated default, a Movement section scores simulated infants' keypoints.
    """
    from neurodl.decoding import run_decoding
    from neurodl.encoding import run_encoding
    from neurodl.rsa import run_rsa

    result = DemoResult()
    say = on_step or (lambda step: None)

    def timed(name: str, func: Callable[[], Any]) -> Any:
        say(name)
        start = time.perf_counter()
        value = func()
        result.timings[name] = round(time.perf_counter() - start, 2)
        return value

    simulated = recording is None  # the Movement section runs with the simulated demo only
    if recording is None:
        recording = timed("simulate", lambda: make_demo_recording(quick=quick, seed=seed))
    section, summary = timed("data", lambda: _data_section(recording))
    result.sections.append(section.freeze())
    result.metrics["data"] = summary
    has_orientation = "orientation" in recording.stimulus
    has_images = recording.images is not None
    encodable = has_images or has_orientation  # gratings-only: images rendered from orientations

    no_orientation = "the recording has no 'orientation' stimulus variable"

    def analyse(
        key: str,
        step: str,
        title: str,
        intro: str,
        run: Callable[..., AnalysisResult],
        rows: Callable[[dict[str, Any]], list[tuple[str, str, str]]],
    ) -> None:
        done: AnalysisResult = timed(
            step, lambda: run(recording, random_state=seed, device=device, quick=quick)
        )
        result.metrics[key] = done.metrics
        section = ReportSection.from_result(title, intro, done, rows(done.metrics))
        result.sections.append(section.freeze())

    if has_orientation:
        analyse(
            "decoding",
            "decoding",
            "Decoding",
            "How much does the population say about the stimulus? A decoder is trained on "
            "some trials and tested on others (cross-validated, no leakage between repeats).",
            run_decoding,
            _decoding_rows,
        )
    else:
        result.skipped["decoding"] = no_orientation

    if encodable:
        conv = timed("convolution", lambda: _convolution_section(recording))
        result.sections.append(conv.freeze())
        analyse(
            "encoding",
            "encoding",
            "Encoding",
            "What computation turns images into these responses? A CNN with a shared core and "
            "a readout per neuron is fitted on some images and judged on others.",
            run_encoding,
            _encoding_rows,
        )
    else:
        result.skipped["encoding"] = "the recording has no images and no orientations"

    if has_orientation:
        analyse(
            "rsa",
            "comparison",
            "Comparison",
            "Does a network trained to tell left from right tilt represent orientations the "
            "way V1 does? Each layer's dissimilarity matrix is compared with the data's.",
            lambda rec, **kw: run_rsa(rec, n_seeds=1, n_untrained=0, controls=False, **kw),
            _rsa_rows,
        )
        from neurodl.demo_brain import brain_section

        section, brain = timed(
            "brain-like networks", lambda: brain_section(recording, seed=seed, device=device)
        )
        result.sections.append(section.freeze())
        result.metrics["brain_like_networks"] = brain
    else:
        result.skipped["comparison"] = no_orientation

    if len(result.sections) == 1:
        raise DataValueError(
            "the recording supports no analysis: it needs an 'orientation' stimulus variable "
            "(decoding, comparison) or images with 'image_id' (encoding)."
        )
    if simulated:
        section, movement = timed("movement", lambda: _movement_section(seed=seed, quick=quick))
        result.sections.append(section.freeze())
        result.metrics["movement"] = movement
    return result


def _movement_section(*, seed: int, quick: bool) -> tuple[ReportSection, dict[str, Any]]:
    """Movement risk on simulated infants (keypoints -> features -> normative surprise)."""
    from neurodl.pose import simulate_infant_movements
    from neurodl.pose.analysis import run_movement_risk

    poses = simulate_infant_movements(
        40 if quick else 60,
        atypical_fraction=0.3,
        severity=0.6,
        duration=20.0 if quick else 40.0,
        random_state=seed,
    )
    done = run_movement_risk(poses, n_resamples=200 if quick else 1000, random_state=seed)
    m = done.metrics
    rows = [
        (
            "Infants",
            f"{m['n_reference']} reference, {m['n_test']} test",
            "Simulated supine infants; reference infants are scored leave-one-out.",
        ),
        (
            "ROC AUC",
            _with_ci(m, "roc_auc", "roc_auc_ci_low", "roc_auc_ci_high"),
            "P(an atypical infant is more surprising than a typical one); chance 0.5. "
            "Passmore et al. 2024: 0.80 ± 0.08 on real infants.",
        ),
        (
            "Sensitivity at 90 % specificity",
            _with_ci(
                m,
                "sensitivity_at_90_specificity",
                "sensitivity_at_90_specificity_ci_low",
                "sensitivity_at_90_specificity_ci_high",
            ),
            "Atypical infants flagged when 10 % of typical ones are. Groos et al. 2022: 0.71 "
            "at specificity 0.94.",
        ),
    ]
    intro = (
        "Can movement flag infants at risk? Keypoints of simulated infants are turned into the 32 "
        "kinematic features of Chambers et al. (2020) and scored by how surprising they are "
        "under a normative model of typical movers (one Gaussian per feature and age group)."
    )
    section = ReportSection.from_result("Movement", intro, done, rows)
    detection = _detection_part(seed=seed)
    if detection is not None:
        detection_rows, figure, m["detection"] = detection
        section.rows.extend(detection_rows)
        section.figures[
            "Keypoints detected in rendered frames (crosses) and the truth (circles)"
        ] = figure
    return section, m


def _detection_part(*, seed: int) -> tuple[list[tuple[str, str, str]], Any, dict[str, Any]] | None:
    """Keypoints of a few rendered infants found by the detector shipped with neurodl.

    None when the package holds no shipped detector (a source tree without its weights).
    """
    from neurodl.metrics.pose import pose_error_summary
    from neurodl.plotting.pose_video import plot_detections
    from neurodl.pose import simulate_infant_movements
    from neurodl.pose.detection_check import BODY_KEYPOINTS, place_in_frame
    from neurodl.pose.detector import SHIPPED_DETECTOR, load_infant_detector
    from neurodl.pose.render import render_infant_frames
    from neurodl.pose.skeleton import CANONICAL_SKELETON

    if not (SHIPPED_DETECTOR / "config.json").is_file():
        return None
    start = time.perf_counter()
    detector = load_infant_detector()
    rng = np.random.default_rng(seed)
    poses = simulate_infant_movements(
        4, duration=3.0, fps=10.0, nuisance=0.0, random_state=int(rng.integers(2**31))
    )
    frames, truth = [], []
    for pose in poses:
        points = place_in_frame(pose.positions[:, : len(BODY_KEYPOINTS)])
        rendered, _ = render_infant_frames(points, names=BODY_KEYPOINTS, random_state=rng)
        frames.append(rendered)
        truth.append(points)
    images, y_true = np.concatenate(frames), np.concatenate(truth)
    y_pred, _ = detector.predict(images)
    summary = pose_error_summary(y_true, y_pred, BODY_KEYPOINTS)
    first = np.cumsum([0] + [len(f) for f in frames[:-1]])
    figure = plot_detections(
        images[first],
        y_true[first],
        y_pred[first],
        names=BODY_KEYPOINTS,
        skeleton=CANONICAL_SKELETON,
    )
    metrics = {
        "pck": summary["pck"],
        "rmse_px": summary["rmse_px"],
        "median_error_px": summary["median_error_px"],
        "n_frames": len(images),
        "n_infants": len(poses),
        "wall_seconds": time.perf_counter() - start,
    }
    rows = [
        (
            "Keypoint detection, PCK@0.2",
            _fmt(summary["pck"]),
            f"Share of keypoints found within 0.2 torso lengths of the truth in {len(images)} "
            f"rendered frames of {len(poses)} new infants, by the detector shipped with neurodl "
            "(trained from scratch on rendered infants only; train your own on labelled frames "
            "with `neurodl pose train`).",
        ),
        (
            "Keypoint detection, median error",
            f"{summary['median_error_px']:.2f} px",
            f"In {images.shape[2]} x {images.shape[1]} frames (torso about "
            f"{summary['torso_length_px']:.0f} px).",
        ),
    ]
    return rows, figure, metrics


def _convolution_section(recording: Recording) -> ReportSection:
    from neurodl.encoding import compute_filter_responses
    from neurodl.plotting.encoding import plot_activation_grid, plot_filter_bank
    from neurodl.stimuli import filter_bank_names, make_filter_bank, make_grating

    kernel = 7
    bank = make_filter_bank(kernel)
    names = filter_bank_names(4)
    # gratings at the Gabors' own spatial frequency (1 / (2.5 sigma) cycles per pixel)
    cycles = 64 / (2.5 * kernel / 5)
    angles = np.arange(0, 180, 22.5)
    gratings = make_grating(angles, size=(48, 64), spatial_frequency=cycles)
    activations = compute_filter_responses(gratings, bank)
    energy = np.abs(activations).mean(axis=(2, 3))  # (n_stimuli, n_filters), filters unit-norm
    gabor = energy[:, 2:]
    best = np.argmax(gabor, axis=1)
    notes = [
        f"A grating at {a:g}° drives '{names[2 + b]}' most among the Gabors "
        f"(mean |response| {g[b]:.2f}; centre-surround on {e[0]:.2f})."
        for a, b, g, e in zip(angles, best, gabor, energy, strict=True)
    ]
    section = ReportSection(
        "Convolution",
        "The curriculum's filters: centre-surround cells respond to contrast edges of any "
        "orientation, Gabor filters to bars of their own orientation.",
        [],
        {
            f"Filter bank ({kernel} × {kernel})": plot_filter_bank(bank, names=names),
            "Filter responses to gratings": plot_activation_grid(
                gratings, activations, channel_names=names
            ),
        },
        notes,
    )
    return section
