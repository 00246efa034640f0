"""Conditions of an RSA: which trials form which condition, folds, split halves and stimuli."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from neurodl.data.recording import Recording
from neurodl.exceptions import DataValueError, check_option
from neurodl.rsa.rdm import compute_rdm
from neurodl.stimuli import make_grating

__all__ = ["condition_stimuli", "make_conditions", "make_folds", "split_half_rdms"]

MAX_FOLDS = 10
N_SPLITS = 2
CONDITION_CHOICES = ("orientation", "stimuli")


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


def make_folds(index: NDArray[np.intp]) -> tuple[NDArray[np.intp], int]:
    """Cross-validation fold of each trial: the r-th trial of each condition goes to fold r mod k.

    ``k`` is the smallest number of trials of a condition, at most ``MAX_FOLDS``; returns the
    fold labels (n_trials,) and ``k``.
    """
    counts = np.bincount(index)
    n_folds = int(min(counts.min(), MAX_FOLDS))
    order = np.argsort(index, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    within = np.empty_like(index)
    within[order] = np.arange(index.size) - starts[index[order]]
    return (within % n_folds).astype(np.intp), n_folds


def split_half_rdms(
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


def condition_stimuli(
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
