"""``Diff: {Enabled: true}`` on a Cdk step: look first, ask only when a stack would change.

As Attini does, the compiler puts three states before such a step ``X``: ``XCdkDiff`` (the Cdk executor
with ``DiffOnly``: which stacks would change), a Choice ``XApproveChanges?`` on its result, and
``XApproveChanges`` (a ManualApproval), taken only when the result is ``change-detected``. Everything
that led to ``X`` leads to ``XCdkDiff`` instead::

    >>> out = expand_cdk_diffs({"StartAt": "Infra", "States": {"Infra": {"Type": "Task",
    ...     "Resource": "attini:cdk", "Parameters": {"Path": "/infra", "Diff": {"Enabled": True}},
    ...     "ResultPath": "$.output.Infra", "End": True}}})
    >>> out["StartAt"], list(out["States"])
    ('InfraCdkDiff', ['InfraCdkDiff', 'InfraApproveChanges?', 'InfraApproveChanges', 'Infra'])
    >>> out["States"]["InfraApproveChanges?"]["Choices"][0]["Variable"]
    '$.output.InfraCdkDiff.result'
"""

from __future__ import annotations

from typing import Any

from attini_sdk.plan.paths import step_output_path

__all__ = ["expand_cdk_diffs"]

CDK = "attini:cdk"


def _wants_diff(state: Any) -> bool:
    if not isinstance(state, dict) or state.get("Resource") != CDK:
        return False
    params = state.get("Parameters")
    diff = params.get("Diff") if isinstance(params, dict) else None
    return isinstance(diff, dict) and diff.get("Enabled") is True and not params.get("DiffOnly")


def _retarget(state: dict, old: str, new: str) -> dict:
    out = dict(state)
    for key in ("Next", "Default"):
        if out.get(key) == old:
            out[key] = new
    for key in ("Choices", "Catch"):
        if isinstance(out.get(key), list):
            out[key] = [{**r, "Next": new} if isinstance(r, dict) and r.get("Next") == old else r for r in out[key]]
    return out


def expand_cdk_diffs(definition: dict) -> dict:
    """``definition`` with the diff and approval states added before every Cdk step with Diff enabled
    (in Parallel branches and Map processors too); a definition already expanded is returned as it is."""
    if not isinstance(definition, dict) or not isinstance(definition.get("States"), dict):
        return definition
    states: dict = {}
    for name, state in definition["States"].items():
        states[name] = _nested(state)
    out = dict(definition)
    for name in [n for n, s in states.items() if _wants_diff(s)]:
        diff, ask, approve = f"{name}CdkDiff", f"{name}ApproveChanges?", f"{name}ApproveChanges"
        if diff in states:
            continue  # expanded already
        params = {k: v for k, v in states[name]["Parameters"].items() if k != "Diff"}
        added = {
            diff: {"Type": "Task", "Resource": CDK, "Parameters": {**params, "DiffOnly": True},
                   "ResultPath": step_output_path(diff), "Next": ask},
            ask: {"Type": "Choice", "Choices": [{"Variable": step_output_path(diff) + ".result",
                                                  "StringEquals": "change-detected", "Next": approve}],
                  "Default": name},
            approve: {"Type": "Task", "Resource": "attini:approval",
                      "Parameters": {"Message": f"Approve the changes to the stacks of {name}?"},
                      "ResultPath": step_output_path(approve), "Next": name},
        }
        rebuilt = {}
        for other, state in states.items():
            if other == name:
                rebuilt.update(added)
                rebuilt[name] = state
            else:
                rebuilt[other] = _retarget(state, name, diff) if isinstance(state, dict) else state
        states = rebuilt
        if out.get("StartAt") == name:
            out["StartAt"] = diff
    out["States"] = states
    return out


def _nested(state: Any) -> Any:
    if not isinstance(state, dict):
        return state
    out = state
    if isinstance(state.get("Branches"), list):
        out = {**out, "Branches": [expand_cdk_diffs(b) for b in state["Branches"]]}
    for key in ("ItemProcessor", "Iterator"):
        if isinstance(state.get(key), dict):
            out = {**out, key: expand_cdk_diffs(state[key])}
    return out
