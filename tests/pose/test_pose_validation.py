"""Validation metrics against scikit-learn and hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from neurodl.exceptions import DataValueError
from neurodl.pose.validation import (
    paired_roc_auc_difference,
    roc_auc,
    sensitivity_at_specificity,
    validate_scores,
)


def test_roc_auc_matches_scikit_learn_with_ties(rng):
    y = rng.integers(0, 2, 50)
    s = np.round(rng.normal(size=50) + y, 1)
    assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))


def test_sensitivity_at_specificity_hand_case():
    y = [0] * 10 + [1] * 4
    s = [*range(10), 9.5, 8.5, 3, 2]  # one typical (9) above 8.5: 90 % specificity
    assert sensitivity_at_specificity(y, s, 0.9) == pytest.approx(0.5)
    assert sensitivity_at_specificity(y, s, 1.0) == pytest.approx(0.25)


def test_validate_scores_cis_and_permutation(rng):
    y = np.r_[np.zeros(30), np.ones(20)]
    strong = validate_scores(y, y * 2 + rng.normal(size=50), n_resamples=300, random_state=0)
    assert strong["roc_auc_ci_low"] <= strong["roc_auc"] <= strong["roc_auc_ci_high"]
    assert strong["pr_auc"] == pytest.approx(
        average_precision_score(y, y * 2 + rng.normal(size=50)), abs=0.2
    )
    assert strong["roc_auc_permutation_p"] < 0.01 and strong["prevalence"] == 0.4
    null = validate_scores(y, rng.normal(size=50), n_resamples=300, random_state=0)
    assert null["roc_auc_permutation_p"] > 0.01 and null["roc_auc_ci_low"] < 0.5 + 0.15
    again = validate_scores(y, y * 2 + rng.normal(size=50), n_resamples=300, random_state=0)
    assert set(again) == set(strong)


@pytest.mark.parametrize(
    ("y", "s", "match"),
    [
        ([0, 0, 0], [1, 2, 3], "both atypical"),
        ([0, 2, 1], [1, 2, 3], "0 \\(typical\\) or 1"),
        ([0, 1], [1, 2, 3], "2 values"),
        ([0, 1], [1, np.nan], "finite"),
    ],
)
def test_validation_errors(y, s, match):
    with pytest.raises(DataValueError, match=match):
        roc_auc(y, s)


def test_pr_auc_and_sensitivity_match_scikit_learn_with_ties(rng):
    from sklearn.metrics import roc_curve

    for _ in range(20):
        y = rng.integers(0, 2, 30)
        y[:2] = [0, 1]
        s = np.round(rng.normal(size=30) + y, 1)
        out = validate_scores(y, s, n_resamples=10, random_state=0)
        assert out["pr_auc"] == pytest.approx(average_precision_score(y, s))
        fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)
        assert out["sensitivity_at_90_specificity"] == pytest.approx(tpr[fpr <= 0.1 + 1e-12].max())


def test_paired_roc_auc_difference_resamples_the_same_infants_for_both_scores():
    y = np.array([0, 0, 0, 1, 1, 1])
    true = np.array([0.0, 1.0, 2.0, 3.0, 4.0, 5.0])  # AUC 1
    detected = np.array([0.0, 1.0, 4.5, 3.0, 4.0, 5.0])  # one typical infant above two: 7/9
    diff, low, high = paired_roc_auc_difference(y, detected, true, n_resamples=400, random_state=0)
    assert diff == pytest.approx(7 / 9 - 1)
    assert -1.0 <= low <= diff <= high <= 0.0  # true AUC is 1 in every resample
    noisy = np.random.default_rng(0).normal(size=6) + y
    assert paired_roc_auc_difference(y, noisy, noisy, random_state=0) == (0.0, 0.0, 0.0)  # paired
    with pytest.raises(DataValueError, match="both atypical"):
        paired_roc_auc_difference([1, 1], [0.1, 0.2], [0.1, 0.2])
    with pytest.raises(DataValueError, match="y_true has 3 values"):
        paired_roc_auc_difference([0, 1, 1], [0.1, 0.2, 0.3], [0.1, 0.2])
