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
