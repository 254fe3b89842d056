"""The eight state types (spec section "State Types"), compiled once from a definition.

Every state has ``execute(run, raw) -> (next_name | None, output, assigned)``;
``run`` is the :class:`~attini_sdk.asl.runtime.Run` executing it (its input,
variables, context, history and children), ``raw`` the state's raw input,
``assigned`` the variables its ``Assign`` computed (applied by the run).
Task, Parallel and Map share :class:`Retryable`, which applies Retry and Catch.

    >>> from attini_sdk.asl.machine import compile_machine
    >>> m = compile_machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1, "End": True}}})
    >>> type(m.states["P"]).__name__, m.states["P"].next
    ('Pass', None)
"""

from __future__ import annotations

import json
from typing import Any

from attini_sdk.asl import choice, expressions
from attini_sdk.asl.dataflow import compile_flow
from attini_sdk.asl.failures import (
    EXCEED_TOLERATED_FAILURE_THRESHOLD,
    NO_CHOICE_MATCHED,
    QUERY_EVALUATION_ERROR,
    RUNTIME,
    DefinitionError,
    Failure,
    IntrinsicSyntaxError,
    PathSyntaxError,
)
from attini_sdk.asl.intrinsics import is_intrinsic, parse_intrinsic
from attini_sdk.asl.paths import PathMissing, parse_path
from attini_sdk.asl.retry import compile_catchers, compile_retriers, matches
from attini_sdk.asl.templates import compile_template

MAX_BATCH_BYTES = 262_144  # the guide: MaxInputBytesPerBatch is at most 256 KiB

__all__ = ["State", "Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map", "STATE_TYPES"]


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)


