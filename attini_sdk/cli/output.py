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
