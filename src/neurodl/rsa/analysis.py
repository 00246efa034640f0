"""``run_rsa``: compare every layer of a network with a recording, with the statistics."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data.recording import Recording
from neurodl.exceptions import (
    DataValueError,
    NeurodlValueError,
    check_option,
)
from neurodl.results import AnalysisResult, resolve_seed
from neurodl.rsa._compare_models import Scored, score_candidates
from neurodl.rsa._recovery_section import recovery_section
from neurodl.rsa._utils import condition_means, draw_resamples
from neurodl.rsa.candidates import Candidate, ModelSpec, candidate_rdms, make_candidates
from neurodl.rsa.compare import COMPARE_METHODS
from neurodl.rsa.comparison import HeldOutChoice
from neurodl.rsa.conditions import (
    condition_stimuli,
    make_conditions,
    make_folds,
    split_half_rdms,
)
from neurodl.rsa.inference import (
    BootstrapResult,
    bootstrap_rdm_comparison,
    permutation_test,
)
from neurodl.rsa.neurons import NEURON_RDM_METHODS, bootstrap_over_neurons
from neurodl.rsa.rdm import RDM_METHODS, compute_rdm

__all__ = ["make_conditions", "run_rsa"]

logger = logging.getLogger(__name__)
BOOTSTRAP_OVER = ("conditions", "neurons")


def run_rsa(
    recording: Recording,
    *,
    model: ModelSpec | Sequence[ModelSpec] = "tilt-cnn",
    layers: list[str] | None = None,
    n_seeds: int = 3,
    n_untrained: int = 3,
    controls: bool = True,
    n_layer_splits: int = 10,
    recovery: bool = False,
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
    """Compare every layer of one or several networks with a recording's orientation code.

    Parameters
    ----------
    recording : Recording
        Needs a per-trial ``orientation``; its ``images`` are shown to the network when present,
        otherwise gratings are rendered at the trials' orientations.
    model : str, path, nn.Module, or a list of them (or "a,b,c")
        "tilt-cnn" trains :class:`~neurodl.models.tilt.TiltCNN` to tell left from right tilt;
        "tilt-dale", "tilt-fa" and "tilt-rcnn" train its Dale's-law, feedback-alignment and
        recurrent variants (:func:`~neurodl.rsa.tilt.make_tilt_network`); a path loads a
        TorchScript file, or a pickled module with ``allow_pickle``; a module is used as it is.
        The first model fills the top-level metrics (``layers``, ``task_test_accuracy``...);
        every model has an entry in ``metrics["models"]``.
    layers : list of str, optional
        Submodules to record (of every model); TiltCNN's ``default_layers`` or the module's
        children by default.
    n_seeds : int
        Training seeds per built-in model (``random_state``, ``random_state + 1``, ...; also
        with ``quick``). A module or file is one fixed network.
    n_untrained : int
        Untrained twins per model (same architecture, fresh initialisations, see
        :func:`~neurodl.rsa.candidates.untrained_twin`); 0 leaves them out.
    controls : bool
        Add the pixel baseline and the Gabor energy model
        (:func:`~neurodl.rsa.controls.compute_energy_model`) as candidates.
    n_layer_splits : int
        Random halvings of the conditions for the held-out layer choice (each used in both
        directions): the layer (or step) is chosen on one half and scored on the other.
    recovery : bool
        Also run :func:`~neurodl.rsa.model_recovery` on the candidates (each model's chosen
        layer, first seed, and the controls): could data like these tell them apart at all?
        Adds ``metrics["model_recovery"]`` and its figures.
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
        ``metrics["models"][name]``: task accuracy (mean and per seed), per layer the
        similarity averaged over seeds with its CI, permutation p (the null of the seed mean:
        one permutation of the conditions applied to every seed) and the per-seed values;
        ``naive_best_layer``/``naive_best_similarity`` (max over layers on all the data,
        biased upwards); ``chosen_layer`` and ``held_out_similarity`` (chosen on half the
        conditions, scored on the other half, averaged over ``n_layer_splits`` halvings in
        both directions; its CI from the condition bootstrap); ``untrained`` (the twin, same
        form, spread over initialisations); ``differences`` with every other model, the twin
        and the controls (:func:`~neurodl.rsa.comparison.seed_difference_test`: the difference
        of held-out scores against the spread over seeds plus the bootstrap variance, Welch t;
        ``p_value_holm`` over the model pairs). ``metrics["controls"]`` has the same form.

    Notes
    -----
    Selection bias: the maximum over layers of similarities measured on the same data is
    biased upwards (each layer's score carries noise and the maximum picks the luckiest). The
    held-out choice uses disjoint conditions for choosing and scoring; dissimilarities among
    one half's conditions share no condition, hence no trial, with the other half's, so the
    held-out score is unbiased for the chosen layer (tested on pure-noise layers).
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
    seed = _check_options(rdm, compare, bootstrap, confidence_level, random_state)
    _check_counts(n_seeds=n_seeds, n_untrained=n_untrained, n_layer_splits=n_layer_splits)
    options = dict(rdm=rdm, compare=compare, device=device, quick=quick, n_seeds=n_seeds)
    options.update(n_untrained=n_untrained, controls=controls, n_layer_splits=n_layer_splits)
    options.update(recovery=recovery, n_resamples=n_resamples, n_jobs=n_jobs)
    options.update(confidence_level=confidence_level, bootstrap_over=bootstrap)
    options.update(n_permutations=n_permutations)
    trials, cond_theta, index, description = make_conditions(
        recording, n_bins=24 if quick else n_bins, conditions=conditions
    )
    responses, folds, n_folds, data_rdm, split = _data_rdms(recording, trials, index, rdm)
    size = tuple(
        recording.images.shape[1:]
        if recording.images is not None
        else ((24, 32) if quick else (48, 64))
    )
    candidates = make_candidates(
        model,
        layers=layers,
        image_size=size,  # type: ignore[arg-type]
        quick=quick,
        random_state=seed,
        n_seeds=n_seeds,
        n_untrained=n_untrained,
        controls=controls,
        device=device,
        allow_pickle=allow_pickle,
    )
    images, image_of_trial = condition_stimuli(recording, trials, size)  # type: ignore[arg-type]
    model_method = "euclidean" if rdm in ("crossnobis", "mahalanobis") else rdm
    candidates, patterns, rdms, skipped = candidate_rdms(
        candidates, (images, image_of_trial, index, cond_theta.size), model_method, device
    )
    scored, held, ceiling = _score_all(
        candidates,
        rdms,
        split,
        (responses, index, folds, n_folds),
        rdm=rdm,
        compare=compare,
        bootstrap=bootstrap,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        n_jobs=n_jobs,
        n_permutations=n_permutations,
        n_layer_splits=n_layer_splits,
        random_state=seed,
    )
    from neurodl.rsa._report import build_result

    first = scored[0]
    return build_result(
        scored=scored,
        held=held,
        ceiling=ceiling,
        data_rdm=data_rdm,
        model_rdms=rdms[0][0],
        layer_patterns=patterns[0][0],
        recovery=recovery_section(
            candidates,
            patterns,
            scored,
            index,
            rdm=rdm,
            compare=compare,
            quick=quick,
            confidence_level=confidence_level,
            random_state=seed,
        )
        if recovery
        else None,
        data_patterns=condition_means(responses, index, cond_theta.size),
        cond_theta=cond_theta,
        parameters={
            **options,
            "model": [c.name for c in candidates if c.role == "model"],
            "layers": list(first.layers),
            "random_state": seed,
            "conditions": description,
            "n_conditions": int(cond_theta.size),
            "n_splits": int(split.shape[0]),
            "model_rdm_method": model_method,
            "skipped_layers": skipped,
        },
        quick=quick,
        figures=figures,
        started=started,
    )


def _data_rdms(
    recording: Recording, trials: NDArray[np.intp], index: NDArray[np.intp], rdm: str
) -> tuple[NDArray[Any], NDArray[np.intp], int, NDArray[np.float64], NDArray[np.float64]]:
    """Responses of the used trials, their folds, the data RDM and the split-half RDMs."""
    folds, n_folds = make_folds(index)
    if rdm == "crossnobis" and n_folds < 2:
        raise DataValueError("crossnobis needs at least 2 trials per condition.")
    responses = recording.responses[trials]
    data_rdm = compute_rdm(
        responses, index, method=rdm, folds=folds if rdm == "crossnobis" else None
    )
    split = split_half_rdms(responses, index, folds, n_folds, rdm)
    return responses, folds, n_folds, data_rdm, split


def _score_all(
    candidates: list[Candidate],
    rdms: list[NDArray[np.float64]],
    split: NDArray[np.float64],
    data: tuple[NDArray[Any], NDArray[np.intp], NDArray[np.intp], int],
    *,
    rdm: str,
    compare: str,
    bootstrap: str,
    n_resamples: int,
    confidence_level: float,
    n_jobs: int | None,
    n_permutations: int,
    n_layer_splits: int,
    random_state: int,
) -> tuple[list[Scored], HeldOutChoice, NDArray[np.float64]]:
    """Bootstrap, permutation null and held-out layer choice of every candidate's layers.

    Every candidate is evaluated on the same condition resamples and permutations (so that
    differences keep their pairing); returns the scores, the held-out choice and the data's
    noise ceiling (lower, upper).
    """
    n_cond = split.shape[1]
    drawn = draw_resamples(None, n_resamples, n_cond, "conditions", random_state)

    def boot(stack: NDArray[np.float64]) -> BootstrapResult:
        return _bootstrap(
            stack,
            split,
            data,
            rdm=rdm,
            compare=compare,
            over=bootstrap,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            n_jobs=n_jobs,
            random_state=random_state,
            resamples=drawn,
        )

    every = np.concatenate([stack.reshape(-1, *stack.shape[2:]) for stack in rdms])
    perm = permutation_test(
        every, split, method=compare, n_permutations=n_permutations, random_state=random_state
    )
    counts = np.zeros((drawn.shape[0] + 1, n_cond))
    counts[0] = 1.0
    np.add.at(counts, (1 + np.arange(drawn.shape[0])[:, None], drawn), 1.0)
    return score_candidates(
        candidates,
        rdms,
        split,
        bootstrap=boot,
        null=perm.null,
        counts=counts,
        method=compare,
        n_splits=n_layer_splits,
        random_state=random_state,
    )


def _check_counts(**counts: int) -> None:
    """n_seeds and n_layer_splits must be >= 1, n_untrained >= 0."""
    for name, value in counts.items():
        least = 0 if name == "n_untrained" else 1
        if not isinstance(value, int) or isinstance(value, bool) or value < least:
            raise NeurodlValueError(f"{name} must be an int >= {least}; got {value!r}.")


def _check_options(
    rdm: str, compare: str, bootstrap: str, confidence_level: float, random_state: int | None
) -> int:
    """Validate run_rsa's choices; return the seed to use."""
    check_option("rdm", rdm, RDM_METHODS)
    check_option("compare", compare, COMPARE_METHODS)
    check_option("bootstrap", bootstrap, BOOTSTRAP_OVER)
    if not 0 < confidence_level < 1:
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
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
    return resolve_seed(random_state)


def _bootstrap(
    model_rdms: NDArray[np.float64],
    split: NDArray[np.float64],
    data: tuple[NDArray[Any], NDArray[np.intp], NDArray[np.intp], int],
    *,
    rdm: str,
    compare: str,
    over: str,
    n_resamples: int,
    confidence_level: float,
    n_jobs: int | None,
    random_state: int,
    resamples: NDArray[np.intp] | None = None,
) -> BootstrapResult:
    """Similarities with their intervals and the noise ceiling, resampling ``over``."""
    if over == "neurons":
        responses, index, folds, n_folds = data
        n_splits = split.shape[0]
        return bootstrap_over_neurons(
            model_rdms,
            responses,
            index,
            rdm=rdm,
            method=compare,
            splits=(np.arange(n_folds) % n_splits)[folds] if n_splits > 1 else None,
            n_resamples=n_resamples,
            confidence_level=confidence_level,
            random_state=random_state,
        )
    return bootstrap_rdm_comparison(
        model_rdms,
        split,
        method=compare,
        n_resamples=n_resamples,
        confidence_level=confidence_level,
        n_jobs=n_jobs,
        random_state=random_state,
        resamples=resamples,
    )
