"""RecurrentConvNet: the feed-forward limit, the recurrence equations, named activations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from neurodl.exceptions import NeurodlValueError
from neurodl.models import RecurrentConvNet
from neurodl.rsa.activations import extract_activations, layer_names


def _feedforward(net: RecurrentConvNet, x: torch.Tensor) -> torch.Tensor:
    """The stack of bottom-up convolutions, written out."""
    h = x
    for index, area in enumerate(net.areas()):
        if index:
            h = F.max_pool2d(h, 2, ceil_mode=True)
        conv = area.bottom_up
        h = torch.relu(F.conv2d(h, conv.weight, conv.bias, conv.stride, conv.padding))
    return h.mean((2, 3)) @ net.readout.weight.T + net.readout.bias


@pytest.mark.parametrize("recurrent", [False, True])
def test_one_step_is_the_feedforward_network(recurrent):
    torch.manual_seed(0)
    net = RecurrentConvNet(
        (3, 5, 4), (5, 3, 3), times=1, lateral=recurrent, topdown=recurrent, input_stride=2
    )
    x = torch.randn(2, 1, 13, 17)  # odd sizes: pooling in ceil mode
    torch.testing.assert_close(net(x), _feedforward(net, x), atol=1e-6, rtol=1e-5)
    # without L and T, more steps change nothing
    flat = RecurrentConvNet(
        (3, 5, 4), (5, 3, 3), times=3, lateral=False, topdown=False, input_stride=2
    )
    flat.load_state_dict(net.state_dict(), strict=False)
    torch.testing.assert_close(flat(x), _feedforward(flat, x), atol=1e-6, rtol=1e-5)


def test_recurrence_follows_the_blt_equations():
    torch.manual_seed(1)
    net = RecurrentConvNet((2, 3), 3, times=2, n_outputs=4)
    x = torch.randn(3, 10, 9)  # (batch, H, W) input
    acts = net.named_activations(x)
    a1, a2 = net.areas()
    img = x[:, None]
    h1_t1 = torch.relu(a1.bottom_up(img))
    h2_t1 = torch.relu(a2.bottom_up(F.max_pool2d(h1_t1, 2, ceil_mode=True)))
    up = F.interpolate(h2_t1, size=h1_t1.shape[-2:], mode="nearest")
    h1_t2 = torch.relu(a1.bottom_up(img) + a1.lateral(h1_t1) + a1.topdown(up))
    h2_t2 = torch.relu(a2.bottom_up(F.max_pool2d(h1_t2, 2, ceil_mode=True)) + a2.lateral(h2_t1))
    torch.testing.assert_close(acts["area1@t1"], h1_t1)
    torch.testing.assert_close(acts["area2@t1"], h2_t1)
    torch.testing.assert_close(acts["area1@t2"], h1_t2)
    torch.testing.assert_close(acts["area2@t2"], h2_t2)
    torch.testing.assert_close(acts["readout@t2"], net(x))
    assert acts["readout@t1"].shape == (3, 4)
    assert list(acts) == net.activation_names()
    assert net.default_layers == ("area1@t2", "area2@t2")
    assert a2.topdown is None  # the top area has nothing above it
    assert not torch.allclose(acts["area1@t2"], acts["area1@t1"])


def test_hooks_on_an_area_see_the_last_step():
    torch.manual_seed(2)
    net = RecurrentConvNet((2, 3), times=3)
    seen = []
    net.area1.register_forward_hook(lambda _m, _i, out: seen.append(out))
    acts = net.named_activations(torch.randn(1, 1, 8, 8))
    assert len(seen) == 3
    torch.testing.assert_close(seen[-1], acts["area1@t3"])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"channels": ()}, "channels must be"),
        ({"kernel_sizes": 4}, "kernel_sizes must be odd"),
        ({"kernel_sizes": (3,)}, "one per area"),
        ({"times": 0}, "times must be >= 1"),
        ({"pool_size": 0}, "pool_size must be >= 1"),
        ({"input_stride": 0}, "input_stride must be >= 1"),
    ],
)
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(NeurodlValueError, match=match):
        RecurrentConvNet(**{"channels": (2, 3), **kwargs})


def test_extract_activations_reads_areas_by_step_and_hooks_together():
    torch.manual_seed(3)
    net = RecurrentConvNet((2, 3), times=3).train()
    images = np.random.default_rng(0).normal(size=(5, 9, 12)).astype(np.float32)
    names = ["area2@t1", "area1@t3", "readout@t2", "area2.bottom_up"]
    acts = extract_activations(net, images, names, batch_size=2)
    assert list(acts) == names and net.training  # training flag restored
    with torch.no_grad():
        expected = net.eval().named_activations(torch.from_numpy(images))
    for name in names[:3]:
        np.testing.assert_allclose(acts[name], expected[name].flatten(1).numpy(), rtol=1e-5)
    # a hook on a submodule called at every step keeps the last call (the last step)
    assert acts["area2.bottom_up"].shape == (5, 3 * 5 * 6)
    assert set(net.activation_names()) <= set(layer_names(net))
    with pytest.raises(NeurodlValueError, match=r"\['area3@t1'\] not found"):
        extract_activations(net, images, ["area3@t1"])
