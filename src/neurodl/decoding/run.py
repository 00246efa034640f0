"""The whole decoding analysis of one recording, as used by ``neurodl decode`` and the demo."""

from __future__ import annotations

import logging
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sklearn.base import clone

from neurodl.data.recording import Recording
from neurodl.decoding._base import check_period
from neurodl.decoding._report import TORCH_DECODERS, figure_data, summary_sentences
from neurodl.decoding.crossval import cross_validate_decoder, make_folds, shuffle_control
from neurodl.decoding.curves import log_sizes, neuron_curve, trial_curve
from neurodl.decoding.factory import DECODERS, make_decoder
from neurodl.decoding.linear import LinearDecoder
from neurodl.decoding.threshold import discrimination_threshold
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError, check_option
from neurodl.metrics import (
    chance_median_abs_error,
    chance_rmse,
    fraction_correct,
    median_abs_error_ci,
)
from neurodl.results import AnalysisResult, resolve_seed

__all__ = ["run_decoding"]

logger = logging.getLogger(__name__)

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
    if name in TORCH_DECODERS:
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


def _control_decoder(estimator: Any, fitted: list[Any]) -> Any:
    """The decoder of the shuffle control.

    The linear decoder keeps the penalty and bump width chosen on the real labels (the median
    over folds) rather than searching again: one solve per fold. Others are refitted as they are.
    """
    if not isinstance(estimator, LinearDecoder):
        return estimator
    kappa = float(np.median([f.kappa_ for f in fitted]))
    alpha = float(np.exp(np.median(np.log([f.alpha_ for f in fitted]))))
    return clone(estimator).set_params(kappa=kappa, alphas=[alpha])


