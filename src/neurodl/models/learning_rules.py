"""Learning without exact backpropagation: feedback alignment and sign symmetry.

Backpropagation sends the error back through the transpose of the forward weights ``W``. A brain
cannot do that (the "weight transport problem"). Two alternatives keep the forward pass and the
local weight update ``dL/dW = delta_out^T x`` but send the error back through other weights ``B``:

- feedback alignment (Lillicrap et al. 2016): ``B`` is fixed and random; the forward weights come
  to align with it, so the updates point within 90 degrees of the true gradient.
- sign symmetry (Liao, Leibo & Poggio 2016): ``B = sign(W)``, only the signs are transported.

Both are autograd Functions, so any optimiser and training loop can use them. Apply them to a
network with :func:`with_learning_rule`; measure how well they follow backpropagation with
:func:`compute_alignment_angles`.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F
from torch.nn.grad import conv2d_input, conv2d_weight

from neurodl.exceptions import NeurodlValueError, check_option

__all__ = [
    "RuleConv2d",
    "RuleLinear",
    "compute_alignment_angles",
    "with_learning_rule",
]

LEARNING_RULES = ("backprop", "feedback_alignment", "sign_symmetry")
_HOOK_DICTS = (
    "_forward_hooks",
    "_forward_hooks_with_kwargs",
    "_forward_hooks_always_called",
    "_forward_pre_hooks",
    "_forward_pre_hooks_with_kwargs",
)


class _FeedbackLinear(torch.autograd.Function):
    """``F.linear`` whose input gradient goes back through ``feedback`` instead of ``weight``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        feedback: torch.Tensor,
    ) -> torch.Tensor:
        ctx.save_for_backward(x, feedback)
        ctx.has_bias = bias is not None
        return F.linear(x, weight, bias)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> Any:  # type: ignore[override]
        x, feedback = ctx.saved_tensors
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = grad_out @ feedback
        if ctx.needs_input_grad[1]:
            grad_w = grad_out.reshape(-1, grad_out.shape[-1]).T @ x.reshape(-1, x.shape[-1])
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.reshape(-1, grad_out.shape[-1]).sum(0)
        return grad_x, grad_w, grad_b, None


class _FeedbackConv2d(torch.autograd.Function):
    """``F.conv2d`` whose input gradient goes back through ``feedback`` instead of ``weight``."""

    @staticmethod
    def forward(  # type: ignore[override]
        ctx: Any,
        x: torch.Tensor,
        weight: torch.Tensor,
        bias: torch.Tensor | None,
        feedback: torch.Tensor,
        geometry: tuple[Any, Any, Any, int],
    ) -> torch.Tensor:
        ctx.save_for_backward(x, feedback)
        ctx.has_bias = bias is not None
        ctx.geometry = geometry
        ctx.weight_shape = weight.shape
        stride, padding, dilation, groups = geometry
        return F.conv2d(x, weight, bias, stride, padding, dilation, groups)

    @staticmethod
    def backward(ctx: Any, grad_out: torch.Tensor) -> Any:  # type: ignore[override]
        x, feedback = ctx.saved_tensors
        stride, padding, dilation, groups = ctx.geometry
        grad_x = grad_w = grad_b = None
        if ctx.needs_input_grad[0]:
            grad_x = conv2d_input(x.shape, feedback, grad_out, stride, padding, dilation, groups)
        if ctx.needs_input_grad[1]:
            grad_w = conv2d_weight(x, ctx.weight_shape, grad_out, stride, padding, dilation, groups)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_b = grad_out.sum((0, 2, 3))
        return grad_x, grad_w, grad_b, None, None


class _RuleMixin:
    """The rule of a layer and the matrix its error goes back through."""

    rule: str = "backprop"
    weight: torch.Tensor

    def feedback_weight(self) -> torch.Tensor:
        """``B``: the fixed random matrix, ``sign(W)``, or ``W`` itself (backprop)."""
        if self.rule == "feedback_alignment":
            return self.get_buffer("feedback")  # type: ignore[attr-defined, no-any-return]
        if self.rule == "sign_symmetry":
            return torch.sign(self.weight.detach())
        return self.weight.detach()


