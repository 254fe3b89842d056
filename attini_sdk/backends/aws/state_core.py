"""Plumbing shared by the parts of the DynamoDB state store: reads, paginated queries, transactions.

The store is one class (:class:`attini_sdk.backends.aws.state.DynamoStateStore`) assembled from parts like
the SQLite store's; this module is what they share. Every write that changes more than one item is one
``TransactWriteItems`` with conditions, retried when a concurrent writer got there first.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from attini_sdk.backends.aws import items as it
from attini_sdk.backends.aws.session import AwsSession, client_error_code
from attini_sdk.backends.records import DeploymentRecord
from attini_sdk.errors import BackendError, ConflictError, LockError, NotFoundError

__all__ = ["DynamoCore", "Cancelled"]

# the status changes a deployment may make; final statuses change no more (same as the SQLite store)
TRANSITIONS = {
    "pending": {"running", "failed", "aborted", "interrupted"},
    "running": {"waiting_approval", "succeeded", "failed", "aborted", "interrupted"},
    "waiting_approval": {"running", "succeeded", "failed", "aborted", "interrupted"},
    "interrupted": {"running", "failed", "aborted"},
}
_RETRIES = 8


class Cancelled(Exception):
    """A transaction DynamoDB cancelled; ``reasons`` holds one code per item (``None`` = fine)."""

    def __init__(self, reasons: list[str | None]):
        super().__init__(", ".join(str(r) for r in reasons))
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return index < len(self.reasons) and self.reasons[index] == "ConditionalCheckFailed"


class DynamoCore:
    """Clients, the clock and the low-level reads and writes of every part of the store."""

    def __init__(self, session: AwsSession, table: str, *, bucket: str | None = None,
                 secrets_prefix: str = "/attini/secrets/", clock: Callable[[], float] = time.time):
        self.session = session
        self.table = table
        self.bucket = bucket
        self.secrets_prefix = secrets_prefix
        self._clock = clock

    @property
    def _ddb(self):
        return self.session.client("dynamodb")

    def _now(self) -> int:
        return round(self._clock() * 1_000_000)

    def where(self) -> str:
        return f"DynamoDB table {self.table} ({self.session.describe()})"

    def close(self) -> None:
        """Nothing to close (clients are pooled by the session); kept for parity with the SQLite store."""

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- calls -----------------------------------------------------------------------------------------

    def _call(self, name: str, **kwargs) -> dict:
        """One DynamoDB call; AWS errors other than a failed condition become :class:`BackendError`."""
        try:
            return getattr(self._ddb, name)(**kwargs)
        except Exception as exc:
            code = client_error_code(exc)
            if code in ("ConditionalCheckFailedException", "TransactionCanceledException"):
                raise
            if code is None and not _is_botocore(exc):
                raise
            raise BackendError(f"DynamoDB {name} failed: {exc}", where=self.where(),
                               hint=_hint(code)) from exc

    def _get(self, key: Mapping[str, dict], *, consistent: bool = True) -> dict | None:
        return self._call("get_item", TableName=self.table, Key=dict(key), ConsistentRead=consistent).get("Item")

    def _put(self, item: Mapping[str, dict], condition: str | None = None, **extra) -> bool:
        """Put an item; False when ``condition`` did not hold."""
        kwargs: dict[str, Any] = {"TableName": self.table, "Item": dict(item), **extra}
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self._call("put_item", **kwargs)
        except Exception as exc:
            if client_error_code(exc) == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def _update(self, key: Mapping[str, dict], expression: str, values: Mapping[str, Any] | None = None, *,
                condition: str | None = None, names: Mapping[str, str] | None = None) -> dict | None:
        """Update an item and return its new attributes; None when ``condition`` did not hold."""
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": dict(key), "UpdateExpression": expression,
                                  "ReturnValues": "ALL_NEW"}
        if values:
            kwargs["ExpressionAttributeValues"] = {k: it.attr(v) for k, v in values.items()}
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            return self._call("update_item", **kwargs).get("Attributes")
        except Exception as exc:
            if client_error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise

    def _delete(self, key: Mapping[str, dict], condition: str | None = None,
                values: Mapping[str, Any] | None = None, names: Mapping[str, str] | None = None) -> dict | None:
        """Delete an item; returns its old attributes (None if it was not there or ``condition`` failed)."""
        kwargs: dict[str, Any] = {"TableName": self.table, "Key": dict(key), "ReturnValues": "ALL_OLD"}
        if condition:
            kwargs["ConditionExpression"] = condition
        if values:
            kwargs["ExpressionAttributeValues"] = {k: it.attr(v) for k, v in values.items()}
        if names:
            kwargs["ExpressionAttributeNames"] = dict(names)
        try:
            return self._call("delete_item", **kwargs).get("Attributes")
        except Exception as exc:
            if client_error_code(exc) == "ConditionalCheckFailedException":
                return None
            raise

    def _transact(self, operations: list[dict]) -> None:
        """``TransactWriteItems``; raises :class:`Cancelled` with one reason per operation."""
        for op in operations:
            body = next(iter(op.values()))
            body["TableName"] = self.table
            if "ExpressionAttributeValues" in body:
                body["ExpressionAttributeValues"] = {k: it.attr(v) for k, v in body["ExpressionAttributeValues"].items()}
        try:
            self._call("transact_write_items", TransactItems=operations)
        except Exception as exc:
            if client_error_code(exc) != "TransactionCanceledException":
                raise
            reasons = [r.get("Code") if r.get("Code") not in (None, "None") else None
                       for r in getattr(exc, "response", {}).get("CancellationReasons", [])]
            raise Cancelled(reasons) from exc

    def _retrying(self, attempt: Callable[[], Any]) -> Any:
        """Run ``attempt`` again while a concurrent writer made its transaction fail (:class:`Cancelled`)."""
        pause = 0.01
        for n in range(_RETRIES):
            try:
                return attempt()
            except Cancelled as exc:
                if n == _RETRIES - 1:
                    raise BackendError(f"a DynamoDB transaction kept conflicting with other writers ({exc})",
                                       where=self.where(), hint="try again") from exc
                time.sleep(pause)
                pause = min(pause * 2, 0.5)

    def _query(self, pk: str, *, index: str | None = None, begins: str | None = None,
               between: tuple[str, str] | None = None, at_least: str | None = None, forward: bool = True,
               limit: int | None = None, consistent: bool = False, page_size: int | None = None,
               filter: tuple[str, Mapping[str, Any], Mapping[str, str]] | None = None,
               project: tuple[str, ...] | None = None) -> Iterator[dict]:
        """Items of one partition (of the table or of ``index``), paginated, in sort-key order.

        ``begins``/``between``/``at_least`` restrict the sort key; ``limit`` caps the items yielded (after
        ``filter``: (expression, values, names)); ``project`` names the only attributes to read.
        """
        part = index or ""
        pk_name, sk_name = (f"{part}PK", f"{part}SK") if index else ("PK", "SK")
        condition = "#pk = :pk"
        values: dict[str, Any] = {":pk": pk}
        names = {"#pk": pk_name}
        if begins is not None:
            condition += " AND begins_with(#sk, :sk)"
            values[":sk"] = begins
            names["#sk"] = sk_name
        elif between is not None:
            condition += " AND #sk BETWEEN :lo AND :hi"
            values[":lo"], values[":hi"] = between
            names["#sk"] = sk_name
        elif at_least is not None:
            condition += " AND #sk >= :lo"
            values[":lo"] = at_least
            names["#sk"] = sk_name
        kwargs: dict[str, Any] = {"TableName": self.table, "KeyConditionExpression": condition,
                                  "ScanIndexForward": forward}
        if filter is not None:
            expression, filter_values, filter_names = filter
            kwargs["FilterExpression"] = expression
            values.update(filter_values)
            names.update(filter_names)
        kwargs["ExpressionAttributeValues"] = {k: it.attr(v) for k, v in values.items()}
        kwargs["ExpressionAttributeNames"] = names
        if project:
            kwargs["ProjectionExpression"] = ", ".join(f"#p{n}" for n in range(len(project)))
            names.update({f"#p{n}": name for n, name in enumerate(project)})
        if index:
            kwargs["IndexName"] = index
        else:
            kwargs["ConsistentRead"] = consistent
        if limit is not None and filter is None:
            kwargs["Limit"] = max(1, min(limit, page_size or 1000))  # read no more than is wanted
        elif page_size:
            kwargs["Limit"] = page_size
        yielded = 0
        while True:
            page = self._call("query", **kwargs)
            for item in page.get("Items", []):
                if limit is not None and yielded >= limit:
                    return
                yielded += 1
                yield item
            start = page.get("LastEvaluatedKey")
            if not start or (limit is not None and yielded >= limit):
                return
            kwargs["ExclusiveStartKey"] = start

    def _batch_get(self, keys: Iterable[Mapping[str, dict]], *, consistent: bool = True) -> list[dict]:
        """Many items by key (100 per request, unprocessed keys retried); order not kept, missing ones left out."""
        unique = {(k["PK"]["S"], k["SK"]["S"]): dict(k) for k in keys}
        pending = list(unique.values())
        found: list[dict] = []
        pause = 0.01
        while pending:
            chunk, pending = pending[:100], pending[100:]
            request = {self.table: {"Keys": chunk, "ConsistentRead": consistent}}
            while request:
                page = self._call("batch_get_item", RequestItems=request)
                found.extend(page.get("Responses", {}).get(self.table, []))
                request = page.get("UnprocessedKeys") or {}
                if request:
                    time.sleep(pause)
                    pause = min(pause * 2, 1.0)
        return found

    def _batch_delete(self, keys: Iterable[Mapping[str, dict]]) -> None:
        """Delete many items (25 per request, unprocessed ones retried)."""
        unique = {(k["PK"]["S"], k["SK"]["S"]): {"PK": k["PK"], "SK": k["SK"]} for k in keys}
        pending = [{"DeleteRequest": {"Key": key}} for key in unique.values()]
        while pending:
            chunk, pending = pending[:25], pending[25:]
            request = {self.table: chunk}
            while request:
                page = self._call("batch_write_item", RequestItems=request)
                request = page.get("UnprocessedItems") or {}

    def scan_items(self) -> Iterator[dict]:
        """Every item of the table (a full scan: for checks and tests, never on a deploy's path)."""
        kwargs: dict[str, Any] = {"TableName": self.table}
        while True:
            page = self._call("scan", **kwargs)
            yield from page.get("Items", [])
            if not page.get("LastEvaluatedKey"):
                return
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    def integrity_check(self) -> list[str]:
        """``['ok']`` when every item hangs together (the SQLite store's foreign keys, checked by a scan):
        each deployment's environment exists, each step run, approval and pointer has its deployment."""
        found = list(self.scan_items())
        keys = {(i["PK"]["S"], i["SK"]["S"]) for i in found}
        problems = []
        for item in found:
            pk, sk = item["PK"]["S"], item["SK"]["S"]
            if sk == "DEP" and (f"ENV#{item['environment']['S']}", "ENV") not in keys:
                problems.append(f"deployment {pk[4:]} names a missing environment {item['environment']['S']}")
            elif pk.startswith("DEP#") and sk != "DEP" and (pk, "DEP") not in keys:
                problems.append(f"{sk} belongs to a missing deployment {pk[4:]}")
            elif pk.startswith("RUN#") and (f"DEP#{item['deployment_id']['S']}", item["step_sk"]["S"]) not in keys:
                problems.append(f"step run pointer {pk[4:]} points at nothing")
            elif pk.startswith("ENV#") and sk != "ENV" and (pk, "ENV") not in keys:
                problems.append(f"{sk} belongs to a missing environment {pk[4:]}")
        return problems or ["ok"]

    # -- shared lookups --------------------------------------------------------------------------------

    def _environment_names(self) -> list[str]:
        return [item["GSI1SK"]["S"] for item in self._query(it.ENVIRONMENTS, index="GSI1")]

    def _require_environment(self, name: str) -> dict:
        item = self._get(it.environment_key(name))
        if item is None:
            names = self._environment_names()
            known = f"existing: {', '.join(names)}" if names else "there are none yet"
            raise NotFoundError(f"environment '{name}' does not exist ({known})", where=self.where(),
                                hint=f"create it: at.Environment.create('{name}', type='test') (or type='production'), "
                                     "with backend='aws'",
                                cli_hint=f"create it: attini environment create {name} --env-type test|production "
                                         "--backend aws")
        return item

    def _deployment_item(self, deployment_id: str) -> dict:
        item = self._get(it.deployment_key(deployment_id))
        if item is None:
            raise NotFoundError(f"deployment {deployment_id} does not exist", where=f"deployment {deployment_id}",
                                hint="list deployments with `attini deploy history -e ENV`")
        return item

    def _deployment(self, deployment_id: str) -> DeploymentRecord:
        return it.deployment_from_item(self._deployment_item(deployment_id))

    def _deployments(self, ids: Iterable[str]) -> dict[str, DeploymentRecord]:
        """Deployments by id, read in batches."""
        records = (it.deployment_from_item(item) for item in self._batch_get(it.deployment_key(i) for i in ids))
        return {d.id: d for d in records}

    def _distributions(self, environment: str) -> list[dict]:
        """The ``DIST#`` pointer items of an environment (one per distribution ever deployed there)."""
        return [it.decode(item) for item in self._query(f"ENV#{environment}", begins="DIST#", consistent=True)]

    @staticmethod
    def _check_transition(d: DeploymentRecord, status: str) -> None:
        if status not in TRANSITIONS.get(d.status, ()):
            raise ConflictError(
                f"deployment {d.distribution} revision {d.revision} is '{d.status}' and cannot become '{status}'",
                where=f"environment '{d.environment}', deployment {d.id}",
                hint="finished deployments never change; start a new deployment instead")

    @staticmethod
    def _with_lock_wait(wait_for_lock: float, attempt: Callable[[], Any]) -> Any:
        """Retry ``attempt`` while it raises :class:`LockError`, for up to ``wait_for_lock`` seconds."""
        deadline = time.monotonic() + max(wait_for_lock, 0.0)
        pause = 0.05
        while True:
            try:
                return attempt()
            except LockError:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise
                time.sleep(min(pause, left))
                pause = min(pause * 2, 1.0)


def _is_botocore(exc: BaseException) -> bool:
    return type(exc).__module__.startswith(("botocore", "boto3", "urllib3"))


def _hint(code: str | None) -> str:
    if code in ("ResourceNotFoundException",):
        return "the backend's table is missing: install the backend (cd infra_pulumi && pulumi up)"
    if code in ("AccessDeniedException", "UnrecognizedClientException", "ExpiredTokenException"):
        return "check your AWS credentials and that your role has the deployer or operator policy"
    return "check your network and AWS credentials, then try again"


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON (as the SQLite store writes it)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
