"""Metrics as pure functions on numpy arrays (no torch, no files).

Decoding metrics (circular errors, chance levels, confidence intervals) live in
:mod:`neurodl.metrics.circular`; encoding metrics (FEV, FEVE, correlations, noise ceilings) in
:mod:`neurodl.metrics.encoding`; keypoint metrics (PCK, pixel errors) in
:mod:`neurodl.metrics.pose`. Everything is importable from ``neurodl.metrics``.
"""

from neurodl.metrics.circular import *  # noqa: F403
from neurodl.metrics.circular import __all__ as _circular
from neurodl.metrics.encoding import *  # noqa: F403
from neurodl.metrics.encoding import __all__ as _encoding
from neurodl.metrics.pose import *  # noqa: F403
from neurodl.metrics.pose import __all__ as _pose

__all__ = [*_circular, *_encoding, *_pose]
