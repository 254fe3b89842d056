"""Loading a definition (spec section "Structure of a State Machine") into compiled states.

    >>> m = compile_machine('{"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}')
    >>> m.start_at, sorted(m.states), m.language
    ('A', ['A'], 'JSONPath')

Everything that can be checked without data is checked here (fields, paths,
intrinsic calls, JSONata syntax) and reported as a
:class:`~attini_sdk.asl.failures.DefinitionError`. A ``Next`` that names no
state is *not* rejected here (it fails the execution with ``States.Runtime``
when reached): ``Engine.start`` and ``Engine.validate`` run the plan validator
first, which refuses it as CreateStateMachine does.
"""

from __future__ import annotations

import json
from typing import Any

from attini_sdk.asl.failures import DefinitionError
from attini_sdk.asl.states import STATE_TYPES, State

__all__ = ["Machine", "compile_machine", "load_definition", "assigned_variables"]


class Machine:
    """A compiled (sub-)state machine: ``start_at``, ``states`` by name, top-level options."""

    __slots__ = ("start_at", "states", "language", "timeout_seconds", "source", "where")

    def __init__(self, start_at: str, states: dict[str, State], language: str, timeout_seconds, source: dict,
                 where: str):
        self.start_at = start_at
        self.states = states
        self.language = language
        self.timeout_seconds = timeout_seconds
        self.source = source
        self.where = where


def load_definition(definition: dict | str) -> dict:
    """Parse a definition given as JSON text (or return the dict as is)."""
    if isinstance(definition, (bytes, str)):
        try:
            definition = json.loads(definition)
        except ValueError as err:
            raise DefinitionError(f"the definition is not valid JSON: {err}",
                                  hint="pass a dict or a JSON string with StartAt and States") from None
    if not isinstance(definition, dict):
        raise DefinitionError(f"a definition must be a JSON object, got {type(definition).__name__}")
    return definition


def compile_machine(definition: dict | str, *, language: str | None = None, where: str = "definition",
                    outer_variables: frozenset[str] = frozenset()) -> Machine:
    """Compile a (top-level or nested) definition.

    A Parallel branch or Map item processor is compiled with the *state machine's* query
    language as its default (the spec: independent of the Parallel or Map state's own), and with
    the variables its enclosing scopes assign, which it must not assign itself.
    """
    spec = load_definition(definition)
    language = spec.get("QueryLanguage", language or "JSONPath")
    if language not in ("JSONPath", "JSONata"):
        raise DefinitionError(f"QueryLanguage must be JSONPath or JSONata, got {language!r}", where=where)
    start_at = spec.get("StartAt")
    states_spec = spec.get("States")
    if not isinstance(states_spec, dict) or not states_spec:
        raise DefinitionError("States must be a non-empty object", where=where, hint='add "States": {"Name": {...}}')
    if not isinstance(start_at, str):
        raise DefinitionError("StartAt must name a state", where=where, hint='add "StartAt": "<first state>"')
    if start_at not in states_spec:
        raise DefinitionError(f"StartAt names {start_at!r}, which is not a state", where=where)
    timeout = spec.get("TimeoutSeconds")
    if timeout is not None and (not isinstance(timeout, int) or isinstance(timeout, bool) or timeout < 1):
        raise DefinitionError("TimeoutSeconds must be a positive integer", where=where)

    own_variables = assigned_variables(states_spec)
    if outer_variables:
        clash = sorted(own_variables & outer_variables)
        if clash:
            raise DefinitionError(f"variable {clash[0]!r} is assigned here and in an enclosing scope; a Parallel "
                                  "branch or Map iteration may read outer variables but not assign them",
                                  where=where, hint=f"give the inner variable another name than {clash[0]!r}")
    enclosing = outer_variables | own_variables

    def build_machine(sub: Any, sub_where: str, sub_language: str) -> Machine:
        if not isinstance(sub, dict):
            raise DefinitionError("a branch or item processor must be an object with StartAt and States", where=sub_where)
        return compile_machine(sub, language=language, where=sub_where, outer_variables=enclosing)

    states: dict[str, State] = {}
    for name, state_spec in states_spec.items():
        if not isinstance(state_spec, dict):
            raise DefinitionError("a state must be an object", where=f"state {name!r}")
        if len(name) > 80:
            raise DefinitionError("state names are at most 80 characters", where=f"state {name[:40]!r}...")
        kind = state_spec.get("Type")
        cls = STATE_TYPES.get(kind)
        if cls is None:
            raise DefinitionError(f"unknown state Type {kind!r}", where=f"state {name!r}, field 'Type'",
                                  hint=f"use one of {', '.join(STATE_TYPES)}")
        states[name] = cls(name, state_spec, language, build_machine)
    return Machine(start_at, states, language, timeout, spec, where)


def assigned_variables(states_spec: dict) -> frozenset[str]:
    """The variable names the states of one scope assign (state, Choice rule and Catch ``Assign``).

    >>> sorted(assigned_variables({"A": {"Type": "Pass", "Assign": {"x": 1, "y.$": "$.y"}, "End": True}}))
    ['x', 'y']
    """
    names: set[str] = set()
    for state in states_spec.values():
        if not isinstance(state, dict):
            continue
        holders = [state] + [c for c in state.get("Choices") or () if isinstance(c, dict)] \
            + [c for c in state.get("Catch") or () if isinstance(c, dict)]
        for holder in holders:
            assign = holder.get("Assign")
            if isinstance(assign, dict):
                names.update(key[:-2] if key.endswith(".$") else key for key in assign)
    return frozenset(names)
