"""The :class:`Recording`: one session of population responses with its stimuli."""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import DataValueError, NeurodlValueError

__all__ = ["Recording"]

_CHUNK = 1 << 22  # elements checked at a time when scanning large arrays for NaN/inf


def _all_finite(array: NDArray[Any]) -> bool:
    """Whether every element is finite, scanning in chunks so that no full-size mask is made."""
    flat = array.reshape(-1)
    return all(np.isfinite(flat[i : i + _CHUNK]).all() for i in range(0, flat.size, _CHUNK))


def _check_numeric(name: str, array: NDArray[Any], *, allow_str: bool = False) -> None:
    kind = array.dtype.kind
    if kind in "biuf":
        return
    if allow_str and kind == "U":
        return
    raise DataValueError(
        f"{name} must be numeric{' or text' if allow_str else ''}; got dtype {array.dtype}."
    )


@dataclass(eq=False)
class Recording:
    """One recording session: trial-by-neuron responses, the stimulus of each trial, and metadata.

    Parameters
    ----------
    responses : array-like of shape (n_trials, n_neurons)
        Response of each neuron on each trial; stored as float32.
    stimulus : dict of str to array-like of shape (n_trials,)
        Per-trial stimulus variables. ``orientation`` is in degrees; ``image_id`` (int) points into
        ``images``. Trials that share an ``image_id`` are repeats of the same stimulus.
    images : array-like of shape (n_images, height, width), optional
        The stimulus images, stored as float32.
    neurons : dict of str to array-like with first dimension n_neurons
        Per-neuron information (position, depth, ground-truth tuning for simulated data).
    meta : dict
        Source, units, preprocessing done and, for simulated data, the ground truth.

    Examples
    --------
    >>> import numpy as np
    >>> rec = Recording(np.ones((4, 3)), stimulus={"orientation": np.array([0, 90, 0, 90])})
    >>> rec.n_trials, rec.n_neurons
    (4, 3)
    >>> rec.average_repeats().n_trials
    2
    """

    responses: NDArray[np.float32]
    stimulus: dict[str, NDArray[Any]] = field(default_factory=dict)
    images: NDArray[np.float32] | None = None
    neurons: dict[str, NDArray[Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.responses = _checked_responses(self.responses)
        n_trials, n_neurons = self.responses.shape
        stimulus = {
            name: _checked_variable(f"stimulus variable {name!r}", values, n_trials, "shape")
            for name, values in dict(self.stimulus).items()
        }
        if self.images is not None:
            self.images = _checked_images(self.images)
            if "image_id" not in stimulus:
                raise DataValueError("images are given but stimulus has no 'image_id' per trial.")
        if "image_id" in stimulus:
            n_images = None if self.images is None else self.images.shape[0]
            stimulus["image_id"] = _checked_image_ids(stimulus["image_id"], n_images)
        self.stimulus = stimulus
        self.neurons = {
            name: _checked_variable(f"neuron variable {name!r}", values, n_neurons, "first")
            for name, values in dict(self.neurons).items()
        }
        self.meta = dict(self.meta)

    # ------------------------------------------------------------------ basic facts
    @property
    def n_trials(self) -> int:
        """Number of trials (rows of ``responses``)."""
        return int(self.responses.shape[0])

    @property
    def n_neurons(self) -> int:
        """Number of neurons (columns of ``responses``)."""
        return int(self.responses.shape[1])

    @property
    def orientation(self) -> NDArray[Any]:
        """Stimulus orientation of each trial in degrees, shape (n_trials,)."""
        if "orientation" not in self.stimulus:
            raise DataValueError(
                "this recording has no 'orientation' stimulus variable; variables present: "
                f"{sorted(self.stimulus)}."
            )
        return self.stimulus["orientation"]

    @property
    def ground_truth(self) -> dict[str, Any] | None:
        """The simulator's ground truth (``meta['ground_truth']``), or None for real data."""
        truth = self.meta.get("ground_truth")
        return truth if isinstance(truth, dict) else None

    def condition_labels(self, by: str | None = None) -> tuple[NDArray[Any], NDArray[np.intp]]:
        """Condition of each trial.

        Parameters
        ----------
        by : str, optional
            Stimulus variable that defines a condition. By default ``image_id`` when present,
            else ``orientation``, else every trial is its own condition.

        Returns
        -------
        labels : ndarray of shape (n_conditions,)
            One label per condition, in order of first appearance.
        index : ndarray of int of shape (n_trials,)
            Condition index of each trial, into ``labels``.
        """
        if by is None:
            by = next((k for k in ("image_id", "orientation") if k in self.stimulus), None)
        if by is None:
            return np.arange(self.n_trials), np.arange(self.n_trials)
        if by not in self.stimulus:
            raise NeurodlValueError(f"by must be one of {sorted(self.stimulus)}; got {by!r}.")
        values = self.stimulus[by]
        uniques, first, inverse = np.unique(values, return_index=True, return_inverse=True)
        order = np.argsort(first, kind="stable")
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        return uniques[order], rank[inverse.reshape(-1)].astype(np.intp)

    @property
    def n_repeats(self) -> NDArray[np.intp]:
        """Number of trials of each condition (see :meth:`condition_labels`)."""
        _, index = self.condition_labels()
        return np.bincount(index).astype(np.intp)

    @property
    def has_repeats(self) -> bool:
        """Whether at least two conditions were shown at least twice."""
        return bool(np.sum(self.n_repeats >= 2) >= 2)

    # ------------------------------------------------------------------ derived recordings
    def _replace(self, **changes: Any) -> Recording:
        fields: dict[str, Any] = {
            "responses": self.responses,
            "stimulus": self.stimulus,
            "images": self.images,
            "neurons": self.neurons,
            "meta": _copy.deepcopy(self.meta),
        }
        fields.update(changes)
        return Recording(**fields)

    def _note(self, step: str) -> dict[str, Any]:
        meta = _copy.deepcopy(self.meta)
        meta["preprocessing"] = [*meta.get("preprocessing", []), step]
        return meta

    def select(
        self, trials: ArrayLike | slice | None = None, neurons: ArrayLike | slice | None = None
    ) -> Recording:
        """A new recording restricted to some trials and/or neurons.

        Parameters
        ----------
        trials, neurons : index array, boolean mask or slice, optional
            Which trials / neurons to keep; all when None.
        """
        t_index = self._as_index(trials, self.n_trials, "trials")
        n_index = self._as_index(neurons, self.n_neurons, "neurons")
        responses = self.responses[t_index][:, n_index]
        stimulus = {k: v[t_index] for k, v in self.stimulus.items()}
        neuron_info = {k: v[n_index] for k, v in self.neurons.items()}
        return self._replace(responses=responses, stimulus=stimulus, neurons=neuron_info)

    @staticmethod
    def _as_index(index: ArrayLike | slice | None, size: int, name: str) -> Any:
        if index is None:
            return slice(None)
        if isinstance(index, slice):
            return index
        array = np.asarray(index)
        if array.dtype == bool:
            if array.shape != (size,):
                raise NeurodlValueError(
                    f"{name} mask must have shape ({size},); got {array.shape}."
                )
            return np.flatnonzero(array)
        if array.dtype.kind not in "iu" or array.ndim != 1:
            raise NeurodlValueError(
                f"{name} must be a 1-D integer index, boolean mask or slice; got {array.dtype} "
                f"array of shape {array.shape}."
            )
        if array.size and (array.min() < -size or array.max() >= size):
            raise NeurodlValueError(f"{name} index out of range for {size} {name}.")
        return array

    def average_repeats(self, by: str | None = None) -> Recording:
        """A new recording with one trial per condition: the mean over its repeats.

        Conditions keep the order of their first appearance; every stimulus variable takes the
        value of the condition's first trial, and ``n_repeats`` counts the trials averaged.
        """
        labels, index = self.condition_labels(by)
        counts = np.bincount(index, minlength=labels.size)
        sums = np.zeros((labels.size, self.n_neurons), dtype=np.float64)
        np.add.at(sums, index, self.responses)
        mean = (sums / counts[:, None]).astype(np.float32)
        first = np.full(labels.size, -1)
        first[index[::-1]] = np.arange(self.n_trials)[::-1]
        stimulus = {k: v[first] for k, v in self.stimulus.items()}
        stimulus["n_repeats"] = counts
        return self._replace(
            responses=mean, stimulus=stimulus, meta=self._note(f"average_repeats(by={by!r})")
        )

    def stack_repeats(self, by: str | None = None) -> tuple[NDArray[np.float32], NDArray[Any]]:
        """Responses arranged by condition and repeat.

        Returns
        -------
        stacked : ndarray of shape (n_conditions, max_repeats, n_neurons)
            Repeat r of condition c; NaN where a condition has fewer than ``max_repeats`` trials.
        labels : ndarray of shape (n_conditions,)
            The condition labels, in order of first appearance.
        """
        labels, index = self.condition_labels(by)
        counts = np.bincount(index, minlength=labels.size)
        stacked = np.full((labels.size, counts.max(), self.n_neurons), np.nan, dtype=np.float32)
        order = np.argsort(index, kind="stable")
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        repeat = np.arange(self.n_trials) - starts[index[order]]
        stacked[index[order], repeat] = self.responses[order]
        return stacked, labels

    def zscore(self, mean: ArrayLike | None = None, std: ArrayLike | None = None) -> Recording:
        """A new recording with each neuron z-scored across trials.

        Pass ``mean`` and ``std`` (each of shape (n_neurons,)) computed on training trials to
        z-score test trials without leaking their statistics. Constant neurons become zero.
        """
        mu = self.responses.mean(0, dtype=np.float64) if mean is None else np.asarray(mean)
        sd = self.responses.std(0, dtype=np.float64) if std is None else np.asarray(std)
        if mu.shape != (self.n_neurons,) or sd.shape != (self.n_neurons,):
            raise NeurodlValueError(
                f"mean and std must have shape ({self.n_neurons},); got {mu.shape} and {sd.shape}."
            )
        sd = np.where(sd > 0, sd, 1.0)
        out = ((self.responses - mu.astype(np.float32)) / sd.astype(np.float32)).astype(np.float32)
        return self._replace(responses=out, meta=self._note("zscore"))

    def split(
        self,
        test_size: float = 0.2,
        *,
        by: Literal["trial", "condition"] = "condition",
        random_state: int | np.random.Generator | None = None,
    ) -> tuple[Recording, Recording]:
        """Split into a training and a test recording.

        With ``by="condition"`` (the default) all repeats of a condition fall on the same side, so
        that a test image was never seen in training.
        """
        if not 0.0 < test_size < 1.0:
            raise NeurodlValueError(f"test_size must lie in (0, 1); got {test_size!r}.")
        if by not in ("trial", "condition"):
            raise NeurodlValueError(f"by must be one of {{'trial', 'condition'}}; got {by!r}.")
        rng = np.random.default_rng(random_state)
        if by == "trial":
            labels, index = np.arange(self.n_trials), np.arange(self.n_trials)
        else:
            labels, index = self.condition_labels()
        n_test = round(test_size * labels.size)
        if n_test < 1 or n_test >= labels.size:
            raise NeurodlValueError(
                f"test_size={test_size} leaves no {by}s on one side of the split "
                f"({labels.size} {by}s)."
            )
        test_conditions = np.zeros(labels.size, dtype=bool)
        test_conditions[rng.choice(labels.size, n_test, replace=False)] = True
        test = test_conditions[index]
        return self.select(trials=~test), self.select(trials=test)

    # ------------------------------------------------------------------ description
    def summary(self) -> dict[str, Any]:
        """Facts about the recording as plain Python values (used by ``neurodl info``)."""
        variables: dict[str, Any] = {}
        for name, values in self.stimulus.items():
            if values.dtype.kind in "biuf":
                variables[name] = {
                    "min": float(values.min()),
                    "max": float(values.max()),
                    "n_unique": int(np.unique(values).size),
                }
            else:
                variables[name] = {"n_unique": int(np.unique(values).size)}
        repeats = self.n_repeats
        nbytes = self.responses.nbytes + (0 if self.images is None else self.images.nbytes)
        return {
            "n_trials": self.n_trials,
            "n_neurons": self.n_neurons,
            "stimulus": variables,
            "images": None if self.images is None else list(self.images.shape),
            "n_conditions": int(repeats.size),
            "repeats_min": int(repeats.min()),
            "repeats_max": int(repeats.max()),
            "neuron_variables": sorted(self.neurons),
            "memory_mb": round(nbytes / 2**20, 2),
            "source": self.meta.get("source"),
            "has_ground_truth": self.ground_truth is not None,
        }

    def __repr__(self) -> str:
        images = "" if self.images is None else f", images={self.images.shape}"
        return (
            f"Recording(n_trials={self.n_trials}, n_neurons={self.n_neurons}, "
            f"stimulus={sorted(self.stimulus)}{images})"
        )


def _checked_responses(values: Any) -> NDArray[np.float32]:
    """Responses as float32 (n_trials, n_neurons): numeric, 2-D, non-empty, finite."""
    responses = np.asarray(values)
    _check_numeric("responses", responses)
    if responses.ndim != 2:
        raise DataValueError(
            f"responses must be 2-D (n_trials, n_neurons); got shape {responses.shape}."
        )
    if responses.shape[0] == 0 or responses.shape[1] == 0:
        raise DataValueError(
            f"responses must have at least one trial and one neuron; got shape {responses.shape}."
        )
    checked = np.asarray(responses, dtype=np.float32)
    if not _all_finite(checked):
        raise DataValueError("responses contain NaN or inf values.")
    return checked


def _checked_variable(what: str, values: Any, n: int, rule: str) -> NDArray[Any]:
    """A per-trial (``rule="shape"``: 1-D of length n, finite floats) or per-neuron
    (``rule="first"``: first dimension n) variable."""
    array = np.asarray(values)
    _check_numeric(what, array, allow_str=True)
    if rule == "shape":
        if array.ndim != 1 or array.shape[0] != n:
            raise DataValueError(
                f"{what} must have shape ({n},) to match responses; got {array.shape}."
            )
        if array.dtype.kind == "f" and not _all_finite(array):
            raise DataValueError(f"{what} contains NaN or inf values.")
    elif array.ndim == 0 or array.shape[0] != n:
        raise DataValueError(
            f"{what} must have first dimension {n} to match responses; got shape {array.shape}."
        )
    return array


def _checked_images(values: Any) -> NDArray[np.float32]:
    """Images as float32 (n_images, height, width): numeric, 3-D, non-empty, finite."""
    images = np.asarray(values)
    _check_numeric("images", images)
    if images.ndim != 3 or images.shape[0] == 0:
        raise DataValueError(
            f"images must be 3-D (n_images, height, width) with at least one image; got "
            f"shape {images.shape}."
        )
    checked = np.asarray(images, dtype=np.float32)
    if not _all_finite(checked):
        raise DataValueError("images contain NaN or inf values.")
    return checked


def _checked_image_ids(ids: NDArray[Any], n_images: int | None) -> NDArray[Any]:
    """Integer image ids within ``[0, n_images)`` (whole-number floats are converted)."""
    if ids.dtype.kind not in "iu":
        if ids.dtype.kind == "f" and np.array_equal(ids, np.round(ids)):
            ids = ids.astype(np.int64)
        else:
            raise DataValueError(f"image_id must hold integers; got dtype {ids.dtype}.")
    if ids.min() < 0 or (n_images is not None and ids.max() >= n_images):
        raise DataValueError(
            f"image_id must lie in [0, {n_images if n_images is not None else 'inf'}); got "
            f"values from {ids.min()} to {ids.max()}."
        )
    return ids
