"""Exceptions raised by neurodl.

Every error that neurodl raises on purpose is a :class:`NeurodlError`. Each subclass also inherits
the matching built-in exception, so ``except ValueError`` keeps working for callers who do not know
about neurodl.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = [
    "DataFormatError",
    "DataValueError",
    "NeurodlError",
    "NeurodlTypeError",
    "NeurodlValueError",
    "UnsafeFileError",
    "check_option",
    "check_resampling",
]


class NeurodlError(Exception):
    """Base class of every error raised by neurodl on purpose."""


class NeurodlValueError(NeurodlError, ValueError):
    """A parameter has a value outside what is accepted."""


class NeurodlTypeError(NeurodlError, TypeError):
    """A parameter has the wrong type."""


class DataFormatError(NeurodlError, ValueError):
    """A file cannot be read: missing, not the expected format, truncated or missing keys."""


class DataValueError(NeurodlError, ValueError):
    """Data were read but are unusable: wrong shapes, lengths that disagree, NaN/inf, empty."""


class UnsafeFileError(NeurodlError, ValueError):
    """A file needs pickle to load and the user did not say that it is trusted."""


def check_option(name: str, value: Any, options: Iterable[str]) -> str:
    """``value`` when it is one of ``options``; otherwise one clear line listing them, sorted.

    Examples
    --------
    >>> check_option("rdm", "euclid", ("pearson", "euclidean"))
    Traceback (most recent call last):
    ...
    neurodl.exceptions.NeurodlValueError: rdm must be one of {'euclidean', 'pearson'}; got 'euclid'.
    """
    valid = sorted(options)
    if not isinstance(value, str) or value not in valid:
        listed = ", ".join(repr(option) for option in valid)
        raise NeurodlValueError(f"{name} must be one of {{{listed}}}; got {value!r}.")
    return value


def check_resampling(n_resamples: Any, confidence_level: Any, *, minimum: int = 2) -> None:
    """One clear line when ``n_resamples`` is below ``minimum`` or ``confidence_level`` is
    outside (0, 1): the two settings every interval of neurodl shares.

    Examples
    --------
    >>> check_resampling(1000, 0.95)
    >>> check_resampling(1000, 95)
    Traceback (most recent call last):
    ...
    neurodl.exceptions.NeurodlValueError: confidence_level must lie in (0, 1); got 95.
    """
    from numbers import Integral

    integer = isinstance(n_resamples, Integral) and not isinstance(n_resamples, bool)
    if not integer or n_resamples < minimum:
        raise NeurodlValueError(f"n_resamples must be an int >= {minimum}; got {n_resamples!r}.")
    if isinstance(confidence_level, bool) or not (
        isinstance(confidence_level, (int, float)) and 0.0 < confidence_level < 1.0
    ):
        raise NeurodlValueError(f"confidence_level must lie in (0, 1); got {confidence_level!r}.")
