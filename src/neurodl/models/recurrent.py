"""Convolutional areas with lateral and top-down recurrence, unrolled over time steps.

The BL and BLT networks of Spoerer, McClure & Kriegeskorte (2017) and Spoerer et al. (2020): each
area receives bottom-up (B) input from the area below at the same step, lateral (L) input from
its own output at the previous step and, in BLT, top-down (T) input from the area above at the
previous step. CORnet-RT (Kubilius et al. 2019) unrolls areas over time in the same spirit. With
one step, or without L and T, the network is the feed-forward stack of its bottom-up convolutions.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn
from torch.nn import functional as F

from neurodl.exceptions import NeurodlValueError

__all__ = ["ConvArea", "RecurrentConvNet"]


class ConvArea(nn.Module):
    """One area: ``relu(B * input + L * own_previous + T * upsample(above_previous))``.

    Parameters
    ----------
    in_channels, channels : int
        Channels of the bottom-up input and of the area.
    kernel_size : int
        Odd kernel side of every convolution (same padding).
    lateral : bool
        Add the lateral convolution (from the area's own output at the previous step).
    topdown_channels : int or None
        Channels of the area above; None: no top-down convolution.
    stride : int
        Stride of the bottom-up convolution.

    The lateral and top-down convolutions have no bias, so a zero state (the first step) adds
    exactly nothing.
    """

    def __init__(
        self,
        in_channels: int,
        channels: int,
        kernel_size: int,
        *,
        lateral: bool,
        topdown_channels: int | None,
        stride: int = 1,
    ) -> None:
        super().__init__()
        pad = kernel_size // 2
        self.bottom_up = nn.Conv2d(in_channels, channels, kernel_size, stride=stride, padding=pad)
        self.lateral = (
            nn.Conv2d(channels, channels, kernel_size, padding=pad, bias=False) if lateral else None
        )
        self.topdown = (
            nn.Conv2d(topdown_channels, channels, kernel_size, padding=pad, bias=False)
            if topdown_channels is not None
            else None
        )
        self.relu = nn.ReLU()

    def forward(
        self,
        drive: torch.Tensor,
        previous: torch.Tensor | None = None,
        above: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """The area's output from its bottom-up ``drive`` (already convolved) and past states.

        ``drive`` is ``bottom_up(input)``, computed by the caller so that a constant input
        (the image) is convolved once; ``previous`` is the area's own output and ``above`` the
        next area's output at the previous step (None at the first step).
        """
        total = drive
        if self.lateral is not None and previous is not None:
            total = total + self.lateral(previous)
        if self.topdown is not None and above is not None:
            upsampled = F.interpolate(above, size=drive.shape[-2:], mode="nearest")
            total = total + self.topdown(upsampled)
        out: torch.Tensor = self.relu(total)
        return out


class RecurrentConvNet(nn.Module):
    """Convolutional areas with lateral and top-down recurrence, unrolled for ``times`` steps.

    Area 1 reads the image; area ``i > 1`` reads area ``i - 1`` max-pooled by ``pool_size``
    (ceil mode, so any input size works). At step ``t`` (1-based) area ``i`` computes
    ``h_i(t) = relu(B_i * x_i(t) + L_i * h_i(t-1) + T_i * up(h_{i+1}(t-1)))`` with zero states
    before the first step (standard unrolling: the bottom-up input comes from the same step).
    The readout is a linear map of the last area's spatial average at the last step.

    Activations are named ``area{i}@t{t}`` (both 1-based) and ``readout@t{t}``;
    :meth:`named_activations` returns them and :func:`neurodl.rsa.extract_activations` accepts
    these names. A forward hook on ``area{i}`` sees the last step.

    Parameters
    ----------
    channels : sequence of int
        Channels of each area.
    kernel_sizes : int or sequence of int
        Odd kernel side per area (one value for all).
    in_channels : int
    times : int
        Number of time steps (>= 1).
    lateral, topdown : bool
        Include lateral (L) and top-down (T) connections: BL is ``topdown=False``, BLT both.
    n_outputs : int
        Size of the readout.
    pool_size : int
        Max-pool factor between areas.
    input_stride : int
        Stride of area 1's bottom-up convolution (its maps are this many times smaller than
        the image, which makes the recurrent convolutions on large images affordable).

    Examples
    --------
    >>> net = RecurrentConvNet((4, 8), times=3)
    >>> acts = net.named_activations(torch.zeros(2, 1, 15, 20))
    >>> acts["area2@t3"].shape
    torch.Size([2, 8, 8, 10])
    """

    def __init__(
        self,
        channels: Sequence[int] = (16, 32),
        kernel_sizes: int | Sequence[int] = 3,
        *,
        in_channels: int = 1,
        times: int = 4,
        lateral: bool = True,
        topdown: bool = True,
        n_outputs: int = 1,
        pool_size: int = 2,
        input_stride: int = 1,
    ) -> None:
        super().__init__()
        widths = [int(c) for c in channels]
        kernels = (
            [int(kernel_sizes)] * len(widths)
            if isinstance(kernel_sizes, int)
            else [int(k) for k in kernel_sizes]
        )
        _check_arguments(widths, kernels, times, pool_size)
        if int(input_stride) < 1:
            raise NeurodlValueError(f"input_stride must be >= 1; got {input_stride!r}.")
        self.times = int(times)
        self.n_areas = len(widths)
        self.pool_size = int(pool_size)
        previous = int(in_channels)
        for index, (width, kernel) in enumerate(zip(widths, kernels, strict=True)):
            above = widths[index + 1] if topdown and index + 1 < len(widths) else None
            area = ConvArea(
                previous,
                width,
                kernel,
                lateral=lateral,
                topdown_channels=above,
                stride=int(input_stride) if index == 0 else 1,
            )
            setattr(self, f"area{index + 1}", area)
            previous = width
        self.readout = nn.Linear(previous, int(n_outputs))

    @property
    def default_layers(self) -> tuple[str, ...]:
        """Every area at the last step."""
        return tuple(f"area{i}@t{self.times}" for i in range(1, self.n_areas + 1))

    def activation_names(self) -> list[str]:
        """Names of every recorded activation: each area and the readout at each step."""
        areas = [f"area{i}" for i in range(1, self.n_areas + 1)]
        return [f"{name}@t{t}" for t in range(1, self.times + 1) for name in [*areas, "readout"]]

    def areas(self) -> list[ConvArea]:
        """The areas, bottom to top."""
        return [self.get_submodule(f"area{i}") for i in range(1, self.n_areas + 1)]  # type: ignore[misc]

    def _unroll(self, images: torch.Tensor, record: dict[str, torch.Tensor] | None) -> torch.Tensor:
        x = images.unsqueeze(1) if images.dim() == 3 else images
        areas = self.areas()
        image_drive = areas[0].bottom_up(x)  # the image does not change over steps
        states: list[torch.Tensor | None] = [None] * len(areas)
        logits = x.new_zeros(0)
        for step in range(1, self.times + 1):
            new_states: list[torch.Tensor] = []
            for index, area in enumerate(areas):
                if index == 0:
                    drive = image_drive
                else:
                    below = F.max_pool2d(new_states[-1], self.pool_size, ceil_mode=True)
                    drive = area.bottom_up(below)
                above = states[index + 1] if index + 1 < len(areas) else None
                new_states.append(area(drive, states[index], above))
                if record is not None:
                    record[f"area{index + 1}@t{step}"] = new_states[-1]
            states = list(new_states)
            if record is not None or step == self.times:
                logits = self.readout(new_states[-1].mean(dim=(2, 3)))
                if record is not None:
                    record[f"readout@t{step}"] = logits
        return logits

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Readout at the last step, shape (batch, n_outputs), of images (batch, [1,] H, W)."""
        return self._unroll(images, None)

    def named_activations(self, images: torch.Tensor) -> dict[str, torch.Tensor]:
        """Every area's output and the readout at every step, named as :meth:`activation_names`."""
        record: dict[str, torch.Tensor] = {}
        self._unroll(images, record)
        return record


def _check_arguments(widths: list[int], kernels: list[int], times: int, pool_size: int) -> None:
    if not widths or min(widths) < 1:
        raise NeurodlValueError(f"channels must be one or more positive ints; got {widths!r}.")
    if len(kernels) != len(widths) or any(k < 1 or k % 2 == 0 for k in kernels):
        raise NeurodlValueError(
            f"kernel_sizes must be odd, one per area ({len(widths)}); got {kernels!r}."
        )
    if int(times) < 1:
        raise NeurodlValueError(f"times must be >= 1; got {times!r}.")
    if int(pool_size) < 1:
        raise NeurodlValueError(f"pool_size must be >= 1; got {pool_size!r}.")
