"""Responses of any sign: counts, baseline-subtracted and z-scored responses."""

from __future__ import annotations

import numpy as np
import pytest

from neurodl.encoding import CNNEncoder, LinearEncoder
from neurodl.exceptions import NeurodlValueError
from neurodl.metrics import feve

#: benchmarks/seed_sweep.py, seeds 0-9: FEVE of the CNN on z-scored LN responses 0.727-0.806
ZSCORED_FEVE_MIN = 0.6

#: the network of the ``trained_cnn`` fixture (tests/encoding/conftest.py)
CNN_PARAMS = {
    "channels": (8,),
    "kernel_sizes": (7,),
    "downsample": 1,
    "max_iter": 20,
    "batch_size": 32,
}


def _tiny(**overrides: object) -> CNNEncoder:
    params: dict[str, object] = {
        "channels": (4,),
        "kernel_sizes": (5,),
        "max_iter": 2,
        "batch_size": 16,
        "ensemble_size": 1,
        "random_state": 0,
    }
    params.update(overrides)
    return CNNEncoder(**params)  # type: ignore[arg-type]


def test_output_auto_follows_the_sign_of_the_responses(ln_data):
    images, counts = ln_data.train_images[:120], ln_data.train_responses[:120]
    positive = _tiny().fit(images, counts)
    assert (positive.output_, positive.loss_) == ("elu1", "poisson")
    assert positive.predict(images).min() > 0
    centred = counts - counts.mean(0)
    signed = _tiny().fit(images, centred)
    assert (signed.output_, signed.loss_) == ("shifted_elu", "mse")
    assert signed.predict(images).min() < 0
    assert _tiny(output="identity").fit(images, counts).loss_ == "mse"
    linear = LinearEncoder(pool=4).fit(images, counts)
    assert linear.output_ == "relu" and linear.predict(images).min() >= 0
    linear = LinearEncoder(pool=4).fit(images, centred)
    assert linear.output_ == "identity" and linear.predict(images).min() < 0
    assert LinearEncoder(pool=4, output="identity").fit(images, counts).output_ == "identity"


def test_poisson_needs_a_positive_output(ln_data):
    images, counts = ln_data.train_images[:120], ln_data.train_responses[:120]
    with pytest.raises(NeurodlValueError, match="loss='poisson' needs a positive output"):
        _tiny(output="identity", loss="poisson").fit(images, counts)
    with pytest.raises(NeurodlValueError, match=r"needs responses >= 0; the lowest is -"):
        _tiny(loss="poisson").fit(images, counts - 10)


def test_cnn_fits_zscored_responses(ln_data):
    # z-scoring is affine per neuron, and FEVE is unchanged when data and predictions share it
    mean, sd = ln_data.train_responses.mean(0), ln_data.train_responses.std(0)
    zscored = (ln_data.train_responses - mean) / sd
    model = CNNEncoder(random_state=0, **CNN_PARAMS).fit(ln_data.train_images, zscored)
    assert model.output_ == "shifted_elu"
    repeats = (ln_data.test_repeats - mean) / sd
    score = np.nanmean(feve(repeats, model.predict(ln_data.test_images)))
    assert score > ZSCORED_FEVE_MIN


def test_shifted_elu_is_elu_plus_a_learned_floor():
    import torch
    from torch.nn import functional as F

    from neurodl.models.cnn import OutputNonlinearity

    output = OutputNonlinearity("shifted_elu", n_neurons=3)
    with torch.no_grad():
        output.floor.copy_(torch.tensor([-2.0, 0.0, 1.5]))
    x = torch.linspace(-4, 4, 9)[:, None].repeat(1, 3)
    torch.testing.assert_close(output(x), F.elu(x) + 1 + output.floor)
    assert float(output(torch.full((1, 3), -50.0))[0, 0].detach()) == pytest.approx(-2.0)
    with pytest.raises(ValueError, match="kind must be one of"):
        OutputNonlinearity("exp")
