"""CloudFormation intrinsic functions inside a deployment plan, resolved for deploy time.

In Attini the init stack's parameters (``AttiniEnvironmentName`` ...) are
substituted by CloudFormation. Here they are kept as references into
``$.stackParameters``, which the engine fills for each deployment::

    >>> r = Resolver(parameters={"Domain"})
    >>> r.resolve({"Fn::Sub": "${AttiniEnvironmentName}-vpc"}, state="Vpc", field="StackName").text
    "States.Format('{}-vpc', $.stackParameters.AttiniEnvironmentName)"
    >>> r.resolve({"Ref": "Domain"}, state="Dns", field="Zone").path
    '$.stackParameters.Domain'
    >>> r.resolve({"Fn::Join": ["-", ["a", "b"]]}, state="S", field="F")
    'a-b'
"""

from __future__ import annotations

import base64
import re
from typing import Any

from attini_sdk.errors import Problem
from attini_sdk.plan.paths import payload_path
from attini_sdk.plan.refs import Expr, Reference, format_parts, intrinsic

ATTINI_PARAMETERS = frozenset({"AttiniEnvironmentName", "AttiniDistributionName", "AttiniDistributionId",
                               "AttiniRandomString"})
"""Parameters Attini's init-deploy passes to every init stack."""

PSEUDO_PARAMETERS = frozenset({"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::StackName",
                               "AWS::StackId", "AWS::URLSuffix"})
"""CloudFormation pseudo parameters; the engine puts them in ``$.stackParameters`` too."""

_SUB_VAR = re.compile(r"\$\{([^}]*)\}")
_UNSUPPORTED = {
    "Fn::GetAtt": "reads an attribute of a stack resource",
    "Fn::ImportValue": "reads a CloudFormation export",
    "Fn::GetAZs": "lists availability zones",
    "Fn::Cidr": "computes address blocks",
    "Fn::Transform": "runs a macro",
    "Fn::Equals": "is only valid in Conditions",
    "Fn::And": "is only valid in Conditions",
    "Fn::Or": "is only valid in Conditions",
    "Fn::Not": "is only valid in Conditions",
    "Condition": "is only valid in Conditions",
}


def is_intrinsic(value: Any) -> bool:
    """True for a one-key dict ``{"Ref": ...}`` / ``{"Fn::X": ...}`` / ``{"Condition": ...}``.

    >>> is_intrinsic({"Ref": "X"}), is_intrinsic({"Ref": "X", "Other": 1})
    (True, False)
    """
    if not isinstance(value, dict) or len(value) != 1:
        return False
    key = next(iter(value))
    return key in ("Ref", "Condition") or key.startswith("Fn::")


