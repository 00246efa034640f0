"""Layer activations of any torch module: forward hooks, or cut graphs for TorchScript.

A module may also name activations that are not submodule outputs (for example each area of a
recurrent network at each time step, ``area2@t3``): it then provides ``activation_names()``
(the list of names) and ``named_activations(x)`` (a dict from those names to tensors, for one
batch). Requested names that are not submodules are read from ``named_activations``; forward
hooks record the rest during the same pass.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch
from numpy.typing import ArrayLike, NDArray
from torch import nn

from neurodl.exceptions import DataValueError, NeurodlTypeError, NeurodlValueError, check_option
from neurodl.rsa._torchscript import scripted_recorder
from neurodl.training import resolve_device

__all__ = ["extract_activations", "layer_names"]


def layer_names(module: nn.Module) -> list[str]:
    """Names of everything :func:`extract_activations` can record from ``module``.

    Every submodule, then the module's own named activations when it provides them.
    """
    return [name for name, _ in module.named_modules() if name] + _self_named(module)


def _self_named(module: nn.Module) -> list[str]:
    """The names ``module`` records itself through ``named_activations`` (none if it cannot)."""
    if isinstance(module, torch.jit.ScriptModule):
        return []
    names = getattr(module, "activation_names", None)
    if callable(names) and callable(getattr(module, "named_activations", None)):
        return [str(name) for name in names()]
    return []


def _first_tensor(output: Any) -> torch.Tensor:
    if isinstance(output, torch.Tensor):
        return output
    if isinstance(output, (tuple, list)):
        for item in output:
            if isinstance(item, torch.Tensor):
                return item
    if isinstance(output, dict):
        for item in output.values():
            if isinstance(item, torch.Tensor):
                return item
    raise NeurodlTypeError(f"a hooked layer returned {type(output).__name__}, not a tensor.")


def extract_activations(
    module: nn.Module,
    images: ArrayLike,
    layers: list[str] | tuple[str, ...],
    *,
    batch_size: int = 256,
    device: str = "cpu",
    reduce: str | None = None,
    n_components: int = 100,
    random_state: int | None = 0,
) -> dict[str, NDArray[np.float32]]:
    """Record the outputs of named submodules of a network for a set of images.

    Parameters
    ----------
    module : torch.nn.Module
        Any network (neurodl's, torchvision's, timm's...), or a TorchScript module (loaded
        with ``torch.jit.load``: safe, no pickle), whose layers are read from its graph. It is
        run in eval mode without gradients and moved to ``device``; its training flag is
        restored afterwards.
    images : array-like of shape (n_images, height, width) or (n_images, channels, height, width)
        Inputs; a channel axis is added to 3-D input.
    layers : sequence of str
        Submodule names as in ``module.named_modules()`` (see :func:`layer_names`). A hook on
        an activation module (``relu``) records after the nonlinearity, one on the layer before
        it (``conv``) before. Modules with ``activation_names()`` and ``named_activations(x)``
        (such as :class:`~neurodl.models.RecurrentConvNet`: ``area2@t3``) also accept those
        names.
    batch_size : int
    device : str
        "cpu", "cuda", "auto"...
    reduce : {None, "pca", "random_projection"}
        Keep all units (flattened), or reduce each layer to ``n_components`` dimensions: PCA
        over the images, or a Gaussian random projection applied batch by batch (the full
        layer is then never held for all images at once).
    n_components : int
    random_state : int, optional
        Seeds PCA's solver and the random projection.

    Returns
    -------
    dict of str to ndarray of shape (n_images, n_units)
        float32 activations per layer, in the order of ``layers``.

    Examples
    --------
    >>> net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(16, 3))
    >>> acts = extract_activations(net, np.zeros((5, 4, 4), np.float32), ["1"])
    >>> acts["1"].shape
    (5, 3)
    """
    x, names = _check_request(module, images, layers, batch_size, reduce)
    dev = resolve_device(device)
    projections: dict[str, torch.Tensor] = {}
    generator = torch.Generator().manual_seed(0 if random_state is None else int(random_state))
    chunks: dict[str, list[NDArray[np.float32]]] = {name: [] for name in names}
    was_training = module.training
    module.to(dev)
    module.eval()
    forward, release = _recorder(module, names)
    try:
        with torch.no_grad():
            for start in range(0, x.shape[0], int(batch_size)):
                captured = forward(torch.from_numpy(x[start : start + int(batch_size)]).to(dev))
                for name in names:
                    flat = captured[name].detach().reshape(captured[name].shape[0], -1).float()
                    if reduce == "random_projection":
                        if name not in projections:
                            projections[name] = torch.randn(
                                flat.shape[1], n_components, generator=generator
                            ).to(dev) / float(np.sqrt(n_components))
                        flat = flat @ projections[name]
                    chunks[name].append(flat.cpu().numpy().astype(np.float32))
    finally:
        release()
        module.train(was_training)
    out = {name: np.concatenate(chunks[name]) for name in names}
    if reduce == "pca":
        from sklearn.decomposition import PCA

        for name, acts in out.items():
            k = min(int(n_components), acts.shape[0], acts.shape[1])
            pca = PCA(n_components=k, random_state=random_state)
            out[name] = pca.fit_transform(acts).astype(np.float32)
    return out


def _check_request(
    module: nn.Module, images: ArrayLike, layers: Any, batch_size: int, reduce: str | None
) -> tuple[NDArray[np.float32], list[str]]:
    """The images as (n, channels, height, width) float32 and the checked layer names."""
    if not isinstance(module, nn.Module):
        raise NeurodlTypeError(f"module must be a torch.nn.Module; got {type(module).__name__}.")
    if reduce is not None:
        check_option("reduce", reduce, ("pca", "random_projection"))
    available = {*dict(module.named_modules()), *_self_named(module)}
    names = list(layers)
    if not names:
        raise NeurodlValueError("layers must name at least one submodule.")
    unknown = [name for name in names if not name or name not in available]
    if unknown:
        raise NeurodlValueError(
            f"layers {unknown} not found in {type(module).__name__}; it has: "
            f"{', '.join(layer_names(module))}."
        )
    x = np.asarray(images, dtype=np.float32)
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[0] == 0:
        raise DataValueError(
            f"images must have shape (n, height, width) or (n, channels, height, width); got "
            f"{np.shape(images)}."
        )
    if int(batch_size) < 1:
        raise NeurodlValueError(f"batch_size must be >= 1; got {batch_size!r}.")
    return x, names


def _recorder(
    module: nn.Module, names: list[str]
) -> tuple[Callable[[torch.Tensor], dict[str, torch.Tensor]], Callable[[], None]]:
    """A forward pass returning each named layer's output, and the function that cleans up.

    Python modules are recorded by forward hooks; TorchScript modules, which take none, by
    :func:`~neurodl.rsa._torchscript.scripted_recorder`.
    """
    if isinstance(module, torch.jit.ScriptModule):
        return scripted_recorder(module, names), lambda: None
    captured: dict[str, torch.Tensor] = {}
    modules = dict(module.named_modules())
    handles = [
        modules[name].register_forward_hook(
            lambda _m, _i, out, name=name: captured.__setitem__(name, _first_tensor(out))
        )
        for name in names
        if name in modules
    ]
    self_named = [name for name in names if name not in modules]

    def forward(batch: torch.Tensor) -> dict[str, torch.Tensor]:
        captured.clear()
        if self_named:
            own = module.named_activations(batch)  # type: ignore[operator]
            captured.update({name: own[name] for name in self_named if name in own})
        else:
            module(batch)
        missing = [name for name in names if name not in captured]
        if missing:
            raise NeurodlValueError(f"layer {missing[0]!r} was not called during the forward pass.")
        return dict(captured)

    def release() -> None:
        for handle in handles:
            handle.remove()

    return forward, release
