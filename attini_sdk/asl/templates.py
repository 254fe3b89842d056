"""Payload templates (spec section "Payload Template"): ``Parameters``, ``ResultSelector``,
``ItemSelector`` and JSONPath ``Assign``.

A field whose name ends in ``.$`` takes its value from a path or an intrinsic
call; every other value is copied as is. Templates are compiled once::

    >>> from attini_sdk.asl.scope import Scope
    >>> t = compile_template({"id.$": "$.order.id", "kind": "order", "n.$": "States.MathAdd($.a, 1)"}, "Parameters")
    >>> t.build(Scope({"order": {"id": 7}, "a": 1}, None, dict))
    {'id': 7, 'kind': 'order', 'n': 2}

A ``.$`` path that selects nothing fails the state with
``States.ParameterPathFailure`` (the name the AWS documentation gives).
"""

from __future__ import annotations

import json
from typing import Any

from attini_sdk.asl.failures import PARAMETER_PATH_FAILURE, DefinitionError, Failure, IntrinsicSyntaxError, PathSyntaxError
from attini_sdk.asl.intrinsics import Call, is_intrinsic, parse_intrinsic
from attini_sdk.asl.paths import Path, PathMissing, parse_path
from attini_sdk.asl.scope import Scope

__all__ = ["Template", "compile_template"]


class Template:
    """A compiled payload template; ``build(scope)`` returns a fresh value (constants shared)."""

    __slots__ = ("build", "source")

    def __init__(self, build, source: Any):
        self.build = build
        self.source = source


def compile_template(value: Any, field: str, *, state: str | None = None) -> Template:
    """Compile a payload template found in ``field`` of ``state``.

    Bad paths or intrinsic calls raise :class:`DefinitionError` naming the state and key.
    """
    return Template(_compile(value, field, state), value)


def _compile(value: Any, field: str, state: str | None):
    if isinstance(value, dict):
        return _compile_object(value, field, state)
    if isinstance(value, list):
        items = [_compile(v, f"{field}[{i}]", state) for i, v in enumerate(value)]
        if all(getattr(item, "constant", False) for item in items):
            return constant(value)
        return lambda scope: [item(scope) for item in items]
    return constant(value)


def constant(value):
    """A compiled value that ignores its bindings; marked ``constant`` so containers of constants fold."""

    def build(_bindings):
        return value
    build.constant = True
    return build


def _compile_object(value: dict, field: str, state: str | None):
    entries = []
    for key, item in value.items():
        if isinstance(key, str) and key.endswith(".$"):
            entries.append((key[:-2], _compile_dynamic(item, f"{field}.{key}", key, state)))
        else:
            entries.append((key, _compile(item, f"{field}.{key}", state)))
    if all(getattr(fn, "constant", False) for _, fn in entries):
        return constant(value)
    entries = tuple(entries)

    def build(scope):
        return {key: fn(scope) for key, fn in entries}
    return build


def _compile_dynamic(text: Any, where: str, key: str, state: str | None):
    if not isinstance(text, str):
        raise DefinitionError(f"the value of {key!r} must be a path or an intrinsic function string, got {json.dumps(text)}",
                              where=_where(state, where), hint="remove '.$' from the key to use a constant")
    try:
        if is_intrinsic(text):
            call = parse_intrinsic(text)
            return _call_builder(call)
        path = parse_path(text)
    except (PathSyntaxError, IntrinsicSyntaxError) as err:
        raise DefinitionError(err.what, where=_where(state, where), hint=err.hint) from None
    return _path_builder(path, key)


def _where(state, where):
    return f"state {state!r}, field {where!r}" if state else f"field {where!r}"


def _call_builder(call: Call):
    def build(scope: Scope):
        return call.evaluate(scope.resolve)
    return build


def _path_builder(path: Path, key: str):
    def build(scope: Scope):
        try:
            return scope.resolve(path)
        except PathMissing:
            raise Failure(PARAMETER_PATH_FAILURE, missing_path_cause(path, key, scope)) from None
    return build


def missing_path_cause(path: Path, field: str, scope: Scope) -> str:
    """The cause AWS gives when a path selects nothing.

    >>> missing_path_cause(parse_path("$.x"), "a.$", Scope({}, None, dict))
    "The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '{}'"
    """
    if path.root == "$":
        data = scope.input
    elif path.root == "$$":
        data = scope.context()
    else:
        data = scope.variables.visible() if scope.variables is not None else {}
    return (f"The JSONPath '{path.text}' specified for the field '{field}' could not be found in the input "
            f"'{json.dumps(data, separators=(',', ':'), default=str)}'")
