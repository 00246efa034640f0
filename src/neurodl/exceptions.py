"""Exceptions raised by neurodl.

Every error that neurodl raises on purpose is a :class:`NeurodlError`. Each subclass also inherits
the matching built-in exception, so ``except ValueError`` keeps working for callers who do not know
about neurodl.
"""

from __future__ import annotations

__all__ = [
    "DataFormatError",
    "DataValueError",
    "NeurodlError",
    "NeurodlTypeError",
    "NeurodlValueError",
    "UnsafeFileError",
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
