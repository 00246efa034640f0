"""Encoding: models from images to every neuron's response, and their receptive fields."""

from neurodl.encoding.cnn import CNNEncoder
from neurodl.encoding.filters import compute_filter_features, compute_filter_responses
from neurodl.encoding.linear import LinearEncoder

__all__ = [
    "CNNEncoder",
    "LinearEncoder",
    "compute_filter_features",
    "compute_filter_responses",
]
