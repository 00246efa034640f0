"""The file-reading options every command that reads a recording shares (NWB choices).

``@with_load_options`` adds ``--intervals``, ``--where`` (repeatable), ``--series``,
``--window`` and ``--images`` to a command and hands the command one :class:`LoadOptions`
(parameter ``load_options``), so that no command repeats them.
"""

from __future__ import annotations

import functools
import inspect
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from neurodl.data import Recording

__all__ = [
    "LoadOptions",
    "choices_of",
    "cli_arguments",
    "load_call",
    "with_load_options",
]

_HELP = {
    "intervals": "NWB: intervals table whose rows are the trials (default: trials, else the only "
    "one).",
    "where": "NWB: keep rows with COLUMN=VALUE (or drop COLUMN!=VALUE); repeatable.",
    "series": "NWB: response series (path, its last part, its container, or 'units'); default "
    "dF/F over raw fluorescence.",
    "window": "NWB: START,STOP seconds from each row's start (default the row's interval).",
    "images": "NWB: stimulus template TEMPLATE[:COLUMN] giving images (column default 'frame').",
}
_METAVARS = {
    "intervals": "NAME",
    "where": "COLUMN=VALUE",
    "series": "NAME",
    "window": "START,STOP",
    "images": "TEMPLATE[:COLUMN]",
}
_NAMES = tuple(_HELP)


@dataclass(frozen=True)
class LoadOptions:
    """The parsed file-reading options of one command (the keyword arguments of ``load``)."""

    intervals: str | None = None
    where: dict[str, Any] | None = None
    series: str | None = None
    window: tuple[float, float] | None = None
    images: str | None = None

    def load(self, file: Path, *, allow_pickle: bool = False) -> Recording:
        """``neurodl.load(file, ...)`` with these options."""
        from neurodl.data import load

        return load(file, allow_pickle=allow_pickle, **self.kwargs())

    def kwargs(self) -> dict[str, Any]:
        """The options that were given, as keyword arguments of ``neurodl.load``."""
        return {n: getattr(self, n) for n in _NAMES if getattr(self, n) is not None}


def choices_of(recording: Recording) -> dict[str, Any] | None:
    """The reading choices recorded in ``meta`` (NWB files), for the manifest."""
    choices = recording.meta.get("nwb")
    return dict(choices) if isinstance(choices, Mapping) else None


def _parse_where(items: list[str] | None) -> dict[str, Any] | None:
    if not items:
        return None
    where: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("!=")
        key = key + "!=" if sep else key
        if not sep:
            key, sep, value = item.partition("=")
        if not sep or not key.strip("!= "):
            raise typer.BadParameter(
                f"--where takes COLUMN=VALUE or COLUMN!=VALUE; got {item!r}.", param_hint="--where"
            )
        if key in where:
            previous = where[key]
            where[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
        else:
            where[key] = value
    return where


def _parse_window(text: str | None) -> tuple[float, float] | None:
    if text is None:
        return None
    try:
        start, stop = (float(part) for part in text.split(","))
    except ValueError:
        raise typer.BadParameter(
            f"--window takes START,STOP in seconds, e.g. 0.05,0.25; got {text!r}.",
            param_hint="--window",
        ) from None
    return start, stop


def _options_parameters() -> list[inspect.Parameter]:
    kinds: dict[str, Any] = {
        "intervals": str | None,
        "where": list[str] | None,
        "series": str | None,
        "window": str | None,
        "images": str | None,
    }
    return [
        inspect.Parameter(
            name,
            inspect.Parameter.KEYWORD_ONLY,
            default=typer.Option(None, f"--{name}", help=_HELP[name], metavar=_METAVARS[name]),
            annotation=kinds[name],
        )
        for name in _NAMES
    ]


def with_load_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add the NWB reading options to a typer command that takes ``load_options``."""
    signature = inspect.signature(command, eval_str=True)
    kept = [p for p in signature.parameters.values() if p.name != "load_options"]
    extra = _options_parameters()

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        given = {name: kwargs.pop(name, None) for name in _NAMES}
        options = LoadOptions(
            intervals=given["intervals"],
            where=_parse_where(given["where"]),
            series=given["series"],
            window=_parse_window(given["window"]),
            images=given["images"],
        )
        return command(*args, load_options=options, **kwargs)

    parameters = [*kept, *extra]
    wrapper.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in parameters}
    return wrapper


def cli_arguments(options: Mapping[str, Any]) -> str:
    """The command-line options (shell-quoted) for ``load`` keyword arguments ``options``."""
    parts: list[str] = []
    for name in _NAMES:
        value = options.get(name)
        if value is None:
            continue
        if name == "where":
            for key, wanted in value.items():
                sep = "" if key.endswith("!=") else "="
                for item in wanted if isinstance(wanted, list) else [wanted]:
                    text = f"{item:g}" if isinstance(item, float) else str(item)
                    parts += ["--where", f"{key}{sep}{text}"]
        elif name == "window":
            parts += ["--window", f"{value[0]:g},{value[1]:g}"]
        else:
            parts += [f"--{name}", str(value)]
    return " ".join(shlex.quote(p) for p in parts)


def load_call(file: str, options: Mapping[str, Any]) -> str:
    """The ``neurodl.load(...)`` call, as Python source, that reads ``file`` with ``options``."""
    arguments = [repr(str(file))] + [
        f"{name}={options[name]!r}" for name in _NAMES if options.get(name) is not None
    ]
    return f"neurodl.load({', '.join(arguments)})"
