"""Check that ``$.output.<Step>`` paths in an Attini plan name steps that exist.

A typo in a step name inside a path (``$.output.Netwrok.VpcId``) would only
fail at deploy time; this finds it at package time::

    >>> plan = {"StartAt": "Network", "States": {
    ...     "Network": {"Type": "Task", "Resource": "attini:cfn", "Next": "Use",
    ...                 "Parameters": {"StackName": "n", "Template": "/n.yaml"}, "ResultPath": "$.output.Network"},
    ...     "Use": {"Type": "Task", "Resource": "attini:runner", "End": True,
    ...             "Parameters": {"Commands": ["true"], "Environment": {"VPC.$": "$.output.Netwrok.VpcId"}}}}}
    >>> list(unknown_output_refs(plan))
    [('Use', 'Parameters.Environment.VPC.$', "'$.output.Netwrok' names no step of this plan (did you mean 'Network'?)")]

Only plans with Attini steps are checked (they follow Attini's ``$.output``
layout); names seeded by a Pass into ``$.output`` (``PayloadDefaults``) count as steps.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any

from attini_sdk.plan.walk import states

_OUTPUT_REF = re.compile(r"\$(?:\.output|\['output'\])(?:\.([A-Za-z_][A-Za-z0-9_-]*)|\['((?:[^'\\]|\\.)*)'\])")
_TEMPLATE_FIELDS = ("Parameters", "ResultSelector", "ItemSelector")
_PATH_FIELDS = ("InputPath", "OutputPath", "ItemsPath")


def _producers(definition: dict) -> set[str] | None:
    names: set[str] = set()
    attini = False
    for s in states(definition):
        body = s.body if isinstance(s.body, dict) else {}
        names.add(s.name)
        resource = body.get("Resource")
        attini = attini or (isinstance(resource, str) and resource.startswith("attini:"))
        result_path = body.get("ResultPath")
        for m in _OUTPUT_REF.finditer(result_path if isinstance(result_path, str) else ""):
            names.add(m.group(1) or m.group(2))
        if result_path == "$.output" and isinstance(body.get("Result"), dict):
            names.update(body["Result"])
    return names if attini else None


def _strings(value: Any, field: str) -> Iterator[tuple[str, str]]:
    """``(field, text)`` for every ``.$`` value inside a payload template."""
    if isinstance(value, dict):
        for key, inner in value.items():
            where = f"{field}.{key}"
            if key.endswith(".$") and isinstance(inner, str):
                yield where, inner
            else:
                yield from _strings(inner, where)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _strings(inner, f"{field}[{i}]")


def _candidates(body: dict) -> Iterator[tuple[str, str]]:
    for field in _TEMPLATE_FIELDS:
        yield from _strings(body.get(field), field)
    for field in _PATH_FIELDS:
        if isinstance(body.get(field), str):
            yield field, body[field]
    for i, rule in enumerate(body.get("Choices") or []):
        yield from _rule_paths(rule, f"Choices[{i}]")


def _rule_paths(rule: Any, field: str) -> Iterator[tuple[str, str]]:
    if not isinstance(rule, dict):
        return
    for key, value in rule.items():
        if (key == "Variable" or key.endswith("Path")) and isinstance(value, str):
            yield f"{field}.{key}", value
        elif key in ("And", "Or") and isinstance(value, list):
            for i, sub in enumerate(value):
                yield from _rule_paths(sub, f"{field}.{key}[{i}]")
        elif key == "Not":
            yield from _rule_paths(value, f"{field}.Not")


def unknown_output_refs(definition: dict) -> Iterator[tuple[str, str, str]]:
    """``(state, field, message)`` for each ``$.output.<Name>`` whose Name no step produces."""
    producers = _producers(definition)
    if producers is None:
        return
    for s in states(definition):
        if not isinstance(s.body, dict):
            continue
        for field, text in _candidates(s.body):
            for m in _OUTPUT_REF.finditer(text):
                name = m.group(1) or m.group(2)
                if name not in producers:
                    close = difflib.get_close_matches(name, sorted(producers), n=1)
                    hint = f" (did you mean '{close[0]}'?)" if close else ""
                    yield s.name, field, f"'{m.group(0)}' names no step of this plan{hint}"
