"""The tilt-discrimination CNN of the curriculum's third lesson, and deeper variants."""

from __future__ import annotations

import torch
from torch import nn

from neurodl.exceptions import NeurodlValueError

__all__ = ["TiltCNN"]


class TiltCNN(nn.Module):
    """Conv → ReLU → max-pool → FC → ReLU → FC → sigmoid: is a grating tilted right?

    Every stage is a named submodule so that its output can be recorded by name
    (``conv``, ``relu``, ``pool``, ``conv2``/``relu2``... for deeper variants, ``fc``,
    ``fc_relu``, ``out``, ``sigmoid``).

    Parameters
    ----------
    image_size : (height, width)
        Input size in pixels; inputs are (batch, 1, height, width) or (batch, height, width).
    n_filters : int
        Channels of the first convolution (6 in the curriculum).
    kernel_size : int
        Side of the first convolution's kernels (7 in the curriculum).
    pool_size : int
        Max-pool window and stride (8 in the curriculum).
    hidden_units : int
        Units of the hidden fully connected layer (10 in the curriculum).
    n_blocks : int
        1 for the curriculum's network; each extra block adds a 3x3 convolution (twice the
        channels of the previous one) and a ReLU after the pooling.
    conv_init : tensor of shape (n_filters, kernel_size, kernel_size), optional
        Initial first-layer kernels, for example the curriculum's filter bank.
    """

    default_layers: tuple[str, ...] = ("conv", "relu", "pool", "fc", "fc_relu")

    def __init__(
        self,
        image_size: tuple[int, int] = (48, 64),
        *,
        n_filters: int = 6,
        kernel_size: int = 7,
        pool_size: int = 8,
        hidden_units: int = 10,
        n_blocks: int = 1,
        conv_init: torch.Tensor | None = None,
    ) -> None:
        super().__init__()
        height, width = int(image_size[0]), int(image_size[1])
        if min(height, width) < pool_size:
            raise NeurodlValueError(
                f"image_size must be at least pool_size={pool_size} on each side; got "
                f"{image_size!r}."
            )
        if n_blocks < 1:
            raise NeurodlValueError(f"n_blocks must be >= 1; got {n_blocks!r}.")
        self.conv = nn.Conv2d(1, n_filters, kernel_size, padding=kernel_size // 2)
        if conv_init is not None:
            if tuple(conv_init.shape) != (n_filters, kernel_size, kernel_size):
                raise NeurodlValueError(
                    f"conv_init must have shape ({n_filters}, {kernel_size}, {kernel_size}); "
                    f"got {tuple(conv_init.shape)}."
                )
            with torch.no_grad():
                self.conv.weight.copy_(conv_init.reshape(n_filters, 1, kernel_size, kernel_size))
                if self.conv.bias is not None:
                    self.conv.bias.zero_()
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(pool_size)
        channels = n_filters
        for block in range(2, n_blocks + 1):
            setattr(self, f"conv{block}", nn.Conv2d(channels, 2 * channels, 3, padding=1))
            setattr(self, f"relu{block}", nn.ReLU())
            channels *= 2
        self.n_blocks = n_blocks
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(channels * (height // pool_size) * (width // pool_size), hidden_units)
        self.fc_relu = nn.ReLU()
        self.out = nn.Linear(hidden_units, 1)
        self.sigmoid = nn.Sigmoid()

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        """Probability that each image is tilted right, shape (batch,)."""
        x = images.unsqueeze(1) if images.dim() == 3 else images
        x = self.pool(self.relu(self.conv(x)))
        for block in range(2, self.n_blocks + 1):
            x = getattr(self, f"relu{block}")(getattr(self, f"conv{block}")(x))
        x = self.fc_relu(self.fc(self.flatten(x)))
        return self.sigmoid(self.out(x)).squeeze(-1)
