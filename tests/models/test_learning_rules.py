"""Feedback alignment and sign symmetry: gradients against autograd, forward unchanged, angles."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from neurodl.exceptions import NeurodlValueError
from neurodl.models import (
    RuleConv2d,
    RuleLinear,
    compute_alignment_angles,
    with_learning_rule,
)


def _net() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(2, 4, 3, stride=2, padding=1),
        nn.ReLU(),
        nn.Conv2d(4, 3, 3, padding="same", padding_mode="reflect"),
        nn.Flatten(),
        nn.Linear(3 * 4 * 5, 6),
        nn.Tanh(),
        nn.Linear(6, 2, bias=False),
    )


def _grads(net: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
    x = x.clone().requires_grad_(True)
    loss = (net(x) ** 2).sum()
    grads = torch.autograd.grad(loss, [x, *net.parameters()])
    return grads[0], list(grads[1:])


@pytest.mark.parametrize("rule", ["feedback_alignment", "sign_symmetry"])
def test_forward_and_parameters_are_unchanged(rule):
    torch.manual_seed(0)
    net = _net()
    x = torch.randn(5, 2, 8, 10)
    ruled = with_learning_rule(net, rule, random_state=0)
    torch.testing.assert_close(ruled(x), net(x))
    assert [n for n, _ in ruled.named_parameters()] == [n for n, _ in net.named_parameters()]
    assert isinstance(ruled[0], RuleConv2d) and isinstance(ruled[4], RuleLinear)
    assert type(net[0]) is nn.Conv2d  # the input module is not modified
    back = with_learning_rule(ruled, "backprop")
    assert type(back[0]) is nn.Conv2d and type(back[6]) is nn.Linear
    torch.testing.assert_close(back(x), net(x))


def test_feedback_equal_to_forward_weights_gives_autograd_gradients():
    torch.manual_seed(1)
    net = _net()
    fa = with_learning_rule(net, "feedback_alignment", random_state=3)
    for layer in fa.modules():
        if isinstance(layer, (RuleLinear, RuleConv2d)):
            layer.feedback.copy_(layer.weight.detach())
    x = torch.randn(3, 2, 8, 10)
    grad_x, grads = _grads(fa, x)
    true_x, true = _grads(net, x)
    torch.testing.assert_close(grad_x, true_x, atol=1e-6, rtol=1e-5)
    for got, expected in zip(grads, true, strict=True):
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=1e-5)


def test_random_feedback_changes_only_the_gradient_below():
    torch.manual_seed(2)
    net = nn.Sequential(nn.Linear(5, 4), nn.Tanh(), nn.Linear(4, 3))
    fa = with_learning_rule(net, "feedback_alignment", random_state=0)
    x = torch.randn(6, 5, requires_grad=True)
    out = fa(x)
    grad_out = torch.randn_like(out)
    grads = torch.autograd.grad(out, [x, fa[0].weight, fa[2].weight], grad_out)
    hidden = torch.tanh(x @ net[0].weight.T + net[0].bias)
    delta_hidden = (grad_out @ fa[2].feedback) * (1 - hidden**2)
    torch.testing.assert_close(grads[2], grad_out.T @ hidden)  # top layer: exact
    torch.testing.assert_close(grads[1], delta_hidden.T @ x)  # below: through B, not W^T
    torch.testing.assert_close(grads[0], delta_hidden @ fa[0].feedback)
    again = with_learning_rule(net, "feedback_alignment", random_state=0)
    torch.testing.assert_close(again[2].feedback, fa[2].feedback)
    other = with_learning_rule(net, "feedback_alignment", random_state=1)
    assert not torch.equal(other[2].feedback, fa[2].feedback)


@pytest.mark.parametrize("kind", ["linear", "conv"])
def test_sign_symmetry_sends_errors_through_sign_of_weights(kind):
    torch.manual_seed(3)
    if kind == "linear":
        layer: nn.Module = nn.Linear(5, 4)
        x = torch.randn(6, 5, requires_grad=True)
    else:
        layer = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        x = torch.randn(2, 3, 7, 9, requires_grad=True)
    ruled = with_learning_rule(layer, "sign_symmetry")
    out = ruled(x)
    grad_out = torch.randn_like(out)
    grad_x, grad_w = torch.autograd.grad(out, [x, ruled.weight], grad_out)
    signed = nn.Linear(5, 4) if kind == "linear" else nn.Conv2d(3, 4, 3, stride=2, padding=1)
    with torch.no_grad():
        signed.weight.copy_(torch.sign(layer.weight))
        signed.bias.copy_(layer.bias)
    expected_x = torch.autograd.grad(signed(x), x, grad_out)[0]
    torch.testing.assert_close(grad_x, expected_x)
    torch.testing.assert_close(grad_w, torch.autograd.grad(layer(x), layer.weight, grad_out)[0])


def _alignment_run(seed: int, steps: int = 150) -> tuple[float, float]:
    """Angles (first, last) of the hidden layer while FA learns a fixed linear teacher.

    benchmarks/bench_models.py runs the same problem over seeds 0-19: the last angle is at
    most 74 degrees (first angles 70-108), so the bound of 80 degrees has a 6-degree margin.
    """
    generator = torch.Generator().manual_seed(seed)
    teacher = torch.randn(10, 20, generator=generator) / 20**0.5
    x = torch.randn(256, 20, generator=generator)
    y = x @ teacher.T
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        net = nn.Sequential(nn.Linear(20, 30), nn.Tanh(), nn.Linear(30, 10))
    fa = with_learning_rule(net, "feedback_alignment", random_state=seed)
    optimizer = torch.optim.SGD(fa.parameters(), lr=1.0)

    def loss_fn(module: nn.Module) -> torch.Tensor:
        return F.mse_loss(module(x), y)

    angles = []
    for _ in range(steps):
        angles.append(compute_alignment_angles(fa, loss_fn)["0"])
        optimizer.zero_grad()
        loss_fn(fa).backward()
        optimizer.step()
    return angles[0], angles[-1]


@pytest.mark.parametrize("seed", [0, 1])
def test_feedback_alignment_angle_falls_below_90_degrees(seed):
    first, last = _alignment_run(seed)
    assert last < 80.0 and last < first


def test_alignment_angles_of_the_top_layer_are_zero_and_bad_input_is_named():
    torch.manual_seed(4)
    net = with_learning_rule(nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1)), "sign_symmetry")
    x = torch.randn(8, 3)
    angles = compute_alignment_angles(net, lambda m: m(x).pow(2).mean())
    assert set(angles) == {"0", "1"} and angles["1"] == pytest.approx(0.0, abs=1e-3)
    assert 0.0 <= angles["0"] <= 180.0
    with pytest.raises(NeurodlValueError, match="no layer with a learning rule"):
        compute_alignment_angles(nn.Linear(3, 1), lambda m: m(x).sum())
    with pytest.raises(NeurodlValueError, match="rule must be one of"):
        with_learning_rule(net, "fa")
    with pytest.raises(NeurodlValueError, match="even kernel"):
        with_learning_rule(nn.Conv2d(1, 1, 2, padding="same"), "sign_symmetry")
