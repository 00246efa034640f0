"""The ``neurodl`` command line: thin wrappers that parse, load, call the public API, write outputs.

Exit codes: 0 success, 1 bad input or data (one line on stderr), 2 bad usage.
"""

from __future__ import annotations

import typer

from neurodl.cli._common import STATE

app = typer.Typer(
    name="neurodl",
    help="Deep learning for neural population recordings: decoding, encoding and comparison.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(
    debug: bool = typer.Option(False, "--debug", help="Show full tracebacks on errors."),
) -> None:
    STATE["debug"] = debug


# Each module registers its commands on ``app`` when imported.
from neurodl.cli import batch, data, decode, demo, encode, pose, rsa  # noqa: E402, F401


def main() -> None:
    """Entry point of the ``neurodl`` console script."""
    app(prog_name="neurodl")


__all__ = ["app", "main"]
