"""Where the CNN's per-neuron readouts start: masks at receptive fields, weights by ridge."""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import NDArray
from torch.nn import functional as F

from neurodl.models.cnn import EncodingCNN

__all__ = ["inverse_output", "receptive_field_centres", "start_floor", "start_readout"]

_CHUNK = 1 << 24  # floats in one block of neuron-by-position correlations


def receptive_field_centres(
    module: EncodingCNN, images: torch.Tensor, targets: torch.Tensor, *, max_images: int = 2000
) -> torch.Tensor:
    """Each neuron's most likely receptive-field centre on the core's feature map.

    The first layer's filters (a filter bank at initialisation) give each image a map of local
    oriented energy per channel (squared outputs, smoothed over 3 x 3 map pixels). The squared
    correlations of a neuron's responses with every channel's energy, summed over channels, form
    a map whose peak is where the neuron's drive comes from; it starts the readout there, which
    spares the optimiser from searching the image for each neuron.

    Returns
    -------
    Tensor of shape (n_neurons, 2): (row, column) in feature-map pixels.
    """
    rows = slice(0, min(int(images.shape[0]), max_images))
    conv = module.core.first_conv
    with torch.no_grad():
        x = module.core.pool(images[rows].unsqueeze(1))
        y = targets[rows]
        y = (y - y.mean(0)) / y.std(0).clamp_min(1e-6)
        n, n_neurons = y.shape
        height, width = x.shape[2:]
        score = torch.zeros(n_neurons, height * width)
        step = max(1, _CHUNK // (height * width))  # neurons per block: bounded memory
        for c in range(conv.out_channels):  # one channel at a time: bounded memory
            out = F.conv2d(x, conv.weight[c : c + 1], padding=conv.padding)
            energy = F.avg_pool2d(out**2, 3, stride=1, padding=1).reshape(n, -1)
            energy = (energy - energy.mean(0)) / energy.std(0).clamp_min(1e-6)
            for start in range(0, n_neurons, step):
                block = slice(start, start + step)
                score[block] += ((y[:, block].T @ energy) / n) ** 2
        best = score.argmax(1)
    return torch.stack([best // width, best % width], dim=1).float()


def inverse_output(mean: NDArray[np.float64], output: str) -> NDArray[np.float64]:
    """Pre-activation that makes the output nonlinearity return ``mean``.

    For ``shifted_elu`` it is 0 (the kink) and the floors start at ``mean - 1`` (see
    :func:`start_floor`): started in the linear part instead (pre-activation 1), the networks
    stayed nearly linear (FEVE 0.66-0.74 against 0.73-0.79 on z-scored LN neurons).
    """
    if output == "identity":
        return mean
    if output == "shifted_elu":
        return np.zeros_like(mean)
    positive = np.maximum(mean, 1e-3)
    if output == "softplus":
        return np.log(np.expm1(positive))
    return np.where(positive >= 1.0, positive - 1.0, np.log(positive))


def start_floor(module: EncodingCNN, mean: NDArray[np.float64]) -> None:
    """Start a ``shifted_elu`` output's floors so that it returns ``mean`` at pre-activation 0."""
    floor = getattr(module.output, "floor", None)
    if floor is not None:
        with torch.no_grad():
            floor.copy_(torch.from_numpy((mean - 1.0).astype(np.float32)))


def _output_slope(pre: torch.Tensor, output: str) -> torch.Tensor:
    """Derivative of the output nonlinearity at the pre-activation ``pre``."""
    if output == "identity":
        return torch.ones_like(pre)
    if output == "softplus":
        return torch.sigmoid(pre)
    return torch.where(pre >= 0, torch.ones_like(pre), torch.exp(pre))  # elu1, shifted_elu


def start_readout(
    module: EncodingCNN,
    images: torch.Tensor,
    targets: torch.Tensor,
    *,
    output: str,
    place: bool = True,
    ridge: float = 0.1,
    max_images: int = 512,
) -> None:
    """Start every readout at its neuron's receptive field, with weights fitted by ridge.

    The masks are placed by :func:`receptive_field_centres` (when ``place``). The core's
    features at initialisation, pooled by each neuron's mask, are then regressed on the
    neuron's responses (ridge, penalty ``ridge`` times the mean feature variance; through the
    output nonlinearity linearised at the mean response), and the feature weights and bias start
    there. Every neuron then starts near the best linear readout of the initial core rather than
    at small random weights, so that short training on few images ends in nearly the same place
    whatever the seed.

    Parameters
    ----------
    module : EncodingCNN
        The network to start (changed in place; batch-norm statistics see one batch).
    images : Tensor of shape (n_images, height, width)
        Training images, normalised as the network sees them.
    targets : Tensor of shape (n_images, n_neurons)
        Training responses, scaled as the network is trained on them.
    output : {"elu1", "softplus", "shifted_elu", "identity"}
    place : bool
        Also place the masks at the receptive-field centres.
    ridge : float
        Relative ridge penalty of the weights' regression.
    max_images : int
        Images used (the first ones; bounds memory).
    """
    if place:
        module.readout.place(receptive_field_centres(module, images, targets))
    rows = slice(0, min(int(images.shape[0]), max_images))
    y = targets[rows].double()
    mean = y.mean(0)
    pre = torch.from_numpy(inverse_output(mean.numpy(), output))
    start_floor(module, mean.numpy())
    scaled = (y - mean) / _output_slope(pre, output).clamp_min(1e-2)
    with torch.no_grad():
        training = module.training
        module.core.train()  # batch statistics: the running ones are not estimated yet
        features = module.core(images[rows].unsqueeze(1))
        module.train(training)
        features = features.flatten(2)  # (n_images, channels, positions)
        masks = module.readout.masks().flatten(1)
    n, channels, positions = features.shape
    weights = torch.empty(masks.shape[0], channels, dtype=torch.float64)
    bias = torch.empty(masks.shape[0], dtype=torch.float64)
    step = max(1, _CHUNK // (n * channels))  # neurons per block: bounded memory
    eye = torch.eye(channels, dtype=torch.float64)
    for start in range(0, masks.shape[0], step):
        block = slice(start, start + step)
        pooled = (features.reshape(-1, positions) @ masks[block].T).reshape(n, channels, -1)
        pooled = pooled.double()
        feature_mean = pooled.mean(0)  # (channels, block)
        centred = pooled - feature_mean
        gram = torch.einsum("bcn,bdn->ncd", centred, centred) / n
        rhs = torch.einsum("bcn,bn->nc", centred, scaled[:, block]) / n
        diagonal = torch.diagonal(gram, dim1=1, dim2=2).mean(1).clamp_min(1e-12)
        system = gram + (ridge * diagonal)[:, None, None] * eye
        weights[block] = torch.linalg.solve(system, rhs.unsqueeze(2))[..., 0]
        bias[block] = pre[block] - (weights[block] * feature_mean.T).sum(1)
    with torch.no_grad():
        module.readout.weights.copy_(weights.float())
        module.readout.bias.copy_(bias.float())