def _curves(
    estimator: Any,
    X: np.ndarray,
    y: np.ndarray,
    cv: dict[str, Any],
    *,
    few: bool,
    seed: int,
    n_jobs: int | None,
    bound: Any,
    full_bound: float | None,
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """Error against neurons and training trials on the first cross-validation folds.

    The largest point of each curve (all neurons, the whole training fold) is the
    cross-validation fit itself, so it is read from ``cv`` rather than fitted again.
    """
    splits = cv["splits"][: min(2 if few else 3, len(cv["splits"]))]
    top = np.array([np.median(cv["errors"][test]) for _, test in splits])
    options: dict[str, Any] = {"splits": splits, "random_state": seed, "n_jobs": n_jobs}
    p = X.shape[1]
    sizes = log_sizes(min(10, p), p, 4 if few else 7)
    neurons: dict[str, Any] = {"n_neurons": np.array([p])}
    neurons["errors"] = top[None, :]
    neurons["bound_deg"] = None if full_bound is None else np.full((1, top.size), full_bound)
    if sizes.size > 1:
        sub = neuron_curve(estimator, X, y, sizes=sizes[:-1], bound=bound, **options)
        neurons["n_neurons"] = np.append(sub["n_neurons"], p)
        neurons["errors"] = np.vstack([sub["errors"], top])
        if neurons["bound_deg"] is not None:
            neurons["bound_deg"] = np.vstack([sub["bound_deg"], neurons["bound_deg"]])
    neurons["median_abs_error_deg"] = neurons["errors"].mean(1)
    n_train = min(train.size for train, _ in splits)
    if n_train < 40:
        return neurons, None
    sizes = log_sizes(20, n_train, 3 if few else 5)[:-1]
    sub = trial_curve(estimator, X, y, sizes=sizes, **options)
    mean_train = int(np.rint(np.mean([train.size for train, _ in splits])))
    errors = np.vstack([sub["errors"], top])
    trials = {"n_trials": np.append(sub["n_trials"], mean_train), "errors": errors}
    trials["median_abs_error_deg"] = errors.mean(1)
    return neurons, trials


def run_decoding(
    recording: Recording,
    *,
    decoder: str = "linear",
    decoder_params: dict[str, Any] | None = None,
    target: str = "orientation",
    folds: int = 5,
    period: float = 360,
    device: str = "cpu",
    quick: bool = False,
    curves: bool = True,
    n_resamples: int | None = None,
    confidence_level: float = 0.95,
    n_jobs: int | None = None,
    random_state: int | None = None,
    figures: bool = True,
    verbose: int = 0,
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
    device : str
        Device of the torch decoders.
    quick : bool
        Smaller networks, fewer epochs, bootstraps and curve points: seconds on small data.
    curves : bool
        Compute the error-vs-neurons and error-vs-training-trials curves (on subsamples of
        neurons and of training trials, each scored on held-out trials).
    n_resamples : int, optional
        Bootstrap resamples of the error's and the threshold's intervals (default 1000, 200
        when quick).
    confidence_level : float
        Level of every confidence interval, in (0, 1).
    n_jobs : int or None
        Parallel folds / curve points through joblib (None: one).
    random_state : int or None
        Seeds folds, shuffles, bootstraps and the torch decoders. None draws a fresh seed, which
        is recorded in ``parameters["random_state"]`` so that the run can be repeated.
    figures : bool
        Draw the figures (False imports no matplotlib; ``result.draw()`` draws them later
        from ``result.data``).
    verbose : int
        0 quiet; 1 or 2 show training progress bars on a terminal.

    Returns
    -------
    AnalysisResult
        ``metrics`` (JSON-able), ``figures`` (by file stem), ``summary``, ``parameters``.

    Examples
    --------
    >>> from neurodl.data import simulate_v1
    >>> result = run_decoding(simulate_v1(100, 300, random_state=0), quick=True, figures=False)
    >>> sorted(k for k in result.metrics if k.startswith("threshold_deg"))
    ['threshold_deg', 'threshold_deg_ci_high', 'threshold_deg_ci_low']
    """
    started = time.perf_counter()
    y, period_f, seed = _check_inputs(
        recording, decoder, target, folds, period, confidence_level, random_state
    )
    groups = recording.condition_labels()[1] if recording.has_repeats else None
    params = _decoder_params(decoder, decoder_params, period_f, seed, device, quick, verbose)
    estimator = make_decoder(decoder, **params)
    X = recording.responses
    logger.info("decoding %s with %s (%d folds)", target, decoder, folds)
    splits = make_folds(y, groups=groups, folds=folds, period=period_f, random_state=seed)
    options: dict[str, Any] = {
        "groups": groups,
        "splits": splits,
        "random_state": seed,
        "n_jobs": n_jobs,
    }
    cv = cross_validate_decoder(estimator, X, y, return_estimators=True, **options)
    shuffled = shuffle_control(_control_decoder(estimator, cv["estimators"]), X, y, **options)
    boots = n_resamples if n_resamples is not None else (200 if quick else 1000)
    threshold, error_ci = _intervals(
        cv["predictions"], y, groups, period_f, boots, confidence_level, seed
    )
    bound_fn = _bound(recording, period_f, target)
    bound = None if bound_fn is None else float(bound_fn(recording))
    curve, trials = None, None
    if curves:
        curve, trials = _curves(
            estimator,
            X,
            y,
            cv,
            few=quick or decoder in TORCH_DECODERS,
            seed=seed,
            n_jobs=n_jobs,
            bound=None if bound_fn is None else (lambda idx: bound_fn(recording, neurons=idx)),
            full_bound=bound,
        )
    metrics = _metrics(
        decoder,
        estimator,
        recording,
        (y, groups, period_f, target, folds),
        cv,
        shuffled,
        threshold,
        error_ci,
        confidence_level,
    )
    metrics.update(_curve_metrics(bound, cv, curve, trials))
    metrics["n_resamples"] = boots
    metrics["wall_seconds"] = round(time.perf_counter() - started, 3)
    result = AnalysisResult(
        title="Decoding",
        metrics=metrics,
        kind="decoding",
        data=figure_data(decoder, recording, y, cv, threshold, (curve, trials), period_f),
        summary=summary_sentences(metrics),
        parameters={
            "decoder": decoder,
            "decoder_params": estimator.get_params(),
            "target": target,
            "folds": folds,
            "period": period_f,
            "device": device,
            "quick": quick,
            "curves": curves,
            "n_resamples": boots,
            "confidence_level": confidence_level,
            "n_jobs": n_jobs,
            "random_state": seed,
        },
    )
    if figures:
        result.draw()
    return result


def _check_inputs(
    recording: Recording,
    decoder: str,
    target: str,
    folds: int,
    period: float,
    confidence_level: float,
    random_state: int | None,
) -> tuple[NDArray[np.float64], float, int]:
    """Validate run_decoding's input; return the target angles, the period and the seed."""
    if not isinstance(recording, Recording):
        raise NeurodlTypeError(
            f"recording must be a neurodl Recording; got {type(recording).__name__}."
        )
    check_option("decoder", decoder, DECODERS)
    period_f = check_period(period)
    if target not in recording.stimulus:
        raise NeurodlValueError(
            f"target must be one of the recording's stimulus variables "
            f"{sorted(recording.stimulus)}; got {target!r}."
        )
    if recording.n_trials < 2 * folds:
        raise NeurodlValueError(
            f"need at least {2 * folds} trials for {folds}-fold cross-validation; got "
            f"{recording.n_trials}."
        )
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
    y = np.mod(np.asarray(recording.stimulus[target], dtype=np.float64), period_f)
    return y, period_f, resolve_seed(random_state)


def _intervals(
    predictions: NDArray[np.float64],
    y: NDArray[np.float64],
    groups: NDArray[Any] | None,
    period: float,
    n_resamples: int,
    confidence_level: float,
    seed: int,
) -> tuple[dict[str, Any], tuple[float, float]]:
    """The discrimination threshold (with its interval) and the median error's interval."""
    threshold = discrimination_threshold(
        y,
        predictions,
        period=period,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        random_state=seed,
    )
    if n_resamples < 10:
        return threshold, (float("nan"), float("nan"))
    error_ci = median_abs_error_ci(
        y,
        predictions,
        period,
        groups=groups,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        random_state=seed,
    )
    return threshold, error_ci


def _metrics(
    decoder: str,
    estimator: Any,
    recording: Recording,
    design: tuple[NDArray[np.float64], NDArray[Any] | None, float, str, int],
    cv: dict[str, Any],
    shuffled: dict[str, Any],
    threshold: dict[str, Any],
    error_ci: tuple[float, float],
    confidence_level: float,
) -> dict[str, Any]:
    """The headline numbers of a decoding analysis (metrics.json)."""
    y, groups, period, target, folds = design
    return {
        "decoder": decoder,
        "decoder_params": estimator.get_params(),
        "target": target,
        "period_deg": period,
        "n_neurons": recording.n_neurons,
        "n_trials": recording.n_trials,
        "n_folds": folds,
        "grouped_by_condition": groups is not None,
        "median_abs_error_deg": cv["median_abs_error_deg"],
        "median_abs_error_deg_ci_low": error_ci[0],
        "median_abs_error_deg_ci_high": error_ci[1],
        "confidence_level": confidence_level,
        "mean_abs_error_deg": cv["mean_abs_error_deg"],
        "rmse_deg": cv["rmse_deg"],
        "fraction_correct_36_bins": fraction_correct(y, cv["predictions"], 36, period),
        "fold_median_abs_error_deg": cv["fold_median_abs_error_deg"],
        "fold_rmse_deg": cv["fold_rmse_deg"],
        "fit_seconds": cv["fit_seconds"],
        "threshold_deg": threshold["threshold_deg"],
        "threshold_deg_ci_low": threshold["threshold_deg_ci_low"],
        "threshold_deg_ci_high": threshold["threshold_deg_ci_high"],
        "threshold_extrapolated": threshold["extrapolated"],
        "shuffle_median_abs_error_deg": shuffled["median_abs_error_deg"],
        "shuffle_rmse_deg": shuffled["rmse_deg"],
        "chance_median_abs_error_deg": chance_median_abs_error(period),
        "chance_rmse_deg": chance_rmse(period),
    }


def _curve_metrics(
    bound: float | None,
    cv: dict[str, Any],
    curve: dict[str, Any] | None,
    trials: dict[str, Any] | None,
) -> dict[str, Any]:
    """The bound and the error-vs-neurons and error-vs-trials curves, when computed."""
    metrics: dict[str, Any] = {}
    if bound is not None:
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
    return metrics
