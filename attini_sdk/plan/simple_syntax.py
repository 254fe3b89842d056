"""Attini's simple syntax: a list of ``{Name, Type, ...}`` steps run in order, rewritten to ASL form.

``Parallel`` takes ``Branches`` (lists of steps) and is followed by an implicit
``<Name>-Merge`` (AttiniMergeOutput) unless the next step is one; ``Choice``
takes ``Condition``, ``IsTrue`` and ``IsFalse`` (lists of steps)::

    >>> form = to_states_form([
    ...     {"Name": "Vpc", "Type": "AttiniCfn", "Properties": {"StackName": "vpc", "Template": "/vpc.yaml"}},
    ...     {"Name": "Check", "Type": "AttiniRunnerJob", "Properties": {"Commands": ["./check.sh"]}}])
    >>> form.definition["StartAt"], form.definition["States"]["Vpc"]["Next"], form.problems
    ('Vpc', 'Check', [])
"""

from __future__ import annotations

from typing import Any

import attrs

from attini_sdk.errors import Problem
from attini_sdk.plan.walk import ordered_states


@attrs.frozen
class StatesForm:
    """The ASL form (``{StartAt, States}``, Attini types still un-compiled) and the problems found."""

    definition: dict
    problems: list[Problem]


def is_simple(plan: Any) -> bool:
    """True when a ``DeploymentPlan`` value is in simple syntax (a list of steps).

    >>> is_simple([{"Name": "A", "Type": "Pass"}]), is_simple({"StartAt": "A", "States": {}})
    (True, False)
    """
    return isinstance(plan, list)


class _Converter:
    def __init__(self, file: str | None):
        self.file = file
        self.problems: list[Problem] = []
        self.added: dict[str, str] = {}  # name of a state Attini adds -> the step it is added for

    def adding(self, name: str, states: dict, origin: str) -> str:
        """Name a state Attini adds (``<Parallel>-Merge``, ``<Choice>-Done``); a step of the plan may not have it."""
        if name in states:
            self.add(f"Attini adds a state named '{name}' {origin}, and a step of this plan has that name: "
                     "rename the step", state=name, field="Name")
        self.added[name] = origin
        return name

    def add(self, what: str, state: str | None = None, field: str | None = None) -> None:
        self.problems.append(Problem(what, file=self.file, state=state, field=field))

    def machine(self, steps: Any, where: str) -> dict:
        states: dict = {}
        start = self.sequence(steps, states, None, where)
        if start is None:
            return {"StartAt": None, "States": {}}
        return {"StartAt": start, "States": ordered_states(states, start)}

    def sequence(self, steps: Any, states: dict, cont: str | None, where: str) -> str | None:
        """Emit ``steps`` so the last continues to ``cont``; return the first state's name."""
        if not isinstance(steps, list):
            self.add(f"{where} must be a list of steps", field=where)
            return cont
        items = [s for s in steps if self.usable(s, where)]
        for i in range(len(items) - 1, -1, -1):
            following = items[i + 1] if i + 1 < len(items) else None
            cont = self.step(items[i], states, cont, following)
        return cont

    def usable(self, step: Any, where: str) -> bool:
        if not isinstance(step, dict):
            self.add(f"each step in {where} must be an object with Name and Type", field=where)
            return False
        name = step.get("Name")
        if not isinstance(name, str) or not name:
            self.add(f"a step in {where} has no Name", field=f"{where}.Name")
            return False
        if "Type" not in step:
            self.add("step has no Type", state=name, field="Type")
            return False
        for key in ("Next", "End"):
            if key in step:
                self.add(f"simple syntax runs steps in list order; remove '{key}'", state=name, field=key)
        return True

    def step(self, step: dict, states: dict, cont: str | None, following: dict | None) -> str:
        name = step["Name"]
        if name in self.added and name in states:
            self.add(f"Attini adds a state named '{name}' {self.added[name]}, and a step of this plan has that name: "
                     "rename the step", state=name, field="Name")
        elif name in states:
            self.add(f"two steps are named '{name}'", state=name, field="Name")
        body = {k: v for k, v in step.items() if k not in ("Name", "Next", "End")}
        kind = body.get("Type")
        if kind == "Choice":
            return self.choice(name, body, states, cont)
        if kind == "Parallel":
            body["Branches"] = [self.machine(b, f"{name}.Branches[{i}]")
                                for i, b in enumerate(body.get("Branches") or [])]
            if not (following and following.get("Type") == "AttiniMergeOutput"):
                merge = self.adding(f"{name}-Merge", states, f"after Parallel '{name}' (its AttiniMergeOutput)")
                states[merge] = _link({"Type": "AttiniMergeOutput"}, cont)
                cont = merge
        if kind == "Map":
            for key in ("ItemProcessor", "Iterator"):
                if isinstance(body.get(key), list):
                    body[key] = self.machine(body[key], f"{name}.{key}")
        states[name] = body if kind in ("Succeed", "Fail") else _link(body, cont)
        return name

    def choice(self, name: str, body: dict, states: dict, cont: str | None) -> str:
        condition = body.pop("Condition", None)
        yes = body.pop("IsTrue", None) or []
        no = body.pop("IsFalse", None) or []
        if "Choices" not in body:
            if not isinstance(condition, dict):
                self.add("a simple-syntax Choice needs a Condition (a choice rule)", state=name, field="Condition")
                condition = {}
            if not yes and not no:
                self.add("a simple-syntax Choice needs IsTrue or IsFalse steps", state=name, field="IsTrue")
        true_start = self.sequence(yes, states, cont, f"{name}.IsTrue")
        false_start = self.sequence(no, states, cont, f"{name}.IsFalse")
        if true_start is None or false_start is None:
            done = self.adding(f"{name}-Done", states, f"to end Choice '{name}' where it has no steps")
            states[done] = {"Type": "Succeed"}
            true_start, false_start = true_start or done, false_start or done
        if "Choices" not in body:
            body["Choices"] = [{**condition, "Next": true_start}]
            body["Default"] = false_start
        states[name] = body
        return name


def _link(body: dict, cont: str | None) -> dict:
    out = dict(body)
    if cont is None:
        out["End"] = True
    else:
        out["Next"] = cont
    return out


def to_states_form(steps: Any, *, file: str | None = None) -> StatesForm:
    """Rewrite a simple-syntax plan (list of steps) to ASL form, collecting problems."""
    converter = _Converter(file)
    definition = converter.machine(steps, "DeploymentPlan")
    if definition["StartAt"] is None:
        converter.add("the deployment plan has no steps", field="DeploymentPlan")
    return StatesForm(definition, converter.problems)
