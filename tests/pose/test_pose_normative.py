"""Normative models: oracles, leave-one-out scoring, p-values and their calibration (null)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.base import clone
from sklearn.covariance import LedoitWolf
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodl.exceptions import DataValueError, NeurodlValueError
from neurodl.pose import (
    GaussianSurprise,
    ShrinkageSurprise,
    make_normative_model,
    one_sided_p_values,
    score_against_reference,
)


def test_gaussian_surprise_is_the_summed_negative_log_likelihood(rng):
    X = rng.normal(2.0, 3.0, size=(40, 4))
    model = GaussianSurprise(age_split=None).fit(X)
    x = rng.normal(size=(3, 4))
    expected = -norm.logpdf(x, X.mean(axis=0), X.std(axis=0))
    np.testing.assert_allclose(model.feature_contributions(x), expected)
    np.testing.assert_allclose(model.score_samples(x), expected.sum(axis=1))


def test_gaussian_age_groups_use_their_own_reference(rng):
    young, old = rng.normal(0, 1, (20, 2)), rng.normal(10, 1, (20, 2))
    age = np.r_[np.full(20, 6.0), np.full(20, 14.0)]
    model = GaussianSurprise(age_split=10.0).fit(np.r_[young, old], age=age)
    x = np.array([[10.0, 10.0]])
    assert model.score_samples(x, age=[14.0])[0] < model.score_samples(x, age=[6.0])[0] - 20
    assert np.isfinite(model.score_samples(x)[0])  # no age: the pooled fit


def test_shrinkage_contributions_sum_to_half_the_mahalanobis_distance(rng):
    X = rng.multivariate_normal([0, 0, 0], [[1, 0.8, 0], [0.8, 1, 0], [0, 0, 1]], size=60)
    model = ShrinkageSurprise(age_covariate=False).fit(X)
    x = rng.normal(size=(5, 3))
    mean, sd = X.mean(axis=0), X.std(axis=0)
    lw = LedoitWolf(assume_centered=True).fit((X - mean) / sd)
    expected = 0.5 * lw.mahalanobis((x - mean) / sd)
    np.testing.assert_allclose(model.feature_contributions(x).sum(axis=1), expected, rtol=1e-10)
    # correlated features: moving both together is less surprising than moving them apart
    together, apart = model.score_samples([[1.5, 1.5, 0], [1.5, -1.5, 0]])
    assert together < apart


def test_shrinkage_age_covariate_removes_a_linear_age_trend(rng):
    age = rng.uniform(4, 20, 60)
    X = np.column_stack([0.5 * age + rng.normal(0, 0.3, 60), rng.normal(0, 1, 60)])
    model = ShrinkageSurprise().fit(X, age=age)
    assert model.slope_[0] == pytest.approx(0.5, abs=0.05)
    on_trend = model.score_samples([[0.5 * 18, 0.0]], age=[18.0])[0]
    assert on_trend < model.score_samples([[0.5 * 18, 0.0]], age=[6.0])[0]


def test_reference_infants_are_scored_leave_one_out(rng):
    X = rng.normal(size=(12, 3))
    ref = np.r_[np.ones(8, bool), np.zeros(4, bool)]
    out = score_against_reference(GaussianSurprise(age_split=None), X, ref)
    for i in (0, 5):
        keep = np.flatnonzero(ref)[np.flatnonzero(ref) != i]
        alone = GaussianSurprise(age_split=None).fit(X[keep]).score_samples(X[i : i + 1])[0]
        assert out["surprise"][i] == pytest.approx(alone)
    full = GaussianSurprise(age_split=None).fit(X[ref]).score_samples(X[~ref])
    np.testing.assert_allclose(out["surprise"][~ref], full)
    ref_s = out["surprise"][ref]
    np.testing.assert_allclose(out["z"][ref].mean(), 0, atol=1e-12)
    assert out["p_value"][ref].min() >= 1 / 8 and out["p_value"][~ref].min() >= 1 / 9
    assert out["p_value"][np.argmax(np.where(ref, out["surprise"], -np.inf))] == 1 / 8
    assert ref_s.size == 8


def test_one_sided_p_values_formula():
    ref = [1.0, 2.0, 3.0, 4.0]
    np.testing.assert_allclose(one_sided_p_values([0.0, 2.0, 5.0], ref), [5 / 5, 4 / 5, 1 / 5])


@pytest.mark.parametrize("model", ["gaussian", "shrinkage"])
def test_p_values_are_calibrated_under_the_null(model):
    rng = np.random.default_rng(0)
    p = []
    for _ in range(60):  # reference and test infants from the same distribution
        X = rng.normal(size=(25, 4))
        ref = np.r_[np.ones(20, bool), np.zeros(5, bool)]
        est = make_normative_model(model)
        p.append(score_against_reference(est, X, ref)["p_value"][~ref])
    p = np.concatenate(p)  # 300 test p-values: uniform on {1/21, ..., 1}
    for alpha in (0.1, 0.25, 0.5):
        assert abs((p <= alpha).mean() - alpha) < 0.07
    assert 0.4 < p.mean() < 0.62


def test_errors_and_estimator_contract(rng):
    with pytest.raises(NeurodlValueError, match="model must be one of"):
        make_normative_model("bayes")
    with pytest.raises(DataValueError, match="at least 3 reference"):
        score_against_reference(GaussianSurprise(), rng.normal(size=(5, 2)), [1, 1, 0, 0, 0])
    model = ShrinkageSurprise().fit(rng.normal(size=(10, 3)))
    with pytest.raises(NeurodlValueError, match="3 features"):
        model.score_samples(rng.normal(size=(2, 4)))
    assert clone(GaussianSurprise(age_split=8.0)).get_params() == {"age_split": 8.0, "min_group": 5}
    assert ShrinkageSurprise().fit(rng.normal(size=(10, 3))).n_features_in_ == 3


@parametrize_with_checks([GaussianSurprise(), ShrinkageSurprise()])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)
