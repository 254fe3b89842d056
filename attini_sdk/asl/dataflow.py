"""Input and output processing (spec section "Input and Output Processing"), in both query languages.

JSONPath: ``InputPath`` → ``Parameters`` → (the work) → ``ResultSelector`` →
``ResultPath`` → ``OutputPath``; ``Assign`` reads the raw result as ``$``.
JSONata: ``Arguments`` → (the work) → ``Output``; ``Assign`` and ``Output`` read
``$states.input``, ``$states.result`` (``$states.errorOutput`` in a Catch) and
``$states.context``, and both see the variables as they were before the state.

A state holds one flow; it calls ``prepare(run, raw)`` before its work and
``finish(run, prepared, result)`` after. Both return plain values, never
mutating their inputs: ResultPath copies only the objects on its path.

    >>> flow = JsonPathFlow({"InputPath": "$.a", "ResultPath": "$.r"}, "S")
    >>> flow.merge_result({"a": 1}, 2)
    {'a': 1, 'r': 2}
"""

from __future__ import annotations

import json
from typing import Any

from attini_sdk.asl import expressions
from attini_sdk.asl.failures import (
    RESULT_PATH_MATCH_FAILURE,
    RUNTIME,
    DefinitionError,
    Failure,
    PathSyntaxError,
)
from attini_sdk.asl.paths import PathMissing, parse_path
from attini_sdk.asl.scope import Scope
from attini_sdk.asl.templates import compile_template

__all__ = ["JsonPathFlow", "JsonataFlow", "Prepared", "compile_flow", "JSONPATH_FIELDS", "JSONATA_FIELDS"]

JSONPATH_FIELDS = ("InputPath", "Parameters", "ResultSelector", "ResultPath", "OutputPath", "ItemsPath")
JSONATA_FIELDS = ("Arguments", "Output", "Items")

_ROOT = object()  # the path "$": identity
_NULL = object()  # the JSON null given as a path: {} (input/output) or keep the input (ResultPath)


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class Prepared:
    """What ``prepare`` computed: the raw input, the effective input after InputPath
    (``selected``), the task/branch input (``args``) and the scope or bindings."""

    __slots__ = ("raw", "selected", "args", "scope", "bindings")

    def __init__(self, raw, selected, args, scope, bindings):
        self.raw = raw
        self.selected = selected
        self.args = args
        self.scope = scope
        self.bindings = bindings


def _compile_path_field(spec: dict, field: str, state: str, *, reference: bool = False):
    if field not in spec:
        return _ROOT
    text = spec[field]
    if text is None:
        return _NULL
    if text == "$":
        return _ROOT
    try:
        path = parse_path(text, reference=reference)
    except PathSyntaxError as err:
        raise DefinitionError(err.what, where=f"state {state!r}, field {field!r}", hint=err.hint) from None
    if reference and path.root != "$":
        raise DefinitionError(f"{field} must start with '$.', got {text!r}", where=f"state {state!r}, field {field!r}",
                              hint="ResultPath places the result inside the state input")
    return path


class JsonPathFlow:
    """The JSONPath field pipeline of one state."""

    language = "JSONPath"

    def __init__(self, spec: dict, state: str, *, parameters_field: str | None = "Parameters"):
        self.state = state
        for field in JSONATA_FIELDS:
            if field in spec:
                raise DefinitionError(f"{field} is a JSONata field but the state uses JSONPath",
                                      where=f"state {state!r}, field {field!r}",
                                      hint='set "QueryLanguage": "JSONata" or use the JSONPath fields')
        self.input_path = _compile_path_field(spec, "InputPath", state)
        self.output_path = _compile_path_field(spec, "OutputPath", state)
        self.result_path = _compile_path_field(spec, "ResultPath", state, reference=True)
        self.parameters = (compile_template(spec[parameters_field], parameters_field, state=state)
                           if parameters_field and parameters_field in spec else None)
        self.result_selector = (compile_template(spec["ResultSelector"], "ResultSelector", state=state)
                                if "ResultSelector" in spec else None)
        self.assign = compile_template(spec["Assign"], "Assign", state=state) if "Assign" in spec else None
        self.trivial = (self.input_path is _ROOT and self.output_path is _ROOT and self.result_path is _ROOT
                        and self.parameters is None and self.result_selector is None and self.assign is None)

    # -- before the work
    def prepare(self, run, raw) -> Prepared:
        scope = run.scope(raw)
        selected = self.select(self.input_path, raw, scope, "InputPath")
        if self.parameters is None:
            return Prepared(raw, selected, selected, scope, None)
        args = self.parameters.build(scope.with_input(selected) if selected is not raw else scope)
        return Prepared(raw, selected, args, scope, None)

    # -- after the work
    def finish(self, run, prepared: Prepared, result) -> tuple[Any, dict | None]:
        scope = prepared.scope
        assigned = self.assign.build(scope.with_input(result)) if self.assign is not None else None
        if self.result_selector is not None:
            result = self.result_selector.build(scope.with_input(result))
        merged = self.merge_result(prepared.raw, result)
        output = self.select(self.output_path, merged, scope, "OutputPath")
        return output, assigned

    def passthrough(self, run, prepared: Prepared) -> tuple[Any, dict | None]:
        """Choice, Wait and Succeed: OutputPath over the effective input (no result)."""
        assigned = self.assign.build(prepared.scope.with_input(prepared.selected)) if self.assign is not None else None
        return self.select(self.output_path, prepared.selected, prepared.scope, "OutputPath"), assigned

    def catch_output(self, run, raw, error_output: dict, catcher) -> tuple[Any, dict | None]:
        scope = run.scope(raw)
        assigned = catcher.assign.build(scope.with_input(error_output)) if catcher.assign is not None else None
        return catcher.merge(raw, error_output), assigned

    def select(self, path, value, scope: Scope, field: str):
        if path is _ROOT:
            return value
        if path is _NULL:
            return {}
        try:
            return path.find(value) if path.root == "$" else scope.resolve(path)
        except PathMissing:
            raise Failure(RUNTIME, f"Invalid path '{path.text}' : No results for path in state '{self.state}', "
                                   f"field '{field}', input {_dumps(value)[:500]}") from None

    def merge_result(self, raw, result):
        return merge_at(self.result_path, raw, result, self.state)


