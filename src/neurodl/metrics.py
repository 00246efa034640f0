"""Metrics as pure functions on numpy arrays (no torch, no files).

Decoding metrics (circular errors) and encoding metrics (FEV, FEVE, correlations, ceilings).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from neurodl.exceptions import NeurodlValueError

__all__ = ["circular_difference"]


def circular_difference(a: ArrayLike, b: ArrayLike, period: float = 360.0) -> NDArray[np.float64]:
    """Signed difference a - b wrapped into [-period/2, period/2).

    Examples
    --------
    >>> circular_difference(350.0, 10.0).item()
    -20.0
    """
    if period <= 0:
        raise NeurodlValueError(f"period must be > 0; got {period!r}.")
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    return (diff + period / 2) % period - period / 2


# ---------------------------------------------------------------------------------------------
# Decoding metrics (circular errors, thresholds) below this line.
# ---------------------------------------------------------------------------------------------


# ---------------------------------------------------------------------------------------------
# Encoding metrics (FEV, FEVE, correlations, noise ceilings) below this line.
# ---------------------------------------------------------------------------------------------
