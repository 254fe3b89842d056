"""Runs of plain ASL states (Pass, Choice, Wait, Parallel, Map, Succeed, Fail, AWS Tasks) from the engine history.

Attini steps record their own runs (:mod:`.step_recorder`); every other state that ran is read back from the
execution's history when ``deployment.steps`` is asked for, so nothing has to be kept in sync::

    >>> definition = {"StartAt": "Wait", "States": {"Wait": {"Type": "Pass", "End": True}}}
    >>> events = [{"id": 1, "previousEventId": 0, "timestamp": 10.0, "type": "ExecutionStarted"},
    ...           {"id": 2, "previousEventId": 1, "timestamp": 10.5, "type": "PassStateEntered",
    ...            "stateEnteredEventDetails": {"name": "Wait"}},
    ...           {"id": 3, "previousEventId": 2, "timestamp": 11.0, "type": "PassStateExited",
    ...            "stateExitedEventDetails": {"name": "Wait"}}]
    >>> [(r["step"], r["type"], r["status"], r["finished_at"]) for r in plain_state_runs(definition, events, "SUCCEEDED")]
    [('Wait', 'Pass', 'succeeded', 11000000)]
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from attini_sdk.backends.records import STEP_STATUSES, Table, redact_values

__all__ = ["plain_state_runs", "with_plain_states", "has_plain_states"]

_ENDED = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "aborted"}


def _us(seconds: float | None) -> int | None:
    return None if seconds is None else round(seconds * 1_000_000)


def _kinds(definition: dict) -> dict[str, tuple[str, str | None]]:
    """State name -> (Type, Resource), in Parallel branches and Map iterations too.

    A walk of its own rather than ``plan.walk``: importing the plan package would cost every ``deploy describe``
    and every ``deploy run`` more than reading the steps does.
    """
    kinds, machines = {}, [definition]
    while machines:
        for name, body in ((machines.pop() or {}).get("States") or {}).items():
            if isinstance(body, dict):
                kinds[name] = (body.get("Type"), body.get("Resource"))
                inner = body.get("ItemProcessor") or body.get("Iterator")
                machines.extend(m for m in [*(body.get("Branches") or []), inner] if isinstance(m, dict))
    return kinds


def has_plain_states(definition: dict) -> bool:
    """Whether any state of ``definition`` is not an Attini step (whose runs the step recorder keeps): if none is,
    the steps table needs nothing from the history.

    >>> has_plain_states({"States": {"A": {"Type": "Task", "Resource": "attini:cfn"}}})
    False
    >>> has_plain_states({"States": {"A": {"Type": "Map", "ItemProcessor": {"States": {"B": {"Type": "Pass"}}}}}})
    True
    """
    return any(not (kind == "Task" and str(resource).startswith("attini:"))
               for kind, resource in _kinds(definition).values())


def plain_state_runs(definition: dict, events: Sequence[dict], execution_status: str, *,
                     error: str | None = None, cause: str | None = None,
                     secret_values: Collection[str] = ()) -> list[dict]:
    """One row (step-table columns) per plain state that was entered, oldest first.

    A state entered and never left is ``running`` while the execution runs, ``interrupted`` when the same
    state was entered again later (a resume after a crash), else the execution's end (failed, aborted).
    """
    kinds = _kinds(definition)
    by_id = {e["id"]: e for e in events}
    exits, task_results = _pair(events, by_id)
    rows = []
    entered = [e for e in events if e["type"].endswith("StateEntered")]
    for n, event in enumerate(entered):
        name = event["stateEnteredEventDetails"]["name"]
        state_type, resource = kinds.get(name, (event["type"][: -len("StateEntered")], None))
        if state_type == "Task" and str(resource).startswith("attini:"):
            continue
        left = exits.get(event["id"])
        row = {"step_run_id": None, "step": name, "type": state_type, "resource": resource, "attempt": 1,
               "started_at": _us(event["timestamp"]), "finished_at": None, "fingerprint": None,
               "output": None, "log_path": None, "error": None, "cause": None}
        if left is not None:
            row["status"], row["finished_at"] = "succeeded", _us(left["timestamp"])
        elif any(e["stateEnteredEventDetails"]["name"] == name for e in entered[n + 1:]):
            row["status"] = "interrupted"
        else:
            row["status"] = _ENDED.get(execution_status, "running")
            if row["status"] != "running":
                row["error"], row["cause"] = error, redact_values(cause, secret_values)
        result = task_results.get(event["id"])
        if result is not None:
            row["output"] = redact_values(result, secret_values)
        rows.append(row)
    return rows


def _pair(events: Sequence[dict], by_id: dict) -> tuple[dict, dict]:
    """StateEntered id -> its StateExited event; Task StateEntered id -> its TaskSucceeded output (text)."""
    exits, results = {}, {}
    for event in events:
        kind = event["type"]
        if kind.endswith("StateExited"):
            name = event["stateExitedEventDetails"]["name"]
            owner = _walk_back(event, by_id, lambda e: e["stateEnteredEventDetails"]["name"] == name)
            if owner is not None:
                exits[owner["id"]] = event
        elif kind == "TaskSucceeded":
            owner = _walk_back(event, by_id, lambda e: True)
            output = (event.get("taskSucceededEventDetails") or {}).get("output")
            if owner is not None and output is not None:
                results[owner["id"]] = output
    return exits, results


def _walk_back(event: dict, by_id: dict, match) -> dict | None:
    """The nearest earlier StateEntered event on ``event``'s chain that ``match`` accepts."""
    seen = 0
    current = by_id.get(event.get("previousEventId"))
    while current is not None and seen < 100_000:
        if current["type"].endswith("StateEntered") and match(current):
            return current
        current = by_id.get(current.get("previousEventId"))
        seen += 1
    return None


def with_plain_states(table: Table, rows: Sequence[dict]) -> Table:
    """The store's step-runs ``table`` with ``rows`` added, in the order they started (then by step run id)."""
    if not rows:
        return table
    data = {name: list(table.values(name) if name != "status" else table.values("status"))
            for name in table.columns}
    for row in rows:
        for name in table.columns:
            data[name].append(row.get(name))
    order = sorted(range(len(data["step"])), key=lambda i: (data["started_at"][i] or 0, data["step_run_id"][i] or 0))
    codes = {s: i for i, s in enumerate(STEP_STATUSES)}
    out = {name: [column[i] for i in order] for name, column in data.items()}
    out["status"] = [codes.get(s, -1) for s in out["status"]]
    out["output"] = [_as_text(v) for v in out["output"]]
    return Table(out, codes={"status": STEP_STATUSES})


def _as_text(value: Any) -> str | None:
    """Outputs are JSON text in step tables; a TaskSucceeded output already is."""
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value)
