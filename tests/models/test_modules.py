"""The torch modules of neurodl.models, against explicit computations."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from neurodl.exceptions import NeurodlValueError
from neurodl.models import MLP, ConvCore, EncodingCNN, OutputNonlinearity, TiltCNN


def test_mlp_is_relu_layers_then_a_linear_head():
    torch.manual_seed(0)
    net = MLP(6, (5, 4), 3)
    x = torch.randn(7, 6)
    h1 = torch.relu(x @ net.hidden[0].weight.T + net.hidden[0].bias)
    h2 = torch.relu(h1 @ net.hidden[1].weight.T + net.hidden[1].bias)
    expected = h2 @ net.output.weight.T + net.output.bias
    torch.testing.assert_close(net(x), expected)
    torch.testing.assert_close(net.hidden_activations(x), h1)
    assert net.input_layer is net.hidden[0]


def test_linear_mlp_has_no_hidden_layer():
    net = MLP(6, (), 2)
    assert net.input_layer is net.output
    with pytest.raises(NeurodlValueError, match="no hidden layer"):
        net.hidden_activations(torch.zeros(1, 6))


def test_tilt_cnn_probabilities_and_named_stages():
    torch.manual_seed(0)
    net = TiltCNN((24, 32))
    logits = []
    net.out.register_forward_hook(lambda _m, _i, out: logits.append(out))
    p = net(torch.randn(5, 24, 32))
    assert p.shape == (5,) and torch.all((p > 0) & (p < 1))
    torch.testing.assert_close(p, torch.sigmoid(logits[0]).reshape(-1))
    assert set(TiltCNN.default_layers) <= set(dict(net.named_children()))
    init = torch.randn(6, 7, 7)
    seeded = TiltCNN((24, 32), conv_init=init)
    torch.testing.assert_close(seeded.conv.weight[:, 0], init)


def test_conv_core_downsamples_and_energy_doubles_first_channels():
    torch.manual_seed(0)
    core = ConvCore((4, 6), (5, 3), downsample=2)
    assert core(torch.zeros(2, 1, 24, 32)).shape == (2, 6, 12, 16)
    energy = ConvCore((4, 6), (5, 3), energy=True).eval()
    x = torch.randn(2, 1, 24, 32)
    first = energy.layers[1](energy.layers[0](x))
    torch.testing.assert_close(energy.layers[2](first), torch.cat([F.elu(first), first**2], 1))
    assert energy.layers[3].in_channels == 8
    assert energy(x).shape == (2, 6, 24, 32)


def test_conv_core_full_resolution_filters_are_rectified_and_squared_before_pooling():
    torch.manual_seed(0)
    weights = torch.randn(3, 1, 5, 5)
    core = ConvCore((4, 6), (5, 1), downsample=2, energy=True, fine_channels=3).eval()
    core.fine.conv.weight.data.copy_(weights)
    x = torch.randn(2, 1, 24, 32)
    full = F.conv2d(x, weights, padding=2)  # at 24 x 32, before any pooling
    pooled = F.avg_pool2d(torch.cat([F.elu(full), full**2], 1), 2)
    torch.testing.assert_close(core.fine(x), core.fine.norm(pooled))
    coarse = core.layers[:3](F.avg_pool2d(x, 2))
    mixed = core.layers[3:](torch.cat([coarse, core.fine.norm(pooled)], 1))
    torch.testing.assert_close(core(x), mixed)
    assert core.layers[3].in_channels == 8 + 6 and core.out_channels == 6
    single = ConvCore((4,), (5,), downsample=2, fine_channels=3)
    assert single(x).shape == (2, 4 + 3, 12, 16) and single.out_channels == 7


@pytest.mark.parametrize(
    ("kind", "reference"),
    [("softplus", F.softplus), ("elu1", lambda x: F.elu(x) + 1), ("identity", lambda x: x)],
)
def test_output_nonlinearities(kind, reference):
    x = torch.linspace(-4, 4, 41)
    torch.testing.assert_close(OutputNonlinearity(kind)(x), reference(x))


def test_encoding_cnn_predicts_one_response_per_neuron():
    torch.manual_seed(0)
    net = EncodingCNN((24, 32), 9, channels=(4, 4), kernel_sizes=(5, 3))
    out = net(torch.randn(3, 1, 24, 32))
    assert out.shape == (3, 9) and torch.all(out > 0)  # elu1 output: positive rates