class Resolver:
    """Turns intrinsic functions into static values, references or ``States.*`` expressions.

    ``parameters`` are the template's declared parameters; ``mappings`` its
    ``Mappings``; ``conditions`` its ``Conditions``; ``resources`` the logical
    ids of its resources (a ``Ref`` to one cannot be resolved without deploying
    the init stack). Problems are collected in ``problems``.
    """

    def __init__(self, parameters=(), *, mappings: dict | None = None, conditions: dict | None = None,
                 resources=(), file: str | None = None):
        self.parameters = set(parameters) | ATTINI_PARAMETERS
        self.mappings = mappings or {}
        self.conditions = conditions or {}
        self.resources = set(resources)
        self.file = file
        self.problems: list[Problem] = []

    def _problem(self, what: str, state: str | None, field: str) -> None:
        self.problems.append(Problem(what, file=self.file, state=state, field=field))

    def resolve(self, value: Any, *, state: str | None, field: str) -> Any:
        """Resolve every intrinsic inside ``value`` (dicts and lists are walked)."""
        if is_intrinsic(value):
            key, arg = next(iter(value.items()))
            handler = getattr(self, "_" + key.replace("Fn::", "fn_").lower(), None)
            if key in _UNSUPPORTED or handler is None:
                why = _UNSUPPORTED.get(key, "is not supported")
                self._problem(f"{key} {why}; it cannot be resolved inside a deployment plan", state, field)
                return None
            return handler(arg, state, field)
        if isinstance(value, dict):
            return {k: self.resolve(v, state=state, field=f"{field}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v, state=state, field=f"{field}[{i}]") for i, v in enumerate(value)]
        return value

    # -- Ref and Sub ---------------------------------------------------------
    def _ref(self, name: Any, state: str | None, field: str) -> Any:
        if not isinstance(name, str):
            self._problem(f"Ref needs a parameter name, got {name!r}", state, field)
            return None
        if name in self.parameters or name in PSEUDO_PARAMETERS:
            return Reference(payload_path("stackParameters", name))
        if name in self.resources:
            self._problem(f"Ref to resource '{name}' cannot be resolved inside a deployment plan "
                          "(only parameters can)", state, field)
        else:
            self._problem(f"Ref to '{name}', which is not a parameter of the template; declare it under "
                          "Parameters (values come from initDeployConfig.parameters)", state, field)
        return None

    def _fn_sub(self, arg: Any, state: str | None, field: str) -> Any:
        variables: dict = {}
        if isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and isinstance(arg[1], dict):
            template, variables = arg
        elif isinstance(arg, str):
            template = arg
        else:
            self._problem("Fn::Sub needs a string or [string, {variables}]", state, field)
            return None
        pieces: list[str] = []
        values: list[Any] = []
        current, pos = "", 0
        for m in _SUB_VAR.finditer(template):
            current += template[pos:m.start()]
            pos = m.end()
            name = m.group(1)
            if name.startswith("!"):
                current += "${" + name[1:] + "}"
                continue
            pieces.append(current)
            current = ""
            if name in variables:
                value = self.resolve(variables[name], state=state, field=f"{field}.{name}")
            elif "." in name and name.split(".", 1)[0] in self.resources:
                self._problem(f"'${{{name}}}' reads an attribute of a stack resource; it cannot be resolved "
                              "inside a deployment plan", state, field)
                value = None
            else:
                value = self._ref(name, state, field)
            values.append(value)
        pieces.append(current + template[pos:])
        return format_parts(pieces, values) if values else "".join(pieces)

    # -- lists and strings ---------------------------------------------------
    def _fn_join(self, arg: Any, state: str | None, field: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            self._problem("Fn::Join needs [delimiter, [values]]", state, field)
            return None
        items = self.resolve(arg[1], state=state, field=field)
        if not isinstance(items, list):
            self._problem("Fn::Join of a deploy-time list is not supported; list the values", state, field)
            return None
        if not any(isinstance(v, (Reference, Expr)) for v in items):
            return arg[0].join("" if v is None else str(v) for v in items)
        return format_parts(["", *([arg[0]] * (len(items) - 1)), ""], items)

    def _fn_select(self, arg: Any, state: str | None, field: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2):
            self._problem("Fn::Select needs [index, [values]]", state, field)
            return None
        index = self.resolve(arg[0], state=state, field=field)
        items = self.resolve(arg[1], state=state, field=field)
        try:
            index = int(index)
        except (TypeError, ValueError):
            self._problem("Fn::Select needs a fixed index", state, field)
            return None
        if isinstance(items, (Reference, Expr)):
            return intrinsic("States.ArrayGetItem", items, index)
        if not isinstance(items, list) or not 0 <= index < len(items):
            self._problem(f"Fn::Select index {index} is outside the list", state, field)
            return None
        return items[index]

    def _fn_split(self, arg: Any, state: str | None, field: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
            self._problem("Fn::Split needs [delimiter, string]", state, field)
            return None
        text = self.resolve(arg[1], state=state, field=field)
        if isinstance(text, str):
            return text.split(arg[0])
        if len(arg[0]) == 1 and isinstance(text, (Reference, Expr)):
            return intrinsic("States.StringSplit", text, arg[0])
        self._problem("Fn::Split of a deploy-time value needs a one-character delimiter", state, field)
        return None

    def _fn_base64(self, arg: Any, state: str | None, field: str) -> Any:
        text = self.resolve(arg, state=state, field=field)
        if isinstance(text, str):
            return base64.b64encode(text.encode()).decode()
        if isinstance(text, (Reference, Expr)):
            return intrinsic("States.Base64Encode", text)
        self._problem("Fn::Base64 needs a string", state, field)
        return None

    def _fn_findinmap(self, arg: Any, state: str | None, field: str) -> Any:
        keys = self.resolve(arg, state=state, field=field) if isinstance(arg, list) else None
        if not isinstance(keys, list) or len(keys) != 3 or not all(isinstance(k, str) for k in keys):
            self._problem("Fn::FindInMap needs [map, key, key] known at package time", state, field)
            return None
        try:
            return self.mappings[keys[0]][keys[1]][keys[2]]
        except (KeyError, TypeError):
            self._problem(f"Fn::FindInMap: Mappings has no {keys[0]}.{keys[1]}.{keys[2]}", state, field)
            return None

    def _fn_if(self, arg: Any, state: str | None, field: str) -> Any:
        if not (isinstance(arg, list) and len(arg) == 3 and isinstance(arg[0], str)):
            self._problem("Fn::If needs [condition, value if true, value if false]", state, field)
            return None
        decided = self._condition_value(self.conditions.get(arg[0]), set())
        if decided is None:
            self._problem(f"Fn::If on condition '{arg[0]}' depends on deploy-time values; use a Choice state",
                          state, field)
            return None
        chosen = arg[1] if decided else arg[2]
        if chosen == {"Ref": "AWS::NoValue"}:
            return None
        return self.resolve(chosen, state=state, field=field)

    def _condition_value(self, cond: Any, seen: set) -> bool | None:
        """Evaluate a Condition when it uses only fixed values; None when it needs deploy-time data."""
        if not is_intrinsic(cond):
            return None
        key, arg = next(iter(cond.items()))
        if key == "Condition" and isinstance(arg, str) and arg not in seen:
            return self._condition_value(self.conditions.get(arg), seen | {arg})
        if key == "Fn::Equals" and isinstance(arg, list) and len(arg) == 2:
            a, b = (self._static(x) for x in arg)
            return None if a is _DYNAMIC or b is _DYNAMIC else a == b
        if key == "Fn::Not" and isinstance(arg, list) and len(arg) == 1:
            v = self._condition_value(arg[0], seen)
            return None if v is None else not v
        if key in ("Fn::And", "Fn::Or") and isinstance(arg, list):
            values = [self._condition_value(x, seen) for x in arg]
            if None in values:
                return None
            return all(values) if key == "Fn::And" else any(values)
        return None

    def _static(self, value: Any) -> Any:
        if is_intrinsic(value):
            saved = list(self.problems)
            out = self.resolve(value, state=None, field="Conditions")
            self.problems = saved
            return _DYNAMIC if out is None or isinstance(out, (Reference, Expr)) else out
        return value


_DYNAMIC = object()
