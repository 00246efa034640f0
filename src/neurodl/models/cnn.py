"""Convolutional encoding models: a shared core, a factorised per-neuron readout, an output.

The readout of each neuron multiplies a spatial mask (a low-rank product of a row profile and a
column profile) with a vector of feature weights, so that its size grows with
``n_neurons * rank * (height + width) + n_neurons * channels`` rather than with
``n_neurons * height * width * channels``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

__all__ = [
    "ConvCore",
    "EncodingCNN",
    "EnsembleCNN",
    "FactorisedReadout",
    "GaussianReadout",
    "OutputNonlinearity",
]

_ACTIVATIONS = {"elu": nn.ELU, "relu": nn.ReLU, "softplus": nn.Softplus}
_OUTPUTS = ("softplus", "elu1", "shifted_elu", "identity")


class _WithEnergy(nn.Module):
    """An activation that also passes on the squared input as extra channels (local energy)."""

    def __init__(self, activation: nn.Module) -> None:
        super().__init__()
        self.activation = activation

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.activation(x), x * x], dim=1)


class _FullResolution(nn.Module):
    """First-layer filters at full resolution whose outputs are rectified (and squared) before
    they are average-pooled to the core's resolution, then batch-normalised.

    Pooling the images first (as the core does) keeps only what varies slowly across a pooling
    block; a filter tuned to a high spatial frequency sees that part alias. Taking the
    nonlinearity before the pooling keeps its local energy instead.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        kernel: int,
        *,
        factor: int,
        activation: nn.Module,
        energy: bool,
        weights: torch.Tensor | None,
    ) -> None:
        super().__init__()
        self.conv = nn.Conv2d(in_channels, channels, kernel, padding=kernel // 2, bias=False)
        if weights is not None:
            with torch.no_grad():
                self.conv.weight.copy_(weights)
        self.activation, self.factor, self.energy = activation, int(factor), bool(energy)
        self.out_channels = 2 * channels if energy else channels
        self.norm = nn.BatchNorm2d(self.out_channels)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = self.conv(images)
        out = torch.cat([self.activation(x), x * x], dim=1) if self.energy else self.activation(x)
        if self.factor > 1:
            out = F.avg_pool2d(out, self.factor, ceil_mode=True)
        return self.norm(out)


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
    energy : bool
        The first layer also passes on its squared outputs (local energy).
    fine_channels : int
        Extra first-layer filters (of the same kernel size in image pixels) applied to the
        images before the downsampling; their activations (and squares, with ``energy``) are
        average-pooled to the core's resolution and stacked with the first layer's outputs.
    fine_first_layer : Tensor of shape (fine_channels, in_channels, k, k), optional
        Their initial weights.
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
        energy: bool = False,
        fine_channels: int = 0,
        fine_first_layer: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.downsample = int(downsample)
        # full-resolution channels join the first layer's outputs
        extra = (2 if energy else 1) * int(fine_channels)
        layers: list[nn.Module] = []
        previous = in_channels
        for index, (width, kernel) in enumerate(zip(channels, kernel_sizes, strict=True)):
            conv = nn.Conv2d(previous, width, kernel, padding=kernel // 2, bias=False)
            if index == 0 and first_layer is not None:
                with torch.no_grad():
                    conv.weight.copy_(first_layer)
            act: nn.Module = _ACTIVATIONS[activation]()
            if index == 0 and energy:
                act = _WithEnergy(act)
            layers += [conv, nn.BatchNorm2d(width), act]
            previous = (2 * width if energy else width) + extra if index == 0 else width
        self.fine: _FullResolution | None = None
        if fine_channels > 0:
            self.fine = _FullResolution(
                in_channels,
                int(fine_channels),
                int(kernel_sizes[0]),
                factor=self.downsample,
                activation=_ACTIVATIONS[activation](),
                energy=energy,
                weights=fine_first_layer,
            )
        self.layers = nn.Sequential(*layers)
        self.out_channels = previous

    @property
    def first_conv(self) -> nn.Conv2d:
        """The first convolution (its weights are the learned first-layer filters)."""
        layer = self.layers[0]
        assert isinstance(layer, nn.Conv2d)
        return layer

    def pool(self, images: torch.Tensor) -> torch.Tensor:
        """The input pooling: images (batch, in_channels, H, W) at the core's resolution."""
        if self.downsample > 1:
            return F.avg_pool2d(images, self.downsample, ceil_mode=True)
        return images

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Map images (batch, in_channels, H, W) to features (batch, channels, H', W')."""
        if self.fine is None:
            return self.layers(self.pool(images))
        first = self.layers[:3](self.pool(images))  # convolution, batch norm, activation
        return self.layers[3:](torch.cat([first, self.fine(images)], dim=1))


class _MaskedReadout(nn.Module):
    """Per-neuron feature weights and bias applied to features pooled by ``self.masks()``."""

    def _add_weights(self, channels: int, n_neurons: int) -> None:
        """Create the feature weights and bias (after the masks' parameters: seeded draws)."""
        self.weights = nn.Parameter(torch.randn(n_neurons, channels) / channels**0.5 * 0.1)
        self.bias = nn.Parameter(torch.zeros(n_neurons))

    def masks(self) -> torch.Tensor:
        """Spatial masks of shape (n_neurons, height, width)."""
        raise NotImplementedError

    def pool(self, features: torch.Tensor) -> torch.Tensor:
        """Features (batch, channels, H, W) weighted by each mask: (batch, channels, n_neurons)."""
        batch, channels = features.shape[:2]
        masks = self.masks().flatten(1)  # (n, h*w)
        return (features.reshape(batch * channels, -1) @ masks.T).reshape(batch, channels, -1)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """Map features (batch, channels, H, W) to responses (batch, n_neurons)."""
        return torch.einsum("bcn,nc->bn", self.pool(features), self.weights) + self.bias


class FactorisedReadout(_MaskedReadout):
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

    def __init__(
        self,
        channels: int,
        height: int,
        width: int,
        n_neurons: int,
        *,
        rank: int = 1,
    ) -> None:
        super().__init__()
        self.rows = nn.Parameter(torch.full((n_neurons, rank, height), 1.0 / height**0.5))
        self.cols = nn.Parameter(torch.full((n_neurons, rank, width), 1.0 / width**0.5))
        with torch.no_grad():
            self.rows.add_(0.1 * torch.randn_like(self.rows) / height**0.5)
            self.cols.add_(0.1 * torch.randn_like(self.cols) / width**0.5)
        self._add_weights(channels, n_neurons)

    def masks(self) -> torch.Tensor:
        """Spatial masks of shape (n_neurons, height, width)."""
        return torch.einsum("nkh,nkw->nhw", self.rows, self.cols)

    @torch.no_grad()
    def place(self, centres: torch.Tensor, sigma: float = 1.5) -> None:
        """Start each mask as a Gaussian bump at ``centres`` (n_neurons, 2), in map pixels."""
        rows = torch.arange(self.rows.shape[2], dtype=torch.float32)
        cols = torch.arange(self.cols.shape[2], dtype=torch.float32)
        bump_r = torch.exp(-0.5 * ((rows - centres[:, :1]) / sigma) ** 2)
        bump_c = torch.exp(-0.5 * ((cols - centres[:, 1:]) / sigma) ** 2)
        bump_r, bump_c = bump_r * (bump_r > 1e-6), bump_c * (bump_c > 1e-6)  # no denormals
        self.rows[:, 0] = bump_r / bump_r.norm(dim=1, keepdim=True)
        self.cols[:, 0] = bump_c / bump_c.norm(dim=1, keepdim=True)

    def penalty(self) -> torch.Tensor:
        """L1 norm of the masks' profiles and the feature weights, averaged over neurons."""
        n = self.weights.shape[0]
        return (self.rows.abs().sum() + self.cols.abs().sum() + self.weights.abs().sum()) / n


class GaussianReadout(_MaskedReadout):
    """Per-neuron readout: a Gaussian spatial mask with learned centre and width, times weights.

    ``mask[n] = g(rows; mu_row[n], sigma[n]) outer g(cols; mu_col[n], sigma[n])`` with each
    profile ``g`` normalised to sum 1, so a neuron reads a weighted local average of the core's
    features around its receptive-field centre. Per neuron that is 3 spatial parameters (centre
    and width) plus one weight per channel, far fewer than a free mask, which is what limits
    over-fitting when single trials are noisy. The width is bounded below by half a feature-map
    pixel so that the centre keeps a gradient (sub-pixel interpolation).

    Parameters
    ----------
    channels, height, width : int
        Shape of the core's feature maps.
    n_neurons : int
    init_sigma : float
        Initial width in units of the feature map's larger side (wide, so that every neuron
        first sees most of the image and its centre can move towards its receptive field).
    """

    def __init__(
        self, channels: int, height: int, width: int, n_neurons: int, *, init_sigma: float = 0.2
    ) -> None:
        super().__init__()
        # centres in feature-map pixels, spread at random over the map until placed
        self.centre = nn.Parameter(
            torch.rand(n_neurons, 2) * torch.tensor([height - 1.0, width - 1.0])
        )
        sigma = init_sigma * max(height, width)
        self.log_sigma = nn.Parameter(torch.full((n_neurons,), float(np.log(sigma))))
        self._add_weights(channels, n_neurons)
        self.register_buffer("_rows", torch.arange(height, dtype=torch.float32), persistent=False)
        self.register_buffer("_cols", torch.arange(width, dtype=torch.float32), persistent=False)

    @torch.no_grad()
    def place(self, centres: torch.Tensor, sigma: float = 1.0) -> None:
        """Centre each mask at ``centres`` (n_neurons, 2), in map pixels, with width ``sigma``."""
        self.centre.copy_(centres)
        self.log_sigma.fill_(float(np.log(sigma)))

    def sigma(self) -> torch.Tensor:
        """Mask widths in feature-map pixels, shape (n_neurons,)."""
        return self.log_sigma.exp().clamp_min(0.5)

    def _profiles(self) -> tuple[torch.Tensor, torch.Tensor]:
        sigma = self.sigma()[:, None]
        grid_r, grid_c = self.get_buffer("_rows"), self.get_buffer("_cols")
        rows = torch.softmax(-0.5 * ((grid_r - self.centre[:, :1]) / sigma) ** 2, dim=1)
        cols = torch.softmax(-0.5 * ((grid_c - self.centre[:, 1:]) / sigma) ** 2, dim=1)
        # far tails underflow to denormal floats, which slow matrix products many-fold
        return rows * (rows > 1e-6), cols * (cols > 1e-6)

    def masks(self) -> torch.Tensor:
        """Spatial masks of shape (n_neurons, height, width)."""
        rows, cols = self._profiles()
        return rows[:, :, None] * cols[:, None, :]

    def penalty(self) -> torch.Tensor:
        """L1 norm of the feature weights, averaged over neurons."""
        return self.weights.abs().sum() / self.weights.shape[0]


class OutputNonlinearity(nn.Module):
    """The output: ``softplus``, ``elu1`` (ELU + 1), ``shifted_elu`` or ``identity``.

    ``shifted_elu`` is ``ELU(x) + floor + 1`` with a learned ``floor`` per neuron: a rectifying
    output whose lowest value is the neuron's own (``floor``, of any sign) rather than 0, for
    responses that were shifted by a baseline or z-scored.

    Parameters
    ----------
    kind : {"softplus", "elu1", "shifted_elu", "identity"}
    n_neurons : int
        Number of outputs (for the floors of ``shifted_elu``).
    """

    def __init__(self, kind: str = "elu1", n_neurons: int = 1) -> None:
        super().__init__()
        if kind not in _OUTPUTS:
            listed = ", ".join(repr(k) for k in _OUTPUTS)
            raise ValueError(f"kind must be one of {{{listed}}}; got {kind!r}.")
        self.kind = kind
        if kind == "shifted_elu":
            self.floor = nn.Parameter(torch.zeros(n_neurons))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Apply the nonlinearity elementwise."""
        if self.kind == "softplus":
            return F.softplus(x)
        if self.kind == "elu1":
            return F.elu(x) + 1.0
        if self.kind == "shifted_elu":
            return F.elu(x) + 1.0 + self.floor
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
    readout : {"gaussian", "factorised"}
        Per-neuron readout (see :class:`GaussianReadout` and :class:`FactorisedReadout`).
    mask_rank : int
        Rank of each neuron's spatial mask (factorised readout only).
    activation : str
        Nonlinearity inside the core.
    output : {"softplus", "elu1", "shifted_elu", "identity"}
    first_layer : Tensor, optional
        Initial first-layer filters of shape (channels[0], 1, k, k).
    energy : bool
        Squared first-layer outputs as extra channels (see :class:`ConvCore`).
    fine_channels : int
        First-layer filters at full resolution (see :class:`ConvCore`).
    fine_first_layer : Tensor, optional
        Their initial weights, shape (fine_channels, 1, k, k).
    """

    def __init__(
        self,
        image_size: tuple[int, int],
        n_neurons: int,
        *,
        channels: Sequence[int] = (16, 16),
        kernel_sizes: Sequence[int] = (9, 7),
        downsample: int = 2,
        readout: str = "factorised",
        mask_rank: int = 1,
        activation: str = "elu",
        output: str = "elu1",
        first_layer: torch.Tensor | None = None,
        energy: bool = False,
        fine_channels: int = 0,
        fine_first_layer: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        self.core = ConvCore(
            channels,
            kernel_sizes,
            downsample=downsample,
            activation=activation,
            first_layer=first_layer,
            energy=energy,
            fine_channels=fine_channels,
            fine_first_layer=fine_first_layer,
        )
        height = -(-image_size[0] // max(1, int(downsample)))
        width = -(-image_size[1] // max(1, int(downsample)))
        self.readout: FactorisedReadout | GaussianReadout
        if readout == "gaussian":
            self.readout = GaussianReadout(self.core.out_channels, height, width, n_neurons)
        elif readout == "factorised":
            self.readout = FactorisedReadout(
                self.core.out_channels, height, width, n_neurons, rank=mask_rank
            )
        else:
            raise ValueError(
                f"readout must be one of {{'gaussian', 'factorised'}}; got {readout!r}."
            )
        self.output = OutputNonlinearity(output, n_neurons)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Map images (batch, H, W) or (batch, 1, H, W) to responses (batch, n_neurons)."""
        if images.dim() == 3:
            images = images.unsqueeze(1)
        return self.output(self.readout(self.core(images)))


class EnsembleCNN(nn.Module):
    """Several trained networks whose predicted responses are averaged.

    Averaging the predictions of networks trained from different starts (and on different
    validation splits) cancels part of each one's fitting noise, which single-trial training
    responses make large.

    Parameters
    ----------
    members : sequence of nn.Module
        Networks mapping the same images to the same neurons.
    """

    def __init__(self, members: Sequence[nn.Module]) -> None:
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one member.")
        self.members = nn.ModuleList(members)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """The members' mean response to images (batch, H, W) or (batch, 1, H, W)."""
        out = self.members[0](images)
        for member in self.members[1:]:
            out = out + member(images)
        return out / len(self.members)
