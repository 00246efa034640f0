"""Layers that obey Dale's law: every input unit is either excitatory or inhibitory.

A neuron releases the same transmitter at all its synapses, so every weight leaving an input unit
has one sign: positive for an excitatory unit, negative for an inhibitory one. Here the sign is part
of the parametrisation, ``effective_weight = |raw_weight| * sign`` with ``sign`` fixed per input,
so it holds after any optimiser step and under any training loop (no clamping, no projection).

Initialisation is balanced (Cornford et al. 2021, "Learning to live with Dale's principle"): for
every output unit the summed excitatory weight equals the summed inhibitory weight, so inputs of
equal mean (for example ReLU activity) give zero mean drive. An unbalanced start gives each unit a
large net excitation that grows layer after layer (runaway activity, an outlier eigenvalue).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from neurodl.exceptions import NeurodlValueError

__all__ = ["DaleConv2d", "DaleLinear"]


def _excitatory_mask(n_inputs: int, excitatory_fraction: float, what: str) -> torch.Tensor:
    """Bool tensor (n_inputs,): the first ``round(fraction * n_inputs)`` inputs excitatory."""
    fraction = float(excitatory_fraction)
    n_excitatory = round(fraction * n_inputs)
    if not 0.0 < fraction < 1.0 or not 1 <= n_excitatory <= n_inputs - 1:
        raise NeurodlValueError(
            f"excitatory_fraction must be in (0, 1) and leave at least one excitatory and one "
            f"inhibitory input among {what}={n_inputs}; got {excitatory_fraction!r}."
        )
    mask = torch.zeros(n_inputs, dtype=torch.bool)
    mask[:n_excitatory] = True
    return mask


def _balanced_magnitudes(
    shape: tuple[int, ...], excitatory: torch.Tensor, gain: float
) -> torch.Tensor:
    """Non-negative weights (out, in, ...) whose excitatory and inhibitory sums match per row.

    Magnitudes are exponentially distributed (positive weights with a long tail, as in
    Cornford et al. 2021); the inhibitory part of each output's row is rescaled so that its sum
    equals the excitatory sum, then the whole row is rescaled so that its squared norm is
    ``gain**2`` (variance-preserving for inputs of unit variance: He init when ``gain**2 = 2``).
    """
    magnitude = torch.empty(shape).exponential_()
    rows = magnitude.reshape(shape[0], shape[1], -1)
    excitatory_sum = rows[:, excitatory].sum(dim=(1, 2))
    inhibitory_sum = rows[:, ~excitatory].sum(dim=(1, 2))
    rows[:, ~excitatory] *= (excitatory_sum / inhibitory_sum)[:, None, None]
    norm = rows.flatten(1).norm(dim=1)
    rows *= (gain / norm)[:, None, None]
    return rows.reshape(shape)


class _DaleMixin(nn.Module):
    """Shared parts: the fixed sign per input and the effective weight."""

    raw_weight: nn.Parameter
    bias: nn.Parameter | None

    def _init_dale(
        self, shape: tuple[int, ...], excitatory_fraction: float, bias: bool, what: str
    ) -> None:
        excitatory = _excitatory_mask(shape[1], excitatory_fraction, what)
        self.register_buffer("excitatory", excitatory)
        sign = torch.where(excitatory, 1.0, -1.0).reshape(1, -1, *([1] * (len(shape) - 2)))
        self.register_buffer("sign", sign)
        self.raw_weight = nn.Parameter(_balanced_magnitudes(shape, excitatory, math.sqrt(2.0)))
        self.bias = nn.Parameter(torch.zeros(shape[0])) if bias else None

    def effective_weight(self) -> torch.Tensor:
        """The weight of the forward pass: ``|raw_weight|`` times each input's sign."""
        return self.raw_weight.abs() * self.get_buffer("sign")


class DaleLinear(_DaleMixin):
    """A linear layer whose weights leaving each input unit share one sign (Dale's law).

    ``y = x @ W.T + b`` with ``W[:, j] >= 0`` for excitatory inputs ``j`` and ``<= 0`` for
    inhibitory ones. ``W = |raw_weight| * sign`` (see :meth:`effective_weight`), so any optimiser
    may update ``raw_weight`` freely and the signs still hold.

    Initialisation: exponentially distributed magnitudes, with each output unit's summed
    inhibitory weight set equal to its summed excitatory weight (balanced E/I, Cornford et al.
    2021), so inputs of equal mean drive every output by zero on average; each row has squared
    norm 2 (He scaling) and the bias starts at zero.

    Parameters
    ----------
    in_features, out_features : int
    excitatory_fraction : float
        Fraction of the inputs that are excitatory, in (0, 1); the first
        ``round(excitatory_fraction * in_features)`` inputs are (0.8: the cortical 80:20).
    bias : bool

    Attributes
    ----------
    excitatory : bool Tensor of shape (in_features,)
        Which inputs are excitatory (a buffer: saved with the state dict, never trained).
    raw_weight : Parameter of shape (out_features, in_features)

    Examples
    --------
    >>> layer = DaleLinear(10, 3)
    >>> bool((layer.effective_weight()[:, layer.excitatory] >= 0).all())
    True
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        *,
        excitatory_fraction: float = 0.8,
        bias: bool = True,
    ) -> None:
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        self._init_dale(
            (self.out_features, self.in_features), excitatory_fraction, bias, "in_features"
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (..., in_features) to (..., out_features)."""
        return F.linear(x, self.effective_weight(), self.bias)

    def extra_repr(self) -> str:
        n_exc = int(self.get_buffer("excitatory").sum())
        return f"in_features={self.in_features}, out_features={self.out_features}, E/I={n_exc}/" + (
            f"{self.in_features - n_exc}"
        )


class DaleConv2d(_DaleMixin):
    """A 2-D convolution whose weights leaving each input channel share one sign (Dale's law).

    Every kernel weight reading input channel ``c`` is ``>= 0`` if ``c`` is excitatory and
    ``<= 0`` if inhibitory; ``W = |raw_weight| * sign`` (see :meth:`effective_weight`). Balanced
    initialisation as in :class:`DaleLinear`, with the sums taken over input channels and kernel
    positions.

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size : int or (int, int)
    excitatory_fraction : float
        Fraction of input channels that are excitatory, in (0, 1) (the first ones).
    stride, padding : int or (int, int)
    bias : bool

    Attributes
    ----------
    excitatory : bool Tensor of shape (in_channels,)
    raw_weight : Parameter of shape (out_channels, in_channels, kh, kw)
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, int],
        *,
        excitatory_fraction: float = 0.8,
        stride: int | tuple[int, int] = 1,
        padding: int | tuple[int, int] = 0,
        bias: bool = True,
    ) -> None:
        super().__init__()
        kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = (int(kernel[0]), int(kernel[1]))
        self.stride = stride
        self.padding = padding
        self._init_dale(
            (self.out_channels, self.in_channels, *self.kernel_size),
            excitatory_fraction,
            bias,
            "in_channels",
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (batch, in_channels, H, W) to (batch, out_channels, H', W')."""
        return F.conv2d(x, self.effective_weight(), self.bias, self.stride, self.padding)

    def extra_repr(self) -> str:
        n_exc = int(self.get_buffer("excitatory").sum())
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}, E/I={n_exc}/"
            f"{self.in_channels - n_exc}"
        )
