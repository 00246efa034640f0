"""Decoding: how much a population says about a stimulus angle.

Estimators (scikit-learn contract, numpy in / out, angles in degrees in ``[0, period)``):
:class:`LinearDecoder`, :class:`BayesDecoder`, :class:`MLPDecoder` and the curriculum baseline
:class:`CurriculumDecoder`; :func:`make_decoder` builds one by name. Analyses are plain functions:
:func:`cross_validate_decoder`, :func:`shuffle_control`, :func:`discrimination_threshold`,
:func:`neuron_curve`, :func:`trial_curve`; :func:`run_decoding` runs them all on a recording.
"""

from neurodl.decoding.bayes import BayesDecoder, fourier_basis
from neurodl.decoding.crossval import cross_validate_decoder, make_folds, shuffle_control
from neurodl.decoding.curves import neuron_curve, trial_curve
from neurodl.decoding.factory import DECODERS, make_decoder
from neurodl.decoding.linear import LinearDecoder, von_mises_basis
from neurodl.decoding.mlp import CurriculumDecoder, MLPDecoder
from neurodl.decoding.run import run_decoding
from neurodl.decoding.threshold import discrimination_threshold, fit_psychometric
from neurodl.decoding.weights import (
    hidden_unit_tuning,
    sorted_input_weights,
)

__all__ = [
    "DECODERS",
    "BayesDecoder",
    "CurriculumDecoder",
    "LinearDecoder",
    "MLPDecoder",
    "cross_validate_decoder",
    "discrimination_threshold",
    "fit_psychometric",
    "fourier_basis",
    "hidden_unit_tuning",
    "make_decoder",
    "make_folds",
    "neuron_curve",
    "run_decoding",
    "shuffle_control",
    "sorted_input_weights",
    "trial_curve",
    "von_mises_basis",
]
