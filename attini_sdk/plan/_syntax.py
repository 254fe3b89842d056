"""Syntax of JSONPaths and intrinsic-function calls, for the validator.

The engine's parsers (:mod:`attini_sdk.asl.paths`, :mod:`attini_sdk.asl.intrinsics`) are
the judge, so a plan that validates is a plan the engine can run. Each function returns
an error message, or None when the text is well formed::

    >>> path_error("$.output['My Step'].VpcId") is None
    True
    >>> intrinsic_error("States.Fromat('x')")
    "unknown intrinsic function 'States.Fromat'"
    >>> intrinsic_error("States.Format('{}-{}', $.a)")
    "States.Format template has 2 '{}' but 1 values"
"""

from __future__ import annotations

import re
from typing import Any

from attini_sdk.asl.intrinsics import Call, Literal, parse_intrinsic
from attini_sdk.asl.paths import parse_path
from attini_sdk.errors import ExecutionError

_HOLE = re.compile(r"(?<!\\)\{\}")


def path_error(text: Any, *, reference: bool = False) -> str | None:
    """Why ``text`` is not a JSONPath (a *reference path* when ``reference``), or None."""
    try:
        parse_path(text, reference=reference)
    except ExecutionError as err:
        return err.what
    return None


def intrinsic_error(text: Any) -> str | None:
    """Why ``text`` is not a well-formed call of a known intrinsic function, or None."""
    if not isinstance(text, str):
        return "an intrinsic function call must be a string"
    try:
        call = parse_intrinsic(text.strip())
    except ExecutionError as err:
        return err.what
    return _format_holes(call)


def _format_holes(call: Call) -> str | None:
    """A States.Format whose literal template has another number of '{}' than values (checked at any depth)."""
    for arg in call.args:
        if isinstance(arg, Call) and (err := _format_holes(arg)):
            return err
    if call.name != "States.Format" or not call.args or not isinstance(call.args[0], Literal):
        return None
    first = call.args[0]
    holes = len(_HOLE.findall(first.raw if first.raw is not None else str(first.value)))
    values = len(call.args) - 1
    return f"States.Format template has {holes} '{{}}' but {values} values" if holes != values else None
