"""Dale's-law layers: signs by parametrisation, balanced initialisation, forward = F.linear/conv."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from neurodl.exceptions import NeurodlValueError
from neurodl.models import DaleConv2d, DaleLinear


def _make(kind: str) -> torch.nn.Module:
    if kind == "linear":
        return DaleLinear(20, 8, excitatory_fraction=0.75)
    return DaleConv2d(5, 4, 3, excitatory_fraction=0.6, padding=1, stride=2)


def _inputs(kind: str, n: int = 32) -> torch.Tensor:
    return torch.randn(n, 20) if kind == "linear" else torch.randn(n, 5, 9, 11)


def _signs_hold(layer: torch.nn.Module) -> bool:
    weight = layer.effective_weight().detach()
    exc = layer.excitatory
    return bool((weight[:, exc] >= 0).all() and (weight[:, ~exc] <= 0).all())


@pytest.mark.parametrize("kind", ["linear", "conv"])
@pytest.mark.parametrize(
    "make_optimizer",
    [
        lambda p: torch.optim.Adam(p, lr=0.5),
        lambda p: torch.optim.SGD(p, lr=10.0, momentum=0.9),
    ],
    ids=["adam", "sgd"],
)
def test_signs_hold_under_plain_torch_optimisers(kind, make_optimizer):
    torch.manual_seed(0)
    layer = _make(kind)
    x = _inputs(kind)
    target = torch.randn_like(layer(x)) * 5
    optimizer = make_optimizer(layer.parameters())
    raw_signs_before = torch.sign(layer.raw_weight.detach()).clone()
    for _ in range(50):
        optimizer.zero_grad()
        loss = F.mse_loss(layer(x), target)
        loss.backward()
        optimizer.step()
        assert _signs_hold(layer)
    # the raw parameter did cross zero somewhere: the signs hold by construction, not by luck
    assert (torch.sign(layer.raw_weight.detach()) != raw_signs_before).any()
    n_exc = int(layer.excitatory.sum())
    assert layer.excitatory[:n_exc].all() and not layer.excitatory[n_exc:].any()


def test_forward_uses_the_effective_weight():
    torch.manual_seed(1)
    linear = DaleLinear(12, 5)
    x = torch.randn(7, 12)
    torch.testing.assert_close(linear(x), F.linear(x, linear.effective_weight(), linear.bias))
    conv = DaleConv2d(4, 3, (3, 5), stride=2, padding=(1, 2))
    images = torch.randn(2, 4, 10, 13)
    expected = F.conv2d(images, conv.effective_weight(), conv.bias, stride=2, padding=(1, 2))
    torch.testing.assert_close(conv(images), expected)
    assert conv(images).shape == (2, 3, 5, 7)
    assert DaleLinear(12, 5, bias=False).bias is None


@pytest.mark.parametrize("seed", range(3))
def test_initialisation_is_balanced(seed):
    torch.manual_seed(seed)
    linear = DaleLinear(100, 50)
    weight = linear.effective_weight().detach()
    excitatory = weight[:, linear.excitatory].sum(1)
    assert (excitatory > 0).all()
    # summed excitation equals summed inhibition for every output unit
    torch.testing.assert_close(weight.sum(1), torch.zeros(50), atol=1e-5, rtol=0)
    torch.testing.assert_close((weight**2).sum(1), torch.full((50,), 2.0))
    # inputs of equal mean (rectified activity) give zero mean drive to every output
    x = torch.rand(4000, 100)
    drive = linear(x)
    assert drive.mean(0).abs().max() < 0.1 * drive.std(0).min()
    conv = DaleConv2d(10, 6, 3)
    kernel = conv.effective_weight().detach()
    torch.testing.assert_close(kernel.sum((1, 2, 3)), torch.zeros(6), atol=1e-5, rtol=0)
    assert conv(torch.ones(1, 10, 5, 5)).abs().max() < 1e-5


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.2, 1.5, 0.99])
def test_bad_excitatory_fraction_is_named(fraction):
    with pytest.raises(NeurodlValueError, match=r"excitatory_fraction .*in_features=10"):
        DaleLinear(10, 3, excitatory_fraction=fraction)
    with pytest.raises(NeurodlValueError, match=r"excitatory_fraction .*in_channels=4"):
        DaleConv2d(4, 3, 3, excitatory_fraction=fraction if fraction != 0.99 else 0.9)


def test_excitatory_mask_is_a_saved_buffer():
    layer = DaleLinear(10, 3)
    state = layer.state_dict()
    assert state["excitatory"].dtype == torch.bool and int(state["excitatory"].sum()) == 8
    assert "excitatory" not in dict(layer.named_parameters())
    assert "E/I=8/2" in repr(layer)
