"""Control representations for model-brain comparisons: the pixels and a V1 energy model.

A network's similarity to the brain means little until it beats what needs no network: the
stimulus itself (pixels) and the classic model of V1 complex cells, the Gabor energy model
(Adelson & Bergen 1985): at each position, orientation and scale the sum of the squared
responses of a quadrature pair of Gabor filters (even and odd), whose square root does not
depend on the stimulus phase.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError, check_option

__all__ = ["CONTROLS", "compute_control_features", "compute_energy_model"]

#: Names of the controls that :func:`neurodl.rsa.run_rsa` adds with ``controls=True``.
CONTROLS = ("pixels", "energy")

ENERGY_KERNELS = (7, 15, 31)


def compute_energy_model(
    images: ArrayLike,
    *,
    kernel_sizes: tuple[int, ...] = ENERGY_KERNELS,
    n_orientations: int = 8,
    grid: tuple[int, int] = (2, 2),
) -> NDArray[np.float32]:
    """Gabor energy of each image: orientations x scales x a coarse grid of positions.

    For each kernel size K the filters are :func:`neurodl.stimuli.make_filter_bank`'s Gabors
    (envelope sigma = K/5, carrier 1/(2.5 sigma) cycles per pixel: 0.29, 0.13 and 0.06 for
    the default 7, 15 and 31 pixels) with phase 0 (even) and 90 (odd). The energy
    sqrt(even^2 + odd^2) is computed every K // 4 pixels and averaged within each cell of a
    ``grid`` over the image.

    Parameters
    ----------
    images : array-like of shape (n_images, height, width)
    kernel_sizes : tuple of int
        Odd filter sizes (one spatial scale each).
    n_orientations : int
        Orientations evenly spaced over [0, 180) degrees.
    grid : (rows, columns)
        Cells over which the energy is averaged (position information kept at this grain).

    Returns
    -------
    ndarray of shape (n_images, len(kernel_sizes) * n_orientations * rows * columns)

    Examples
    --------
    >>> from neurodl.stimuli import make_grating
    >>> compute_energy_model(make_grating([0.0, 90.0], size=(16, 16))).shape
    (2, 96)
    """
    import torch

    from neurodl.stimuli import make_filter_bank

    x = np.asarray(images, dtype=np.float32)
    if x.ndim != 3 or x.shape[0] < 1:
        raise NeurodlValueError(f"images must have shape (n_images, height, width); got {x.shape}.")
    if len(grid) != 2 or min(grid) < 1:
        raise NeurodlValueError(f"grid must be (rows, columns), each >= 1; got {grid!r}.")
    features = []
    for k in kernel_sizes:
        even = make_filter_bank(k, n_orientations=n_orientations)[2:]
        odd = make_filter_bank(k, n_orientations=n_orientations, phase=90.0)[2:]
        bank = torch.from_numpy(np.concatenate([even, odd])[:, None])
        pooled = []
        with torch.no_grad():
            for start in range(0, x.shape[0], 256):  # bounded memory
                r = torch.nn.functional.conv2d(
                    torch.from_numpy(x[start : start + 256, None]),
                    bank,
                    stride=max(1, k // 4),
                    padding=k // 2,
                )
                energy = torch.sqrt(r[:, :n_orientations] ** 2 + r[:, n_orientations:] ** 2)
                pooled.append(torch.nn.functional.adaptive_avg_pool2d(energy, grid).flatten(1))
        features.append(torch.cat(pooled).numpy())
    return np.concatenate(features, axis=1).astype(np.float32)


def compute_control_features(name: str, images: ArrayLike) -> NDArray[np.float32]:
    """Features of a control: ``"pixels"`` (the flattened images) or ``"energy"``.

    Returns
    -------
    ndarray of shape (n_images, n_features)
    """
    check_option("control", name, CONTROLS)
    x = np.asarray(images, dtype=np.float32)
    if name == "pixels":
        return x.reshape(x.shape[0], -1)
    return compute_energy_model(x)
