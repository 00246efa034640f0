"""The networks that RSA compares with a recording: built-in names, users' files and modules."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import torch
from torch import nn

from neurodl.exceptions import DataFormatError, UnsafeFileError

__all__ = ["BUILTIN_MODELS", "load_module", "resolve_model"]

#: Built-in model names: each trains its network on the tilt task (see
#: :func:`neurodl.rsa.tilt.train_tilt_network`).
BUILTIN_MODELS = {"tilt-cnn": "cnn", "tilt-dale": "dale", "tilt-fa": "fa", "tilt-rcnn": "rcnn"}


def load_module(path: str | Path, *, allow_pickle: bool = False) -> nn.Module:
    """Load a user's network: TorchScript (safe) or, when trusted, a pickled ``nn.Module``."""
    path = Path(path)
    if not path.is_file():
        raise DataFormatError(f"model file {str(path)!r} does not exist.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            return torch.jit.load(str(path), map_location="cpu")
    except (RuntimeError, ValueError):
        pass
    if not allow_pickle:
        raise UnsafeFileError(
            f"model file {str(path)!r} is not TorchScript; loading a pickled module runs code "
            "from the file. Pass allow_pickle=True (--allow-pickle) only if you trust it."
        )
    try:
        module = torch.load(str(path), map_location="cpu", weights_only=False)
    except Exception as exc:
        raise DataFormatError(f"model file {str(path)!r} could not be read: {exc}") from None
    if not isinstance(module, nn.Module):
        raise DataFormatError(
            f"model file {str(path)!r} holds a {type(module).__name__}, not a torch.nn.Module "
            "(a state_dict needs its network class; save the whole module or TorchScript)."
        )
    return module


def resolve_model(
    model: str | Path | nn.Module,
    *,
    image_size: tuple[int, int],
    quick: bool,
    random_state: int,
    device: str,
    allow_pickle: bool,
) -> tuple[nn.Module, str, float | None]:
    """The network to compare, its name and its held-out task accuracy (None when not trained).

    ``model`` is an ``nn.Module`` (used as it is), a built-in name (trained here, seeded, on
    tilt gratings of ``image_size``: ``"tilt-cnn"`` the curriculum's CNN, ``"tilt-dale"`` its
    Dale's-law variant, ``"tilt-fa"`` the CNN trained by feedback alignment, ``"tilt-rcnn"`` a
    recurrent conv net) or the path of a TorchScript or (trusted) pickled module file.
    """
    if isinstance(model, nn.Module):
        return model, type(model).__name__, None
    if isinstance(model, str) and model in BUILTIN_MODELS:
        from neurodl.rsa.tilt import quick_settings, train_tilt_network

        kwargs: dict[str, Any] = quick_settings(BUILTIN_MODELS[model]) if quick else {}
        module, accuracy, _ = train_tilt_network(
            BUILTIN_MODELS[model],
            image_size=image_size,
            random_state=random_state,
            device=device,
            **kwargs,
        )
        return module, model, accuracy
    return load_module(model, allow_pickle=allow_pickle), str(model), None


def default_layers(module: nn.Module, layers: list[str] | None) -> list[str]:
    """``layers``, or the module's ``default_layers``, or the names of its children."""
    if layers is not None:
        return list(layers)
    default = getattr(module, "default_layers", None)
    return list(default) if default else [name for name, _ in module.named_children()]
