"""The CNN's per-neuron readouts and the data-driven start of their receptive-field centres."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from neurodl.encoding import CNNEncoder
from neurodl.encoding.cnn import receptive_field_centres
from neurodl.exceptions import NeurodlValueError
from neurodl.models.cnn import EncodingCNN, FactorisedReadout, GaussianReadout


def test_gaussian_masks_are_normalised_bumps_at_their_centres():
    readout = GaussianReadout(channels=4, height=10, width=14, n_neurons=3)
    centres = torch.tensor([[2.0, 3.0], [7.0, 11.0], [4.5, 6.5]])
    readout.place(centres, sigma=1.0)
    masks = readout.masks().detach()
    torch.testing.assert_close(masks.sum((1, 2)), torch.ones(3))
    peaks = [divmod(int(m.argmax()), 14) for m in masks]
    assert peaks[:2] == [(2, 3), (7, 11)]
    # a centre between pixels weighs its four neighbours equally
    m = masks[2]
    assert torch.allclose(m[4, 6], m[5, 7]) and torch.allclose(m[4, 7], m[5, 6])


def test_gaussian_readout_is_a_masked_feature_average():
    torch.manual_seed(0)
    readout = GaussianReadout(channels=3, height=6, width=5, n_neurons=4)
    features = torch.randn(2, 3, 6, 5)
    expected = (
        torch.einsum("bchw,nhw,nc->bn", features, readout.masks(), readout.weights) + readout.bias
    )
    torch.testing.assert_close(readout(features), expected)


def test_factorised_place_starts_masks_at_the_centres():
    readout = FactorisedReadout(channels=2, height=9, width=12, n_neurons=2)
    readout.place(torch.tensor([[1.0, 10.0], [6.0, 2.0]]))
    peaks = [divmod(int(m.argmax()), 12) for m in readout.masks().detach()]
    assert peaks == [(1, 10), (6, 2)]


@pytest.mark.parametrize(("kind", "spatial"), [("gaussian", 3), ("factorised", 12 + 16)])
def test_readout_size_grows_with_neurons_not_with_the_map(kind, spatial):
    n, channels, (h, w) = 20_000, 8, (12, 16)
    module = EncodingCNN(
        (h, w), n, channels=(channels,), kernel_sizes=(3,), downsample=1, readout=kind
    )
    readout = sum(p.numel() for p in module.readout.parameters())
    assert readout == n * (spatial + channels + 1)  # never n * h * w * channels
    with torch.no_grad():
        assert module(torch.zeros(2, h, w)).shape == (2, n)


def test_receptive_field_centres_find_known_neurons(ln_data):
    module = CNNEncoder(channels=(8,), kernel_sizes=(7,), downsample=1)
    channels, kernels = module._check_params()
    module.image_size_ = ln_data.train_images.shape[1:]
    net = module._build(channels, kernels, ln_data.filters.shape[0], "elu1")
    images = torch.from_numpy(ln_data.train_images / ln_data.train_images.std())
    centres = receptive_field_centres(net, images, torch.from_numpy(ln_data.train_responses))
    envelope = np.abs(ln_data.filters) ** 2
    rows, cols = np.mgrid[0 : envelope.shape[1], 0 : envelope.shape[2]]
    truth = (
        np.stack([(envelope * rows).sum((1, 2)), (envelope * cols).sum((1, 2))], axis=1)
        / envelope.sum((1, 2))[:, None]
    )
    error = np.linalg.norm(centres.numpy() - truth, axis=1)
    assert np.median(error) < 1.5, error


def test_readout_choice_is_checked(ln_data):
    with pytest.raises(NeurodlValueError, match="readout must be one of"):
        CNNEncoder(readout="point").fit(ln_data.train_images, ln_data.train_responses)
    with pytest.raises(NeurodlValueError, match="init_readout must be one of"):
        CNNEncoder(init_readout="grid").fit(ln_data.train_images, ln_data.train_responses)
    with pytest.raises(NeurodlValueError, match="lr_schedule must be one of"):
        CNNEncoder(lr_schedule="step").fit(ln_data.train_images, ln_data.train_responses)
    with pytest.raises(NeurodlValueError, match="ensemble_size"):
        CNNEncoder(ensemble_size=0).fit(ln_data.train_images, ln_data.train_responses)


def test_energy_core_passes_on_squared_first_layer_outputs():
    from neurodl.models.cnn import ConvCore

    torch.manual_seed(0)
    core = ConvCore((3,), (3,), energy=True).eval()
    images = torch.randn(2, 1, 8, 8)
    out = core(images)
    assert core.out_channels == 6 and out.shape == (2, 6, 8, 8)
    normalised = core.layers[1](core.layers[0](images))  # conv, batch norm
    torch.testing.assert_close(out[:, 3:], normalised**2)
    torch.testing.assert_close(out[:, :3], torch.nn.functional.elu(normalised))
