"""Encoding: models from images to every neuron's response, and their receptive fields."""

from neurodl.encoding.analysis import choose_test_images, run_encoding
from neurodl.encoding.cnn import CNNEncoder
from neurodl.encoding.filters import compute_filter_features, compute_filter_responses
from neurodl.encoding.linear import LinearEncoder
from neurodl.encoding.receptive_fields import (
    compare_tuning,
    compute_gradient_rf,
    compute_readout_masks,
    compute_reverse_correlation,
    compute_tuning_curves,
)

__all__ = [
    "CNNEncoder",
    "LinearEncoder",
    "choose_test_images",
    "compare_tuning",
    "compute_filter_features",
    "compute_filter_responses",
    "compute_gradient_rf",
    "compute_readout_masks",
    "compute_reverse_correlation",
    "compute_tuning_curves",
    "run_encoding",
]