class State:
    """Fields every state has: name, type, Next/End, query language, Comment."""

    type_name = "State"
    can_end = True

    def __init__(self, name: str, spec: dict, language: str, build_machine):
        self.name = name
        self.spec = spec
        self.language = spec.get("QueryLanguage", language)
        if self.language not in ("JSONPath", "JSONata"):
            raise DefinitionError(f"QueryLanguage must be JSONPath or JSONata, got {self.language!r}",
                                  where=f"state {name!r}, field 'QueryLanguage'")
        self.next = spec.get("Next")
        self.end = bool(spec.get("End", False))
        if self.can_end and self.next is None and not self.end:
            raise DefinitionError("the state needs Next or End: true", where=f"state {name!r}",
                                  hint='add "Next": "<state>" or "End": true')
        if self.next is not None and self.end:
            raise DefinitionError("a state cannot have both Next and End", where=f"state {name!r}")

    def where(self, field: str) -> str:
        return f"state {self.name!r}, field {field!r}"

    def execute(self, run, raw) -> tuple[str | None, Any, dict | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    # helpers shared by several states ------------------------------------------------------
    def _number_field(self, spec: dict, field: str, *, integer: bool = True, minimum: float = 0):
        """A field given as a number, a ``<field>Path`` or (JSONata) an expression."""
        if field in spec and f"{field}Path" in spec:
            raise DefinitionError(f"use either {field} or {field}Path, not both", where=self.where(field))
        if field in spec:
            value = spec[field]
            if expressions.is_expression(value):
                if self.language != "JSONata":
                    raise DefinitionError(f"{field} holds a JSONata expression but the state uses JSONPath",
                                          where=self.where(field))
                expr = expressions.compile_expression(value, f"state '{self.name}' {field}")
                return ("expr", expr)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or (integer and int(value) != value) \
                    or value < minimum:
                raise DefinitionError(f"{field} must be {'an integer' if integer else 'a number'} >= {minimum}, "
                                      f"got {value!r}", where=self.where(field))
            return ("const", value)
        if f"{field}Path" in spec:
            if self.language == "JSONata":
                raise DefinitionError(f"{field}Path is a JSONPath field", where=self.where(f"{field}Path"))
            try:
                return ("path", parse_path(spec[f"{field}Path"]))
            except PathSyntaxError as err:
                raise DefinitionError(err.what, where=self.where(f"{field}Path"), hint=err.hint) from None
        return None

    def _resolve_number(self, run, compiled, field: str, scope=None, bindings=None, *, minimum: float = 0,
                        integer: bool = True):
        kind, source = compiled
        if kind == "const":
            return source
        if kind == "expr":
            value = source.evaluate(bindings)
        else:
            try:
                value = scope.resolve(source)
            except PathMissing:
                raise Failure(RUNTIME, f"Invalid path '{source.text}' for {field}Path in state '{self.name}': "
                                       "no value found") from None
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and value >= minimum
        if ok and integer and int(value) != value:
            ok = False
        if not ok:
            raise Failure(RUNTIME, f"{field} in state '{self.name}' must be {'an integer' if integer else 'a number'} "
                                   f">= {minimum}, got {_dumps(value)}")
        return int(value) if integer else value


class Pass(State):
    """Pass: passes its input to its output, or injects ``Result``/``Parameters``/``Output``."""

    type_name = "Pass"

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        self.flow = compile_flow(spec, name, self.language, arguments=False, default_output="input")
        self.has_result = "Result" in spec
        self.result = spec.get("Result")
        if self.language == "JSONata" and self.has_result:
            raise DefinitionError("Result is a JSONPath field; use Output in JSONata", where=self.where("Result"))
        self.trivial = self.flow.trivial and not self.has_result

    def execute(self, run, raw):
        if self.trivial:
            return self.next, raw, None
        prepared = self.flow.prepare(run, raw)
        if self.language == "JSONata":
            output, assigned = self.flow.passthrough(run, prepared)
            return self.next, output, assigned
        result = self.result if self.has_result else prepared.args
        output, assigned = self.flow.finish(run, prepared, result)
        return self.next, output, assigned


class Succeed(State):
    """Succeed: ends its branch (or the execution) successfully."""

    type_name = "Succeed"
    can_end = False

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        self.flow = compile_flow(spec, name, self.language, arguments=False, default_output="input")

    def execute(self, run, raw):
        prepared = self.flow.prepare(run, raw)
        output, _ = self.flow.passthrough(run, prepared)
        return None, output, None


class Fail(State):
    """Fail: ends the execution with ``Error``/``Cause`` (or ``ErrorPath``/``CausePath``)."""

    type_name = "Fail"
    can_end = False

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        self.error = self._text_field(spec, "Error")
        self.cause = self._text_field(spec, "Cause")

    def _text_field(self, spec, field):
        if field in spec and f"{field}Path" in spec:
            raise DefinitionError(f"use either {field} or {field}Path, not both", where=self.where(field))
        if field in spec:
            value = spec[field]
            if expressions.is_expression(value) and self.language == "JSONata":
                return ("expr", expressions.compile_expression(value, f"state '{self.name}' {field}"))
            if not isinstance(value, str):
                raise DefinitionError(f"{field} must be a string", where=self.where(field))
            return ("const", value)
        if f"{field}Path" in spec:
            text = spec[f"{field}Path"]
            try:
                if is_intrinsic(text):
                    return ("call", parse_intrinsic(text))
                return ("path", parse_path(text))
            except (PathSyntaxError, IntrinsicSyntaxError) as err:
                raise DefinitionError(err.what, where=self.where(f"{field}Path"), hint=err.hint) from None
        return None

    def _value(self, run, compiled, raw, field):
        if compiled is None:
            return None
        kind, source = compiled
        if kind == "const":
            return source
        if kind == "expr":
            value = source.evaluate(run.bindings({"input": raw, "context": run.context_object()}))
        else:
            try:
                scope = run.scope(raw)
                value = source.evaluate(scope.resolve) if kind == "call" else scope.resolve(source)
            except PathMissing as missing:
                raise Failure(RUNTIME, f"Invalid path '{missing.path}' for {field}Path in state '{self.name}'") from None
        if not isinstance(value, str):
            raise Failure(RUNTIME, f"{field} of state '{self.name}' must be a string, got {_dumps(value)}")
        return value

    def execute(self, run, raw):
        error = self._value(run, self.error, raw, "Error")
        cause = self._value(run, self.cause, raw, "Cause")
        raise Failure(error, cause)


class Wait(State):
    """Wait: delays for ``Seconds``/``SecondsPath`` or until ``Timestamp``/``TimestampPath``."""

    type_name = "Wait"

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        self.flow = compile_flow(spec, name, self.language, arguments=False, default_output="input")
        self.seconds = self._number_field(spec, "Seconds")
        self.timestamp = self._timestamp_field(spec)
        if (self.seconds is None) == (self.timestamp is None):
            raise DefinitionError("a Wait state needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath",
                                  where=f"state {name!r}")

    def _timestamp_field(self, spec):
        if "Timestamp" in spec:
            value = spec["Timestamp"]
            if expressions.is_expression(value) and self.language == "JSONata":
                return ("expr", expressions.compile_expression(value, f"state '{self.name}' Timestamp"))
            if choice.parse_timestamp(value) is None:
                raise DefinitionError(f"Timestamp must be an RFC 3339 timestamp, got {value!r}",
                                      where=self.where("Timestamp"), hint="e.g. 2026-03-14T01:59:00Z")
            return ("const", value)
        if "TimestampPath" in spec:
            try:
                return ("path", parse_path(spec["TimestampPath"]))
            except PathSyntaxError as err:
                raise DefinitionError(err.what, where=self.where("TimestampPath"), hint=err.hint) from None
        return None

    def execute(self, run, raw):
        prepared = self.flow.prepare(run, raw)
        scope = run.scope(prepared.selected) if self.language == "JSONPath" else None
        if self.seconds is not None:
            delay = self._resolve_number(run, self.seconds, "Seconds", scope, prepared.bindings)
        else:
            kind, source = self.timestamp
            if kind == "const":
                text = source
            elif kind == "expr":
                text = source.evaluate(prepared.bindings)
            else:
                try:
                    text = scope.resolve(source)
                except PathMissing:
                    raise Failure(RUNTIME, f"Invalid path '{source.text}' for TimestampPath in state "
                                           f"'{self.name}'") from None
            moment = choice.parse_timestamp(text)
            if moment is None:
                raise Failure(RUNTIME, f"the Timestamp of state '{self.name}' is not an RFC 3339 timestamp: "
                                       f"{_dumps(text)}")
            delay = max(0.0, moment.timestamp() - run.now())
        run.sleep(delay)
        output, assigned = self.flow.passthrough(run, prepared)
        return self.next, output, assigned


class Choice(State):
    """Choice: the first matching rule's Next, else Default, else ``States.NoChoiceMatched``."""

    type_name = "Choice"
    can_end = False

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        if self.end or "Next" in spec:
            raise DefinitionError("a Choice state has no Next or End; each rule has Next", where=f"state {name!r}")
        rules = spec.get("Choices")
        if not isinstance(rules, list) or not rules:
            raise DefinitionError("Choices must be a non-empty list", where=self.where("Choices"))
        self.flow = compile_flow(spec, name, self.language, arguments=False, default_output="input")
        self.rules = tuple(self._compile_rule(rule, i) for i, rule in enumerate(rules))
        self.default = spec.get("Default")

    def _compile_rule(self, rule, i):
        where = f"Choices[{i}]"
        if not isinstance(rule, dict) or not isinstance(rule.get("Next"), str):
            raise DefinitionError("each choice rule needs Next", where=self.where(where))
        if self.language == "JSONata":
            condition = rule.get("Condition")
            if not expressions.is_expression(condition) and not isinstance(condition, bool):
                raise DefinitionError("a JSONata choice rule needs Condition: \"{% ... %}\"", where=self.where(where))
            test = (expressions.compile_expression(condition, f"state '{self.name}' {where}.Condition")
                    if not isinstance(condition, bool) else condition)
            assign = expressions.compile_value(rule["Assign"], f"state '{self.name}' {where}.Assign") \
                if "Assign" in rule else None
            output = expressions.compile_value(rule["Output"], f"state '{self.name}' {where}.Output") \
                if "Output" in rule else None
            return (test, rule["Next"], assign, output)
        test = choice.compile_rule({k: v for k, v in rule.items() if k not in ("Next", "Assign")}, self.name, where)
        assign = compile_template(rule["Assign"], f"{where}.Assign", state=self.name) if "Assign" in rule else None
        return (test, rule["Next"], assign, None)

    def execute(self, run, raw):
        prepared = self.flow.prepare(run, raw)
        if self.language == "JSONata":
            return self._execute_jsonata(run, prepared)
        scope = prepared.scope.with_input(prepared.selected) if prepared.selected is not raw else prepared.scope
        for test, target, assign, _ in self.rules:
            if test(scope):
                assigned = assign.build(scope) if assign is not None else None
                output, _ = self.flow.passthrough(run, prepared)
                return target, output, assigned
        if self.default is None:
            raise Failure(NO_CHOICE_MATCHED, f"No Choice Rules matched and no Default in state '{self.name}'")
        output, assigned = self.flow.passthrough(run, prepared)
        return self.default, output, assigned

    def _execute_jsonata(self, run, prepared):
        bindings = prepared.bindings
        for test, target, assign, output in self.rules:
            ok = test if isinstance(test, bool) else test.evaluate(bindings)
            if not isinstance(ok, bool):
                raise Failure(QUERY_EVALUATION_ERROR,
                              f"the Condition of a rule in state '{self.name}' returned {_dumps(ok)}, not a boolean")
            if ok:
                assigned = assign(bindings) if assign is not None else None
                return target, (output(bindings) if output is not None else prepared.raw), assigned
        if self.default is None:
            raise Failure(NO_CHOICE_MATCHED, f"No Choice Rules matched and no Default in state '{self.name}'")
        output, assigned = self.flow.passthrough(run, prepared)
        return self.default, output, assigned


class Retryable(State):
    """Task, Parallel and Map: Retry, then Catch, around :meth:`attempt`."""

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        self.retriers = compile_retriers(spec, name)
        self.catchers = compile_catchers(spec, name, self.language)

    def attempt(self, run, raw) -> tuple[Any, dict | None]:  # pragma: no cover - abstract
        raise NotImplementedError

    def execute(self, run, raw):
        counters = run.restored_retries(len(self.retriers))
        while True:
            try:
                output, assigned = self.attempt(run, raw)
                return self.next, output, assigned
            except Failure as failure:
                index = next((i for i, r in enumerate(self.retriers) if matches(r.error_equals, failure.error)), None)
                if index is not None and counters[index] < self.retriers[index].max_attempts:
                    delay = self.retriers[index].delay(counters[index])
                    counters[index] += 1
                    run.before_retry(counters, delay)
                    continue
                catcher = next((c for c in self.catchers if matches(c.error_equals, failure.error)), None)
                if catcher is None:
                    raise
                output, assigned = self.flow.catch_output(run, raw, failure.output(), catcher)
                return catcher.next, output, assigned


class Task(Retryable):
    """Task: runs its ``Resource`` through the registry (see :mod:`attini_sdk.asl.resources`)."""

    type_name = "Task"

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        resource = spec.get("Resource")
        if not isinstance(resource, str) or not resource:
            raise DefinitionError("a Task needs Resource", where=self.where("Resource"),
                                  hint='e.g. "Resource": "attini:cfn" or an arn:aws:states::: integration')
        self.resource = resource
        self.flow = compile_flow(spec, name, self.language)
        self.timeout = self._number_field(spec, "TimeoutSeconds", minimum=1)
        self.heartbeat = self._number_field(spec, "HeartbeatSeconds", minimum=1)
        if self.timeout and self.heartbeat and self.timeout[0] == self.heartbeat[0] == "const" \
                and self.heartbeat[1] >= self.timeout[1]:
            raise DefinitionError("HeartbeatSeconds must be smaller than TimeoutSeconds", where=self.where("HeartbeatSeconds"))
        # Credentials are accepted and ignored: the local engine runs with the caller's own credentials.

    def attempt(self, run, raw):
        return run.run_task(self, raw)


class Parallel(Retryable):
    """Parallel: runs every branch on the same input concurrently; output is the list of branch outputs."""

    type_name = "Parallel"

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        branches = spec.get("Branches")
        if not isinstance(branches, list) or not branches:
            raise DefinitionError("Branches must be a non-empty list", where=self.where("Branches"))
        self.branches = tuple(build_machine(b, f"{name}.Branches[{i}]", self.language) for i, b in enumerate(branches))
        self.flow = compile_flow(spec, name, self.language)

    def attempt(self, run, raw):
        prepared = self.flow.prepare(run, raw)
        run.emit("ParallelStateStarted", None)
        try:
            results = run.run_children(self, [(b, prepared.args) for b in self.branches], len(self.branches), None)
        except Failure:
            run.emit("ParallelStateFailed", None)
            raise
        run.emit("ParallelStateSucceeded", None)
        return self.flow.finish(run, prepared, results)


class Map(Retryable):
    """Map: runs its ItemProcessor (or legacy Iterator) for each item, up to MaxConcurrency at once."""

    type_name = "Map"

    def __init__(self, name, spec, language, build_machine):
        super().__init__(name, spec, language, build_machine)
        processor = spec.get("ItemProcessor", spec.get("Iterator"))
        if not isinstance(processor, dict):
            raise DefinitionError("a Map needs ItemProcessor (or the older Iterator)", where=self.where("ItemProcessor"))
        mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
        self.distributed = mode == "DISTRIBUTED"
        if "ItemReader" in spec:
            raise DefinitionError("ItemReader (reading items from S3) is not supported by the local engine",
                                  where=self.where("ItemReader"), hint="pass the items in the state input")
        self.processor = build_machine(processor, f"{name}.ItemProcessor", self.language)
        selector_field = "ItemSelector" if "ItemSelector" in spec else "Parameters" if "Parameters" in spec else None
        if self.language == "JSONata":
            self.flow = compile_flow(spec, name, self.language, arguments=False)
            self.items = (expressions.compile_value(spec["Items"], f"state '{name}' Items") if "Items" in spec else None)
            self.selector = (expressions.compile_value(spec["ItemSelector"], f"state '{name}' ItemSelector")
                             if "ItemSelector" in spec else None)
        else:
            self.flow = compile_flow(spec, name, self.language, parameters_field=None)
            self.items = self._items_path(spec)
            self.selector = compile_template(spec[selector_field], selector_field, state=name) if selector_field else None
        self.max_concurrency = self._number_field(spec, "MaxConcurrency")
        self.tolerated_count = self._number_field(spec, "ToleratedFailureCount")
        self.tolerated_percentage = self._number_field(spec, "ToleratedFailurePercentage", integer=False)
        self.batcher = self._compile_batcher(spec.get("ItemBatcher"))

    def _compile_batcher(self, batcher):
        """ItemBatcher: MaxItemsPerBatch[Path], MaxInputBytesPerBatch[Path] and BatchInput."""
        if batcher is None:
            return None
        if not isinstance(batcher, dict):
            raise DefinitionError("ItemBatcher must be an object", where=self.where("ItemBatcher"))
        known = {"BatchInput", "MaxItemsPerBatch", "MaxInputBytesPerBatch"}
        if self.language == "JSONPath":
            known |= {"MaxItemsPerBatchPath", "MaxInputBytesPerBatchPath"}
        unknown = sorted(set(batcher) - known)
        if unknown:
            raise DefinitionError(f"ItemBatcher has unknown fields {unknown}; it takes {sorted(known)}",
                                  where=self.where("ItemBatcher"))
        max_items = self._number_field(batcher, "MaxItemsPerBatch", minimum=1)
        max_bytes = self._number_field(batcher, "MaxInputBytesPerBatch", minimum=1)
        if max_items is None and max_bytes is None:
            raise DefinitionError("ItemBatcher needs MaxItemsPerBatch[Path] or MaxInputBytesPerBatch[Path]",
                                  where=self.where("ItemBatcher"), hint='e.g. "ItemBatcher": {"MaxItemsPerBatch": 10}')
        batch_input = None
        if "BatchInput" in batcher:
            value = batcher["BatchInput"]
            batch_input = (expressions.compile_value(value, f"state '{self.name}' ItemBatcher.BatchInput")
                           if self.language == "JSONata" else
                           compile_template(value, "ItemBatcher.BatchInput", state=self.name))
        return max_items, max_bytes, batch_input

    def _items_path(self, spec):
        if "ItemsPath" not in spec or spec["ItemsPath"] == "$":
            return None
        try:
            return parse_path(spec["ItemsPath"], reference=True)
        except PathSyntaxError as err:
            raise DefinitionError(err.what, where=self.where("ItemsPath"), hint=err.hint) from None

    def attempt(self, run, raw):
        prepared = self.flow.prepare(run, raw)
        items = self._items(run, prepared)
        scope = run.scope(prepared.selected) if self.language == "JSONPath" else None
        # The spec: ItemSelector makes each selected item, then ItemBatcher groups the selected items.
        inputs = self._batches(run, scope, prepared, self._inputs(run, prepared, items))
        concurrency = (self._resolve_number(run, self.max_concurrency, "MaxConcurrency", scope, prepared.bindings)
                       if self.max_concurrency else 0)
        tolerance = self._tolerance(run, scope, prepared.bindings, len(inputs))
        run.emit("MapStateStarted", {"length": len(inputs)})
        try:
            results = run.run_children(self, [(self.processor, value) for value in inputs], concurrency, tolerance)
        except Failure:
            run.emit("MapStateFailed", None)
            raise
        run.emit("MapStateSucceeded", None)
        return self.flow.finish(run, prepared, results)

    def _items(self, run, prepared):
        if self.language == "JSONata":
            items = self.items(prepared.bindings) if self.items is not None else prepared.raw
        elif self.items is None:
            items = prepared.selected
        else:
            try:
                items = run.scope(prepared.selected).resolve(self.items)
            except PathMissing:
                raise Failure(RUNTIME, f"Invalid path '{self.items.text}' : the ItemsPath of state '{self.name}' "
                                       "selects nothing") from None
        if not isinstance(items, list):
            # The guide names no error; LocalStack, recorded against AWS, fails with this one.
            source = "Items" if self.language == "JSONata" else "ItemsPath" if self.items is not None else "input"
            raise Failure(QUERY_EVALUATION_ERROR, f"Map state input must be an array: the {source} of Map state "
                                                  f"'{self.name}' gave {_dumps(items)[:200]}")
        return items

    def _batches(self, run, scope, prepared, items):
        if self.batcher is None:
            return items
        max_items, max_bytes, batch_input = self.batcher
        size = self._resolve_number(run, max_items, "MaxItemsPerBatch", scope, prepared.bindings, minimum=1) \
            if max_items else None
        limit = self._resolve_number(run, max_bytes, "MaxInputBytesPerBatch", scope, prepared.bindings, minimum=1) \
            if max_bytes else None
        if limit is not None and limit > MAX_BATCH_BYTES:
            raise Failure(RUNTIME, f"MaxInputBytesPerBatch of state '{self.name}' must be at most {MAX_BATCH_BYTES}")
        shared = None
        if batch_input is not None:
            shared = batch_input(prepared.bindings) if self.language == "JSONata" else batch_input.build(scope)
        batches, current, current_bytes = [], [], 0
        for item in items:
            item_bytes = len(_dumps(item).encode())
            full = (size is not None and len(current) >= size) or \
                (limit is not None and current and current_bytes + item_bytes > limit)
            if full:
                batches.append(current)
                current, current_bytes = [], 0
            current.append(item)
            current_bytes += item_bytes
        if current:
            batches.append(current)
        if shared is None:
            return [{"Items": batch} for batch in batches]
        return [{"BatchInput": shared, "Items": batch} for batch in batches]

    def _inputs(self, run, prepared, items):
        if self.selector is None:
            return items
        inputs = []
        for index, value in enumerate(items):
            run.map_item = {"Index": index, "Value": value}
            try:
                if self.language == "JSONata":
                    states = dict(prepared.bindings["states"], context=run.context_object())
                    inputs.append(self.selector(dict(prepared.bindings, states=states)))
                else:
                    inputs.append(self.selector.build(run.scope(prepared.selected)))
            finally:
                run.map_item = None
        return inputs

    def _tolerance(self, run, scope, bindings, total):
        if not (self.tolerated_count or self.tolerated_percentage):
            return None
        count = self._resolve_number(run, self.tolerated_count, "ToleratedFailureCount", scope, bindings) \
            if self.tolerated_count else None
        pct = self._resolve_number(run, self.tolerated_percentage, "ToleratedFailurePercentage", scope, bindings,
                                   integer=False) if self.tolerated_percentage else None
        if pct is not None and pct > 100:
            raise Failure(RUNTIME, f"ToleratedFailurePercentage of state '{self.name}' must be <= 100")
        allowed = []
        if count is not None:
            allowed.append(count)
        if pct is not None:
            allowed.append(pct / 100.0 * total)
        return min(allowed)


EXCEEDED = EXCEED_TOLERATED_FAILURE_THRESHOLD

STATE_TYPES: dict[str, type[State]] = {
    "Pass": Pass, "Task": Task, "Choice": Choice, "Wait": Wait, "Succeed": Succeed, "Fail": Fail,
    "Parallel": Parallel, "Map": Map,
}