def merge_at(result_path, raw, result, state: str):
    """Place ``result`` into ``raw`` at a ResultPath, copying only the objects on the path.

    >>> merge_at(parse_path("$.a.b", reference=True), {"a": {"x": 1}, "k": 2}, 9, "S")
    {'a': {'x': 1, 'b': 9}, 'k': 2}
    """
    if result_path is _ROOT:
        return result
    if result_path is _NULL:
        return raw
    steps = result_path.steps
    if not isinstance(raw, dict) and not (isinstance(raw, list) and steps and hasattr(steps[0], "index")):
        raise Failure(RESULT_PATH_MATCH_FAILURE,
                      f"Unable to apply ResultPath '{result_path.text}' to input {_dumps(raw)[:500]}: "
                      "the state input is not an object")
    return _set(raw, steps, 0, result, result_path.text, state)


def _set(node, steps, i, value, text, state):
    step = steps[i]
    last = i == len(steps) - 1
    if hasattr(step, "name"):
        if not isinstance(node, dict):
            raise Failure(RESULT_PATH_MATCH_FAILURE,
                          f"Unable to apply ResultPath '{text}' in state '{state}': '{step.name}' cannot be set "
                          f"on a {type(node).__name__} value")
        copy = dict(node)
        child = copy.get(step.name)
        copy[step.name] = value if last else _set(child if child is not None else {}, steps, i + 1, value, text, state)
        return copy
    if not isinstance(node, list) or not -len(node) <= step.index < len(node):
        raise Failure(RESULT_PATH_MATCH_FAILURE,
                      f"Unable to apply ResultPath '{text}' in state '{state}': index {step.index} does not exist")
    copy = list(node)
    copy[step.index] = value if last else _set(copy[step.index], steps, i + 1, value, text, state)
    return copy


class JsonataFlow:
    """The JSONata pipeline of one state: ``Arguments`` in, ``Output`` and ``Assign`` out."""

    language = "JSONata"

    def __init__(self, spec: dict, state: str, *, arguments: bool = True, default_output: str = "result"):
        self.state = state
        for field in JSONPATH_FIELDS:
            if field in spec:
                raise DefinitionError(f"{field} is a JSONPath field but the state uses JSONata",
                                      where=f"state {state!r}, field {field!r}",
                                      hint="use Arguments / Output / Assign with {% %} expressions")
        self.arguments = (expressions.compile_value(spec["Arguments"], f"state '{state}' Arguments")
                          if arguments and "Arguments" in spec else None)
        self.output = expressions.compile_value(spec["Output"], f"state '{state}' Output") if "Output" in spec else None
        self.assign = expressions.compile_value(spec["Assign"], f"state '{state}' Assign") if "Assign" in spec else None
        self.default_output = default_output
        self.trivial = False

    def prepare(self, run, raw) -> Prepared:
        states = {"input": raw, "context": run.context_object()}
        bindings = run.bindings(states)
        args = self.arguments(bindings) if self.arguments is not None else raw
        return Prepared(raw, raw, args, None, bindings)

    def finish(self, run, prepared: Prepared, result) -> tuple[Any, dict | None]:
        bindings = prepared.bindings
        bindings["states"] = dict(bindings["states"], result=result)
        assigned = self.assign(bindings) if self.assign is not None else None
        if self.output is not None:
            return self.output(bindings), assigned
        return (result if self.default_output == "result" else prepared.raw), assigned

    def passthrough(self, run, prepared: Prepared) -> tuple[Any, dict | None]:
        bindings = prepared.bindings
        assigned = self.assign(bindings) if self.assign is not None else None
        return (self.output(bindings) if self.output is not None else prepared.raw), assigned

    def catch_output(self, run, raw, error_output: dict, catcher) -> tuple[Any, dict | None]:
        bindings = run.bindings({"input": raw, "errorOutput": error_output, "context": run.context_object()})
        assigned = catcher.assign_jsonata(bindings) if catcher.assign_jsonata is not None else None
        output = catcher.output_jsonata(bindings) if catcher.output_jsonata is not None else error_output
        return output, assigned


def compile_flow(spec: dict, state: str, language: str, **options):
    """The flow for a state in ``language`` ("JSONPath" or "JSONata")."""
    if language == "JSONata":
        jsonata_options = {k: v for k, v in options.items() if k in ("arguments", "default_output")}
        return JsonataFlow(spec, state, **jsonata_options)
    return JsonPathFlow(spec, state, parameters_field=options.get("parameters_field", "Parameters"))
