"""Input checks shared by the encoding estimators and functions."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import issparse

from neurodl.exceptions import NeurodlTypeError, NeurodlValueError


def check_images(images: Any, name: str = "images") -> NDArray[np.float32]:
    """Return ``images`` as a finite float32 array of shape (n, height, width)."""
    if issparse(images):
        raise NeurodlTypeError(f"{name} must be a dense array; sparse input is not supported.")
    try:
        array = np.asarray(images)
    except (TypeError, ValueError) as exc:
        raise NeurodlTypeError(f"{name} must be an array of shape (n, height, width).") from exc
    if array.dtype.kind == "c":
        raise NeurodlValueError(f"{name}: Complex data not supported; got dtype {array.dtype}.")
    if array.dtype.kind not in "biuf":
        raise NeurodlTypeError(f"{name} must be numeric; got dtype {array.dtype}.")
    if array.ndim != 3:
        raise NeurodlValueError(
            f"{name} must be 3-D (n_images, height, width); got shape {array.shape}."
        )
    if array.shape[0] == 0 or min(array.shape[1:]) < 2:
        raise NeurodlValueError(
            f"{name} must hold at least one image of at least 2 x 2 pixels; got shape "
            f"{array.shape}."
        )
    array = np.asarray(array, dtype=np.float32)
    if not np.all(np.isfinite(array)):
        raise NeurodlValueError(f"{name} contain NaN or inf values.")
    return array


def check_responses(responses: Any, n_images: int) -> NDArray[np.float32]:
    """Return ``responses`` as finite float32 of shape (n_images, n_neurons)."""
    if responses is None:
        raise NeurodlValueError(
            "responses: this estimator requires y to be passed, but the target y is None."
        )
    if issparse(responses):
        raise NeurodlTypeError("responses must be a dense array; sparse input is not supported.")
    try:
        array = np.asarray(responses)
    except (TypeError, ValueError) as exc:
        raise NeurodlTypeError(
            "responses must be an array of shape (n_images, n_neurons)."
        ) from exc
    if array.dtype.kind not in "biuf":
        raise NeurodlTypeError(f"responses must be numeric; got dtype {array.dtype}.")
    if array.ndim == 1:
        array = array[:, None]
    if array.ndim != 2:
        raise NeurodlValueError(
            f"responses must be 2-D (n_images, n_neurons); got shape {array.shape}."
        )
    if array.shape[0] != n_images:
        raise NeurodlValueError(
            f"images and responses must have the same length; got {n_images} images and "
            f"{array.shape[0]} rows of responses."
        )
    if array.shape[1] == 0:
        raise NeurodlValueError("responses must have at least one neuron; got 0 columns.")
    array = np.asarray(array, dtype=np.float32)
    if not np.all(np.isfinite(array)):
        raise NeurodlValueError("responses contain NaN or inf values.")
    return array


def check_image_size(images: NDArray[np.float32], expected: tuple[int, int]) -> None:
    """Refuse images whose size differs from the size seen in ``fit``."""
    if tuple(images.shape[1:]) != tuple(expected):
        raise NeurodlValueError(
            f"images must be {expected[0]} x {expected[1]} pixels like the training images; got "
            f"{images.shape[1]} x {images.shape[2]}."
        )


def check_choice(name: str, value: Any, options: tuple[str, ...]) -> None:
    """Refuse ``value`` unless it is one of ``options``."""
    if value not in options:
        listed = ", ".join(repr(o) for o in options)
        raise NeurodlValueError(f"{name} must be one of {{{listed}}}; got {value!r}.")


def check_positive(
    name: str, value: Any, *, integer: bool = False, allow_zero: bool = False
) -> None:
    """Refuse a value that is not a (positive) number."""
    kinds = (int, np.integer) if integer else (int, float, np.integer, np.floating)
    ok = isinstance(value, kinds) and not isinstance(value, bool)
    if ok:
        ok = value >= 0 if allow_zero else value > 0
    if not ok:
        what = "an integer" if integer else "a number"
        bound = ">= 0" if allow_zero else "> 0"
        raise NeurodlValueError(f"{name} must be {what} {bound}; got {value!r}.")


def check_fit_data(images: Any, responses: Any) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Validate the images and responses given to ``fit`` or ``score`` (responses None first)."""
    if responses is None:
        check_responses(None, 0)
    data = check_images(images)
    return data, check_responses(responses, data.shape[0])
