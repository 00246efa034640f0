"""Decoders: accuracy on simulated data, controls, reproducibility, oracles and bad input."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import Ridge

from neurodl.decoding import (
    BayesDecoder,
    CurriculumDecoder,
    LinearDecoder,
    MLPDecoder,
    fourier_basis,
    make_decoder,
    von_mises_basis,
)
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import circular_error, median_abs_error

FAST = {
    "linear": {},
    "bayes": {},
    "mlp": {"hidden_layer_sizes": (32,), "max_iter": 60, "batch_size": 32, "random_state": 0},
    "curriculum": {"max_iter": 300, "random_state": 0},
}


@pytest.mark.parametrize("name", ["linear", "bayes", "mlp"])
def test_decoder_beats_chance_and_shuffle_does_not(population, name):
    X, theta = population
    decoder = make_decoder(name, **FAST[name]).fit(X[:300], theta[:300])
    predicted = decoder.predict(X[300:])
    assert predicted.shape == (100,)
    assert np.all((predicted >= 0) & (predicted < 360))
    assert median_abs_error(predicted, theta[300:]) < 15  # chance is 90
    shuffled = np.random.default_rng(1).permutation(theta[:300])
    control = make_decoder(name, **FAST[name]).fit(X[:300], shuffled)
    # chance is 90; over 100 test trials the shuffled fits scatter 53-138 (seed_sweep.py)
    assert median_abs_error(control.predict(X[300:]), theta[300:]) > 40


@pytest.mark.parametrize("name", ["linear", "bayes", "mlp", "curriculum"])
def test_period_180_predictions_in_range(population, name):
    X, theta = population
    decoder = make_decoder(name, period=180, **FAST[name]).fit(X, np.mod(theta, 180))
    predicted = decoder.predict(X)
    assert np.all((predicted >= 0) & (predicted < 180))


@pytest.mark.parametrize("name", ["mlp", "curriculum"])
def test_same_seed_same_predictions(population, name):
    X, theta = population
    first = make_decoder(name, **FAST[name]).fit(X, theta).predict(X)
    second = make_decoder(name, **FAST[name]).fit(X, theta).predict(X)
    np.testing.assert_array_equal(first, second)
    other = make_decoder(name, **{**FAST[name], "random_state": 7}).fit(X, theta).predict(X)
    assert not np.array_equal(first, other)


def test_training_leaves_global_torch_state_alone(population):
    import torch

    X, theta = population
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    MLPDecoder(**FAST["mlp"]).fit(X, theta)
    assert torch.equal(torch.rand(3), expected)


def test_curriculum_baseline_fails_at_the_wrap(population_factory):
    X, theta, _ = population_factory(n_trials=600, n_neurons=60, noise=0.3)
    decoder = CurriculumDecoder(random_state=0).fit(X[:400], theta[:400])
    errors = circular_error(decoder.predict(X[400:]), theta[400:])
    test = theta[400:]
    near_wrap = (test < 30) | (test > 330)
    middle = (test > 90) & (test < 270)
    assert np.median(errors[near_wrap]) > 2 * np.median(errors[middle])
    circular = LinearDecoder().fit(X[:400], theta[:400])
    fixed = circular_error(circular.predict(X[400:]), test)
    assert np.median(fixed[near_wrap]) < np.median(errors[near_wrap]) / 2


def test_mlp_regression_head_and_penalties(population):
    X, theta = population
    decoder = MLPDecoder(head="regression", l1=1e-4, alpha=1e-3, **FAST["mlp"]).fit(X, theta)
    assert median_abs_error(decoder.predict(X), theta) < 20
    assert decoder.loss_curve_.size == decoder.n_iter_
    assert decoder.coefs_[0].shape == (X.shape[1], 32)
    assert decoder.hidden_activations(X).shape == (X.shape[0], 32)
    assert decoder.device_ == "cpu"


@pytest.mark.parametrize("alphas", [[5.0], [5.0, 5.0]], ids=["cholesky", "decomposition"])
@pytest.mark.parametrize("n_trials, n_neurons", [(40, 25), (25, 40)])
def test_linear_decoder_matches_sklearn_ridge(rng, n_trials, n_neurons, alphas):
    """Oracle: with one alpha the weights are those of Ridge (with intercept) onto the basis,
    whether solved directly (one candidate) or through the decomposition (a search)."""
    X = rng.standard_normal((n_trials, n_neurons)).astype(np.float32) + 3.0
    theta = rng.uniform(0, 360, n_trials)
    decoder = LinearDecoder(n_basis=12, kappa=5.0, alphas=alphas).fit(X, theta)
    assert decoder.alpha_ == 5.0
    target = von_mises_basis(theta, 12, 5.0)
    ridge = Ridge(alpha=5.0).fit(X.astype(np.float64), target)
    np.testing.assert_allclose(decoder.coef_, ridge.coef_.T, atol=2e-4)
    np.testing.assert_allclose(decoder.intercept_, ridge.intercept_, atol=2e-3)
    np.testing.assert_allclose(decoder.predict_basis(X), ridge.predict(X), atol=2e-3)


def test_linear_singular_system_falls_back_to_the_decomposition(rng):
    """A penalty too small for a Cholesky factor of the (singular) centred Gram matrix."""
    from neurodl.decoding.linear import _solve

    X = rng.standard_normal((10, 30)).astype(np.float32)
    theta = rng.uniform(0, 360, 10)
    targets = von_mises_basis(theta, 12, 5.0).astype(np.float32)
    assert _solve(X, X.mean(0, dtype=np.float64), targets - targets.mean(0), 1e-30) is None
    decoder = LinearDecoder(n_basis=12, kappa=5.0, alphas=[1e-30]).fit(X, theta)
    assert circular_error(decoder.predict(X), theta).max() < 0.5  # interpolates the data


def test_linear_leave_one_out_matches_refitting(population_factory):
    """Oracle: the closed-form leave-one-out error equals refitting without each trial."""
    X, theta, _ = population_factory(n_trials=40, n_neurons=15, noise=0.8)
    options = {"n_basis": 12, "kappa": 5.0, "resolution": 1.0}
    decoder = LinearDecoder(alphas=[2.0, 1e6], **options).fit(X, theta)  # both candidates scored
    loo = np.empty(theta.size)
    for i in range(theta.size):
        keep = np.arange(theta.size) != i
        single = LinearDecoder(alphas=[2.0], **options).fit(X[keep], theta[keep])
        loo[i] = single.predict(X[i : i + 1])[0]
    expected = circular_error(loo, theta).mean()
    assert decoder.cv_errors_[0, 0] == pytest.approx(expected, rel=0.05)


def test_linear_chooses_penalty_from_grid(population):
    X, theta = population
    decoder = LinearDecoder().fit(X, theta)
    assert decoder.cv_errors_.shape == (decoder.kappas_.size, decoder.alphas_.size) == (6, 25)
    best = decoder.cv_errors_[decoder.kappas_ == decoder.kappa_][
        :, decoder.alphas_ == decoder.alpha_
    ]
    assert best.item() == np.nanmin(decoder.cv_errors_)


def test_bayes_oracle_tuning_and_noise(population):
    X, theta = population
    decoder = BayesDecoder(n_harmonics=3, alpha=0.0).fit(X, theta)
    design = fourier_basis(theta, 3)
    coef, *_ = np.linalg.lstsq(design, X.astype(np.float64), rcond=None)
    np.testing.assert_allclose(decoder.coef_, coef, atol=1e-4)
    residual = X - design @ coef
    np.testing.assert_allclose(
        decoder.noise_var_, (residual**2).sum(0) / (X.shape[0] - 7), rtol=1e-3
    )
    np.testing.assert_allclose(decoder.tuning_curves(theta[:5]), design[:5] @ coef, atol=1e-4)


@pytest.mark.parametrize("options", [{"gain": True}, {"method": "posterior_mean"}])
def test_bayes_variants_decode(population, options):
    X, theta = population
    decoder = BayesDecoder(**options).fit(X[:300], theta[:300])
    assert median_abs_error(decoder.predict(X[300:]), theta[300:]) < 15


@pytest.mark.parametrize("name", ["linear", "bayes", "mlp", "curriculum"])
def test_bad_inputs_are_clear(population, name):
    X, theta = population
    decoder = make_decoder(name, **FAST[name])
    bad = X.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        decoder.fit(bad, theta)
    with pytest.raises(ValueError, match="inconsistent numbers of samples"):
        decoder.fit(X, theta[:-1])
    with pytest.raises(ValueError, match="minimum of 2"):
        decoder.fit(X[:1], theta[:1])
    with pytest.raises(NeurodlValueError, match=r"period must be one of \{180, 360\}"):
        make_decoder(name, period=90).fit(X, theta)


def test_inputs_not_modified(population):
    X, theta = population
    X_before, theta_before = X.copy(), theta.copy()
    for name in ("linear", "bayes", "mlp"):
        make_decoder(name, **FAST[name]).fit(X, theta).predict(X)
    np.testing.assert_array_equal(X, X_before)
    np.testing.assert_array_equal(theta, theta_before)


def test_make_decoder_errors():
    with pytest.raises(NeurodlValueError, match=r"decoder must be one of .*'linear'.*got 'lin'"):
        make_decoder("lin")
    with pytest.raises(NeurodlValueError, match="unknown parameter"):
        make_decoder("linear", hidden_layer_sizes=(3,))


@pytest.mark.parametrize(
    "decoder, match",
    [
        (LinearDecoder(n_basis=2), "n_basis"),
        (LinearDecoder(alphas=[-1.0]), "alphas"),
        (BayesDecoder(method="map"), "method must be one of"),
        (BayesDecoder(n_harmonics=0), "n_harmonics"),
        (MLPDecoder(head="svm"), "head must be one of"),
        (MLPDecoder(hidden_layer_sizes=()), "hidden_layer_sizes"),
        (MLPDecoder(validation_fraction=1.5), "validation_fraction"),
        (CurriculumDecoder(n_hidden=0), "n_hidden"),
    ],
)
def test_bad_hyper_parameters(population, decoder, match):
    X, theta = population
    with pytest.raises(NeurodlValueError, match=match):
        decoder.fit(X, theta)
