"""scikit-learn's estimator checks on every decoder."""

from __future__ import annotations

from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodl.decoding import BayesDecoder, CurriculumDecoder, LinearDecoder, MLPDecoder

DECODERS = [
    LinearDecoder(),
    BayesDecoder(),
    MLPDecoder(hidden_layer_sizes=(8,), max_iter=5, random_state=0),
    CurriculumDecoder(max_iter=5, random_state=0),
]


def expected_failures(estimator):
    """Known, accepted departures from the checks, with the reason."""
    if isinstance(estimator, MLPDecoder):
        return {
            "check_methods_subset_invariance": (
                "float32 torch inference: matrix products round differently with the batch size, "
                "so predictions on a subset differ by ~1e-5 degrees (beyond the check's rtol=1e-7)."
            ),
        }
    return {}


@parametrize_with_checks(DECODERS, expected_failed_checks=expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)
