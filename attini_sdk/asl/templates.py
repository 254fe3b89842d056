"""Payload templates (spec section "Payload Template"): ``Parameters``, ``ResultSelector``,
``ItemSelector`` and JSONPath ``Assign``.

A field whose name ends in ``.$`` takes its value from a path or an intrinsic
call; every other value is copied as is. Templates are compiled once::

    >>> from attini_sdk.asl.scope import Scope
    >>> t = compile_template({"id.$": "$.order.id", "kind": "order", "n.$": "States.MathAdd($.a, 1)"}, "Parameters")
    >>> t.build(Scope({"order": {"id": 7}, "a": 1}, None, dict))
    {'id': 7, 'kind': 'order', 'n': 2}

A ``.$`` path (also one inside an intrinsic call) that selects nothing fails the
execution with ``States.Runtime``, as Step Functions does (whatever the spec says
about ``States.ParameterPathFailure``), with AWS's cause::

    >>> t = compile_template({"a": {"id.$": "$.order.id"}}, "Parameters")
    >>> t.build(Scope({"order": {}}, None, dict))
    Traceback (most recent call last):
    ...
    attini_sdk.asl.failures.StateRuntimeError: States.Runtime: The JSONPath '$.order.id' specified for the field 'id.$' could not be found in the input '{"order":{}}'
"""

from __future__ import annotations

import json
from typing import Any

from attini_sdk.asl.failures import DefinitionError, IntrinsicSyntaxError, PathSyntaxError, StateRuntimeError
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
            return _call_builder(call, key)
        path = parse_path(text)
    except (PathSyntaxError, IntrinsicSyntaxError) as err:
        raise DefinitionError(err.what, where=_where(state, where), hint=err.hint) from None
    return _path_builder(path, key)


def _where(state, where):
    return f"state {state!r}, field {where!r}" if state else f"field {where!r}"


def _call_builder(call: Call, key: str):
    def build(scope: Scope):
        try:
            return call.evaluate(scope.resolve)
        except PathMissing as missing:  # an argument's path selected nothing
            raise missing_path_failure(parse_path(missing.path), key, scope) from None
    return build


def _path_builder(path: Path, key: str):
    def build(scope: Scope):
        try:
            return scope.resolve(path)
        except PathMissing:
            raise missing_path_failure(path, key, scope) from None
    return build


def missing_path_failure(path: Path, field: str, scope: Scope) -> StateRuntimeError:
    """The ``States.Runtime`` failure for ``path`` in ``field`` (a ``.$`` key) selecting nothing."""
    return StateRuntimeError(missing_path_cause(path, field, scope))


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
            f"'{json.dumps(data, separators=(',', ':'), ensure_ascii=False, default=str)}'")
