"""Receptive fields and tuning of fitted encoders: readout masks, gradients, reverse correlation,
in-silico orientation tuning."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from sklearn.utils.validation import check_is_fitted

from neurodl.encoding._validation import check_images, check_positive
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.metrics import pearson_correlation
from neurodl.stimuli import make_grating

__all__ = [
    "compare_tuning",
    "compute_gradient_rf",
    "compute_readout_masks",
    "compute_reverse_correlation",
    "compute_tuning_curves",
]


def _neuron_index(neurons: ArrayLike | None, n_neurons: int) -> NDArray[np.intp]:
    if neurons is None:
        return np.arange(n_neurons)
    index = np.atleast_1d(np.asarray(neurons))
    if index.dtype.kind not in "iu" or index.ndim != 1:
        raise NeurodlValueError(f"neurons must be a 1-D array of ints; got {neurons!r}.")
    if index.size == 0 or index.min() < 0 or index.max() >= n_neurons:
        raise NeurodlValueError(
            f"neurons must be indices in [0, {n_neurons}); got values from "
            f"{index.min() if index.size else None} to {index.max() if index.size else None}."
        )
    return index.astype(np.intp)


def _require_cnn(encoder: Any, what: str) -> None:
    from neurodl.encoding.cnn import CNNEncoder

    if not isinstance(encoder, CNNEncoder):
        raise NeurodlTypeError(f"{what} needs a fitted CNNEncoder; got {type(encoder).__name__}.")
    check_is_fitted(encoder)


def compute_readout_masks(
    encoder: Any, neurons: ArrayLike | None = None, *, upsample: bool = True
) -> NDArray[np.float32]:
    """Spatial readout mask of each neuron of a fitted :class:`CNNEncoder`.

    Parameters
    ----------
    encoder : CNNEncoder, fitted
    neurons : array-like of int, optional
        Which neurons; all by default.
    upsample : bool
        Resize the masks (bilinear) from the core's resolution to the image size.

    Returns
    -------
    ndarray of shape (n_selected, height, width)
        Masks are signed (the sign pairs with the sign of the feature weights).
    """
    _require_cnn(encoder, "compute_readout_masks")
    index = _neuron_index(neurons, encoder.n_neurons_)
    masks = encoder.readout_masks()[index]
    if not upsample:
        return masks
    tensor = torch.from_numpy(masks[:, None])
    resized = torch.nn.functional.interpolate(
        tensor, size=encoder.image_size_, mode="bilinear", align_corners=False
    )
    return resized[:, 0].numpy()


def compute_gradient_rf(
    encoder: Any,
    images: ArrayLike | None = None,
    neurons: ArrayLike | None = None,
    *,
    batch_size: int = 128,
) -> NDArray[np.float32]:
    """Receptive field of each model neuron: the gradient of its response w.r.t. the image.

    The gradient is averaged over ``images`` (a grey image by default). For a linear-nonlinear
    neuron it is proportional to the linear filter; for a phase-invariant (complex) neuron it
    averages to little on a grey image, so pass natural or noise images and read the map as
    where and at what structure the neuron looks.

    Parameters
    ----------
    encoder : CNNEncoder, fitted
    images : array-like of shape (n_images, height, width), optional
        Points at which the gradient is taken (in the units of the training images).
    neurons : array-like of int, optional

    Returns
    -------
    ndarray of shape (n_selected, height, width)
        d response / d pixel, in response units per image unit.
    """
    _require_cnn(encoder, "compute_gradient_rf")
    check_positive("batch_size", batch_size, integer=True)
    index = _neuron_index(neurons, encoder.n_neurons_)
    if images is None:
        points = np.full((1, *encoder.image_size_), encoder.image_mean_, dtype=np.float32)
    else:
        points = check_images(images)
    x = encoder._to_input(points).to(encoder.device_)
    module = encoder.module_.eval()
    scale = torch.from_numpy(encoder.response_scale_).to(encoder.device_)
    total = torch.zeros((index.size, *encoder.image_size_), device=encoder.device_)
    selected = torch.from_numpy(index).to(encoder.device_)
    for image in x:
        for start in range(0, index.size, batch_size):
            chunk = selected[start : start + batch_size]
            batch = image.expand(chunk.numel(), *image.shape).clone().requires_grad_(True)
            out = module(batch)[torch.arange(chunk.numel()), chunk] * scale[chunk]
            (grad,) = torch.autograd.grad(out.sum(), batch)
            total[start : start + chunk.numel()] += grad
    return (total / (len(x) * encoder.image_std_)).detach().cpu().numpy()


def compute_reverse_correlation(
    encoder: Any,
    *,
    n_images: int = 2000,
    contrast: float | None = None,
    neurons: ArrayLike | None = None,
    random_state: int | np.random.Generator | None = None,
) -> NDArray[np.float32]:
    """Receptive field by reverse correlation: the response-weighted average of white noise.

    Shows ``n_images`` Gaussian white-noise images to the model, and returns each neuron's
    spike-triggered average ``sum_i (r_i - mean r) x_i / n``, which for a linear-nonlinear neuron
    is proportional to its linear filter.

    Parameters
    ----------
    encoder : any fitted encoder with ``predict`` and ``image_size_``
    n_images : int
    contrast : float, optional
        Pixel standard deviation of the noise; the training images' by default.
    neurons : array-like of int, optional
    random_state : int, Generator or None

    Returns
    -------
    ndarray of shape (n_selected, height, width)
    """
    check_is_fitted(encoder)
    check_positive("n_images", n_images, integer=True)
    index = _neuron_index(neurons, encoder.n_neurons_)
    sd = float(getattr(encoder, "image_std_", 1.0)) if contrast is None else float(contrast)
    check_positive("contrast", sd)
    rng = np.random.default_rng(random_state)
    height, width = encoder.image_size_
    total = np.zeros((index.size, height * width))
    mean_image = float(getattr(encoder, "image_mean_", 0.0))
    responses_sum = np.zeros(index.size)
    pixels_sum = np.zeros(height * width)
    for start in range(0, n_images, 500):
        count = min(500, n_images - start)
        noise = rng.standard_normal((count, height, width)).astype(np.float32) * sd
        r = encoder.predict(noise + mean_image)[:, index].astype(np.float64)
        total += r.T @ noise.reshape(count, -1)
        responses_sum += r.sum(0)
        pixels_sum += noise.reshape(count, -1).sum(0)
    sta = total / n_images - np.outer(responses_sum / n_images, pixels_sum / n_images)
    return sta.reshape(index.size, height, width).astype(np.float32)


def compute_tuning_curves(
    encoder: Any,
    orientations: ArrayLike | None = None,
    *,
    spatial_frequency: float = 4.0,
    n_phases: int = 8,
    phases: ArrayLike | None = None,
    contrast: float | None = None,
    neurons: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float32]]:
    """In-silico orientation tuning: the model's mean response to gratings of each orientation.

    Each orientation is shown at ``n_phases`` evenly spaced phases (or at the given ``phases``)
    and the responses averaged, as a drifting grating would be.

    Parameters
    ----------
    encoder : any fitted encoder with ``predict`` and ``image_size_``
    orientations : array-like of shape (n_orientations,), optional
        Degrees (see :func:`neurodl.stimuli.make_grating`); 0, 10, ..., 350 by default.
    spatial_frequency : float
        Cycles per image width.
    n_phases : int
    phases : array-like of float, optional
        Grating phases in degrees, instead of ``n_phases`` evenly spaced ones (for example the
        one phase a recording used).
    contrast : float, optional
        Grating amplitude; chosen so the pixel SD matches the training images by default.
    neurons : array-like of int, optional

    Returns
    -------
    orientations : ndarray of shape (n_orientations,)
    curves : ndarray of shape (n_orientations, n_selected)
    """
    check_is_fitted(encoder)
    check_positive("n_phases", n_phases, integer=True)
    grid = np.arange(0.0, 360.0, 10.0) if orientations is None else np.asarray(orientations, float)
    if grid.ndim != 1 or grid.size == 0 or not np.all(np.isfinite(grid)):
        raise NeurodlValueError("orientations must be a non-empty 1-D array of finite degrees.")
    index = _neuron_index(neurons, encoder.n_neurons_)
    amplitude = (
        float(getattr(encoder, "image_std_", 0.5)) * np.sqrt(2.0) if contrast is None else contrast
    )
    mean_image = float(getattr(encoder, "image_mean_", 0.0))
    curves = np.zeros((grid.size, index.size), dtype=np.float64)
    shown = np.arange(n_phases) * 360.0 / n_phases if phases is None else np.atleast_1d(phases)
    for phase in np.asarray(shown, dtype=np.float64):
        gratings = make_grating(
            grid,
            size=encoder.image_size_,
            spatial_frequency=spatial_frequency,
            phase=phase,
            contrast=amplitude,
        )
        curves += encoder.predict(gratings.reshape(-1, *encoder.image_size_) + mean_image)[:, index]
    return grid, (curves / len(shown)).astype(np.float32)


def compare_tuning(predicted: ArrayLike, measured: ArrayLike) -> NDArray[np.float64]:
    """Per-neuron correlation between predicted and measured tuning curves.

    Parameters
    ----------
    predicted, measured : array-like of shape (n_orientations, n_neurons)
        Curves sampled at the same orientations.

    Returns
    -------
    ndarray of shape (n_neurons,)
    """
    return pearson_correlation(predicted, measured)
