"""rsatoolbox (test-only dependency) as the oracle, with helpers to call it on plain arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

rsatoolbox = pytest.importorskip("rsatoolbox")

RSA_NAMES = {
    "pearson": "corr",
    "spearman": "spearman",
    "kendall_tau_a": "tau-a",
    "rho_a": "rho-a",
    "cosine": "cosine",
    "whitened_cosine": "cosine_cov",
    "whitened_pearson": "corr_cov",
}


def rsa_rdm(data, conditions, method, **kwargs):
    """rsatoolbox's RDM, reordered from sorted labels to order of first appearance."""
    ds = rsatoolbox.data.Dataset(np.asarray(data, float), obs_descriptors={"c": conditions})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matrix = rsatoolbox.rdm.calc_rdm(
            ds, method=method, descriptor="c", **kwargs
        ).get_matrices()[0]
    sorted_labels = np.unique(conditions)
    _, first = np.unique(conditions, return_index=True)
    appearance = sorted_labels[np.argsort(first)]
    pos = np.searchsorted(sorted_labels, appearance)
    return matrix[pos][:, pos]


def rsa_rdms(vectors):
    return rsatoolbox.rdm.RDMs(np.atleast_2d(vectors))
