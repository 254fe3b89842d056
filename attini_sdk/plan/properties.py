"""Turn Python property values into ASL payload templates.

A :class:`~attini_sdk.plan.refs.Reference` or :class:`~attini_sdk.plan.refs.Expr`
value becomes a ``Key.$`` entry, nested dicts are converted recursively, and
lists holding references become ``States.Array(...)``::

    >>> from attini_sdk.plan import env
    >>> template({"Stack": env.name, "Tags": {"Team": "core"}}, state="Vpc", field="Parameters")
    {'Stack.$': '$.deploymentOriginData.environment', 'Tags': {'Team': 'core'}}
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from attini_sdk.errors import PlanError, Problem
from attini_sdk.plan.refs import Condition, DependencyOutput, Expr, Reference, intrinsic


def _dynamic(value: Any) -> bool:
    return isinstance(value, (Reference, Expr))


def _check_plain(value: Any, state: str, field: str) -> None:
    if value is None or isinstance(value, (str, bool, int, float)):
        return
    if isinstance(value, dict):
        for k, v in value.items():
            if not isinstance(k, str):
                raise PlanError([Problem(f"key {k!r} is not a string", state=state, field=field)],
                                hint="use string keys in step properties")
            _check_plain(v, state, field)
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _check_plain(v, state, field)
        return
    if _dynamic(value):
        return
    raise PlanError(
        [Problem(f"{type(value).__name__} value {value!r} cannot be stored in a plan", state=state, field=field)],
        hint="use JSON values (str, int, float, bool, None, dict, list), references or fmt(...)",
    )


def template(value: Any, *, state: str, field: str) -> Any:
    """Convert one property value (see module doc); raises PlanError on non-JSON values.

    >>> template(["a", "b"], state="S", field="Commands")
    ['a', 'b']
    """
    _check_plain(value, state, field)
    return _convert(value, state, field)


def _convert(value: Any, state: str, field: str) -> Any:
    if isinstance(value, dict):
        out: dict = {}
        for k, v in value.items():
            put(out, k, v, state=state, field=field)
        return out
    if isinstance(value, (list, tuple)):
        if any(_dynamic(v) for v in value):
            raise PlanError(
                [Problem("a list holding references must be a property of its own", state=state, field=field)],
                hint="make the list the whole value of a key: it compiles to 'Key.$': States.Array(...)",
            )
        return [_convert(v, state, field) for v in value]
    return value


def put(out: dict, key: str, value: Any, *, state: str, field: str) -> None:
    """Store ``value`` under ``key`` in ``out``, as ``key.$`` when it is dynamic.

    >>> from attini_sdk.plan import env
    >>> d = {}; put(d, "Zones", ["a", env.param("zone")], state="S", field="Parameters"); d
    {'Zones.$': "States.Array('a', $.parameters.zone)"}
    """
    if isinstance(value, Reference):
        out[f"{key}.$"] = value.path
    elif isinstance(value, Expr):
        out[f"{key}.$"] = value.text
    elif isinstance(value, (list, tuple)) and any(_dynamic(v) for v in value):
        if any(isinstance(v, (dict, list, tuple)) for v in value):
            raise PlanError(
                [Problem(f"list '{key}' mixes references with objects or lists", state=state, field=field)],
                hint="only lists of scalars and references can be built at deploy time (States.Array)",
            )
        out[f"{key}.$"] = intrinsic("States.Array", *value).text
    else:
        out[key] = _convert(value, state, field)


def walk(value: Any) -> Iterator[Any]:
    """Every reference, expression and condition inside ``value`` (dicts, lists, nested).

    >>> from attini_sdk.plan import env
    >>> [r.path for r in walk({"a": [env.name]})]
    ['$.deploymentOriginData.environment']
    """
    if isinstance(value, (Reference, Expr, Condition)):
        yield value
        if isinstance(value, (Expr, Condition)):
            yield from value.refs
    elif isinstance(value, dict):
        for v in value.values():
            yield from walk(v)
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from walk(v)


def dependency_outputs(value: Any) -> list[DependencyOutput]:
    """The ``dependency(...).output(...)`` references inside ``value``.

    >>> from attini_sdk.plan import dependency
    >>> [d.distribution for d in dependency_outputs({"Vpc": dependency("network").output("Net.VpcId")})]
    ['network']
    """
    return [r for r in walk(value) if isinstance(r, DependencyOutput)]
