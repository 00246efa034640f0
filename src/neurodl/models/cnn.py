"""Convolutional encoding models: a shared core, a factorised per-neuron readout, an output.

The readout of each neuron multiplies a spatial mask (a low-rank product of a row profile and a
column profile) with a vector of feature weights, so that its size grows with
``n_neurons * rank * (height + width) + n_neurons * channels`` rather than with
``n_neurons * height * width * channels``.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ConvCore", "EncodingCNN", "FactorisedReadout", "OutputNonlinearity"]

_ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "softplus": nn.Softplus}


class ConvCore(nn.Module):
    """A stack of same-padded convolutions, each followed by batch norm and a nonlinearity.

    Parameters
    ----------
    channels : sequence of int
        Output channels of each layer.
    kernel_sizes : sequence of int
        Kernel side of each layer (odd), as long as ``channels``.
    in_channels : int
        Channels of the input (1 for grey images).
    downsample : int
        Average-pool the input by this factor before the first layer (1 keeps full resolution).
    activation : {"elu", "relu", "softplus"}
    first_layer : Tensor of shape (channels[0], in_channels, k, k), optional
        Initial weights of the first layer (for example a filter bank).
    """

    def __init__(
        self,
        channels: Sequence[int],
        kernel_sizes: Sequence[int],
        *,
        in_channels: int = 1,
        downsample: int = 1,
        activation: str = "elu",
        first_layer: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.downsample = int(downsample)
        layers: list[nn.Module] = []
        previous = in_channels
        for index, (width, kernel) in enumerate(zip(channels, kernel_sizes, strict=True)):
            conv = nn.Conv2d(previous, width, kernel, padding=kernel // 2, bias=False)
            if index == 0 and first_layer is not None:
                with torch.no_grad():
                    conv.weight.copy_(first_layer)
            layers += [conv, nn.BatchNorm2d(width), _ACTIVATIONS[activation]()]
            previous = width
        self.layers = nn.Sequential(*layers)
        self.out_channels = previous

    @property
    def first_conv(self) -> nn.Conv2d:
        """The first convolution (its weights are the learned first-layer filters)."""
        layer = self.layers[0]
        assert isinstance(layer, nn.Conv2d)
        return layer

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Map images (batch, in_channels, H, W) to features (batch, channels, H', W')."""
        if self.downsample > 1:
            images = F.avg_pool2d(images, self.downsample, ceil_mode=True)
        return self.layers(images)


class FactorisedReadout(nn.Module):
    """Per-neuron readout: a low-rank spatial mask times feature weights, plus a bias.

    ``response[b, n] = sum_{c,h,w} features[b, c, h, w] * mask[n, h, w] * weights[n, c] + bias[n]``
    with ``mask[n] = sum_k rows[n, k, :] outer cols[n, k, :]``.

    Parameters
    ----------
    channels, height, width : int
        Shape of the core's feature maps.
    n_neurons : int
    rank : int
        Rank of each spatial mask (1: separable).
    """

    def __init__(self, channels: int, height: int, width: int, n_neurons: int, *, rank: int = 1):
        super().__init__()
        self.rows = nn.Parameter(torch.full((n_neurons, rank, height), 1.0 / height**0.5))
        self.cols = nn.Parameter(torch.full((n_neurons, rank, width), 1.0 / width**0.5))
        with torch.no_grad():
            self.rows.add_(0.1 * torch.randn_like(self.rows) / height**0.5)
            self.cols.add_(0.1 * torch.randn_like(self.cols) / width**0.5)
        self.weights = nn.Parameter(torch.randn(n_neurons, channels) / channels**0.5 * 0.1)
        self.bias = nn.Parameter(torch.zeros(n_neurons))

    def masks(self) -> torch.Tensor:
        """Spatial masks of shape (n_neurons, height, width)."""
        return torch.einsum("nkh,nkw->nhw", self.rows, self.cols)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Map features (batch, channels, H, W) to responses (batch, n_neurons)."""
        batch, channels = features.shape[:2]
        masks = self.masks().flatten(1)  # (n, h*w)
        pooled = features.reshape(batch * channels, -1) @ masks.T  # (b*c, n)
        pooled = pooled.reshape(batch, channels, -1)
        return torch.einsum("bcn,nc->bn", pooled, self.weights) + self.bias

    def penalty(self) -> torch.Tensor:
        """L1 norm of the masks' profiles and the feature weights, averaged over neurons."""
        n = self.weights.shape[0]
        return (self.rows.abs().sum() + self.cols.abs().sum() + self.weights.abs().sum()) / n


class OutputNonlinearity(nn.Module):
    """Positive output: ``softplus``, ``elu1`` (ELU + 1), or ``identity``."""

    def __init__(self, kind: str = "elu1") -> None:
        super().__init__()
        if kind not in ("softplus", "elu1", "identity"):
            raise ValueError(
                f"kind must be one of {{'softplus', 'elu1', 'identity'}}; got {kind!r}."
            )
        self.kind = kind

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the nonlinearity elementwise."""
        if self.kind == "softplus":
            return F.softplus(x)
        if self.kind == "elu1":
            return F.elu(x) + 1.0
        return x


class EncodingCNN(nn.Module):
    """Core, factorised readout and output nonlinearity: images to every neuron's response.

    Parameters
    ----------
    image_size : (height, width)
    n_neurons : int
    channels, kernel_sizes : sequences of int
        The core's layers (see :class:`ConvCore`).
    downsample : int
        Input pooling factor of the core.
    mask_rank : int
        Rank of each neuron's spatial mask.
    activation : str
        Nonlinearity inside the core.
    output : {"softplus", "elu1", "identity"}
    first_layer : Tensor, optional
        Initial first-layer filters of shape (channels[0], 1, k, k).
    """

    def __init__(
        self,
        image_size: tuple[int, int],
        n_neurons: int,
        *,
        channels: Sequence[int] = (16, 16),
        kernel_sizes: Sequence[int] = (9, 7),
        downsample: int = 2,
        mask_rank: int = 1,
        activation: str = "elu",
        output: str = "elu1",
        first_layer: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.core = ConvCore(
            channels,
            kernel_sizes,
            downsample=downsample,
            activation=activation,
            first_layer=first_layer,
        )
        height = -(-image_size[0] // max(1, int(downsample)))
        width = -(-image_size[1] // max(1, int(downsample)))
        self.readout = FactorisedReadout(
            self.core.out_channels, height, width, n_neurons, rank=mask_rank
        )
        self.output = OutputNonlinearity(output)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Map images (batch, H, W) or (batch, 1, H, W) to responses (batch, n_neurons)."""
        if images.dim() == 3:
            images = images.unsqueeze(1)
        return self.output(self.readout(self.core(images)))
