"""The tables behind the DataFrames (history, inventory, landscape, steps), built from DynamoDB items.

Same columns, order and codes as the SQLite store's (:mod:`attini_sdk.backends.local.tables`), so
:mod:`attini_sdk.deploy.frames` and :mod:`attini_sdk.deploy.rows` build identical frames and pages from either.
History pages come from paginated queries, newest first; labels that repeat come back as codes with their
categories (numpy only with ``arrays=True``).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from attini_sdk.backends.aws import items as it
from attini_sdk.backends.aws.state_core import DynamoCore
from attini_sdk.backends.aws.state_deployments import _statuses
from attini_sdk.backends.local.tables import HISTORY_COLUMNS, INVENTORY_COLUMNS, LANDSCAPE_COLUMNS, STEP_COLUMNS
from attini_sdk.backends.records import DEPLOYMENT_STATUSES, STEP_STATUSES, Table

__all__ = ["TableOps", "HISTORY_PAGE"]

#: items per history query page (DynamoDB returns at most 1 MB per page anyway)
HISTORY_PAGE = 1000
_STATUS = {s: i for i, s in enumerate(DEPLOYMENT_STATUSES)}
_STEP_STATUS = {s: i for i, s in enumerate(STEP_STATUSES)}
_CODED = ("environment", "distribution", "version", "distribution_id")
#: what a history row reads of a deployment item (tags, parameters, outputs stay behind); GSI1SK orders the
#: merge of several environments' histories
_HISTORY_ATTRIBUTES = ("id", "environment", "distribution", "revision", "version", "distribution_id", "status",
                       "started_at", "finished_at", "deployed_by", "reason", "error", "GSI1SK")


class TableOps(DynamoCore):
    """History, inventory, landscape and step tables."""

    def history_table(self, environment: str | None = None, *, distribution: str | None = None,
                      since: datetime | None = None, status: str | Collection[str] | None = None,
                      limit: int | None = None, arrays: bool = True) -> Table:
        """Deployment columns newest first (``environment=None``: every environment), read page by page."""
        if environment is not None:
            self._require_environment(environment)
        columns: dict[str, list] = {name: [] for name in HISTORY_COLUMNS}
        append = [columns[name].append for name in HISTORY_COLUMNS]
        for item in self._history_items(environment, distribution, since, _statuses(status), limit,
                                        page_size=HISTORY_PAGE, project=_HISTORY_ATTRIBUTES):
            get = item.get
            version = get("version")
            finished = get("finished_at")
            values = (item["id"]["S"], item["environment"]["S"], item["distribution"]["S"], int(item["revision"]["N"]),
                      None if version is None or "NULL" in version else version["S"], item["distribution_id"]["S"],
                      _STATUS[item["status"]["S"]], int(item["started_at"]["N"]),
                      None if finished is None or "NULL" in finished else int(finished["N"]),
                      _text(get("deployed_by")) or "", _text(get("reason")), _text(get("error")))
            for add, value in zip(append, values):
                add(value)
        codes = {"status": DEPLOYMENT_STATUSES}
        if arrays:
            import numpy as np

            for name in _CODED:
                columns[name], codes[name] = _encode(columns[name])
            for name in ("revision", "started_at", "status"):
                columns[name] = np.array(columns[name], dtype=np.int64)
            columns["finished_at"] = np.array(columns["finished_at"], dtype=np.float64)
        return Table(columns, codes=codes)

    def inventory_table(self, environment: str, *, arrays: bool = True) -> Table:
        """Per distribution: current and last attempted deployment (one query plus one batch read)."""
        self._require_environment(environment)
        pointers = self._distributions(environment)
        ids = [p[k] for p in pointers for k in ("current_id", "last_id") if p.get(k)]
        found = self._deployments(ids)
        rows = []
        for p in pointers:
            last = found.get(p.get("last_id"))
            if last is None:
                continue
            current = found.get(p.get("current_id")) if p.get("current_id") else None
            rows.append((p["distribution"],
                         current.version if current else None, current.distribution_id if current else None,
                         current.revision if current else None, it.to_us(current.finished_at) if current else None,
                         current.deployed_by if current else None, _STATUS[last.status], last.revision,
                         last.version, it.to_us(last.started_at), last.deployed_by,
                         current.id if current else None, last.id))
        rows.sort(key=lambda r: r[0])
        rows.sort(key=lambda r: r[9], reverse=True)
        return Table(_columns(rows, INVENTORY_COLUMNS), codes={"status": DEPLOYMENT_STATUSES})

    def landscape_table(self, environments: Sequence[str], *, arrays: bool = True) -> Table:
        """Current deployments of every distribution in each of ``environments``."""
        rows = []
        for name in environments:
            self._require_environment(name)
            pointers = [p for p in self._distributions(name) if p.get("current_id")]
            found = self._deployments(p["current_id"] for p in pointers)
            for p in pointers:
                d = found.get(p["current_id"])
                if d is not None:
                    rows.append((name, d.distribution, d.version, d.distribution_id, it.to_us(d.finished_at)))
        return Table(_columns(rows, LANDSCAPE_COLUMNS))

    def steps_table(self, deployment_id: str, *, arrays: bool = True) -> Table:
        """Step runs of one deployment, in the order they started."""
        from attini_sdk.steps import type_name

        self._deployment(deployment_id)
        rows = []
        for item in self._query(f"DEP#{deployment_id}", begins="STEP#", consistent=True):
            v = it.decode(item)
            rows.append((int(v["run_id"]), v["step"], type_name("Task", v["type"]), v["type"],
                         _STEP_STATUS[v["status"]], int(v.get("attempt", 1)), v.get("started_at"),
                         v.get("finished_at"), v.get("fingerprint"), v.get("output"), v.get("log_path"),
                         v.get("error"), v.get("cause")))
        rows.sort(key=lambda r: (r[6] if r[6] is not None else 0, r[0]))
        return Table(_columns(rows, STEP_COLUMNS), codes={"status": STEP_STATUSES})


def _text(value: dict | None) -> str | None:
    return None if value is None or "NULL" in value else value["S"]


def _columns(rows: list[tuple], names: Sequence[str]) -> dict[str, list]:
    return {name: list(column) for name, column in zip(names, zip(*rows) if rows else [() for _ in names])}


def _encode(values: list):
    """Labels -> (int64 codes, sorted categories); None -> -1."""
    import numpy as np

    categories = sorted({v for v in values if v is not None})
    position = {v: n for n, v in enumerate(categories)}
    codes = np.fromiter((position.get(v, -1) if v is not None else -1 for v in values), dtype=np.int64,
                        count=len(values))
    return codes, tuple(categories)
