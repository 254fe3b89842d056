"""Deployments in DynamoDB: start (lock + revision + item in one transaction), finish, read, retain."""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from attini_sdk.backends.aws import items as it
from attini_sdk.backends.aws.state_core import Cancelled, DynamoCore, dumps
from attini_sdk.backends.local import locking
from attini_sdk.backends.local.state_core import check_name, whoami
from attini_sdk.backends.records import (
    DEPLOYMENT_STATUSES,
    DeploymentRecord,
    Lock,
    redact_keys,
    redact_values,
)
from attini_sdk.errors import BackendError, ConflictError, DeploymentError, NotFoundError

__all__ = ["DeploymentOps"]

_DAY_US = 86_400 * 1_000_000


class DeploymentOps(DynamoCore):
    """Start and finish deployments, read them back, and pick expired artifacts."""

    def start_deployment(self, environment: str, distribution: str, *, distribution_id: str, version: str | None,
                         deployed_by: str | None = None, reason: str | None = None,
                         tags: Mapping[str, str] | None = None, parameters: Mapping[str, Any] | None = None,
                         secret_keys: Collection[str] = (), execution_id: str | None = None,
                         status: str = "running", lock_ttl: float = locking.DEFAULT_LOCK_TTL,
                         wait_for_lock: float = 0.0, request_id: str | None = None,
                         signatures: Collection[str] = ()) -> tuple[DeploymentRecord, Lock]:
        """Take the lock, allocate revision n+1 and record the deployment, in one transaction.

        Same contract as the SQLite store's; besides, ``request_id`` (a deployer's upload) is recorded once:
        a second start with the same ``request_id`` raises :class:`ConflictError` whose ``deployment`` is the
        first one (a redelivered S3 event starts nothing), see :meth:`find_request`.
        """
        check_name("distribution", distribution)
        if status not in ("pending", "running"):
            raise DeploymentError(f"a deployment starts as 'pending' or 'running', not {status!r}",
                                  where=f"environment '{environment}', distribution '{distribution}'")
        row = dict(distribution_id=distribution_id, version=version, deployed_by=deployed_by or whoami(),
                   reason=reason, tags=dict(tags or {}), parameters=dict(parameters or {}),
                   secret_keys=set(secret_keys), execution_id=execution_id, status=status, request_id=request_id,
                   signatures=list(signatures))
        return self._with_lock_wait(
            wait_for_lock, lambda: self._retrying(lambda: self._start(environment, distribution, lock_ttl, row)))

    def _start(self, environment: str, distribution: str, ttl: float, r: dict) -> tuple[DeploymentRecord, Lock]:
        self._require_environment(environment)
        if r["request_id"]:
            self._refuse_repeated_request(r["request_id"])
        held = self._get(it.lock_key(environment, distribution))
        if held is not None:
            lock = it.lock_from_item(held)
            raise locking.lock_held_error(lock, locking.stale_reason(lock, self._now()))
        artifact = self._get(it.artifact_key(r["distribution_id"]))
        if artifact is not None:
            known = it.decode(artifact)
            if (known["distribution"], known.get("version")) != (distribution, r["version"]):
                raise ConflictError(
                    f"distribution id {r['distribution_id']} was recorded as {known['distribution']} "
                    f"{known.get('version') or '(no version)'}, not {distribution} {r['version'] or '(no version)'}",
                    where=f"distribution '{distribution}'",
                    hint="a distribution id names one artifact; package the distribution again")
        pointer = self._get(it.distribution_key(environment, distribution))
        last = int(it.decode(pointer).get("last_revision", 0)) if pointer else 0
        keys, values = self._secrets(environment)
        params = redact_values(redact_keys(r["parameters"], keys | r["secret_keys"]), values)
        now = self._now()
        deployment_id = f"{now:014x}{secrets.token_hex(5)}"  # sorts by start time, as the SQLite store's
        record = DeploymentRecord(deployment_id, environment, distribution, last + 1, r["distribution_id"],
                                  r["version"], r["status"], it.to_datetime(now), None, r["deployed_by"],
                                  r["reason"], None, None, r["execution_id"], r["tags"], params)
        lock = Lock(environment, distribution, owner=secrets.token_hex(8), pid=_pid(), host=locking.this_host(),
                    acquired_at=it.to_datetime(now), heartbeat_at=it.to_datetime(now),
                    expires_at=it.to_datetime(now + int(ttl * 1_000_000)), deployment_id=deployment_id)
        operations = [
            {"Put": {"Item": it.lock_item(lock), "ConditionExpression": "attribute_not_exists(PK)"}},
            {"Update": {"Key": it.distribution_key(environment, distribution),
                        "UpdateExpression": "SET last_revision = :rev, last_id = :id, #env = :env, #dist = :dist",
                        "ExpressionAttributeNames": {"#env": "environment", "#dist": "distribution"},
                        "ConditionExpression": "attribute_not_exists(last_revision) OR last_revision = :old",
                        "ExpressionAttributeValues": {":rev": last + 1, ":id": deployment_id, ":env": environment,
                                                      ":dist": distribution, ":old": last}}},
            {"Put": {"Item": it.deployment_item(record, request_id=r["request_id"]),
                     "ConditionExpression": "attribute_not_exists(PK)"}},
            {"ConditionCheck": {"Key": it.environment_key(environment),
                                "ConditionExpression": "attribute_exists(PK)"}},
            {"Put": {"Item": it.artifact_use_item(r["distribution_id"], deployment_id, environment)}},
        ]
        if artifact is None:
            operations.append({"Put": {"Item": it.artifact_item(r["distribution_id"], distribution, r["version"],
                                                                recorded_us=now, signatures=r["signatures"]),
                                       "ConditionExpression": "attribute_not_exists(PK)"}})
        if r["request_id"]:
            operations.append({"Put": {"Item": {"PK": {"S": f"REQ#{r['request_id']}"}, "SK": {"S": "REQ"},
                                                **it.encode({"kind": "request", "deployment_id": deployment_id})},
                                       "ConditionExpression": "attribute_not_exists(PK)"}})
        try:
            self._transact(operations)
        except Cancelled as exc:
            if exc.failed(0):
                again = self._get(it.lock_key(environment, distribution))
                if again is not None:
                    held_now = it.lock_from_item(again)
                    raise locking.lock_held_error(held_now, locking.stale_reason(held_now, self._now())) from None
            if exc.failed(3):
                self._require_environment(environment)
            if r["request_id"] and exc.failed(len(operations) - 1):
                self._refuse_repeated_request(r["request_id"])
            raise
        return record, lock

    def find_request(self, request_id: str) -> DeploymentRecord | None:
        """The deployment a deployer's request (the ``request_id`` of its upload) started, if any yet."""
        item = self._get({"PK": {"S": f"REQ#{request_id}"}, "SK": {"S": "REQ"}})
        if item is None or "deployment_id" not in item:
            return None
        return self._deployment(item["deployment_id"]["S"])

    def reject_request(self, request_id: str, error: BaseException) -> bool:
        """Record why a deployer's request started no deployment (init-deploy calls this), so that the
        deployer waiting for it gets the same error; False if the request already has an outcome."""
        values = {"kind": "request", "error": type(error).__name__, "what": getattr(error, "what", str(error)),
                  "where": getattr(error, "where", None), "hint": getattr(error, "hint", None),
                  "cli_hint": getattr(error, "cli_hint", None), "recorded_at": self._now()}
        return self._put({"PK": {"S": f"REQ#{request_id}"}, "SK": {"S": "REQ"}, **it.encode(values)},
                         "attribute_not_exists(PK)")

    def request_outcome(self, request_id: str) -> DeploymentRecord | None:
        """The deployment a request started, None while nothing is recorded yet; raises the error recorded
        by :meth:`reject_request` (as its own :class:`~attini_sdk.errors.AttiniError` subclass)."""
        item = self._get({"PK": {"S": f"REQ#{request_id}"}, "SK": {"S": "REQ"}})
        if item is None:
            return None
        v = it.decode(item)
        if v.get("deployment_id"):
            return self._deployment(v["deployment_id"])
        from attini_sdk import errors

        kind = getattr(errors, v.get("error") or "", None)
        if not (isinstance(kind, type) and issubclass(kind, errors.AttiniError)) or kind in (
                errors.PlanError, errors.StepFailed):
            kind = errors.DeploymentError
        raise kind(v.get("what") or "the backend refused the deployment", where=v.get("where"),
                   hint=v.get("hint"), cli_hint=v.get("cli_hint"))

    def _refuse_repeated_request(self, request_id: str) -> None:
        first = self.find_request(request_id)
        if first is not None:
            err = ConflictError(f"request {request_id} already started deployment {first.id} "
                                f"({first.distribution} revision {first.revision})",
                                where=f"environment '{first.environment}'",
                                hint="a request starts one deployment; upload again to deploy again")
            err.deployment = first
            raise err

    def finish_deployment(self, deployment_id: str, status: str, *, outputs: Any = None,
                          error: str | None = None, cause: str | None = None,
                          lock: Lock | None = None) -> DeploymentRecord:
        """Record the end of a deployment and its outputs, update the inventory and release its lock, atomically.

        Outputs up to :data:`~attini_sdk.backends.aws.items.OUTPUTS_INLINE_LIMIT` bytes live on the item,
        larger ones in S3 ``outputs/<deployment id>.json`` (written first: a crash leaves an unused object).
        """
        if status not in ("succeeded", "failed", "aborted", "interrupted"):
            raise DeploymentError(f"a deployment finishes as succeeded, failed, aborted or interrupted, "
                                  f"not {status!r}", where=f"deployment {deployment_id}")
        text = None if outputs is None else dumps(outputs)
        outputs_key = None
        if text is not None and len(text.encode()) > it.OUTPUTS_INLINE_LIMIT:
            outputs_key = self._store_large_outputs(deployment_id, text)
            text = None
        return self._retrying(lambda: self._finish(deployment_id, status, text, outputs_key, error, cause))

    def _finish(self, deployment_id: str, status: str, text: str | None, outputs_key: str | None,
                error: str | None, cause: str | None) -> DeploymentRecord:
        current = self._deployment(deployment_id)
        self._check_transition(current, status)
        now = self._now()
        sets = ["#status = :status", "finished_at = :now"]
        names = {"#status": "status"}
        values: dict[str, Any] = {":status": status, ":now": now, ":old": current.status}
        removes = []
        for name, value in (("error", error), ("cause", cause), ("outputs", text), ("outputs_key", outputs_key)):
            names[f"#{name}"] = name
            if value is None:
                if name in ("error", "cause"):
                    removes.append(f"#{name}")
                else:
                    del names[f"#{name}"]
            else:
                sets.append(f"#{name} = :{name}")
                values[f":{name}"] = value
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        operations: list[dict] = [{"Update": {
            "Key": it.deployment_key(deployment_id), "UpdateExpression": expression,
            "ConditionExpression": "#status = :old", "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values}}]
        if status == "succeeded":
            operations.append({"Update": {
                "Key": it.distribution_key(current.environment, current.distribution),
                "UpdateExpression": "SET current_id = :id, current_revision = :rev",
                "ConditionExpression": "attribute_not_exists(current_revision) OR current_revision < :rev",
                "ExpressionAttributeValues": {":id": current.id, ":rev": current.revision}}})
            pointer = self._get(it.distribution_key(current.environment, current.distribution))
            if pointer is not None and int(it.decode(pointer).get("current_revision", 0)) >= current.revision:
                operations.pop()  # a newer revision is current already: leave it
        held = self._get(it.lock_key(current.environment, current.distribution))
        if held is not None and it.decode(held).get("deployment_id") == deployment_id:
            operations.append({"Delete": {"Key": it.lock_key(current.environment, current.distribution),
                                          "ConditionExpression": "deployment_id = :dep",
                                          "ExpressionAttributeValues": {":dep": deployment_id}}})
        self._transact(operations)
        return self._deployment(deployment_id)

    def _store_large_outputs(self, deployment_id: str, text: str) -> str:
        if not self.bucket:
            raise BackendError(f"the outputs of deployment {deployment_id} are {len(text.encode())} bytes, more than "
                               "a table item holds, and this store has no bucket", where=self.where(),
                               hint="open the store through the backend contract (it names the bucket)")
        key = f"outputs/{deployment_id}.json"
        self.session.client("s3").put_object(Bucket=self.bucket, Key=key, Body=text.encode(),
                                             ContentType="application/json")
        return key

    def set_deployment_status(self, deployment_id: str, status: str, *, error: str | None = None,
                              cause: str | None = None, execution_id: str | None = None,
                              execution_arn: str | None = None) -> DeploymentRecord:
        """Move a deployment between unfinished statuses; also records the execution's id (and ARN)."""
        if status not in DEPLOYMENT_STATUSES:
            raise DeploymentError(f"unknown deployment status {status!r}", where=f"deployment {deployment_id}",
                                  hint=f"use one of {', '.join(DEPLOYMENT_STATUSES)}")

        def attempt() -> DeploymentRecord:
            current = self._deployment(deployment_id)
            if status != current.status:
                self._check_transition(current, status)
            sets, values = ["#status = :status"], {":status": status, ":old": current.status}
            names = {"#status": "status"}
            for name, value in (("error", error), ("cause", cause), ("execution_id", execution_id),
                                ("execution_arn", execution_arn)):
                if value is not None:
                    sets.append(f"#{name} = :{name}")
                    values[f":{name}"] = value
                    names[f"#{name}"] = name
            new = self._update(it.deployment_key(deployment_id), "SET " + ", ".join(sets), values,
                               names=names, condition="#status = :old")
            if new is None:
                raise Cancelled(["ConditionalCheckFailed"])
            return it.deployment_from_item(new)

        return self._retrying(attempt)

    def outputs(self, deployment_id: str, *, reveal: bool = False) -> Any:
        """A deployment's recorded outputs (None if none); secrets redacted unless ``reveal`` (for Import)."""
        item = it.decode(self._deployment_item(deployment_id))
        if item.get("outputs") is not None:
            value = json.loads(item["outputs"])
        elif item.get("outputs_key"):
            body = self.session.client("s3").get_object(Bucket=self.bucket, Key=item["outputs_key"])["Body"]
            value = json.loads(body.read())
        else:
            return None
        return value if reveal else redact_values(value, self._secrets(item["environment"])[1])

    def execution_arn(self, deployment_id: str) -> str | None:
        """The Step Functions execution ARN recorded for a deployment (None until it started)."""
        return it.decode(self._deployment_item(deployment_id)).get("execution_arn")

    # -- reading --------------------------------------------------------------------------------------

    def get_deployment(self, deployment_id: str) -> DeploymentRecord:
        """One deployment by id; :class:`NotFoundError` if unknown."""
        return self._deployment(deployment_id)

    def find_deployment(self, environment: str, distribution: str, revision: int) -> DeploymentRecord:
        """A deployment by (environment, distribution, revision): one GSI2 lookup, then a consistent read."""
        found = next(self._query(it.revisions_pk(environment, distribution), index="GSI2",
                                 between=(it.revision_key(revision), it.revision_key(revision))), None)
        if found is None:
            raise NotFoundError(f"'{distribution}' has no revision {revision} in environment '{environment}'",
                                where=f"environment '{environment}'",
                                hint=f"list revisions with `attini deploy history -e {environment} -n {distribution}`")
        return self._deployment(found["id"]["S"])

    def current_deployment(self, environment: str, distribution: str) -> DeploymentRecord | None:
        """The last succeeded deployment of ``distribution`` in ``environment``: what runs there."""
        return self._pointer("current_id", environment, distribution)

    def latest_deployment(self, environment: str, distribution: str) -> DeploymentRecord | None:
        """The last attempted deployment, whatever its status."""
        return self._pointer("last_id", environment, distribution)

    def _pointer(self, name: str, environment: str, distribution: str) -> DeploymentRecord | None:
        pointer = self._get(it.distribution_key(environment, distribution))
        target = None if pointer is None else it.decode(pointer).get(name)
        return None if target is None else self._deployment(target)

    def list_deployments(self, environment: str | None = None, *, distribution: str | None = None,
                         since: datetime | None = None, status: str | Collection[str] | None = None,
                         limit: int | None = None) -> list[DeploymentRecord]:
        """Deployments newest first, as records (paginated queries on GSI1, or GSI2 for one distribution)."""
        if environment is not None:
            self._require_environment(environment)
        return [it.deployment_from_item(item) for item in
                self._history_items(environment, distribution, since, _statuses(status), limit)]

    def artifact_deployments(self, prefix: str, environment: str | None = None, distribution: str | None = None,
                             limit: int | None = None) -> list[DeploymentRecord]:
        """Deployments, newest first, of the artifacts whose distribution id starts with ``prefix``."""
        low = prefix if prefix.startswith("sha256:") else f"sha256:{prefix}"
        ids = []
        for artifact in self._query(it.ARTIFACTS, index="GSI1", begins=low):
            for use in self._query(f"ART#{artifact['GSI1SK']['S']}", begins="DEP#"):
                ids.append(use["deployment_id"]["S"])
        found = [d for d in self._deployments(ids).values()
                 if (environment is None or d.environment == environment)
                 and (distribution is None or d.distribution == distribution)]
        found.sort(key=lambda d: (d.started_at, d.id), reverse=True)
        return found if limit is None else found[:limit]

    def successful_deployments(self, environment: str, distribution: str,
                               limit: int | None = None) -> list[DeploymentRecord]:
        """Succeeded deployments of one distribution, newest first (rollback targets, dependency checks)."""
        items = self._query(it.revisions_pk(environment, distribution), index="GSI2", forward=False, limit=limit,
                            filter=("#status = :succeeded", {":succeeded": "succeeded"}, {"#status": "status"}))
        return [it.deployment_from_item(item) for item in items]

    def _history_items(self, environment: str | None, distribution: str | None, since: datetime | None,
                       statuses: list[str], limit: int | None, page_size: int | None = None,
                       project: tuple[str, ...] | None = None):
        """Deployment items newest first: one environment's GSI1 partition (GSI2 for one distribution), or,
        for every environment, each environment's partition merged by start time."""
        if environment is None:
            import heapq

            streams = [self._history_items(name, distribution, since, statuses, limit, page_size, project)
                       for name in self._environment_names()]
            merged = heapq.merge(*streams, key=lambda item: item["GSI1SK"]["S"], reverse=True)
            for n, item in enumerate(merged):
                if limit is not None and n >= limit:
                    return
                yield item
            return
        filters, values, names = [], {}, {}
        if statuses:
            names["#status"] = "status"
            filters.append("#status IN (" + ", ".join(f":s{i}" for i in range(len(statuses))) + ")")
            values.update({f":s{i}": s for i, s in enumerate(statuses)})
        since_us = it.to_us(since) if since is not None else None
        if distribution is not None:
            if since_us is not None:
                filters.append("started_at >= :since")
                values[":since"] = since_us
            filter = (" AND ".join(filters), values, names) if filters else None
            yield from self._query(it.revisions_pk(environment, distribution), index="GSI2", forward=False,
                                   limit=limit, filter=filter, page_size=page_size, project=project)
            return
        filter = (" AND ".join(filters), values, names) if filters else None
        yield from self._query(it.history_pk(environment), index="GSI1", forward=False, limit=limit, filter=filter,
                               at_least=None if since_us is None else it.time_key(since_us),
                               page_size=page_size, project=project)

    # -- retention ------------------------------------------------------------------------------------

    def expired_artifacts(self, distribution: str | None = None) -> list[str]:
        """Distribution ids of artifacts no environment's retention rules keep (the SQLite store's rules)."""
        now = self._now()
        keep: dict[str, bool] = {}
        for environment in self.list_environments():
            names = [p["distribution"] for p in self._distributions(environment.name)
                     if distribution is None or p.get("distribution") == distribution]
            for name in names:
                nth = nth_succeeded = 0
                for item in self._query(it.revisions_pk(environment.name, name), index="GSI2", forward=False):
                    d = it.deployment_from_item(item)
                    nth += 1
                    nth_succeeded += d.status == "succeeded"
                    kept = ((environment.keep_versions == 0 and environment.keep_days == 0)
                            or d.status in ("pending", "running", "waiting_approval", "interrupted")
                            or (d.status == "succeeded" and nth_succeeded <= max(environment.keep_versions, 1))
                            or nth <= environment.keep_versions
                            or it.to_us(d.started_at) >= now - environment.keep_days * _DAY_US)
                    keep[d.distribution_id] = keep.get(d.distribution_id, False) or kept
        return sorted(artifact for artifact, kept in keep.items() if not kept)

    def artifact_identities(self, artifact_ids: Collection[str]) -> dict[str, tuple[str, str | None]]:
        """``{id: (distribution, version)}`` of recorded artifacts (batched reads; unknown ids left out)."""
        found = {}
        for item in self._batch_get(it.artifact_key(i) for i in artifact_ids):
            value = it.decode(item)
            found[value["distribution_id"]] = (value["distribution"], value.get("version"))
        return found

    def artifact_in_use(self, artifact_id: str) -> bool:
        """True if any recorded deployment, in any environment, ran the artifact ``artifact_id``."""
        return next(self._query(f"ART#{artifact_id}", begins="DEP#", limit=1), None) is not None


def _statuses(status: str | Collection[str] | None) -> list[str]:
    statuses = [status] if isinstance(status, str) else list(status or [])
    unknown = [s for s in statuses if s not in DEPLOYMENT_STATUSES]
    if unknown:
        raise DeploymentError(f"unknown deployment status {unknown[0]!r}",
                              hint=f"use one of {', '.join(DEPLOYMENT_STATUSES)}")
    return statuses


def _pid() -> int:
    import os

    return os.getpid()
