"""Compile an ASL-form plan that uses Attini step types (``Type: AttiniCfn`` ...) to plain ASL.

Attini steps become ``Task`` states on ``attini:`` resources (see
``docs/internals.md``); CloudFormation intrinsics in them become deploy-time
references; plain states pass through, Parallel branches and Map iterators are
compiled recursively::

    >>> from attini_sdk.plan.cfn_intrinsics import Resolver
    >>> out = compile_states_form({"StartAt": "Vpc", "States": {"Vpc": {"Type": "AttiniCfn", "End": True,
    ...     "Properties": {"StackName": {"Fn::Sub": "${AttiniEnvironmentName}-vpc"}, "Template": "/vpc.yaml"}}}},
    ...     Resolver())
    >>> out["States"]["Vpc"]["Parameters"]["StackName.$"]
    "States.Format('{}-vpc', $.stackParameters.AttiniEnvironmentName)"
"""

from __future__ import annotations

from typing import Any

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan import properties as props
from attini_sdk.plan.attini_types import ATTINI_TYPES, attini_task
from attini_sdk.plan.cdk_diff import expand_cdk_diffs
from attini_sdk.plan.cfn_intrinsics import Resolver
from attini_sdk.plan.refs import Expr, Reference

_TEMPLATES = ("Parameters", "ResultSelector", "ItemSelector", "Credentials", "Arguments")
_PATH_TWINS = ("Seconds", "Timestamp", "TimeoutSeconds", "HeartbeatSeconds", "MaxConcurrency", "Error", "Cause",
               "ToleratedFailurePercentage", "ToleratedFailureCount")
_RUNNER_TYPES = ("AttiniRunnerJob", "AttiniSam", "AttiniCdk")


def compile_states_form(definition: dict, resolver: Resolver, *, default_runner: str | None = None) -> dict:
    """Compile every state of ``definition`` (problems are added to ``resolver.problems``)."""
    out = {k: v for k, v in definition.items() if k != "States"}
    states = definition.get("States")
    if not isinstance(states, dict):
        return dict(definition)
    out["States"] = {name: _state(name, body, resolver, default_runner) for name, body in states.items()}
    return expand_cdk_diffs(out)


def _state(name: str, body: Any, resolver: Resolver, default_runner: str | None) -> Any:
    if not isinstance(body, dict):
        return body
    kind = body.get("Type")
    if kind in ATTINI_TYPES:
        return _attini(name, body, resolver, default_runner)
    out = dict(body)
    if kind == "Parallel" and isinstance(body.get("Branches"), list):
        out["Branches"] = [compile_states_form(b, resolver, default_runner=default_runner) if isinstance(b, dict)
                           else b for b in body["Branches"]]
    for key in ("ItemProcessor", "Iterator"):
        if kind == "Map" and isinstance(body.get(key), dict):
            out[key] = compile_states_form(body[key], resolver, default_runner=default_runner)
    for key in list(out):
        if key in ("Branches", "ItemProcessor", "Iterator", "Type"):
            continue
        out = _resolve_field(name, out, key, resolver)
    return out


def _attini(name: str, body: dict, resolver: Resolver, default_runner: str | None) -> dict:
    kind = body["Type"]
    # Attini's LambdaInvoke takes ASL Parameters; every Attini step accepts either spelling here.
    given = "Properties" if "Properties" in body or "Parameters" not in body else "Parameters"
    raw = body.get(given)
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        resolver.problems.append(Problem(f"{kind} {given} must be an object", file=resolver.file, state=name,
                                         field=given))
        raw = {}
    if kind in _RUNNER_TYPES and default_runner and "Runner" not in raw:
        raw = {**raw, "Runner": default_runner}
    resolved = resolver.resolve(raw, state=name, field=given)
    properties = _template(name, resolved, given, resolver)
    extra = {k: v for k, v in body.items() if k not in ("Type", given)}
    return attini_task(kind, name, properties, extra)


def _template(name: str, value: Any, field: str, resolver: Resolver) -> Any:
    try:
        return props.template(value, state=name, field=field) if not isinstance(value, dict) else \
            _dict_template(name, value, field)
    except PlanError as err:
        resolver.problems.extend(attrs_with_file(p, resolver.file) for p in err.problems)
        return value


def _dict_template(name: str, value: dict, field: str) -> dict:
    out: dict = {}
    for k, v in value.items():
        props.put(out, k, v, state=name, field=field)
    return out


def attrs_with_file(problem: Problem, file: str | None) -> Problem:
    """``problem`` located in ``file`` (when it names none yet)."""
    import attrs

    return problem if problem.file or not file else attrs.evolve(problem, file=file)


def _dynamic(value: Any) -> bool:
    return isinstance(value, (Reference, Expr))


def _resolve_field(name: str, state: dict, key: str, resolver: Resolver) -> dict:
    value = resolver.resolve(state[key], state=name, field=key)
    if key in _TEMPLATES:
        state[key] = _template(name, value, key, resolver)
    elif key == "Choices" and isinstance(value, list):
        state[key] = [_rule(name, r, f"Choices[{i}]", resolver) for i, r in enumerate(value)]
    elif _dynamic(value):
        if key in _PATH_TWINS and isinstance(value, Reference):
            out = {}
            for k, v in state.items():
                out[f"{key}Path" if k == key else k] = value.path if k == key else v
            return out
        resolver.problems.append(Problem(f"'{key}' cannot take a deploy-time value here", file=resolver.file,
                                         state=name, field=key))
    else:
        state[key] = value
    return state


def _rule(name: str, rule: Any, field: str, resolver: Resolver) -> Any:
    if not isinstance(rule, dict):
        return rule
    out: dict = {}
    for k, v in rule.items():
        if isinstance(v, Reference) and k not in ("Variable",):
            out[f"{k}Path"] = v.path
        elif k in ("And", "Or") and isinstance(v, list):
            out[k] = [_rule(name, r, f"{field}.{k}[{i}]", resolver) for i, r in enumerate(v)]
        elif k == "Not":
            out[k] = _rule(name, v, f"{field}.Not", resolver)
        elif _dynamic(v):
            resolver.problems.append(Problem(f"'{k}' cannot take a deploy-time value", file=resolver.file,
                                             state=name, field=f"{field}.{k}"))
        else:
            out[k] = v
    return out
