"""neurodl: deep learning for neural population recordings.

Decoding (activity → stimulus), encoding (stimulus → activity) and representational comparison
(network ↔ brain), with the statistics that make the answers trustworthy.

The data layer is imported at once; the analyses (which import torch) load on first use, so that
``import neurodl`` and ``neurodl info`` stay fast.
"""

from __future__ import annotations

import importlib
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from neurodl import metrics
from neurodl.data import Recording, load, save, simulate_v1
from neurodl.data.simulate import cramer_rao_median, fisher_information, simulate_trials
from neurodl.exceptions import (
    DataFormatError,
    DataValueError,
    NeurodlError,
    NeurodlTypeError,
    NeurodlValueError,
    UnsafeFileError,
)
from neurodl.metrics import *  # noqa: F403
from neurodl.results import AnalysisResult
from neurodl.stimuli import make_filter_bank, make_grating, make_noise_images

if TYPE_CHECKING:
    from neurodl.decoding import (
        BayesDecoder,
        CurriculumDecoder,
        LinearDecoder,
        MLPDecoder,
        cross_validate_decoder,
        discrimination_threshold,
        make_decoder,
        run_decoding,
    )
    from neurodl.encoding import CNNEncoder, LinearEncoder, run_encoding
    from neurodl.rsa import compare_rdms, compute_cka, compute_rdm, extract_activations, run_rsa

try:
    __version__ = version("neurodl")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

_LAZY = {
    "neurodl.decoding": (
        "BayesDecoder",
        "CurriculumDecoder",
        "LinearDecoder",
        "MLPDecoder",
        "cross_validate_decoder",
        "discrimination_threshold",
        "make_decoder",
        "run_decoding",
    ),
    "neurodl.encoding": ("CNNEncoder", "LinearEncoder", "run_encoding"),
    "neurodl.rsa": ("compare_rdms", "compute_cka", "compute_rdm", "extract_activations", "run_rsa"),
}
_LAZY_NAMES = {name: module for module, names in _LAZY.items() for name in names}


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module 'neurodl' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "AnalysisResult",
    "DataFormatError",
    "DataValueError",
    "NeurodlError",
    "NeurodlTypeError",
    "NeurodlValueError",
    "Recording",
    "UnsafeFileError",
    "__version__",
    "cramer_rao_median",
    "fisher_information",
    "load",
    "make_filter_bank",
    "make_grating",
    "make_noise_images",
    "metrics",
    "save",
    "simulate_trials",
    "simulate_v1",
    *metrics.__all__,
    *_LAZY_NAMES,
]
