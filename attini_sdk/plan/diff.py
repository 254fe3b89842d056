"""Plan changes step by step, for ``attini distribution diff``.

States are matched by name (names are unique across a plan, branches
included); a changed state lists the fields that differ::

    >>> old = {"StartAt": "Vpc", "States": {"Vpc": {"Type": "Task", "Resource": "attini:cfn",
    ...        "Parameters": {"StackName": "vpc", "Template": "/vpc.yaml"}, "End": True}}}
    >>> new = {"StartAt": "Vpc", "States": {
    ...     "Vpc": {"Type": "Task", "Resource": "attini:cfn",
    ...             "Parameters": {"StackName": "vpc", "Template": "/vpc-v2.yaml"}, "Next": "Check"},
    ...     "Check": {"Type": "Task", "Resource": "attini:runner", "Parameters": {"Commands": ["true"]}, "End": True}}}
    >>> for line in format_plan_diff(diff_plans(old, new)): print(line)
    ~ Vpc [AttiniCfn]: End, Next, Parameters.Template
    + Check [AttiniRunnerJob]
"""

from __future__ import annotations

from typing import Any

import attrs

from attini_sdk.plan.diagrams import kind
from attini_sdk.plan.walk import states


@attrs.frozen
class StepChange:
    """One state added, removed or changed between two plans.

    ``fields`` are the dotted paths that differ (for ``changed``); ``parent``
    is the Parallel/Map holding the state in the newer plan (older if removed).
    """

    step: str
    change: str
    type: str
    fields: tuple[str, ...] = ()
    parent: str | None = None

    def to_dict(self) -> dict:
        """JSON-friendly form (the CLI's ``--json``)."""
        return attrs.asdict(self)


def _flat(definition: dict) -> dict[str, tuple[dict, str | None]]:
    return {s.name: (s.body, s.parent) for s in states(definition)}


def _without_branches(body: Any) -> Any:
    if not isinstance(body, dict):
        return body
    return {k: v for k, v in body.items() if k not in ("Branches", "ItemProcessor", "Iterator")}


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in sorted(set(old) | set(new)):
            where = f"{prefix}.{key}" if prefix else key
            if key not in old or key not in new:
                out.append(where)
            else:
                out.extend(_differences(old[key], new[key], where))
        return out
    return [] if old == new else [prefix or "(value)"]


def diff_plans(old: dict | None, new: dict | None) -> list[StepChange]:
    """Changes from plan ``old`` to ``new`` (ASL dicts; None for "no plan"), in the new plan's order.

    The start state moving counts as a change of that state's ``StartAt`` field.
    """
    before = _flat(old or {})
    after = _flat(new or {})
    out: list[StepChange] = []
    for name, (body, parent) in after.items():
        if name not in before:
            out.append(StepChange(name, "added", kind(body), parent=parent))
            continue
        old_body, old_parent = before[name]
        fields = _differences(_without_branches(old_body), _without_branches(body))
        if old_parent != parent:
            fields.append("(moved)")
        if fields:
            out.append(StepChange(name, "changed", kind(body), tuple(fields), parent))
    out.extend(StepChange(name, "removed", kind(body), parent=parent)
               for name, (body, parent) in before.items() if name not in after)
    return out


_MARK = {"added": "+", "removed": "-", "changed": "~"}


def format_plan_diff(changes: list[StepChange]) -> list[str]:
    """One line per change: ``+`` added, ``-`` removed, ``~`` changed with the fields that differ."""
    lines = []
    for c in changes:
        where = f" (in {c.parent})" if c.parent else ""
        fields = f": {', '.join(c.fields)}" if c.fields else ""
        lines.append(f"{_MARK[c.change]} {c.step} [{c.type}]{where}{fields}")
    return lines


def plan_diff_rows(old: dict | None, new: dict | None) -> list[dict]:
    """Rows for ``Artifact.diff``: kind ``plan step``, the step's name, the change, and
    ``old``/``new`` = the step type before/after (for a change, ``new`` lists the fields that differ).

    >>> plan_diff_rows(None, {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}})
    [{'kind': 'plan step', 'name': 'A', 'change': 'added', 'old': None, 'new': 'Succeed'}]
    """
    rows = []
    for c in diff_plans(old, new):
        before = None if c.change == "added" else c.type
        after = {"added": c.type, "removed": None, "changed": ", ".join(c.fields)}[c.change]
        rows.append({"kind": "plan step", "name": c.step, "change": c.change, "old": before, "new": after})
    return rows
