"""Layer outputs of a TorchScript module, which has no forward hooks.

A loaded TorchScript module cannot take hooks, but its ``forward`` is a graph in which every
submodule call is a node: ``prim::CallMethod[name="forward"]`` on ``prim::GetAttr[name=child]``
of ``self``. To record layer ``a.b.c``, a copy of the top graph is cut to return the inputs of
its call to ``a``; ``a``'s graph, cut the same way, turns them into the inputs of ``b``; ``b``'s
graph returns the output of its call to ``c``. Dead code after the cut is removed, so each pass
runs only up to the recorded layer. When a layer is called several times, the last call counts
(as a forward hook would record it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch

from neurodl.exceptions import NeurodlValueError

__all__ = ["scripted_layer_names", "scripted_recorder"]


def scripted_layer_names(module: Any) -> list[str]:
    """Dotted names of every submodule of a TorchScript module."""
    return [name for name, _ in module.named_modules() if name]


def _call_of(graph: Any, child: str) -> Any:
    """The last top-level node of ``graph`` that calls ``self.<child>.forward``, or None."""
    self_value = next(iter(graph.inputs()))
    found = None
    for node in graph.nodes():
        if node.kind() != "prim::CallMethod" or node.s("name") != "forward":
            continue
        owner = node.inputsAt(0).node()
        if (
            owner.kind() == "prim::GetAttr"
            and owner.s("name") == child
            and owner.inputsAt(0) == self_value
        ):
            found = node
    return found


def _cut(graph: Any, child: str, *, output: bool, where: str) -> Any:
    """A function of (self, inputs...) returning the inputs (or the output) of the call."""
    cut = graph.copy()
    node = _call_of(cut, child)
    if node is None:
        raise NeurodlValueError(
            f"layer {where!r} is not called at the top level of its parent's forward (it may be "
            "called inside a loop or branch, or not at all), so a TorchScript module cannot "
            "record it; choose another layer."
        )
    values = [node.outputsAt(0)] if output else list(node.inputs())[1:]
    ret = cut.return_node()
    pack = cut.create("prim::TupleConstruct", values, 1)
    pack.output().setType(torch._C.TupleType([v.type() for v in values]))
    pack.insertBefore(ret)
    for index in reversed(range(ret.inputsSize())):
        ret.removeInput(index)
    ret.addInput(pack.output())
    torch._C._jit_pass_dce(cut)
    return torch._C._create_function_from_graph(f"neurodl_cut_{child}", cut)


def scripted_recorder(
    module: Any, layers: list[str]
) -> Callable[[torch.Tensor], dict[str, torch.Tensor]]:
    """A function of a batch that returns the output of each named layer of ``module``."""
    cache: dict[tuple[str, bool], Any] = {}

    def step(prefix: str, parent: Any, child: str, *, output: bool) -> Any:
        key = (f"{prefix}{child}", output)
        if key not in cache:
            cache[key] = _cut(parent.graph, child, output=output, where=key[0])
        return cache[key]

    def record(name: str, x: torch.Tensor) -> Any:
        *path, leaf = name.split(".")
        parent, args, prefix = module, (x,), ""
        for child in path:
            args = tuple(step(prefix, parent, child, output=False)(parent._c, *args))
            parent, prefix = getattr(parent, child), f"{prefix}{child}."
        return step(prefix, parent, leaf, output=True)(parent._c, *args)[0]

    def run(x: torch.Tensor) -> dict[str, torch.Tensor]:
        return {name: record(name, x) for name in layers}

    return run
