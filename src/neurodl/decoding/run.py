"""The whole decoding analysis of one recording, as used by ``neurodl decode`` and the demo."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np

from neurodl.data.recording import Recording
from neurodl.decoding._base import check_period
from neurodl.decoding.crossval import cross_validate_decoder, shuffle_control
from neurodl.decoding.curves import log_sizes, neuron_curve, trial_curve
from neurodl.decoding.factory import DECODERS, make_decoder
from neurodl.decoding.threshold import discrimination_threshold
from neurodl.decoding.weights import hidden_unit_tuning, preferred_orientation, sorted_input_weights
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.metrics import chance_median_abs_error, chance_rmse, fraction_correct
from neurodl.results import AnalysisResult

__all__ = ["run_decoding"]

logger = logging.getLogger(__name__)

_TORCH = ("mlp", "curriculum")
_QUICK: dict[str, dict[str, Any]] = {
    "mlp": {"hidden_layer_sizes": (64,), "max_iter": 100, "batch_size": 64},
    "curriculum": {"max_iter": 300},
}


def _decoder_params(
    name: str,
    params: dict[str, Any] | None,
    period: float,
    seed: int,
    device: str,
    quick: bool,
    verbose: int,
) -> dict[str, Any]:
    resolved: dict[str, Any] = {"period": int(period)}
    if name in _TORCH:
        resolved.update(random_state=seed, device=device, verbose=verbose)
        if quick:
            resolved.update(_QUICK[name])
    resolved.update(params or {})
    return resolved


def _bound(recording: Recording, period: float, target: str) -> Any:
    """``cramer_rao_median`` for this recording, or None without usable ground truth."""
    if recording.ground_truth is None or target != "orientation" or period != 360:
        return None
    from neurodl.data.simulate import cramer_rao_median

    return cramer_rao_median


def _figures(
    name: str,
    recording: Recording,
    y: np.ndarray,
    cv: dict[str, Any],
    threshold: dict[str, Any],
    curves: tuple[dict[str, Any] | None, dict[str, Any] | None],
    period: float,
    metrics: dict[str, Any],
) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    from neurodl.plotting import decoding as plots

    figures: dict[str, Any] = {}

    def new(stem: str, size: tuple[float, float]) -> Any:
        fig, ax = plt.subplots(figsize=size)
        figures[stem] = fig
        return ax

    plots.plot_decoded_vs_true(
        y, cv["predictions"], period=period, ax=new("decoded_vs_true", (4.5, 4.2))
    )
    plots.plot_error_vs_orientation(
        y, cv["predictions"], period=period, ax=new("error_vs_orientation", (5, 3.5))
    )
    plots.plot_psychometric(threshold, ax=new("psychometric", (4.5, 3.5)))
    if curves[0] is not None:
        plots.plot_neuron_curve(curves[0], ax=new("error_vs_neurons", (4.5, 3.5)))
    if curves[1] is not None:
        plots.plot_trial_curve(
            curves[1],
            bound=metrics.get("cramer_rao_median_deg"),
            ax=new("error_vs_trials", (4.5, 3.5)),
        )
    fitted = cv["estimators"][0]
    if name in _TORCH:
        plots.plot_loss_curve(
            fitted.loss_curve_, fitted.validation_scores_, ax=new("loss_curve", (5, 3.5))
        )
        centres, tuning = hidden_unit_tuning(fitted, recording.responses, y)
        plots.plot_hidden_tuning(centres, tuning, ax=new("hidden_tuning", (5, 3.5)))
    if name != "bayes":
        if "preferred_orientation" in recording.neurons and period == 360:
            pref = np.mod(np.asarray(recording.neurons["preferred_orientation"], float), period)
        else:
            pref = preferred_orientation(recording.responses, y, period=period)
        weights, order = sorted_input_weights(fitted, pref)
        label = "Von Mises basis function" if name == "linear" else "Hidden unit"
        plots.plot_sorted_weights(
            weights, pref[order], unit_label=label, ax=new("sorted_weights", (5, 4))
        )
    return figures


def run_decoding(
    recording: Recording,
    *,
    decoder: str = "linear",
    decoder_params: dict[str, Any] | None = None,
    target: str = "orientation",
    folds: int = 5,
    period: float = 360,
    seed: int = 0,
    device: str = "cpu",
    quick: bool = False,
    curves: bool = True,
    n_bootstrap: int | None = None,
    n_jobs: int | None = 1,
    verbose: int = 0,
    figures: bool = True,
) -> AnalysisResult:
    """Decode a stimulus angle from a recording: errors, threshold, controls, bound and figures.

    Cross-validates the decoder with leak-free folds (stratified by orientation, grouped by
    condition when stimuli repeat), runs the shuffle control, computes the discrimination threshold
    from the out-of-fold predictions, the error against the number of neurons and, for simulated
    recordings, the Cramér–Rao bound.

    Parameters
    ----------
    recording : Recording
    decoder : {"linear", "bayes", "mlp", "curriculum"}
    decoder_params : dict, optional
        Extra hyper-parameters for the decoder.
    target : str
        Stimulus variable to decode (degrees).
    folds : int
        Cross-validation folds.
    period : {360, 180}
    seed : int
        Seeds folds, shuffles, bootstraps and the torch decoders.
    device : str
        Device of the torch decoders.
    quick : bool
        Smaller networks, fewer epochs, bootstraps and curve points: seconds on small data.
    curves : bool
        Compute the error-vs-neurons and error-vs-training-trials curves (on subsamples of
        neurons and of training trials, each scored on held-out trials).
    n_bootstrap : int, optional
        Bootstrap resamples of the threshold (default 1000, 200 when quick).
    n_jobs : int or None
        Parallel folds / curve points through joblib.
    verbose : int
        1 shows training progress bars on a terminal.
    figures : bool
        Make the figures.

    Returns
    -------
    AnalysisResult
        ``metrics`` (JSON-able), ``figures`` (by file stem), ``summary``, ``parameters``.

    Examples
    --------
    >>> from neurodl.data import simulate_v1
    >>> result = run_decoding(simulate_v1(100, 300, random_state=0), quick=True, figures=False)
    >>> sorted(k for k in result.metrics if k.startswith("threshold_ci"))
    ['threshold_ci_deg', 'threshold_ci_high', 'threshold_ci_level', 'threshold_ci_low']
    """
    started = time.perf_counter()
    if not isinstance(recording, Recording):
        raise NeurodlTypeError(
            f"recording must be a neurodl Recording; got {type(recording).__name__}."
        )
    if decoder not in DECODERS:
        raise NeurodlValueError(f"decoder must be one of {set(DECODERS)}; got {decoder!r}.")
    period_f = check_period(period)
    if target not in recording.stimulus:
        raise NeurodlValueError(
            f"target must be one of the recording's stimulus variables "
            f"{sorted(recording.stimulus)}; got {target!r}."
        )
    y = np.mod(np.asarray(recording.stimulus[target], dtype=np.float64), period_f)
    if recording.n_trials < 2 * folds:
        raise NeurodlValueError(
            f"need at least {2 * folds} trials for {folds}-fold cross-validation; got "
            f"{recording.n_trials}."
        )
    groups = recording.condition_labels()[1] if recording.has_repeats else None
    params = _decoder_params(decoder, decoder_params, period_f, seed, device, quick, verbose)
    estimator = make_decoder(decoder, **params)
    X = recording.responses
    logger.info("decoding %s with %s (%d folds)", target, decoder, folds)
    options: dict[str, Any] = {
        "groups": groups,
        "folds": folds,
        "random_state": seed,
        "n_jobs": n_jobs,
    }
    cv = cross_validate_decoder(estimator, X, y, return_estimators=True, **options)
    shuffled = shuffle_control(estimator, X, y, **options)
    boots = n_bootstrap if n_bootstrap is not None else (200 if quick else 1000)
    threshold = discrimination_threshold(
        cv["predictions"], y, period=period_f, n_bootstrap=boots, random_state=seed
    )
    bound_fn = _bound(recording, period_f, target)
    curve, trials = None, None
    if curves:
        few = quick or decoder in _TORCH
        repeats = 2 if few else 3
        sizes = log_sizes(min(10, recording.n_neurons), recording.n_neurons, 4 if few else 7)
        curve = neuron_curve(
            estimator,
            X,
            y,
            sizes=sizes,
            n_repeats=repeats,
            groups=groups,
            random_state=seed,
            n_jobs=n_jobs,
            bound=None if bound_fn is None else (lambda idx: bound_fn(recording, neurons=idx)),
        )
        n_train = int(0.7 * recording.n_trials)  # below the 75 % training side of any split
        if n_train >= 40:
            trials = trial_curve(
                estimator,
                X,
                y,
                n_repeats=repeats,
                groups=groups,
                random_state=seed,
                n_jobs=n_jobs,
                sizes=log_sizes(20, n_train, 3 if few else 5),
            )
    metrics: dict[str, Any] = {
        "decoder": decoder,
        "decoder_params": estimator.get_params(),
        "target": target,
        "period_deg": period_f,
        "n_neurons": recording.n_neurons,
        "n_trials": recording.n_trials,
        "n_folds": folds,
        "grouped_by_condition": groups is not None,
        "median_abs_error_deg": cv["median_abs_error_deg"],
        "mean_abs_error_deg": cv["mean_abs_error_deg"],
        "rmse_deg": cv["rmse_deg"],
        "fraction_correct_36_bins": fraction_correct(cv["predictions"], y, 36, period_f),
        "fold_median_abs_error_deg": cv["fold_median_abs_error_deg"],
        "fold_rmse_deg": cv["fold_rmse_deg"],
        "fit_time_s": cv["fit_time_s"],
        "threshold_deg": threshold["threshold_deg"],
        "threshold_ci_deg": list(threshold["ci_deg"]),
        "threshold_ci_low": threshold["ci_deg"][0],
        "threshold_ci_high": threshold["ci_deg"][1],
        "threshold_ci_level": threshold["ci_level"],
        "threshold_extrapolated": threshold["extrapolated"],
        "shuffle_median_abs_error_deg": shuffled["median_abs_error_deg"],
        "shuffle_rmse_deg": shuffled["rmse_deg"],
        "chance_median_abs_error_deg": chance_median_abs_error(period_f),
        "chance_rmse_deg": chance_rmse(period_f),
    }
    if bound_fn is not None:
        bound = float(bound_fn(recording))
        metrics["cramer_rao_median_deg"] = bound
        metrics["error_to_bound_ratio"] = cv["median_abs_error_deg"] / bound
    if curve is not None:
        metrics["neuron_curve"] = {
            "n_neurons": curve["n_neurons"],
            "median_abs_error_deg": curve["median_abs_error_deg"],
            "cramer_rao_median_deg": None
            if curve["bound_deg"] is None
            else curve["bound_deg"].mean(1),
        }
    if trials is not None:
        metrics["trial_curve"] = {
            "n_train_trials": trials["n_trials"],
            "median_abs_error_deg": trials["median_abs_error_deg"],
        }
    metrics["wall_time_s"] = round(time.perf_counter() - started, 3)
    result = AnalysisResult(
        metrics=metrics,
        figures=(
            _figures(decoder, recording, y, cv, threshold, (curve, trials), period_f, metrics)
            if figures
            else {}
        ),
        summary=_summary(metrics),
        parameters={
            "decoder": decoder,
            "decoder_params": estimator.get_params(),
            "target": target,
            "folds": folds,
            "period": period_f,
            "seed": seed,
            "device": device,
            "quick": quick,
            "n_bootstrap": boots,
            "n_jobs": n_jobs,
        },
    )
    return result


def _summary(m: dict[str, Any]) -> list[str]:
    lines = [
        f"The {m['decoder']} decoder recovers {m['target']} from {m['n_neurons']} neurons with a "
        f"median absolute error of {m['median_abs_error_deg']:.3g}° ({m['n_folds']}-fold "
        f"cross-validated over {m['n_trials']} trials); a guess would give "
        f"{m['chance_median_abs_error_deg']:.3g}°.",
    ]
    if "cramer_rao_median_deg" in m:
        lines.append(
            f"The best possible (Cramér–Rao) median error for this population is "
            f"{m['cramer_rao_median_deg']:.3g}°, so the decoder is "
            f"{m['error_to_bound_ratio']:.2f} times the bound."
        )
    low, high = m["threshold_ci_deg"]
    lines.append(
        f"Its orientation discrimination threshold (75% correct) is {m['threshold_deg']:.3g}° "
        f"(95% CI {low:.3g}–{high:.3g}°)."
    )
    shuffled, chance = m["shuffle_median_abs_error_deg"], m["chance_median_abs_error_deg"]
    if shuffled >= 0.8 * chance:
        verdict = f"close to the chance level of {chance:.3g}°, as it should be"
    else:
        verdict = f"well below the chance level of {chance:.3g}°: check for leaks between folds"
    lines.append(f"With shuffled labels the error is {shuffled:.3g}°, {verdict}.")
    return lines
