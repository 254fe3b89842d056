"""Output for people (rich tables) and for machines (``--json``), in one place."""

from __future__ import annotations

import json
import sys
from typing import Any

import attrs

from attini_sdk.errors import AttiniError


@attrs.define
class _State:
    debug: bool = False
    json: bool = False


state = _State()


def stderr(message: str) -> None:
    print(message, file=sys.stderr)


def error(err: AttiniError) -> None:
    """Print a user error in the CLI's words: as JSON on stdout with ``--json``, else as text on stderr."""
    if state.json:
        print(json.dumps(err.to_dict(cli=True), indent=2))
    elif type(err).__name__ == "DeploymentInterrupted":  # one line: what happened and how to go on
        stderr(f"Interrupted: {err.what} ({err.cli_hint or err.hint})")
    else:
        stderr(f"Error: {err.render(cli=True)}")


def to_json(data: Any) -> str:
    """Serialise command results: stable key order, datetimes as ISO 8601."""
    return json.dumps(data, indent=2, sort_keys=False, default=_default)


def _default(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if attrs.has(type(value)):
        return attrs.asdict(value)
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    return str(value)


def emit_json(data: Any) -> None:
    print(to_json(data))


def console():
    """A rich console on stdout (imported lazily: rich is not free to import)."""
    from rich.console import Console

    return Console(highlight=False, soft_wrap=True)


def plain() -> bool:
    """Whether stdout takes plain text: not a terminal, and nothing asks rich to style it anyway
    (``FORCE_COLOR``, ``TTY_COMPATIBLE=1``, a notebook). What rich itself would print there, without loading it."""
    import os

    if "IPython" in sys.modules or os.environ.get("FORCE_COLOR") or os.environ.get("TTY_COMPATIBLE") == "1":
        return False
    try:
        return not sys.stdout.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stdout
        return False


def print_parts(*parts: tuple[str, str | None] | str) -> None:
    """One line (or more) of text parts, each plain or ``(text, style)``: styled by rich on a terminal, plain
    text elsewhere (CI logs, pipes: rich is not imported there).

    >>> print_parts("notes", (" succeeded", "green"))
    notes succeeded
    """
    pieces = [(part, None) if isinstance(part, str) else part for part in parts]
    if plain():
        print("".join(text for text, _ in pieces))
        return
    from rich.markup import escape

    console().print("".join(f"[{style}]{escape(text)}[/]" if style else escape(text) for text, style in pieces))


def err_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


class show_warnings:  # noqa: N801 - used as a context manager, reads like a statement
    """Print library warnings (unknown config keys, skipped files) as one ``Warning:`` line each.

    >>> with show_warnings():
    ...     pass
    """

    def __enter__(self):
        import warnings

        self._catcher = warnings.catch_warnings(record=True)
        self._caught = self._catcher.__enter__()
        warnings.simplefilter("always")
        return self

    def __exit__(self, *exc) -> None:
        self._catcher.__exit__(*exc)
        for w in self._caught:
            stderr(f"Warning: {w.message}")
