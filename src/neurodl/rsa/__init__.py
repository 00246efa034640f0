"""Representational comparison: RDMs, RDM comparison, CKA, inference and network activations."""

from neurodl.rsa._utils import rdm_to_vector, vector_to_rdm
from neurodl.rsa.compare import COMPARE_METHODS, compare_rdms, compute_cka
from neurodl.rsa.inference import (
    BOOTSTRAP_METHODS,
    BootstrapResult,
    PermutationResult,
    bootstrap_rdm_comparison,
    compute_noise_ceiling,
    pairwise_bootstrap_test,
    permutation_test,
)
from neurodl.rsa.rdm import NOISE_METHODS, RDM_METHODS, compute_rdm, estimate_noise

__all__ = [
    "NOISE_METHODS",
    "RDM_METHODS",
    "compute_rdm",
    "estimate_noise",
    "rdm_to_vector",
    "vector_to_rdm",
]
