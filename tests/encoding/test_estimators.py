"""CNNEncoder and LinearEncoder: sklearn contract, recovery of known neurons, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.estimator_checks import parametrize_with_checks

from neurodl.encoding import CNNEncoder, LinearEncoder, compute_gradient_rf
from neurodl.exceptions import NeurodlTypeError, NeurodlValueError
from neurodl.metrics import feve

_IMAGES_NOT_TABLE = (
    "fit takes images of shape (n_images, height, width); the generic check passes a 2-D "
    "feature table, which is refused with a clear error"
)
_TABLE_CHECKS = [
    "check_estimators_dtypes",
    "check_fit_score_takes_y",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_n_features_in_after_fitting",
    "check_positive_only_tag_during_fit",
    "check_dtype_object",
    "check_estimators_empty_data_messages",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_regressors_train",
    "check_regressor_data_not_an_array",
    "check_regressor_multioutput",
    "check_regressors_no_decision_function",
    "check_supervised_y_2d",
    "check_regressors_int",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1sample",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
]


def _expected_failures(estimator: object) -> dict[str, str]:
    names = list(_TABLE_CHECKS)
    if isinstance(estimator, CNNEncoder):  # the only one with n_iter_
        names.append("check_non_transformer_estimators_n_iter")
    return dict.fromkeys(names, _IMAGES_NOT_TABLE)


def _tiny_cnn(**overrides: object) -> CNNEncoder:
    params: dict[str, object] = {
        "channels": (4,),
        "kernel_sizes": (5,),
        "max_iter": 3,
        "batch_size": 16,
        "random_state": 0,
    }
    params.update(overrides)
    return CNNEncoder(**params)  # type: ignore[arg-type]


@parametrize_with_checks(
    [LinearEncoder(pool=2), _tiny_cnn()], expected_failed_checks=_expected_failures
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_init_stores_parameters_unchanged():
    channels = [3, 5]
    model = CNNEncoder(channels=channels, kernel_sizes=(3, 3), learning_rate_init=0.1)
    assert model.channels is channels
    assert clone(model).get_params()["learning_rate_init"] == 0.1


def test_linear_encoder_recovers_linear_neurons(ln_data, rng):
    # responses that are exactly linear in the rectified, pooled filter-bank features
    model = LinearEncoder(pool=4)
    model.fit(ln_data.train_images, ln_data.train_responses)
    features_model = LinearEncoder(pool=4, alphas=[1e-6]).fit(
        ln_data.train_images, ln_data.train_responses[:, :1]
    )
    weights = rng.standard_normal((features_model.n_features_, 3)).astype(np.float32)
    from neurodl.encoding import compute_filter_features

    def linear_neurons(images):
        scaled = (images - model.image_mean_) / model.image_std_
        return compute_filter_features(scaled, model.filters_, pool=4) @ weights

    exact = LinearEncoder(pool=4).fit(ln_data.train_images, linear_neurons(ln_data.train_images))
    predicted = exact.predict(ln_data.test_images)
    truth = linear_neurons(ln_data.test_images)
    np.testing.assert_allclose(predicted, truth, atol=0.05 * np.abs(truth).max())
    # the LN neurons: held-out FEVE is positive but well below 1 (rectified Gabors)
    score = np.nanmean(feve(ln_data.test_repeats, model.predict(ln_data.test_images)))
    assert 0.1 < score < 0.95


def test_cnn_recovers_ln_receptive_field(ln_data, trained_cnn):
    model = trained_cnn
    score = feve(ln_data.test_repeats, model.predict(ln_data.test_images))
    assert np.nanmean(score) > 0.6  # 0.709-0.831 over seeds 0-9 (seed_sweep.py)
    gradients = compute_gradient_rf(model, ln_data.test_images[:8])
    r = [
        abs(np.corrcoef(gradients[k].ravel(), ln_data.filters[k].ravel())[0, 1])
        for k in range(ln_data.filters.shape[0])
    ]
    assert np.median(r) > 0.9  # 0.975-0.984 over seeds 0-9 (seed_sweep.py)


def test_cnn_same_seed_same_predictions(ln_data):
    images, responses = ln_data.train_images[:200], ln_data.train_responses[:200]
    a = _tiny_cnn(random_state=3).fit(images, responses).predict(images[:20])
    b = _tiny_cnn(random_state=3).fit(images, responses).predict(images[:20])
    c = _tiny_cnn(random_state=4).fit(images, responses).predict(images[:20])
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)


def test_cnn_leaves_global_random_state_alone(ln_data):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    _tiny_cnn().fit(ln_data.train_images[:100], ln_data.train_responses[:100])
    np.testing.assert_array_equal(torch.rand(3).numpy(), expected.numpy())


def test_cnn_fit_does_not_modify_inputs(ln_data):
    images = ln_data.train_images[:100].copy()
    responses = ln_data.train_responses[:100].copy()
    _tiny_cnn().fit(images, responses)
    np.testing.assert_array_equal(images, ln_data.train_images[:100])
    np.testing.assert_array_equal(responses, ln_data.train_responses[:100])


def test_cnn_attributes_and_mse_for_negative_responses(ln_data):
    responses = ln_data.train_responses[:120] - 1.0
    model = _tiny_cnn().fit(ln_data.train_images[:120], responses)
    assert (model.output_, model.loss_) == ("shifted_elu", "mse")
    first = model.member_results_[0]
    assert len(model.member_results_) == 2  # the default ensemble
    assert model.n_iter_ == sum(r.n_epochs for r in model.member_results_)
    assert first.n_epochs == len(model.loss_curve_) == len(model.validation_scores_)
    assert model.early_stopping_  # "auto" below 2,000 images
    assert all(m.core.fine is not None for m in model.module_.members)  # full-resolution filters
    assert model.readout_masks().shape == (ln_data.filters.shape[0], 10, 12)  # downsample=2
    assert model.first_layer_filters().shape == (4, 5, 5)
    assert np.isfinite(model.score(ln_data.test_images, ln_data.test_rates))


def test_cnn_without_early_stopping_trains_on_every_image(ln_data, monkeypatch):
    import neurodl.encoding._run_settings as settings

    images, responses = ln_data.train_images[:120], ln_data.train_responses[:120]
    model = _tiny_cnn(early_stopping=False, ensemble_size=1, downsample=1).fit(images, responses)
    assert not model.early_stopping_ and len(model.validation_scores_) == 0
    assert len(model.loss_curve_) == model.n_iter_ == 3
    assert model.module_.core.fine is None  # no full-resolution branch at full resolution
    monkeypatch.setattr(settings, "AUTO_EARLY_STOPPING_IMAGES", 100)  # "auto" above it
    assert not _tiny_cnn(ensemble_size=1).fit(images, responses).early_stopping_


def test_cnn_ensemble_predicts_the_mean_of_its_members(ln_data):
    from neurodl.models.cnn import EncodingCNN, EnsembleCNN

    images, responses = ln_data.train_images[:120], ln_data.train_responses[:120]
    model = _tiny_cnn(ensemble_size=3).fit(images, responses)
    assert isinstance(model.module_, EnsembleCNN) and len(model.module_.members) == 3
    with torch.no_grad():
        x = model._to_input(ln_data.test_images)
        each = [m(x).numpy() * model.response_scale_ for m in model.module_.members]
    assert not np.allclose(each[0], each[1])  # own starts, validation splits and batch orders
    np.testing.assert_allclose(model.predict(ln_data.test_images), np.mean(each, 0), rtol=1e-5)
    masks = np.mean([m.readout.masks().detach().numpy() for m in model.module_.members], 0)
    np.testing.assert_allclose(model.readout_masks(), masks, rtol=1e-6)
    single = _tiny_cnn(ensemble_size=1).fit(images, responses)
    assert isinstance(single.module_, EncodingCNN)
    # the first member is the single network of the same seed
    np.testing.assert_allclose(single.predict(ln_data.test_images), each[0], rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("make", [LinearEncoder, _tiny_cnn])
def test_bad_inputs(make, ln_data):
    images, responses = ln_data.train_images[:100], ln_data.train_responses[:100]
    with pytest.raises(NeurodlValueError, match="same length; got 100 images and 99"):
        make().fit(images, responses[:99])
    with pytest.raises(NeurodlValueError, match="images must be 3-D"):
        make().fit(images.reshape(100, -1), responses)
    bad = images.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(NeurodlValueError, match="images contain NaN"):
        make().fit(bad, responses)
    bad_responses = responses.copy()
    bad_responses[0, 0] = np.inf
    with pytest.raises(NeurodlValueError, match="responses contain NaN"):
        make().fit(images, bad_responses)
    with pytest.raises(NeurodlTypeError, match="images must be numeric"):
        make().fit(np.full((100, 4, 4), "a"), responses)
    with pytest.raises(NotFittedError):
        make().predict(images)
    fitted = make().fit(images, responses)
    with pytest.raises(NeurodlValueError, match="must be 20 x 24 pixels"):
        fitted.predict(np.zeros((2, 10, 10)))


def test_cnn_refuses_fewer_images_than_a_batch(ln_data):
    with pytest.raises(NeurodlValueError, match="at least batch_size=64 training images"):
        CNNEncoder().fit(ln_data.train_images[:40], ln_data.train_responses[:40])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"loss": "poison"}, r"loss must be one of \{'auto', 'poisson', 'mse'\}; got 'poison'"),
        ({"output": "exp"}, "output must be one of"),
        ({"init_filters": "gabor"}, "init_filters must be one of"),
        ({"kernel_sizes": (4,)}, "kernel_sizes must hold one odd int"),
        ({"channels": ()}, "channels must be a non-empty sequence"),
        ({"validation_fraction": 1.5}, r"validation_fraction must lie in \(0, 1\)"),
        ({"fine_channels": -1}, "fine_channels must be an integer >= 0; got -1"),
        ({"early_stopping": "yes"}, "early_stopping must be True, False or 'auto'; got 'yes'"),
        ({"batch_size": 0}, "batch_size must be an integer > 0"),
        ({"learning_rate_init": -1.0}, "learning_rate_init must be a number > 0"),
        ({"channels": (2,), "init_filters": "filter_bank"}, "needs channels"),
        ({"device": "tpu"}, "device must be one of"),
    ],
)
def test_cnn_bad_parameters(params, match, ln_data):
    model = _tiny_cnn(**params)
    with pytest.raises(NeurodlValueError, match=match):
        model.fit(ln_data.train_images[:100], ln_data.train_responses[:100])


def test_cnn_loss_and_output_conflicts(ln_data):
    negative = ln_data.train_responses[:100] - 5.0
    with pytest.raises(NeurodlValueError, match="loss='poisson' needs responses >= 0"):
        _tiny_cnn(loss="poisson").fit(ln_data.train_images[:100], negative)
    with pytest.raises(NeurodlValueError, match="output='elu1' cannot predict negative"):
        _tiny_cnn(output="elu1", loss="mse").fit(ln_data.train_images[:100], negative)
    with pytest.raises(NeurodlValueError, match="output='relu' cannot predict negative"):
        LinearEncoder(output="relu").fit(ln_data.train_images[:100], negative)
    with pytest.raises(NeurodlValueError, match="output must be one of"):
        _tiny_cnn(output="exp").fit(ln_data.train_images[:100], negative)
    with pytest.raises(NeurodlValueError, match="early stopping needs at least 2 validation"):
        _tiny_cnn(batch_size=4, early_stopping=True).fit(
            ln_data.train_images[:10], ln_data.train_responses[:10]
        )


def test_linear_bad_parameters(ln_data):
    images, responses = ln_data.train_images[:50], ln_data.train_responses[:50]
    with pytest.raises(NeurodlValueError, match="alphas must be a 1-D sequence"):
        LinearEncoder(alphas=[0.0, 1.0]).fit(images, responses)
    with pytest.raises(NeurodlValueError, match="kernel_size must be >= 3"):
        LinearEncoder(kernel_size=1).fit(images, responses)
    with pytest.raises(NeurodlValueError, match="pool must be an integer > 0"):
        LinearEncoder(pool=0).fit(images, responses)
    with pytest.raises(NeurodlValueError, match="at least 3 images"):
        LinearEncoder().fit(images[:2], responses[:2])