class RuleLinear(_RuleMixin, nn.Linear):
    """An ``nn.Linear`` whose backward pass follows ``rule`` (see :func:`with_learning_rule`).

    The forward pass and the weight gradient are those of ``nn.Linear``; the gradient passed to
    the layer below is ``grad_out @ B`` with ``B = feedback_weight()``.

    Attributes
    ----------
    rule : {"backprop", "feedback_alignment", "sign_symmetry"}
    feedback : Tensor of shape (out_features, in_features)
        The fixed random feedback matrix (buffer; only with feedback alignment).
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (..., in_features) to (..., out_features)."""
        if self.rule == "backprop":
            return F.linear(x, self.weight, self.bias)
        out: torch.Tensor = _FeedbackLinear.apply(x, self.weight, self.bias, self.feedback_weight())
        return out


class RuleConv2d(_RuleMixin, nn.Conv2d):
    """An ``nn.Conv2d`` whose backward pass follows ``rule`` (see :class:`RuleLinear`)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map (batch, in_channels, H, W) to (batch, out_channels, H', W')."""
        if self.rule == "backprop":
            return self._conv_forward(x, self.weight, self.bias)
        padding: Any = self.padding
        if self.padding_mode != "zeros":
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            padding = 0
        geometry = (self.stride, padding, self.dilation, self.groups)
        out: torch.Tensor = _FeedbackConv2d.apply(
            x, self.weight, self.bias, self.feedback_weight(), geometry
        )
        return out


def _rebuilt(layer: nn.Module, rule: str, generator: torch.Generator) -> nn.Module:
    """``layer`` as a Rule layer (or a plain one for backprop), sharing its parameters."""
    new: nn.Linear | nn.Conv2d
    if isinstance(layer, nn.Linear):
        new = (nn.Linear if rule == "backprop" else RuleLinear)(
            layer.in_features, layer.out_features, bias=layer.bias is not None, device="meta"
        )
    else:
        assert isinstance(layer, nn.Conv2d)
        _check_padding(layer)
        new = (nn.Conv2d if rule == "backprop" else RuleConv2d)(
            layer.in_channels,
            layer.out_channels,
            layer.kernel_size,  # type: ignore[arg-type]
            stride=layer.stride,  # type: ignore[arg-type]
            padding=layer.padding,  # type: ignore[arg-type]
            dilation=layer.dilation,  # type: ignore[arg-type]
            groups=layer.groups,
            bias=layer.bias is not None,
            padding_mode=layer.padding_mode,
            device="meta",
        )
    new.weight = layer.weight
    new.bias = layer.bias
    new.train(layer.training)
    for hooks in _HOOK_DICTS:  # a user's hooks stay on the layer of the same name
        if hasattr(layer, hooks):
            getattr(new, hooks).update(getattr(layer, hooks))
    if isinstance(new, _RuleMixin):
        new.rule = rule
        if rule == "feedback_alignment":
            new.register_buffer("feedback", _random_feedback(layer.weight, generator))
    return new


def _check_padding(layer: nn.Conv2d) -> None:
    if isinstance(layer.padding, str) and layer.padding == "same":
        if any(d * (k - 1) % 2 for d, k in zip(layer.dilation, layer.kernel_size, strict=True)):
            raise NeurodlValueError(
                "with_learning_rule needs symmetric padding; a Conv2d with padding='same' and an "
                f"even kernel {layer.kernel_size} has none. Use explicit padding."
            )
        layer.padding = tuple(
            d * (k - 1) // 2 for d, k in zip(layer.dilation, layer.kernel_size, strict=True)
        )
    elif isinstance(layer.padding, str):
        layer.padding = (0, 0)


