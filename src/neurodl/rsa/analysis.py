"""``run_rsa``: compare every layer of a network with a recording, with the statistics."""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse
import torch
from numpy.typing import NDArray
from torch import nn

from neurodl.data.recording import Recording
from neurodl.exceptions import (
    DataFormatError,
    DataValueError,
    NeurodlValueError,
    UnsafeFileError,
    check_option,
)
from neurodl.results import AnalysisResult, resolve_seed
from neurodl.rsa._utils import condition_means
from neurodl.rsa.activations import extract_activations
from neurodl.rsa.compare import COMPARE_METHODS
from neurodl.rsa.inference import (
    bootstrap_rdm_comparison,
    pairwise_bootstrap_test,
    permutation_test,
)
from neurodl.rsa.neurons import NEURON_RDM_METHODS, bootstrap_over_neurons
from neurodl.rsa.rdm import RDM_METHODS, compute_rdm
from neurodl.stimuli import make_grating

__all__ = ["load_module", "make_conditions", "run_rsa"]

logger = logging.getLogger(__name__)
MAX_FOLDS = 10
N_SPLITS = 2
CONDITION_CHOICES = ("orientation", "stimuli")
BOOTSTRAP_OVER = ("conditions", "neurons")


def load_module(path: str | Path, *, allow_pickle: bool = False) -> nn.Module:
    """Load a user's network: TorchScript (safe) or, when trusted, a pickled ``nn.Module``."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"model file {str(path)!r} does not exist.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError):
        pass
    if not allow_pickle:
        raise UnsafeFileError(
            f"model file {str(path)!r} is not TorchScript; loading a pickled module runs code "
            "from the file. Pass allow_pickle=True (--allow-pickle) only if you trust it."
        )
    try:
        module = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:
        raise DataFormatError(f"model file {str(path)!r} could not be read: {exc}") from None
    if not isinstance(module, nn.Module):
        raise DataFormatError(
            f"model file {str(path)!r} holds a {type(module).__name__}, not a torch.nn.Module "
            "(a state_dict needs its network class; save the whole module or TorchScript)."
        )
    return module


def make_conditions(
    recording: Recording, *, n_bins: int = 36, conditions: str = "orientation"
) -> tuple[NDArray[np.intp], NDArray[np.float64], NDArray[np.intp], str]:
    """Conditions, their orientations and cross-validation folds for RSA.

    With ``conditions="orientation"`` (the default) conditions are orientations over all
    trials: the distinct orientations when every one of them was shown at least twice (a
    discrete design), otherwise ``n_bins`` equal bins over [0°, 360°) whose trials serve as
    the bin's repeats. With ``conditions="stimuli"`` trials that repeat the same stimulus
    (``image_id``, else ``orientation``) form conditions, and with a ``test_set`` marker only
    the repeated test trials are used.

    Returns
    -------
    trials : ndarray of int
        Trials used, sorted by condition (so that the first appearance of each condition
        follows the condition numbering, as :func:`~neurodl.rsa.compute_rdm` orders them).
    orientation : ndarray of shape (n_conditions,)
        Circular mean orientation of each condition (degrees).
    index : ndarray of int of shape (len(trials),)
        Condition of each used trial, numbered in order of orientation (non-decreasing).
    description : str
    """
    check_option("conditions", conditions, CONDITION_CHOICES)
    theta = np.asarray(recording.orientation, dtype=np.float64) % 360
    trials = np.arange(recording.n_trials)
    index = np.zeros(0, dtype=np.intp)
    description = ""
    if conditions == "stimuli":
        if "test_set" in recording.stimulus and np.sum(recording.stimulus["test_set"] > 0) > 0:
            trials = np.flatnonzero(recording.stimulus["test_set"] > 0)
        _labels, index = recording.select(trials).condition_labels()
        description = f"{np.bincount(index).size} repeated stimuli"
    else:
        _values, index = np.unique(theta, return_inverse=True)
        description = f"{_values.size} orientations"
    counts = np.bincount(index)
    if counts.size < 3 or counts.min() < 2:
        trials = np.arange(recording.n_trials)
        index = np.floor(theta / (360.0 / n_bins)).astype(np.intp) % n_bins
        present = np.unique(index)
        index = np.searchsorted(present, index).astype(np.intp)
        counts = np.bincount(index)
        description = f"orientation in {n_bins} bins of {360 / n_bins:g}°"
        if present.size < 3 or counts.min() < 2:
            raise DataValueError(
                "RSA needs at least 3 conditions with 2 or more trials each; binning orientation "
                f"into {n_bins} bins gave {present.size} conditions with as few as "
                f"{counts.min()} trials."
            )
    angles = np.deg2rad(theta[trials])
    n_cond = int(index.max()) + 1
    mean_angle = np.arctan2(
        np.bincount(index, np.sin(angles), n_cond), np.bincount(index, np.cos(angles), n_cond)
    )
    orientation = np.rad2deg(mean_angle) % 360
    order = np.argsort(orientation, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    index = rank[index].astype(np.intp)
    by_condition = np.argsort(index, kind="stable")
    return trials[by_condition], orientation[order], index[by_condition], description


def _folds(index: NDArray[np.intp]) -> tuple[NDArray[np.intp], int]:
    counts = np.bincount(index)
    n_folds = int(min(counts.min(), MAX_FOLDS))
    order = np.argsort(index, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    within = np.empty_like(index)
    within[order] = np.arange(index.size) - starts[index[order]]
    return (within % n_folds).astype(np.intp), n_folds


def _split_rdms(
    responses: NDArray[Any],
    index: NDArray[np.intp],
    folds: NDArray[np.intp],
    n_folds: int,
    method: str,
) -> NDArray[np.float64]:
    """One data RDM per split half of the folds (at least 2 folds per half for crossnobis).

    ``index`` must be non-decreasing and every condition present in every fold, so that each
    split RDM numbers its conditions like ``index`` (compute_rdm keeps first appearances).
    """
    per_split = 2 if method == "crossnobis" else 1
    n_splits = min(max(n_folds // per_split, 1), N_SPLITS)
    split_of_fold = np.arange(n_folds) % n_splits
    rdms = []
    for s in range(n_splits):
        rows = np.flatnonzero(split_of_fold[folds] == s)
        kwargs: dict[str, Any] = {"folds": folds[rows]} if method == "crossnobis" else {}
        rdms.append(compute_rdm(responses[rows], index[rows], method=method, **kwargs))
    return np.stack(rdms)


def _stimuli(
    recording: Recording, trials: NDArray[np.intp], size: tuple[int, int]
) -> tuple[NDArray[np.float32], NDArray[np.intp]]:
    """Unique stimulus images of the used trials and the image of each trial."""
    if recording.images is not None:
        ids = recording.stimulus["image_id"][trials]
        unique, inverse = np.unique(ids, return_inverse=True)
        return recording.images[unique], inverse.reshape(-1).astype(np.intp)
    theta = np.asarray(recording.orientation, dtype=np.float64)[trials]
    unique, inverse = np.unique(theta, return_inverse=True)
    images = make_grating(unique, size=size).reshape(unique.size, *size)
    return images, inverse.reshape(-1).astype(np.intp)


def run_rsa(
    recording: Recording,
    *,
    model: str | Path | nn.Module = "tilt-cnn",
    layers: list[str] | None = None,
    rdm: str = "correlation",
    compare: str = "pearson",
    device: str = "cpu",
    quick: bool = False,
    n_permutations: int = 1000,
    allow_pickle: bool = False,
    n_bins: int = 36,
    conditions: str = "orientation",
    bootstrap: str = "conditions",
    n_resamples: int = 1000,
    confidence_level: float = 0.95,
    n_jobs: int | None = None,
    random_state: int | None = None,
    figures: bool = True,
    verbose: int = 0,
) -> AnalysisResult:
    """Compare every layer of a network with a recording's representation of orientation.

    Parameters
    ----------
    recording : Recording
        Needs a per-trial ``orientation``; its ``images`` are shown to the network when present,
        otherwise gratings are rendered at the trials' orientations.
    model : "tilt-cnn", a path, or an nn.Module
        "tilt-cnn" trains :class:`~neurodl.models.tilt.TiltCNN` (seeded) to tell left from right
        tilt; a path loads a TorchScript file, or a pickled module with ``allow_pickle``.
    layers : list of str, optional
        Submodules to record; TiltCNN's ``default_layers`` or the module's children by default.
    rdm : {"euclidean", "correlation", "mahalanobis", "crossnobis", "poisson"}
        Dissimilarity of the data. Network layers are noise-free, so crossnobis and mahalanobis
        compare them with their plain counterpart (euclidean, same normalisation).
    compare : str
        RDM comparison (:data:`neurodl.rsa.COMPARE_METHODS`).
    device : str
    quick : bool
        Tiny training, 24 orientation bins and PCA embeddings only: a run in seconds. The
        resamples and permutations are not reduced (they cost milliseconds), so p-values keep
        their resolution of 1 / (n_permutations + 1).
    n_permutations : int
        Permutations of the condition labels for each layer's p-value.
    n_bins : int
        Orientation bins (24 with ``quick``) when orientations are continuous.
    conditions : {"orientation", "stimuli"}
        "orientation" (default): conditions are orientations over all trials, binned into
        ``n_bins`` bins when orientations are continuous (see :func:`make_conditions`).
        "stimuli": repeated identical stimuli (only the ``test_set`` trials when marked).
    bootstrap : {"conditions", "neurons"}
        What the confidence intervals resample: the conditions (default; another sample of
        stimuli) or the recorded neurons (another sample of neurons, same stimuli;
        ``rdm`` "euclidean" or "correlation" only), see
        :func:`~neurodl.rsa.bootstrap_over_neurons`.

    n_resamples : int
        Bootstrap resamples of the similarities and the noise ceiling.
    confidence_level : float
        Level of every confidence interval, in (0, 1).
    n_jobs : int or None
        Cores for the rank bootstraps (see :func:`~neurodl.rsa.bootstrap_rdm_comparison`).
    random_state : int or None
        Seeds the tilt network, the resamples and the permutations; None draws a fresh seed,
        recorded in ``parameters["random_state"]``.
    figures : bool
        Make the figures (False imports no matplotlib).
    verbose : int
        0 quiet; 1 or 2 log the steps.

    Returns
    -------
    AnalysisResult

    Notes
    -----
    The data are split into folds (the r-th trial of each condition in fold r mod k, k at most
    10) and the folds into two halves; one data RDM per half gives the noise ceiling, and a
    layer's similarity is its mean similarity with these split-half RDMs (rsatoolbox's
    convention), so the similarity and the ceiling refer to the same data.

    Why these defaults (measured on ``simulate_v1`` at the demo's sizes, seed 0, Pearson
    comparison of correlation RDMs): conditions are orientation bins over all trials rather
    than the repeated test images, because every trial then contributes: with 900 trials
    (300 neurons) 24 bins give a lower noise ceiling of 0.98 against 0.85 for the 30 test
    images x 5 repeats (at 5,000 trials and 2,000 neurons: 0.998 for 36 bins, 0.991 for the
    100 test images x 10 repeats). Split halves rather than one RDM per fold: each data RDM
    averages more trials, so the ceiling and the layers' similarities are less attenuated by
    noise (with 5 single-repeat splits of the small test set the lower ceiling drops to
    0.72), and the resampling is 5x cheaper.
    Correlation distance (the curriculum's 1 - Pearson r) gives higher ceilings than euclidean
    distance on raw rates (0.98 vs 0.95 lower ceiling at the quick size), where neurons with
    high rates dominate. The network sees the recording's own images (for the simulator:
    gratings of phase 90°, so θ and θ + 180° are contrast-inverted), averaged per condition
    over the same trials as the responses; a linear filter layer therefore separates θ from
    θ + 180° while the V1 population (complex cells, simple cells of all phases) hardly does:
    its RDM correlates r = 0.89 with 180°-periodic orientation differences and r = 0.07 with
    360° ones. That is a real difference between the layers, not an artefact.
    """
    started = time.perf_counter()
    check_option("rdm", rdm, RDM_METHODS)
    check_option("compare", compare, COMPARE_METHODS)
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
    seed = resolve_seed(random_state)
    check_option("bootstrap", bootstrap, BOOTSTRAP_OVER)
    if bootstrap == "neurons" and rdm not in NEURON_RDM_METHODS:
        listed = ", ".join(repr(m) for m in NEURON_RDM_METHODS)
        raise NeurodlValueError(
            f"bootstrap 'neurons' recomputes the data RDM from resampled neurons and needs rdm "
            f"in {{{listed}}}; got {rdm!r}."
        )
    if rdm == "mahalanobis":
        raise NeurodlValueError(
            "rdm 'mahalanobis' needs a noise precision; use 'crossnobis' (which also removes "
            "the noise bias) or compute_rdm(..., noise=...)."
        )
    trials, cond_theta, index, description = make_conditions(
        recording, n_bins=24 if quick else n_bins, conditions=conditions
    )
    folds, n_folds = _folds(index)
    if rdm == "crossnobis" and n_folds < 2:
        raise DataValueError("crossnobis needs at least 2 trials per condition.")
    responses = recording.responses[trials]
    data_rdm = compute_rdm(
        responses, index, method=rdm, folds=folds if rdm == "crossnobis" else None
    )
    split = _split_rdms(responses, index, folds, n_folds, rdm)

    accuracy: float | None = None
    size = (
        recording.images.shape[1:]
        if recording.images is not None
        else ((24, 32) if quick else (48, 64))
    )
    if isinstance(model, nn.Module):
        module, model_name = model, type(model).__name__
    elif model == "tilt-cnn":
        from neurodl.rsa.tilt import train_tilt_cnn

        kwargs: dict[str, Any] = {"n_train": 256, "n_test": 128, "max_epochs": 4} if quick else {}
        module, accuracy, _ = train_tilt_cnn(
            image_size=tuple(size), random_state=seed, device=device, **kwargs
        )
        model_name = "tilt-cnn"
    else:
        module, model_name = load_module(model, allow_pickle=allow_pickle), str(model)
    if layers is None:
        default = getattr(module, "default_layers", None)
        layers = list(default) if default else [name for name, _ in module.named_children()]
    images, image_of_trial = _stimuli(recording, trials, tuple(size))
    n_cond = cond_theta.size
    # condition means of the activations as a weighting of the unique images (no per-trial copy)
    counts = np.bincount(index, minlength=n_cond).astype(np.float64)
    weights = scipy.sparse.csr_matrix(
        (1.0 / counts[index], (index, image_of_trial)), shape=(n_cond, images.shape[0])
    )
    acts = extract_activations(module, images, layers, device=device)
    layer_patterns = {name: np.asarray(weights @ a, dtype=np.float64) for name, a in acts.items()}
    model_method = "euclidean" if rdm in ("crossnobis", "mahalanobis") else rdm
    all_rdms = {name: compute_rdm(p, method=model_method) for name, p in layer_patterns.items()}
    skipped = [name for name, d in all_rdms.items() if not np.all(np.isfinite(d))]
    if skipped:
        logger.warning(
            "layers %s skipped: their %s RDM is undefined (constant patterns)",
            skipped,
            model_method,
        )
    layer_patterns = {k: v for k, v in layer_patterns.items() if k not in skipped}
    if not layer_patterns:
        raise DataValueError(
            f"no layer gives a defined {model_method} RDM (every layer has constant patterns); "
            "choose other layers or another rdm method."
        )
    model_rdms = np.stack([all_rdms[name] for name in layer_patterns])

    perm = permutation_test(
        model_rdms, split, method=compare, n_permutations=n_permutations, random_state=seed
    )
    if bootstrap == "neurons":
        n_splits = split.shape[0]
        boot = bootstrap_over_neurons(
            model_rdms,
            responses,
            index,
            rdm=rdm,
            method=compare,
            splits=(np.arange(n_folds) % n_splits)[folds] if n_splits > 1 else None,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            random_state=seed,
        )
    else:
        boot = bootstrap_rdm_comparison(
            model_rdms,
            split,
            method=compare,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            random_state=seed,
        )
    similarity, low, high = boot.similarity, boot.ci_low, boot.ci_high
    ceiling = boot.noise_ceiling
    pairwise = pairwise_bootstrap_test(boot.samples) if len(layer_patterns) > 1 else None

    from neurodl.rsa._report import build_result

    return build_result(
        names=list(layer_patterns),
        similarity=similarity,
        low=low,
        high=high,
        p_values=perm.p_values,
        pairwise=pairwise,
        ceiling=ceiling,
        data_rdm=data_rdm,
        model_rdms=model_rdms,
        layer_patterns=layer_patterns,
        data_patterns=condition_means(responses, index, n_cond),
        cond_theta=cond_theta,
        accuracy=accuracy,
        parameters={
            "model": model_name,
            "layers": list(layer_patterns),
            "rdm": rdm,
            "compare": compare,
            "device": device,
            "quick": quick,
            "n_resamples": n_resamples,
            "confidence_level": confidence_level,
            "n_jobs": n_jobs,
            "random_state": seed,
            "bootstrap_over": bootstrap,
            "n_permutations": n_permutations,
            "conditions": description,
            "n_conditions": int(n_cond),
            "n_splits": int(split.shape[0]),
            "model_rdm_method": model_method,
            "skipped_layers": skipped,
        },
        quick=quick,
        figures=figures,
        started=started,
    )
