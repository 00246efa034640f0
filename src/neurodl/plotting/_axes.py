"""The one helper every ``plot_*`` function uses to honour ``ax=None``."""

from __future__ import annotations

from typing import Any

__all__ = ["new_axes"]


def new_axes(ax: Any, figsize: tuple[float, float], *, constrained: bool = False) -> Any:
    """Return ``ax`` when given, else the Axes of a new figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    _, ax = plt.subplots(figsize=figsize, layout="constrained" if constrained else None)
    return ax
