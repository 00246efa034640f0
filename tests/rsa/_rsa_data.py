"""Small synthetic recordings of orientation-tuned neurons for the RSA tests."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from neurodl.data.recording import Recording


def tuned_recording(
    rng: np.random.Generator, *, n_trials: int = 480, n_neurons: int = 60, repeats: int = 0
) -> Recording:
    """Von Mises tuned neurons; with ``repeats`` each of 24 orientations is shown that often."""
    if repeats:
        theta = np.repeat(np.arange(0.0, 360.0, 15.0), repeats)
        theta = theta[rng.permutation(theta.size)]
    else:
        theta = rng.uniform(0.0, 360.0, n_trials)
    preferred = rng.uniform(0.0, 360.0, n_neurons)
    rate = np.exp(2.0 * (np.cos(np.deg2rad(theta[:, None] - preferred[None])) - 1.0))
    responses = rate + 0.3 * rng.standard_normal(rate.shape)
    return Recording(responses.astype(np.float32), stimulus={"orientation": theta})


class SmallNet(nn.Module):
    """A randomly initialised convolutional network for 24 x 32 images."""

    def __init__(self) -> None:
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(1, 4, 5, padding=2)
        self.act = nn.ReLU()
        self.pool = nn.AdaptiveAvgPool2d((3, 4))
        self.head = nn.Linear(48, 8)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.unsqueeze(1) if x.dim() == 3 else x
        return self.head(self.pool(self.act(self.conv(x))).flatten(1))