def _random_feedback(weight: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    """A fixed random ``B`` of the weight's shape, uniform with the layer's default scale."""
    fan_in = math.prod(weight.shape[1:])
    bound = 1.0 / math.sqrt(fan_in)
    feedback = torch.rand(weight.shape, generator=generator, dtype=torch.float32)
    return ((2 * feedback - 1) * bound).to(device=weight.device, dtype=weight.dtype)


def with_learning_rule(
    module: nn.Module, rule: str, *, random_state: int | None = None
) -> nn.Module:
    """A copy of ``module`` whose linear and convolutional layers learn by ``rule``.

    Every ``nn.Linear`` and ``nn.Conv2d`` is replaced by a :class:`RuleLinear` or
    :class:`RuleConv2d` with the same weights, forward pass and submodule name; only the
    gradient sent to the layers below changes. ``"backprop"`` turns rule layers back into plain
    ones. Other layers (including :class:`~neurodl.models.DaleLinear`) keep backpropagation.

    Parameters
    ----------
    module : nn.Module
        Not modified; a deep copy is returned.
    rule : {"backprop", "feedback_alignment", "sign_symmetry"}
    random_state : int, optional
        Seeds the random feedback matrices (feedback alignment), drawn layer by layer in the
        order of ``module.named_modules()``; the global torch random state is not used.

    Returns
    -------
    nn.Module

    Examples
    --------
    >>> net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))
    >>> fa = with_learning_rule(net, "feedback_alignment", random_state=0)
    >>> type(fa[0]).__name__, fa[0].feedback.shape
    ('RuleLinear', torch.Size([3, 4]))
    """
    check_option("rule", rule, LEARNING_RULES)
    if not isinstance(module, nn.Module):
        raise NeurodlValueError(f"module must be a torch.nn.Module; got {type(module).__name__}.")
    copied = copy.deepcopy(module)
    generator = torch.Generator().manual_seed(0 if random_state is None else int(random_state))
    if isinstance(copied, (nn.Linear, nn.Conv2d)):
        return _rebuilt(copied, rule, generator)
    targets = [
        name
        for name, child in copied.named_modules()
        if name and isinstance(child, (nn.Linear, nn.Conv2d))
    ]
    for name in targets:
        parent_name, _, attribute = name.rpartition(".")
        parent = copied.get_submodule(parent_name) if parent_name else copied
        setattr(parent, attribute, _rebuilt(getattr(parent, attribute), rule, generator))
    return copied


def compute_alignment_angles(
    module: nn.Module,
    loss_fn: Callable[[nn.Module], torch.Tensor],
) -> dict[str, float]:
    """Angle (degrees) between each rule layer's weight update and the true gradient.

    ``loss_fn(module)`` computes a scalar loss (for example on one batch). The weight gradients
    are computed twice, once with each layer's rule and once with exact backpropagation; for
    each :class:`RuleLinear`/:class:`RuleConv2d` the angle between the two is returned. Below
    90 degrees the rule's update decreases the loss to first order (Lillicrap et al. 2016). The
    top layer's angle is 0: its own update does not depend on any feedback matrix.

    Parameters
    ----------
    module : nn.Module
        A network from :func:`with_learning_rule`; its parameters' ``.grad`` are not touched.
    loss_fn : callable
        ``loss_fn(module) -> scalar Tensor``.

    Returns
    -------
    dict of str to float
        Layer name to angle in degrees, in [0, 180].
    """
    layers = {
        name: layer for name, layer in module.named_modules() if isinstance(layer, _RuleMixin)
    }
    if not layers:
        raise NeurodlValueError(
            "module has no layer with a learning rule; build it with with_learning_rule()."
        )
    weights = [layer.weight for layer in layers.values()]
    rule_grads = torch.autograd.grad(loss_fn(module), weights, allow_unused=True)
    rules = {name: layer.rule for name, layer in layers.items()}
    try:
        for layer in layers.values():
            layer.rule = "backprop"
        true_grads = torch.autograd.grad(loss_fn(module), weights, allow_unused=True)
    finally:
        for name, layer in layers.items():
            layer.rule = rules[name]
    angles = {}
    for name, rule_grad, true_grad in zip(layers, rule_grads, true_grads, strict=True):
        if rule_grad is None or true_grad is None:
            continue
        cosine = F.cosine_similarity(rule_grad.flatten(), true_grad.flatten(), dim=0, eps=1e-12)
        angles[name] = math.degrees(math.acos(float(cosine.clamp(-1.0, 1.0))))
    return angles
