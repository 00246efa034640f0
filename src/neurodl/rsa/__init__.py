"""Representational comparison: RDMs, RDM comparison, CKA, inference and network activations."""

from neurodl.rsa._utils import rdm_to_vector, vector_to_rdm
from neurodl.rsa.activations import extract_activations, layer_names
from neurodl.rsa.analysis import run_rsa
from neurodl.rsa.candidates import untrained_twin
from neurodl.rsa.compare import COMPARE_METHODS, compare_rdms, compute_cka
from neurodl.rsa.comparison import HeldOutChoice, choose_layer_held_out, seed_difference_test
from neurodl.rsa.conditions import make_conditions
from neurodl.rsa.controls import CONTROLS, compute_energy_model
from neurodl.rsa.inference import (
    BOOTSTRAP_METHODS,
    BootstrapResult,
    PermutationResult,
    bootstrap_rdm_comparison,
    compute_noise_ceiling,
    pairwise_bootstrap_test,
    permutation_test,
)
from neurodl.rsa.networks import load_module
from neurodl.rsa.neurons import NEURON_RDM_METHODS, bootstrap_over_neurons
from neurodl.rsa.rdm import NOISE_METHODS, RDM_METHODS, compute_rdm, estimate_noise
from neurodl.rsa.recovery import RECOVERY_RDM_METHODS, RecoveryResult, model_recovery
from neurodl.rsa.tilt import TiltTask, make_tilt_task, train_tilt_cnn

__all__ = [
    "BOOTSTRAP_METHODS",
    "COMPARE_METHODS",
    "CONTROLS",
    "NEURON_RDM_METHODS",
    "NOISE_METHODS",
    "RDM_METHODS",
    "RECOVERY_RDM_METHODS",
    "BootstrapResult",
    "HeldOutChoice",
    "PermutationResult",
    "RecoveryResult",
    "TiltTask",
    "bootstrap_over_neurons",
    "bootstrap_rdm_comparison",
    "choose_layer_held_out",
    "compare_rdms",
    "compute_cka",
    "compute_energy_model",
    "compute_noise_ceiling",
    "compute_rdm",
    "estimate_noise",
    "extract_activations",
    "layer_names",
    "load_module",
    "make_conditions",
    "make_tilt_task",
    "model_recovery",
    "pairwise_bootstrap_test",
    "permutation_test",
    "rdm_to_vector",
    "run_rsa",
    "seed_difference_test",
    "train_tilt_cnn",
    "untrained_twin",
    "vector_to_rdm",
]
