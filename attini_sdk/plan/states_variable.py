"""Where ``$states.result`` and ``$states.errorOutput`` exist in a JSONata state.

Step Functions binds ``$states`` to ``{input, result, errorOutput, context}`` while it
evaluates a JSONata state, but not every member exists in every field: ``input`` and
``context`` do everywhere; ``result`` only in the ``Output`` and ``Assign`` of a Task,
Parallel or Map (the result does not exist before the work, nor in a Pass, Choice, Wait,
Succeed or Fail); ``errorOutput`` only in a Catch's ``Output`` and ``Assign``. The AWS
guide: "Attempting to access ``$states.result`` or ``$states.errorOutput`` in fields and
states where they are not accessible will be caught at creation, update, or validation of
the state machine". :func:`misplaced` finds those references::

    >>> list(misplaced("Pass", {"Type": "Pass", "Output": {"v": "{% $states.result.v %}"}, "End": True}))
    [('Output.v', 'result')]
    >>> list(misplaced("Task", {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
    ...                         "Output": "{% $states.result.Payload %}", "End": True}))
    []
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

__all__ = ["misplaced", "members", "where_members_exist"]

EVERYWHERE = frozenset({"input", "context"})
WITH_RESULT = EVERYWHERE | {"result"}
IN_CATCH = EVERYWHERE | {"errorOutput"}
RESULT_TYPES = frozenset({"Task", "Parallel", "Map"})
_SOMETIMES = frozenset({"result", "errorOutput"})  # the members that exist only in some fields

# Fields that hold no JSONata (structure, names, nested machines walked as their own states).
_STRUCTURE = frozenset({"Type", "Comment", "Next", "End", "Resource", "QueryLanguage", "Default", "Choices",
                        "Catch", "Retry", "Branches", "ItemProcessor", "Iterator"})


def where_members_exist(state_type: str, field: str) -> frozenset[str]:
    """The ``$states`` members a JSONata expression in ``field`` of a ``state_type`` state may read.

    >>> sorted(where_members_exist("Map", "Output")), sorted(where_members_exist("Map", "Items"))
    (['context', 'input', 'result'], ['context', 'input'])
    """
    return WITH_RESULT if state_type in RESULT_TYPES and field in ("Output", "Assign") else EVERYWHERE


def misplaced(state_type: str, body: dict) -> Iterator[tuple[str, str]]:
    """``(field, member)`` for every ``$states.<member>`` a JSONata state reads where it does not exist."""
    for field, value in body.items():
        if field not in _STRUCTURE:
            yield from _check(value, field, where_members_exist(state_type, field))
    choices = body.get("Choices")
    for i, rule in enumerate(choices if isinstance(choices, list) else ()):
        for field in ("Condition", "Assign", "Output"):
            if isinstance(rule, dict) and field in rule:
                yield from _check(rule[field], f"Choices[{i}].{field}", EVERYWHERE)
    catchers = body.get("Catch")
    for i, catcher in enumerate(catchers if isinstance(catchers, list) else ()):
        for field in ("Output", "Assign"):
            if isinstance(catcher, dict) and field in catcher:
                yield from _check(catcher[field], f"Catch[{i}].{field}", IN_CATCH)


def _check(value: Any, field: str, allowed: frozenset[str]) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _check(inner, f"{field}.{key}", allowed)
    elif isinstance(value, list):
        for i, inner in enumerate(value):
            yield from _check(inner, f"{field}[{i}]", allowed)
    elif isinstance(value, str) and value.startswith("{%") and value.endswith("%}"):
        for member in sorted((members(value[2:-2]) & _SOMETIMES) - allowed):
            yield field, member


@functools.lru_cache(maxsize=2048)
def members(expression: str) -> frozenset[str]:
    """The members of ``$states`` an expression reads (``$states.result.x`` reads ``result``).

    Read from the parsed expression, so text inside string literals does not count; an
    expression that does not parse reads nothing here (its syntax is reported elsewhere).

    >>> sorted(members("$states.result.Payload & '$states.errorOutput' & $f($states.input)"))
    ['input', 'result']
    """
    try:
        import jsonata

        tree = jsonata.Jsonata(expression).ast
    except Exception:  # jsonata raises its own JException (and occasionally others) on bad syntax
        return frozenset()
    found: set[str] = set()
    _walk(tree, found, set())
    return frozenset(found)


def _walk(node: Any, found: set[str], seen: set[int]) -> None:
    if isinstance(node, (list, tuple)):
        for item in node:
            _walk(item, found, seen)
        return
    if not hasattr(node, "type") or id(node) in seen:
        return
    seen.add(id(node))
    steps = getattr(node, "steps", None)
    if node.type == "path" and steps and len(steps) > 1 and _is_states(steps[0]) and steps[1].type == "name":
        found.add(steps[1].value)
    for key, value in vars(node).items():
        if key not in ("_outer_instance", "_jsonata_lambda") and (hasattr(value, "type")
                                                                  or isinstance(value, (list, tuple))):
            _walk(value, found, seen)


def _is_states(step: Any) -> bool:
    return getattr(step, "type", None) == "variable" and getattr(step, "value", None) == "states"
