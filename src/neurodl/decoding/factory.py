"""Decoders by name, for the CLI and :func:`neurodl.decoding.run_decoding`."""

from __future__ import annotations

from typing import Any

from sklearn.base import BaseEstimator

from neurodl.decoding.bayes import BayesDecoder
from neurodl.decoding.linear import LinearDecoder
from neurodl.decoding.mlp import CurriculumDecoder, MLPDecoder
from neurodl.exceptions import NeurodlValueError, check_option

__all__ = ["DECODERS", "make_decoder"]

DECODERS: dict[str, type[BaseEstimator]] = {
    "linear": LinearDecoder,
    "bayes": BayesDecoder,
    "mlp": MLPDecoder,
    "curriculum": CurriculumDecoder,
}


def make_decoder(name: str, **params: Any) -> BaseEstimator:
    """A decoder by name with its hyper-parameters.

    Parameters
    ----------
    name : {"linear", "bayes", "mlp", "curriculum"}
    **params
        Keyword arguments of the decoder class (unknown ones are an error).

    Examples
    --------
    >>> make_decoder("linear", n_basis=24)
    LinearDecoder(n_basis=24)
    """
    check_option("decoder", name, DECODERS)
    cls = DECODERS[name]
    valid = set(cls().get_params())
    unknown = sorted(set(params) - valid)
    if unknown:
        raise NeurodlValueError(
            f"unknown parameter(s) {unknown} for decoder {name!r}; valid: {sorted(valid)}."
        )
    return cls(**params)
