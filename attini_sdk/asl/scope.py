"""What a state reads while it runs: its input, the context object and variables.

Workflow variables are scoped like Step Functions': a Parallel branch or Map
iteration gets its own :class:`Variables` whose ``parent`` is the scope of the
state that started it; it reads outer variables and assigns only its own::

    >>> outer = Variables({"region": "eu-north-1"})
    >>> inner = Variables(parent=outer)
    >>> inner.assign({"n": 1})
    >>> inner.get("region"), inner.get("n"), outer.get("n") is MISSING
    ('eu-north-1', 1, True)
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from attini_sdk.asl.paths import MISSING, Path, PathMissing

__all__ = ["Variables", "Scope", "MISSING"]


class Variables:
    """One scope of workflow variables, chained to the scope it is nested in."""

    __slots__ = ("values", "parent", "version")

    def __init__(self, values: Mapping[str, Any] | None = None, parent: "Variables | None" = None):
        self.values: dict[str, Any] = dict(values or {})
        self.parent = parent
        self.version = 0  # bumped on each Assign, so checkpoints write variables only when changed

    def get(self, name: str) -> Any:
        """The value of ``name`` in this scope or an outer one, else ``MISSING``."""
        scope = self
        while scope is not None:
            value = scope.values.get(name, MISSING)
            if value is not MISSING:
                return value
            scope = scope.parent
        return MISSING

    def assign(self, values: Mapping[str, Any]) -> None:
        """Set variables in this scope (all values were computed before any is set)."""
        if values:
            self.values.update(values)
            self.version += 1

    def visible(self) -> dict[str, Any]:
        """Every variable this scope can read, inner names shadowing outer ones."""
        chain = []
        scope = self
        while scope is not None:
            chain.append(scope.values)
            scope = scope.parent
        merged: dict[str, Any] = {}
        for values in reversed(chain):
            merged.update(values)
        return merged


class Scope:
    """The data one evaluation reads: ``$`` (``input``), ``$$`` (built on demand by
    ``context_fn``) and ``$name`` (``variables``).

    >>> from attini_sdk.asl.paths import parse_path
    >>> s = Scope({"a": 1}, Variables({"v": [5]}), lambda: {"State": {"Name": "S"}})
    >>> s.resolve(parse_path("$.a")), s.resolve(parse_path("$v[0]")), s.resolve(parse_path("$$.State.Name"))
    (1, 5, 'S')
    """

    __slots__ = ("input", "variables", "context_fn", "_context")

    def __init__(self, input: Any, variables: Variables | None, context_fn: Callable[[], dict]):
        self.input = input
        self.variables = variables
        self.context_fn = context_fn
        self._context = None

    def context(self) -> dict:
        """The context object (``$$``), built once per scope."""
        if self._context is None:
            self._context = self.context_fn()
        return self._context

    def with_input(self, value: Any) -> "Scope":
        """The same context and variables over another ``$``."""
        scope = Scope(value, self.variables, self.context_fn)
        scope._context = self._context
        return scope

    def resolve(self, path: Path) -> Any:
        """Apply ``path`` to the right root; raises ``PathMissing`` if it selects nothing."""
        root = path.root
        if root == "$":
            return path.find(self.input)
        if root == "$$":
            return path.find(self.context())
        value = self.variables.get(root) if self.variables is not None else MISSING
        if value is MISSING:
            raise PathMissing(path.text)
        return path.find(value)
