"""The one ASL validator: structure, paths, intrinsic functions and Attini steps.

It returns *every* problem at once, each naming the file, the state and the
field. Both the packager and the engine call it::

    >>> problems = validate_definition({"StartAt": "Vpc", "States": {"Vpc": {
    ...     "Type": "Task", "Resource": "attini:cfn", "Parameters": {"StackName": "vpc", "Tempalte": "/vpc.yaml"},
    ...     "Next": "Database"}}}, file="plan.yaml")
    >>> for p in problems: print(p)
    plan.yaml: state 'Vpc', field 'Next': Next 'Database' is not a state in this machine
    plan.yaml: state 'Vpc', field 'Parameters.Tempalte': AttiniCfn has no property 'Tempalte' (did you mean 'Template'?)
    plan.yaml: state 'Vpc', field 'Parameters': AttiniCfn needs Template (or ConfigFile)
    plan.yaml: state 'Vpc': no reachable state ends the machine (End: true, Succeed or Fail)
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Collection, Iterable
from typing import Any

from attini_sdk.config.limits import LimitExceeded, check_document, check_state_nesting
from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan import _syntax
from attini_sdk.plan.asl_fields import (
    CATCHER, COMPARATORS, ERRORS, FIELDS, FLOWS, JSONATA_ONLY, JSONPATH_ONLY, RETRIER, TOP_LEVEL,
)
from attini_sdk.plan.attini_checks import attini_problems
from attini_sdk.plan.attini_types import ATTINI_TYPES
from attini_sdk.plan.output_refs import unknown_output_refs
from attini_sdk.plan.states_variable import RESULT_TYPES, misplaced
from attini_sdk.plan.walk import flow_targets, in_order

__all__ = ["validate_definition", "check_definition"]


# -- the two syntax hooks: rewire to attini_sdk.asl.paths / intrinsics at merge time --------------
def _check_path(text: Any, *, reference: bool = False) -> str | None:
    """Why ``text`` is not a (reference) JSONPath, or None."""
    return _syntax.path_error(text, reference=reference)


def _check_intrinsic(text: Any) -> str | None:
    """Why ``text`` is not a well-formed call of a known intrinsic function (with the right arity), or None."""
    return _syntax.intrinsic_error(text)


def validate_definition(
    definition: Any,
    *,
    file: str | None = None,
    files: Collection[str] | None = None,
    dependencies: Collection[str] | None = None,
) -> list[Problem]:
    """Every problem in an ASL ``definition`` (an empty list when it is valid).

    ``files`` (paths in the distribution) turns on checks that the templates and
    config files steps refer to exist; ``dependencies`` (declared distribution
    names) turns on checks of Import sources.

    >>> validate_definition({"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    []
    """
    v = _Validator(file, files, dependencies)
    v.top(definition)
    return v.problems


def check_definition(definition: Any, **kwargs: Any) -> None:
    """Like :func:`validate_definition`, but raise :class:`PlanError` listing every problem.

    >>> check_definition({"StartAt": "A", "States": {}})
    Traceback (most recent call last):
    ...
    attini_sdk.errors.PlanError: the deployment plan has 2 problems:
      - field 'States': States must hold at least one state
      - field 'StartAt': StartAt 'A' is not a state in this machine
      hint: fix each listed problem and package again
    """
    problems = validate_definition(definition, **kwargs)
    if problems:
        raise PlanError(problems)


class _Validator:
    def __init__(self, file: str | None, files: Collection[str] | None, dependencies: Collection[str] | None):
        self.file = file
        self.files = None if files is None else {f.lstrip("/") for f in files}
        self.dependencies = None if dependencies is None else set(dependencies)
        self.problems: list[Problem] = []
        self.runners: set[str] | None = None
        self.machine_ql = "JSONPath"  # the top-level QueryLanguage: JSONata forbids JSONPath states anywhere

    def add(self, what: str, state: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(what, file=self.file, state=state, field=field))

    # -- the machine --------------------------------------------------------
    def top(self, definition: Any) -> None:
        if not isinstance(definition, dict):
            self.add(f"a plan must be a JSON object with StartAt and States, got {type(definition).__name__}")
            return
        for key in definition:
            if key not in TOP_LEVEL:
                self.add(f"unknown top-level field '{key}'{_suggest(key, TOP_LEVEL)}", field=key)
        runners = definition.get("AttiniRunners")
        if runners is not None:
            if isinstance(runners, dict):
                self.runners = set(runners)
            else:
                self.add("AttiniRunners must map runner names to their properties", field="AttiniRunners")
        t = definition.get("TimeoutSeconds")
        if t is not None and not _positive_int(t):
            self.add(f"TimeoutSeconds must be a positive integer, got {t!r}", field="TimeoutSeconds")
        if "Version" in definition and not isinstance(definition["Version"], str):
            self.add("Version must be a string such as \"1.0\"", field="Version")
        ql = definition.get("QueryLanguage", "JSONPath")
        if ql not in ("JSONPath", "JSONata"):
            self.add(f"QueryLanguage must be JSONPath or JSONata, got {ql!r}", field="QueryLanguage")
            ql = "JSONPath"
        self.machine_ql = ql
        try:
            check_document(definition)
            check_state_nesting(definition)
        except LimitExceeded as err:
            self.add(f"the plan {err}; see Limits in docs/artifacts.md")
            return
        self.machine(definition, None, ql)
        self.unique_names(definition)
        for state, field, what in unknown_output_refs(definition):
            self.add(what, state=state, field=field)

    def unique_names(self, definition: dict) -> None:
        seen: dict[str, str] = {}
        for name, place in _placed_states(definition, "at the top level"):
            if name in seen:
                self.add(f"DUPLICATE_STATE_NAME: state name '{name}' is used twice, {seen[name]} and {place}; "
                         "names must be unique across the whole state machine, Parallel branches and Map item "
                         "processors included: rename one of them", state=name)
            else:
                seen[name] = place

    def machine(self, m: dict, holder: str | None, ql: str) -> None:
        where = f"{holder}: " if holder else ""
        states = m.get("States")
        start = m.get("StartAt")
        if not isinstance(states, dict):
            self.add(f"{where}States must be an object of named states", state=holder, field="States")
            states = {}
        elif not states:
            self.add(f"{where}States must hold at least one state", state=holder, field="States")
        if not isinstance(start, str):
            self.add(f"{where}StartAt must name the first state", state=holder, field="StartAt")
        elif start not in states:
            self.add(f"{where}StartAt '{start}' is not a state in this machine{_suggest(start, states)}",
                     state=holder, field="StartAt")
        for name, body in states.items():
            self.state(name, body, states, ql)
        if isinstance(start, str) and start in states:
            self.reachability(start, states)

    def reachability(self, start: str, states: dict) -> None:
        seen, todo = set(), [start]
        while todo:
            name = todo.pop()
            if name in seen or name not in states:
                continue
            seen.add(name)
            todo.extend(flow_targets(states[name]))
        for name in states:
            if name not in seen:
                self.add("state is never reached from StartAt", state=name)
        if seen and not any(_ends(states[n]) for n in seen):
            self.add("no reachable state ends the machine (End: true, Succeed or Fail)", state=start)

    # -- one state ----------------------------------------------------------
    def state(self, name: str, body: Any, siblings: dict, ql: str) -> None:
        if len(name) > 80:
            self.add(f"state name is {len(name)} characters; the limit is 80", state=name)
        if not isinstance(body, dict):
            self.add("a state must be an object with a Type", state=name)
            return
        t = body.get("Type")
        if t not in FIELDS:
            if t in ATTINI_TYPES:
                hint = " (Attini step types are compiled to Task states; load the plan with attini_sdk.plan)"
            elif t == "AttiniMap":
                hint = " (not supported: use a Map state whose ItemProcessor holds AttiniCfn steps)"
            elif isinstance(t, str) and t.startswith("Attini"):
                close = _suggest(t, ATTINI_TYPES)
                hint = close or f" (Attini step types: {', '.join(sorted(ATTINI_TYPES))})"
            else:
                hint = _suggest(str(t), [*FIELDS, *ATTINI_TYPES])
            self.add(f"unknown state Type {t!r}{hint}", state=name, field="Type")
            return
        machine_ql = ql  # branches and item processors default to this, not to the state's own language
        ql = body.get("QueryLanguage", ql)
        if ql not in ("JSONPath", "JSONata"):
            self.add(f"QueryLanguage must be JSONPath or JSONata, got {ql!r}", state=name, field="QueryLanguage")
            ql = "JSONPath"
        if ql == "JSONPath" and self.machine_ql == "JSONata":
            self.add(_JSONPATH_IN_JSONATA, state=name, field="QueryLanguage")
            ql = "JSONata"  # judge its fields as the state machine's language requires
        for key in body:
            if key not in FIELDS[t]:
                self.add(f"{t} states have no field '{key}'{_suggest(key, FIELDS[t])}", state=name, field=key)
            elif ql == "JSONata" and key in JSONPATH_ONLY:
                machine = " (the state machine's QueryLanguage is JSONata)" if self.machine_ql == "JSONata" else ""
                self.add(f"'{key}' is a JSONPath field; JSONata states use Arguments/Output{machine}",
                         state=name, field=key)
            elif ql == "JSONPath" and key in JSONATA_ONLY:
                self.add(f"'{key}' needs QueryLanguage JSONata", state=name, field=key)
        if ql == "JSONata":
            for field, member in misplaced(t, body):
                self.add(_not_accessible(t, field, member), state=name, field=field)
        self.flow(name, body, t, siblings)
        self.paths(name, body, ql)
        if t in ("Parallel", "Map"):
            getattr(self, f"state_{t.lower()}")(name, body, siblings, ql, machine_ql=machine_ql)
        else:
            getattr(self, f"state_{t.lower()}")(name, body, siblings, ql)
        for field in ("Retry", "Catch"):
            if field in body:
                getattr(self, field.lower())(name, body[field], siblings, ql)

    def flow(self, name: str, body: dict, t: str, siblings: dict) -> None:
        if t in FLOWS:
            has_next, has_end = "Next" in body, "End" in body
            if has_next == has_end:
                self.add("needs exactly one of Next or End" if not has_next else "has both Next and End",
                         state=name, field="Next")
            if has_end and body["End"] is not True:
                self.add(f"End must be true, got {body['End']!r}", state=name, field="End")
        if "Next" in body:
            self.target(name, body["Next"], siblings, "Next")

    def target(self, name: str, target: Any, siblings: dict, field: str) -> None:
        if not isinstance(target, str):
            self.add(f"{field} must be a state name, got {target!r}", state=name, field=field)
        elif target not in siblings:
            self.add(f"{field.split('.')[-1]} '{target}' is not a state in this machine{_suggest(target, siblings)}",
                     state=name, field=field)

    def paths(self, name: str, body: dict, ql: str) -> None:
        if ql == "JSONata":
            self.jsonata(name, body)
            return
        for field in ("InputPath", "OutputPath"):
            if field in body and body[field] is not None:
                self.path(name, field, body[field])
        result_path = body.get("ResultPath")
        if isinstance(result_path, str) and result_path.startswith("$$"):
            self.add("bad reference path: ResultPath cannot write into the context object '$$'",
                     state=name, field="ResultPath")
        elif result_path is not None:
            self.path(name, "ResultPath", result_path, reference=True)
        for field in ("Parameters", "ResultSelector", "ItemSelector", "Credentials"):
            if field in body:
                if field != "Parameters" and not isinstance(body[field], dict):
                    self.add(f"{field} must be an object", state=name, field=field)
                else:
                    self.template(name, field, body[field])
        for field, value in body.items():
            if field.endswith("Path") and field not in ("InputPath", "OutputPath", "ResultPath", "ItemsPath") \
                    and value is not None:
                self.dynamic(name, field, value)

    def path(self, name: str, field: str, value: Any, reference: bool = False) -> None:
        err = _check_path(value, reference=reference)
        if err:
            self.add(f"bad {'reference path' if reference else 'path'}: {err}", state=name, field=field)

    def template(self, name: str, field: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, inner in value.items():
                where = f"{field}.{key}"
                if key.endswith(".$"):
                    self.dynamic(name, where, inner)
                else:
                    self.template(name, where, inner)
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                self.template(name, f"{field}[{i}]", inner)

    def dynamic(self, name: str, field: str, value: Any) -> None:
        if not isinstance(value, str):
            self.add(f"a '.$' key needs a path or intrinsic function string, got {value!r}", state=name, field=field)
        elif value.startswith("$"):
            self.path(name, field, value)
        elif value.startswith("States."):
            err = _check_intrinsic(value)
            if err:
                self.add(f"bad intrinsic function: {err}", state=name, field=field)
        else:
            self.add(f"'{value}' is neither a path ('$...') nor an intrinsic function ('States.…(...)')",
                     state=name, field=field)

    def jsonata(self, name: str, body: dict) -> None:
        for field in ("Arguments", "Output", "Assign", "Items", "Condition"):
            if field in body:
                self.jsonata_value(name, field, body[field])

    def jsonata_value(self, name: str, field: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                if k.endswith(".$"):
                    self.add("'.$' keys are JSONPath; in JSONata write {% expression %}", state=name,
                             field=f"{field}.{k}")
                self.jsonata_value(name, f"{field}.{k}", v)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self.jsonata_value(name, f"{field}[{i}]", v)
        elif isinstance(value, str) and value.startswith("{%"):
            if not value.rstrip().endswith("%}"):
                self.add("a JSONata expression must end with '%}'", state=name, field=field)
                return
            err = _jsonata_error(value.strip()[2:-2])
            if err:
                self.add(f"bad JSONata expression: {err}", state=name, field=field)

    # -- per type -----------------------------------------------------------
    def state_pass(self, name: str, body: dict, siblings: dict, ql: str) -> None:
        pass

    def state_succeed(self, name: str, body: dict, siblings: dict, ql: str) -> None:
        pass

    def state_fail(self, name: str, body: dict, siblings: dict, ql: str) -> None:
        for field in ("Error", "Cause"):
            if field in body and f"{field}Path" in body:
                self.add(f"give {field} or {field}Path, not both", state=name, field=field)
            if field in body and not isinstance(body[field], str):
                self.add(f"{field} must be a string", state=name, field=field)

    def state_wait(self, name: str, body: dict, siblings: dict, ql: str) -> None:
        given = [f for f in ("Seconds", "SecondsPath", "Timestamp", "TimestampPath") if f in body]
        if len(given) != 1:
            self.add("needs exactly one of Seconds, SecondsPath, Timestamp, TimestampPath"
                     + (f" (has {', '.join(given)})" if given else ""), state=name, field="Seconds")
        s = body.get("Seconds")
        if "Seconds" in body and ql == "JSONPath" and (not isinstance(s, int) or isinstance(s, bool) or s < 0):
            self.add(f"Seconds must be a non-negative integer, got {s!r}", state=name, field="Seconds")
        ts = body.get("Timestamp")
        if "Timestamp" in body and ql == "JSONPath" and not _is_timestamp(ts):
            self.add(f"Timestamp must be an RFC 3339 time such as 2026-01-31T12:00:00Z, got {ts!r}",
                     state=name, field="Timestamp")

    def state_task(self, name: str, body: dict, siblings: dict, ql: str) -> None:
        resource = body.get("Resource")
        if not isinstance(resource, str) or not resource:
            self.add("Task needs a Resource (an ARN or attini: URI)", state=name, field="Resource")
            return
        for field in ("TimeoutSeconds", "HeartbeatSeconds"):
            if field in body and f"{field}Path" in body:
                self.add(f"give {field} or {field}Path, not both", state=name, field=field)
            if field in body and ql == "JSONPath" and not _positive_int(body[field]):
                self.add(f"{field} must be a positive integer, got {body[field]!r}", state=name, field=field)
        t, h = body.get("TimeoutSeconds"), body.get("HeartbeatSeconds")
        if _positive_int(t) and _positive_int(h) and h >= t:
            self.add(f"HeartbeatSeconds ({h}) must be less than TimeoutSeconds ({t})", state=name,
                     field="HeartbeatSeconds")
        if resource.startswith("attini:"):
            for what, field in attini_problems(name, body, files=self.files, dependencies=self.dependencies,
                                               runners=self.runners):
                self.add(what, state=name, field=field)
        elif not re.match(r"[a-z][a-z0-9+.-]*:", resource):
            self.add(f"Resource '{resource}' is not a URI (an ARN such as arn:aws:states:::sns:publish, "
                     "or attini:<step>)", state=name, field="Resource")

    def state_choice(self, name: str, body: dict, siblings: dict, ql: str) -> None:
        choices = body.get("Choices")
        if not isinstance(choices, list) or not choices:
            self.add("Choice needs a non-empty Choices list", state=name, field="Choices")
            choices = []
        for i, rule in enumerate(choices):
            field = f"Choices[{i}]"
            if not isinstance(rule, dict):
                self.add("a choice rule must be an object", state=name, field=field)
                continue
            if "Next" not in rule:
                self.add("a top-level choice rule needs Next", state=name, field=f"{field}.Next")
            else:
                self.target(name, rule["Next"], siblings, f"{field}.Next")
            if ql == "JSONata" or rule.get("QueryLanguage") == "JSONata" or "Condition" in rule:
                if not isinstance(rule.get("Condition"), (str, bool)):
                    self.add("a JSONata choice rule needs Condition", state=name, field=f"{field}.Condition")
                else:
                    self.jsonata_value(name, f"{field}.Condition", rule["Condition"])
                continue
            self.rule(name, rule, field, top=True)
        if "Default" in body:
            self.target(name, body["Default"], siblings, "Default")

    def rule(self, name: str, rule: Any, field: str, top: bool = False) -> None:
        if not isinstance(rule, dict):
            self.add("a choice rule must be an object", state=name, field=field)
            return
        if not top and "Next" in rule:
            self.add("only top-level choice rules have Next", state=name, field=f"{field}.Next")
        extra = {"Next", "Comment", "Assign", "Output"} if top else {"Comment"}
        for combinator in ("And", "Or"):
            if combinator in rule:
                subs = rule[combinator]
                if not isinstance(subs, list) or not subs:
                    self.add(f"{combinator} needs a non-empty list of rules", state=name, field=f"{field}.{combinator}")
                    return
                for i, sub in enumerate(subs):
                    self.rule(name, sub, f"{field}.{combinator}[{i}]")
                self.only(name, rule, {combinator} | extra, field)
                return
        if "Not" in rule:
            self.rule(name, rule["Not"], f"{field}.Not")
            self.only(name, rule, {"Not"} | extra, field)
            return
        self.comparison(name, rule, field, extra)

    def comparison(self, name: str, rule: dict, field: str, extra: set) -> None:
        if "Variable" not in rule:
            self.add("a choice rule needs Variable (or And, Or, Not)", state=name, field=f"{field}.Variable")
        else:
            self.path(name, f"{field}.Variable", rule["Variable"])
        ops = [k for k in rule if k in COMPARATORS]
        unknown = [k for k in rule if k not in COMPARATORS and k not in extra and k != "Variable"]
        for k in unknown:
            self.add(f"unknown choice operator '{k}'{_suggest(k, COMPARATORS)}", state=name, field=f"{field}.{k}")
        if len(ops) != 1:
            if not unknown:
                self.add(f"a choice rule needs exactly one comparison, has {len(ops)}", state=name, field=field)
            return
        op, value = ops[0], rule[ops[0]]
        kind = COMPARATORS[op]
        ok = {
            "string": isinstance(value, str),
            "number": isinstance(value, (int, float)) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "timestamp": _is_timestamp(value),
            "path": isinstance(value, str),
        }[kind]
        if not ok:
            self.add(f"{op} needs a {kind} value, got {value!r}", state=name, field=f"{field}.{op}")
        elif kind == "path":
            self.path(name, f"{field}.{op}", value)

    def only(self, name: str, rule: dict, allowed: set, field: str) -> None:
        for k in rule:
            if k not in allowed:
                self.add(f"'{k}' cannot sit beside {' / '.join(sorted(allowed & {'And', 'Or', 'Not'}))}",
                         state=name, field=f"{field}.{k}")

    def sub_language(self, name: str, sub: dict, field: str, machine_ql: str) -> str:
        """The query language a branch or item processor gives its states (it may set its own)."""
        ql = sub.get("QueryLanguage", machine_ql)
        if ql == "JSONPath" and self.machine_ql == "JSONata":
            self.add(_JSONPATH_IN_JSONATA, state=name, field=f"{field}.QueryLanguage")
            return "JSONata"
        return ql

    def state_parallel(self, name: str, body: dict, siblings: dict, ql: str, *, machine_ql: str = "JSONPath") -> None:
        branches = body.get("Branches")
        if not isinstance(branches, list) or not branches:
            self.add("Parallel needs a non-empty Branches list", state=name, field="Branches")
            return
        for i, branch in enumerate(branches):
            if not isinstance(branch, dict):
                self.add("a branch must be an object with StartAt and States", state=name, field=f"Branches[{i}]")
                continue
            self.machine(branch, name, self.sub_language(name, branch, f"Branches[{i}]", machine_ql))

    def state_map(self, name: str, body: dict, siblings: dict, ql: str, *, machine_ql: str = "JSONPath") -> None:
        given = [f for f in ("ItemProcessor", "Iterator") if f in body]
        if len(given) != 1:
            self.add("Map needs exactly one of ItemProcessor or Iterator", state=name, field="ItemProcessor")
        else:
            inner = body[given[0]]
            if not isinstance(inner, dict):
                self.add(f"{given[0]} must be an object with StartAt and States", state=name, field=given[0])
            else:
                for key in inner:
                    if key not in ("StartAt", "States", "ProcessorConfig", "Comment", "QueryLanguage"):
                        self.add(f"{given[0]} has no field '{key}'", state=name, field=f"{given[0]}.{key}")
                self.machine(inner, name, self.sub_language(name, inner, given[0], machine_ql))
        if "ItemsPath" in body and ql == "JSONPath":
            self.path(name, "ItemsPath", body["ItemsPath"], reference=not str(body["ItemsPath"]).startswith("$$"))
        m = body.get("MaxConcurrency")
        if "MaxConcurrency" in body and ql == "JSONPath" and (not isinstance(m, int) or isinstance(m, bool) or m < 0):
            self.add(f"MaxConcurrency must be a non-negative integer, got {m!r}", state=name, field="MaxConcurrency")
        p = body.get("ToleratedFailurePercentage")
        if p is not None and ql == "JSONPath" and (not isinstance(p, (int, float)) or isinstance(p, bool)
                                                   or not 0 <= p <= 100):
            self.add(f"ToleratedFailurePercentage must be 0..100, got {p!r}", state=name,
                     field="ToleratedFailurePercentage")

    # -- errors -------------------------------------------------------------
    def errors_list(self, name: str, field: str, value: Any, last: bool) -> None:
        if not isinstance(value, list) or not value:
            self.add("ErrorEquals must be a non-empty list of error names", state=name, field=field)
            return
        for err in value:
            if not isinstance(err, str):
                self.add(f"error name {err!r} is not a string", state=name, field=field)
            elif err.startswith("States.") and err not in ERRORS:
                self.add(f"unknown built-in error '{err}'{_suggest(err, ERRORS)}", state=name, field=field)
        if "States.ALL" in value:
            if len(value) > 1:
                self.add("States.ALL must appear alone in ErrorEquals", state=name, field=field)
            if not last:
                self.add("the States.ALL entry must be the last one", state=name, field=field)

    def error_handlers(self, name: str, handlers: Any, kind: str, allowed: Collection[str]):
        """Each well-formed retrier or catcher as ``(field, handler)``, reporting the malformed ones."""
        list_field = "Retry" if kind == "retrier" else "Catch"
        if not isinstance(handlers, list):
            self.add(f"{list_field} must be a list of {kind}s", state=name, field=list_field)
            return
        for i, handler in enumerate(handlers):
            field = f"{list_field}[{i}]"
            if not isinstance(handler, dict):
                self.add(f"a {kind} must be an object", state=name, field=field)
                continue
            for key in handler:
                if key not in allowed:
                    self.add(f"{kind}s have no field '{key}'{_suggest(key, allowed)}", state=name,
                             field=f"{field}.{key}")
            self.errors_list(name, f"{field}.ErrorEquals", handler.get("ErrorEquals"), i == len(handlers) - 1)
            yield field, handler

    def retry(self, name: str, retriers: Any, siblings: dict, ql: str) -> None:
        for field, r in self.error_handlers(name, retriers, "retrier", RETRIER):
            checks = [("IntervalSeconds", _positive_int, "a positive integer"),
                      ("MaxAttempts", lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= 0,
                       "a non-negative integer"),
                      ("BackoffRate", lambda v: isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 1,
                       "a number >= 1.0"),
                      ("MaxDelaySeconds", _positive_int, "a positive integer"),
                      ("JitterStrategy", lambda v: v in ("FULL", "NONE"), "FULL or NONE")]
            for key, ok, what in checks:
                if key in r and not ok(r[key]):
                    self.add(f"{key} must be {what}, got {r[key]!r}", state=name, field=f"{field}.{key}")

    def catch(self, name: str, catchers: Any, siblings: dict, ql: str) -> None:
        for field, c in self.error_handlers(name, catchers, "catcher", CATCHER):
            if "Next" not in c:
                self.add("a catcher needs Next", state=name, field=f"{field}.Next")
            else:
                self.target(name, c["Next"], siblings, f"{field}.Next")
            if c.get("ResultPath") is not None and ql == "JSONPath":
                self.path(name, f"{field}.ResultPath", c["ResultPath"], reference=True)


_JSONPATH_IN_JSONATA = (
    "SCHEMA_VALIDATION_FAILED: QueryLanguage JSONPath is not allowed in a state machine whose QueryLanguage is "
    "JSONata (a JSONPath state machine may opt single states into JSONata, not the other way round); "
    "write this state in JSONata (Arguments/Output, {% %} expressions) or make the state machine JSONPath")


def _not_accessible(state_type: str, field: str, member: str) -> str:
    """Why ``$states.<member>`` cannot be read in ``field`` of a ``state_type`` JSONata state."""
    head = f"SCHEMA_VALIDATION_FAILED: $states.{member} is not accessible in {field}"
    if member == "errorOutput":
        return f"{head}; it exists only in the Output and Assign of a Catch"
    if state_type not in RESULT_TYPES:
        return (f"{head}: a {state_type} state has no result ($states.result exists only in the Output and Assign "
                "of Task, Parallel and Map states); read $states.input instead")
    if field.startswith("Catch["):
        return f"{head}: a Catch has no result; it reads the error as $states.errorOutput"
    return (f"{head}: {field.split('.')[0].split('[')[0]} is evaluated before the {state_type} has a result; "
            "only its Output and Assign can read $states.result")


def _placed_states(machine: dict, place: str) -> Iterable[tuple[str, str]]:
    """Every state name of a machine with where it sits ("in branch 2 of Parallel 'Fan'"), in reading order."""
    for name, body in in_order(machine).items():
        yield name, place
        kind = body.get("Type") if isinstance(body, dict) else None
        if kind == "Parallel" and isinstance(body.get("Branches"), list):
            for i, branch in enumerate(body["Branches"]):
                if isinstance(branch, dict):
                    yield from _placed_states(branch, f"in branch {i + 1} of Parallel '{name}'")
        elif kind == "Map":
            inner = body.get("ItemProcessor") or body.get("Iterator")
            if isinstance(inner, dict):
                yield from _placed_states(inner, f"in the item processor of Map '{name}'")


def _ends(body: Any) -> bool:
    return isinstance(body, dict) and (body.get("End") is True or body.get("Type") in ("Succeed", "Fail"))


def _positive_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v > 0


_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)\Z")


def _is_timestamp(v: Any) -> bool:
    return isinstance(v, str) and bool(_TIMESTAMP.match(v))


def _suggest(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _jsonata_error(expression: str) -> str | None:
    try:
        import jsonata
    except ImportError:  # pragma: no cover - jsonata-python is a dependency
        return None
    try:
        jsonata.Jsonata(expression)
    except Exception as err:  # jsonata raises JException (and occasionally others) on bad syntax
        return str(err)
    return None
