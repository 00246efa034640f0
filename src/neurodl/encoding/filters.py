"""Convolution tools: responses of a filter bank to images, and pooled features for regression."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch.nn import functional as F

from neurodl.encoding._validation import check_images, check_positive
from neurodl.exceptions import NeurodlValueError

__all__ = ["compute_filter_features", "compute_filter_responses"]


def _check_filters(filters: ArrayLike) -> NDArray[np.float32]:
    bank = np.asarray(filters, dtype=np.float32)
    if bank.ndim == 2:
        bank = bank[None]
    if bank.ndim != 3 or bank.shape[0] == 0:
        raise NeurodlValueError(
            f"filters must have shape (n_filters, k_height, k_width); got {np.shape(filters)}."
        )
    if not np.all(np.isfinite(bank)):
        raise NeurodlValueError("filters contain NaN or inf values.")
    return bank


def compute_filter_responses(
    images: ArrayLike,
    filters: ArrayLike,
    *,
    padding: str = "same",
    stride: int = 1,
    batch_size: int = 512,
) -> NDArray[np.float32]:
    """Convolve every image with every filter (cross-correlation, as in deep learning).

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
    filters : array-like of shape (n_filters, k, k) or (k, k)
        For example :func:`neurodl.stimuli.make_filter_bank`.
    padding : {"same", "valid"}
        "same" zero-pads so that outputs keep the image size (odd kernels); "valid" does not pad.
    stride : int
        Step between filter positions, in pixels.
    batch_size : int
        Images convolved at a time (bounds memory).

    Returns
    -------
    ndarray of shape (n_images, n_filters, out_height, out_width)

    Examples
    --------
    >>> from neurodl.stimuli import make_filter_bank, make_grating
    >>> gratings = make_grating([0.0, 90.0], size=(16, 16))
    >>> compute_filter_responses(gratings, make_filter_bank(7)).shape
    (2, 6, 16, 16)
    """
    data = check_images(images)
    bank = _check_filters(filters)
    if padding not in ("same", "valid"):
        raise NeurodlValueError(f"padding must be one of {{'same', 'valid'}}; got {padding!r}.")
    check_positive("stride", stride, integer=True)
    check_positive("batch_size", batch_size, integer=True)
    if padding == "valid" and (bank.shape[1] > data.shape[1] or bank.shape[2] > data.shape[2]):
        raise NeurodlValueError(
            f"filters ({bank.shape[1]} x {bank.shape[2]}) are larger than the images "
            f"({data.shape[1]} x {data.shape[2]}) with padding='valid'."
        )
    pad: Any = (bank.shape[1] // 2, bank.shape[2] // 2) if padding == "same" else 0
    weight = torch.from_numpy(bank[:, None].copy())
    outputs = []
    with torch.no_grad():
        for start in range(0, data.shape[0], batch_size):
            chunk = torch.from_numpy(data[start : start + batch_size][:, None].copy())
            outputs.append(F.conv2d(chunk, weight, padding=pad, stride=stride).numpy())
    return np.concatenate(outputs).astype(np.float32, copy=False)


def compute_filter_features(
    images: ArrayLike,
    filters: ArrayLike,
    *,
    pool: int = 4,
    rectify: bool = True,
    batch_size: int = 512,
) -> NDArray[np.float32]:
    """Filter-bank features for a linear readout: convolve, rectify, average-pool, flatten.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
    filters : array-like of shape (n_filters, k, k)
    pool : int
        Side of the average-pooling window (and its stride), in pixels.
    rectify : bool
        Split each filter output into its positive and negative half-waves (on and off
        channels), which lets a linear readout express phase-invariant responses.

    Returns
    -------
    ndarray of shape (n_images, n_features)
        ``n_features = n_filters * (2 if rectify else 1) * ceil(H / pool) * ceil(W / pool)``.
    """
    check_positive("pool", pool, integer=True)
    data = check_images(images)
    bank = _check_filters(filters)
    weight = torch.from_numpy(bank[:, None].copy())
    pad = (bank.shape[1] // 2, bank.shape[2] // 2)
    outputs = []
    with torch.no_grad():
        for start in range(0, data.shape[0], batch_size):
            chunk = torch.from_numpy(data[start : start + batch_size][:, None].copy())
            out = F.conv2d(chunk, weight, padding=pad)
            if rectify:
                out = torch.cat([F.relu(out), F.relu(-out)], dim=1)
            if pool > 1:
                out = F.avg_pool2d(out, pool, ceil_mode=True)
            outputs.append(out.flatten(1).numpy())
    return np.concatenate(outputs).astype(np.float32, copy=False)
