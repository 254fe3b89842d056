"""MergeOutput (``attini:merge-output``): fold the payloads of a Parallel's branches into one.

Maps are merged deeply, lists are concatenated with duplicates removed (first occurrence
kept), and where two branches disagree on anything else the first branch wins::

    >>> merge_outputs([{"output": {"Network": {"VpcId": "vpc-1"}}, "env": "dev"},
    ...                {"output": {"Database": {"Host": "db"}}, "env": "other"}])
    {'output': {'Network': {'VpcId': 'vpc-1'}, 'Database': {'Host': 'db'}}, 'env': 'dev'}
"""

from __future__ import annotations

import json
import threading
from typing import Any

from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog

__all__ = ["merge_outputs", "merge_two", "execute"]


def _identity(value: Any) -> str:
    # JSON text tells 1 from true and 1 from 1.0's sibling "1", unlike Python's ==.
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def _concat_unique(first: list, second: list) -> list:
    seen: set[str] = set()
    merged = []
    for item in [*first, *second]:
        key = _identity(item)
        if key not in seen:
            seen.add(key)
            merged.append(item)
    return merged


def merge_two(first: Any, second: Any) -> Any:
    """Merge ``second`` into ``first``; ``first`` wins every conflict that cannot be merged.

    >>> merge_two({"tags": ["a"], "n": 1}, {"tags": ["a", "b"], "n": 2, "m": 3})
    {'tags': ['a', 'b'], 'n': 1, 'm': 3}
    """
    if isinstance(first, dict) and isinstance(second, dict):
        merged = dict(first)
        for key, value in second.items():
            merged[key] = merge_two(first[key], value) if key in first else value
        return merged
    if isinstance(first, list) and isinstance(second, list):
        return _concat_unique(first, second)
    return first


def merge_outputs(items: list) -> Any:
    """Merge a Parallel's array of payloads, left to right; ``[]`` merges to ``{}``.

    >>> merge_outputs([{"a": [1, 2]}, {"a": [2, 3]}, {"a": [3, 4]}])
    {'a': [1, 2, 3, 4]}
    """
    if not items:
        return {}
    merged = items[0]
    for item in items[1:]:
        merged = merge_two(merged, item)
    return merged


def execute(
    properties: dict,
    payload: Any,
    ctx: DeploymentContext,
    *,
    step: str,
    log: StepLog,
    cancelled: threading.Event | None = None,
) -> Any:
    """Run a MergeOutput step: ``payload`` is the array a Parallel state produced.

    >>> execute({}, [{"a": 1}, {"b": 2}], None, step="Merge", log=None)
    {'a': 1, 'b': 2}
    """
    if not isinstance(payload, list):
        raise StepFailed(
            f"MergeOutput step '{step}' needs an array of payloads, got {type(payload).__name__}",
            step=step,
            error="MergeOutput.InvalidInput",
            cause=f"input was a {type(payload).__name__}, not an array",
            hint="place the MergeOutput step directly after a Parallel state",
        )
    if log is not None:
        log.info(f"merging {len(payload)} branch outputs")
    return merge_outputs(payload)
