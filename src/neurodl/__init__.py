"""neurodl: deep learning for neural population recordings.

Decoding (activity → stimulus), encoding (stimulus → activity) and representational comparison
(network ↔ brain), with the statistics that make the answers trustworthy.
"""

from importlib.metadata import PackageNotFoundError, version

from neurodl.data import Recording, load, save, simulate_v1
from neurodl.data.simulate import cramer_rao_median, fisher_information, simulate_trials
from neurodl.exceptions import DataFormatError, DataValueError, NeurodlError, UnsafeFileError
from neurodl.stimuli import make_filter_bank, make_grating, make_noise_images

try:
    __version__ = version("neurodl")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0"

__all__ = [
    "DataFormatError",
    "DataValueError",
    "NeurodlError",
    "Recording",
    "UnsafeFileError",
    "__version__",
    "cramer_rao_median",
    "fisher_information",
    "load",
    "make_filter_bank",
    "make_grating",
    "make_noise_images",
    "save",
    "simulate_trials",
    "simulate_v1",
]
