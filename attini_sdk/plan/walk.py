"""Walk a compiled ASL definition: every state, with the branch it sits in.

Used by the diagrams, the steps table and the tree view::

    >>> d = {"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}}
    >>> [(s.name, s.depth) for s in states(d)]
    [('A', 0), ('B', 0)]
    >>> flow_targets(d["States"]["A"])
    ['B']
"""

from __future__ import annotations

from collections.abc import Iterator

import attrs


@attrs.frozen
class StateRef:
    """One state of a definition: its name, body, nesting depth and enclosing state."""

    name: str
    body: dict
    depth: int
    parent: str | None


def branches(body: dict) -> list[dict]:
    """The sub-machines of a Parallel (``Branches``) or Map (``ItemProcessor``/``Iterator``).

    >>> len(branches({"Type": "Parallel", "Branches": [{"StartAt": "x", "States": {}}]}))
    1
    """
    if not isinstance(body, dict):
        return []
    if body.get("Type") == "Parallel":
        return [b for b in body.get("Branches") or [] if isinstance(b, dict)]
    if body.get("Type") == "Map":
        inner = body.get("ItemProcessor") or body.get("Iterator")
        return [inner] if isinstance(inner, dict) else []
    return []


def flow_targets(body: dict) -> list[str]:
    """Names a state can go to next: Choices, Default, Catch, then Next.

    >>> flow_targets({"Type": "Choice", "Choices": [{"Next": "Y"}], "Default": "N"})
    ['Y', 'N']
    """
    if not isinstance(body, dict):
        return []
    out = [c["Next"] for c in body.get("Choices") or [] if isinstance(c, dict) and isinstance(c.get("Next"), str)]
    if isinstance(body.get("Default"), str):
        out.append(body["Default"])
    out.extend(c["Next"] for c in body.get("Catch") or [] if isinstance(c, dict) and isinstance(c.get("Next"), str))
    if isinstance(body.get("Next"), str):
        out.append(body["Next"])
    return out


def states(definition: dict, depth: int = 0, parent: str | None = None) -> Iterator[StateRef]:
    """Every state in reading order (from StartAt), branch states right after the state that holds them."""
    body = definition.get("States") if isinstance(definition, dict) else None
    if not isinstance(body, dict):
        return
    for name, state in in_order(definition).items():
        yield StateRef(name, state, depth, parent)
        for branch in branches(state):
            yield from states(branch, depth + 1, name)


def predecessors(definition: dict) -> dict[str, list[str]]:
    """For each state, the states that flow into it (the holder for a branch's first state).

    >>> predecessors({"StartAt": "A", "States": {"A": {"Type": "Pass", "Next": "B"}, "B": {"Type": "Succeed"}}})
    {'A': [], 'B': ['A']}
    """
    out: dict[str, list[str]] = {}

    def visit(machine: dict, holder: str | None) -> None:
        body = machine.get("States") or {}
        for name in body:
            out.setdefault(name, [])
        if holder and machine.get("StartAt") in body:
            out[machine["StartAt"]].append(holder)
        for name, state in body.items():
            for target in flow_targets(state):
                if target in body and name not in out[target]:
                    out[target].append(name)
            for branch in branches(state):
                visit(branch, name)

    visit(definition, None)
    return out


def ordered_states(states: dict, start: str) -> dict:
    """``states`` re-ordered as a reader follows them from ``start`` (unreachable ones last).

    >>> list(ordered_states({"B": {"Type": "Succeed"}, "A": {"Type": "Pass", "Next": "B"}}, "A"))
    ['A', 'B']
    """
    order: list[str] = []
    todo = [start]
    while todo:
        name = todo.pop()
        if name in order or name not in states:
            continue
        order.append(name)
        todo.extend(reversed(flow_targets(states[name])))
    order.extend(n for n in states if n not in order)
    return {n: states[n] for n in order}


def in_order(machine: dict) -> dict:
    """A machine's ``States`` in reading order (a stored plan has its keys sorted).

    >>> list(in_order({"StartAt": "B", "States": {"A": {"Type": "Succeed"}, "B": {"Type": "Pass", "Next": "A"}}}))
    ['B', 'A']
    """
    body = machine.get("States") if isinstance(machine, dict) else None
    if not isinstance(body, dict):
        return {}
    start = machine.get("StartAt")
    return ordered_states(body, start) if isinstance(start, str) else dict(body)
