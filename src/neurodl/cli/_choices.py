"""Fixed choices of the command line, as enums: a wrong value is bad usage (exit 2).

The names repeat the library's lists (``neurodl.decoding.DECODERS``, ``neurodl.rsa.RDM_METHODS``,
``neurodl.rsa.COMPARE_METHODS``) because importing those would load torch at start-up; a test
checks that they agree.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Bootstrap", "Compare", "Decoder", "Period", "Rdm"]


class Decoder(StrEnum):
    """``neurodl decode --decoder``."""

    linear = "linear"
    bayes = "bayes"
    mlp = "mlp"
    curriculum = "curriculum"


class Period(StrEnum):
    """``neurodl decode --period`` (degrees)."""

    full = "360"
    half = "180"


class Rdm(StrEnum):
    """``neurodl rsa --rdm`` (mahalanobis needs a noise estimate, so it is Python-only)."""

    correlation = "correlation"
    euclidean = "euclidean"
    crossnobis = "crossnobis"
    poisson = "poisson"


class Compare(StrEnum):
    """``neurodl rsa --compare``."""

    pearson = "pearson"
    spearman = "spearman"
    kendall_tau_a = "kendall_tau_a"
    rho_a = "rho_a"
    cosine = "cosine"
    whitened_cosine = "whitened_cosine"
    whitened_pearson = "whitened_pearson"


class Bootstrap(StrEnum):
    """``neurodl rsa --bootstrap``."""

    conditions = "conditions"
    neurons = "neurons"
