"""Differences between two artifacts' manifests, as one DataFrame (see :meth:`Artifact.diff`)."""

from __future__ import annotations

import json
from typing import Any

from attini_sdk.artifacts.manifest import PLAN_PATH, Manifest

__all__ = ["diff_manifests", "flatten"]

COLUMNS = ["kind", "name", "change", "old", "new"]


def flatten(value: Any, prefix: str = "") -> dict[str, str]:
    """Nested config data as ``{"a.b[0].c": json_value}``.

    >>> flatten({"a": {"b": [1, {"c": "x"}]}})
    {'a.b[0]': '1', 'a.b[1].c': '"x"'}
    """
    out: dict[str, str] = {}
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return out


def _rows(kind: str, old: dict[str, str], new: dict[str, str]) -> list[dict]:
    rows = []
    for name in sorted(old.keys() | new.keys()):
        a, b = old.get(name), new.get(name)
        if a == b:
            continue
        change = "added" if a is None else "removed" if b is None else "changed"
        rows.append({"kind": kind, "name": name, "change": change, "old": a, "new": b})
    return rows


def diff_manifests(old: Manifest, new: Manifest):
    """Rows for every difference: distribution name, files (by sha256), config keys, plan digest."""
    import pandas as pd

    rows = _rows("distribution", {"distributionName": old.distribution_name},
                 {"distributionName": new.distribution_name})
    rows += _rows("file", {f.path: f.sha256 for f in old.files}, {f.path: f.sha256 for f in new.files})
    both = {f.path for f in old.files} & {f.path for f in new.files}
    rows += _rows("file mode", {f.path: f.mode for f in old.files if f.path in both},
                  {f.path: f.mode for f in new.files if f.path in both})
    rows += _rows("config", flatten(json.loads(json.dumps(dict(old.config), default=dict))),
                  flatten(json.loads(json.dumps(dict(new.config), default=dict))))
    rows += _rows("plan", {PLAN_PATH: old.plan} if old.plan else {}, {PLAN_PATH: new.plan} if new.plan else {})
    frame = pd.DataFrame(rows, columns=COLUMNS)
    return frame.astype({"kind": "category", "change": "category"}) if len(frame) else frame
