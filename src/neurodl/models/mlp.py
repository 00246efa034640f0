"""Multilayer perceptrons for decoding: a general ReLU MLP and the curriculum's small network."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from neurodl.exceptions import NeurodlValueError

__all__ = ["MLP", "CurriculumNet"]


class MLP(nn.Module):
    """Fully connected network: ``Linear -> ReLU`` per hidden layer, then a linear output layer.

    The output layer is the "head": 2 outputs for a (cos, sin) regression of an angle, ``n_bins``
    logits for classification over orientation bins, 1 for a raw scalar.

    Parameters
    ----------
    n_inputs : int
        Number of input features (neurons).
    hidden_layer_sizes : sequence of int
        Units per hidden layer; empty for a linear model.
    n_outputs : int
        Number of outputs.

    Examples
    --------
    >>> net = MLP(20, (8,), 2)
    >>> net(torch.zeros(5, 20)).shape
    torch.Size([5, 2])
    """

    def __init__(self, n_inputs: int, hidden_layer_sizes: Sequence[int], n_outputs: int) -> None:
        super().__init__()
        sizes = [int(n_inputs), *(int(h) for h in hidden_layer_sizes)]
        self.hidden = nn.ModuleList(nn.Linear(a, b) for a, b in itertools.pairwise(sizes))
        self.output = nn.Linear(sizes[-1], int(n_outputs))

    @property
    def input_layer(self) -> nn.Linear:
        """The layer that reads the neurons (its weights carry the L1/L2 penalties)."""
        layer = self.hidden[0] if len(self.hidden) else self.output
        assert isinstance(layer, nn.Linear)
        return layer

    def hidden_activations(self, x: torch.Tensor) -> torch.Tensor:
        """Activity of the first hidden layer after ReLU, shape (batch, hidden_layer_sizes[0])."""
        if not len(self.hidden):
            raise NeurodlValueError("this MLP has no hidden layer.")
        return torch.relu(self.hidden[0](x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        for layer in self.hidden:
            x = torch.relu(layer(x))
        return self.output(x)


class CurriculumNet(MLP):
    """The curriculum's orientation decoder: one hidden layer of ``n_hidden`` ReLU units.

    Trained on squared error in raw degrees, it cannot represent the wrap-around at 0°/360°.

    Examples
    --------
    >>> CurriculumNet(30)(torch.zeros(4, 30)).shape
    torch.Size([4, 1])
    """

    def __init__(self, n_inputs: int, n_hidden: int = 10) -> None:
        super().__init__(n_inputs, (n_hidden,), 1)
