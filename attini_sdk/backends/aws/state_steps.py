"""Step runs and manual approvals in DynamoDB.

A step run lives under its deployment (``DEP#<id>`` / ``STEP#<µs>#<step>#<attempt>#<run id>``); a small
pointer item ``RUN#<run id>`` finds it from the id alone. Run ids are integers that grow with time (start
microseconds x 1000 + a random part), so sorting by id is sorting by start, as with SQLite's row ids.
The last successful run of each step is also kept in a *reuse pointer* (``ENV#<env>`` /
``REUSE#<dist>#<step>``) so that "skip unchanged" is one read, however long the history.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Collection
from datetime import datetime
from typing import Any

from attini_sdk.backends.aws import items as it
from attini_sdk.backends.aws.state_core import DynamoCore, dumps
from attini_sdk.backends.records import STEP_STATUSES, Approval, StepRun, redact_values
from attini_sdk.errors import ConflictError, DeploymentError, NotFoundError

__all__ = ["StepOps"]


class StepOps(DynamoCore):
    """Record step runs (with redacted output), find reusable ones, and keep manual approvals."""

    def start_step_run(self, deployment_id: str, step: str, type: str, *, attempt: int = 1,
                       fingerprint: str | None = None, log_path: str | None = None,
                       position: str | None = None) -> StepRun:
        """Record that a step started running; finish it with :meth:`finish_step_run`.

        ``position`` (where in a local engine's execution the step runs) is accepted and not kept: on AWS,
        Step Functions never runs a Task again once its token was answered, so no run is ever answered from it.
        """
        return self.record_step_run(deployment_id, step, type, "running", attempt=attempt,
                                    fingerprint=fingerprint, log_path=log_path)

    def record_step_run(self, deployment_id: str, step: str, type: str, status: str, *, attempt: int = 1,
                        fingerprint: str | None = None, output: Any = None, log_path: str | None = None,
                        error: str | None = None, cause: str | None = None,
                        started_at: datetime | float | None = None, finished_at: datetime | float | None = None,
                        secret_values: Collection[str] = ()) -> StepRun:
        """Record a step run in one go (e.g. ``skipped`` with the output it reused); output is redacted."""
        _check_step_status(status)
        d = self._deployment(deployment_id)
        clean, redacted = self._redacted(d.environment, output, secret_values)
        started = _us(started_at) if started_at is not None else self._now()
        ended = _us(finished_at) if finished_at is not None else (None if status == "running" else started)

        def attempt_write() -> StepRun:
            run_id = self._now() * 1000 + secrets.randbelow(1000)
            run = StepRun(run_id, deployment_id, step, type, status, it.to_datetime(started), it.to_datetime(ended),
                          attempt, fingerprint, clean, log_path, error, cause)
            item = it.step_item(run, started_us=started, redacted=redacted)
            pointer = {**it.run_key(run_id), **it.encode({"kind": "run", "deployment_id": deployment_id,
                                                          "step_sk": item["SK"]["S"]})}
            self._transact([{"Put": {"Item": item}},
                            {"Put": {"Item": pointer, "ConditionExpression": "attribute_not_exists(PK)"}}])
            return run

        run = self._retrying(attempt_write)
        if status in ("succeeded", "skipped"):
            self._remember_success(d.environment, d.distribution, d.revision, run, redacted)
        return run

    def finish_step_run(self, run_id: int, status: str, *, output: Any = None, error: str | None = None,
                        cause: str | None = None, secret_values: Collection[str] = ()) -> StepRun:
        """Record how a running step ended; ``output`` is stored with secrets redacted."""
        _check_step_status(status)
        pointer = self._get(it.run_key(run_id))
        if pointer is None:
            raise NotFoundError(f"step run {run_id} does not exist", where=f"step run {run_id}")
        deployment_id, sk = pointer["deployment_id"]["S"], pointer["step_sk"]["S"]
        d = self._deployment(deployment_id)
        clean, redacted = self._redacted(d.environment, output, secret_values)
        sets = ["#status = :status", "finished_at = :now", "redacted = :redacted"]
        values: dict[str, Any] = {":status": status, ":now": self._now(), ":redacted": redacted}
        names = {"#status": "status"}
        removes = []
        for name, value in (("output", None if clean is None else dumps(clean)), ("error", error), ("cause", cause)):
            names[f"#{name}"] = name
            if value is None:
                removes.append(f"#{name}")
            else:
                sets.append(f"#{name} = :{name}")
                values[f":{name}"] = value
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        new = self._update({"PK": {"S": f"DEP#{deployment_id}"}, "SK": {"S": sk}}, expression, values, names=names,
                           condition="attribute_exists(PK)")
        if new is None:
            raise NotFoundError(f"step run {run_id} does not exist", where=f"step run {run_id}")
        run = it.step_from_item(new)
        if status in ("succeeded", "skipped"):
            self._remember_success(d.environment, d.distribution, d.revision, run, redacted)
        return run

    def _redacted(self, environment: str, output: Any, extra: Collection[str]) -> tuple[Any, bool]:
        if output is None:
            return None, False
        text = dumps(output)
        secret_values = [*self._secrets(environment)[1], *extra]
        clean = redact_values(json.loads(text), secret_values)
        return clean, dumps(clean) != text

    def _remember_success(self, environment: str, distribution: str, revision: int, run: StepRun,
                          redacted: bool) -> None:
        """Point the step's reuse pointer at ``run`` unless a newer revision's run is there already."""
        sk = it.step_sk(it.to_us(run.started_at) or 0, run.step, run.attempt, run.id)
        self._update(it.reuse_key(environment, distribution, run.step),
                     "SET revision = :rev, run_id = :run, deployment_id = :dep, step_sk = :sk, fingerprint = :fp, "
                     "redacted = :redacted",
                     {":rev": revision, ":run": run.id, ":dep": run.deployment_id, ":sk": sk,
                      ":fp": run.fingerprint, ":redacted": redacted},
                     condition="attribute_not_exists(revision) OR revision < :rev OR "
                               "(revision = :rev AND run_id <= :run)")

    def step_runs(self, deployment_id: str) -> list[StepRun]:
        """Every step run of a deployment, in the order they started."""
        self._deployment(deployment_id)
        runs = [it.step_from_item(item) for item in self._query(f"DEP#{deployment_id}", begins="STEP#",
                                                                 consistent=True)]
        return sorted(runs, key=lambda r: r.id)

    def reusable_step_run(self, environment: str, distribution: str, step: str,
                          fingerprint: str) -> StepRun | None:
        """The last successful run of ``step`` in (environment, distribution), if its fingerprint matches
        and its output had nothing redacted (one read of the reuse pointer, one of the run)."""
        pointer = self._get(it.reuse_key(environment, distribution, step))
        if pointer is None:
            return None
        p = it.decode(pointer)
        if p.get("redacted") or p.get("fingerprint") != fingerprint:
            return None
        item = self._get({"PK": {"S": f"DEP#{p['deployment_id']}"}, "SK": {"S": p["step_sk"]}})
        if item is None:
            return None
        run = it.step_from_item(item)
        return run if run.status in ("succeeded", "skipped") else None

    # -- approvals ------------------------------------------------------------------------------------

    def request_approval(self, deployment_id: str, step: str, token: str) -> Approval:
        """Record that ``step`` waits for a manual approval (answered with ``token``); the deployment becomes
        ``waiting_approval`` in the same transaction."""
        def attempt() -> Approval:
            d = self._deployment(deployment_id)
            old = self.get_approval(deployment_id, step)
            if old is not None and not old.pending:
                raise ConflictError(f"step '{step}' was already {old.decision}",
                                    where=f"deployment {deployment_id}, step '{step}'")
            approval = Approval(deployment_id, step, token, it.to_datetime(self._now()))
            operations = [{"Put": {"Item": it.approval_item(approval, d.environment),
                                   "ConditionExpression": "attribute_not_exists(decision)"}}]
            if d.status != "waiting_approval":
                self._check_transition(d, "waiting_approval")
                operations.append({"Update": {
                    "Key": it.deployment_key(deployment_id), "UpdateExpression": "SET #status = :waiting",
                    "ConditionExpression": "#status = :old", "ExpressionAttributeNames": {"#status": "status"},
                    "ExpressionAttributeValues": {":waiting": "waiting_approval", ":old": d.status}}})
            self._transact(operations)
            return approval

        return self._retrying(attempt)

    def decide_approval(self, deployment_id: str, step: str, decision: str,
                        message: str | None = None) -> Approval:
        """Approve or abort a waiting step, once; returns the approval with the execution's task token."""
        if decision not in ("approved", "aborted"):
            raise DeploymentError(f"an approval is 'approved' or 'aborted', not {decision!r}",
                                  where=f"deployment {deployment_id}, step '{step}'")
        old = self.get_approval(deployment_id, step)
        if old is None:
            raise NotFoundError(f"step '{step}' of deployment {deployment_id} is not waiting for an approval",
                                where=f"deployment {deployment_id}",
                                hint="see which steps wait with `attini deploy describe`")
        if not old.pending:
            raise ConflictError(f"step '{step}' was already {old.decision} at {old.decided_at.isoformat()}",
                                where=f"deployment {deployment_id}, step '{step}'")
        sets = "SET decided_at = :now, decision = :decision" + (", #message = :message" if message is not None else "")
        values = {":now": self._now(), ":decision": decision}
        names = {"#decision": "decision"}
        sets = sets.replace("decision = :decision", "#decision = :decision")
        if message is not None:
            values[":message"] = message
            names["#message"] = "message"
        new = self._update(it.approval_key(deployment_id, step), sets + " REMOVE GSI1PK, GSI1SK", values,
                           names=names, condition="attribute_exists(PK) AND attribute_not_exists(#decision)")
        if new is None:
            again = self.get_approval(deployment_id, step)
            raise ConflictError(f"step '{step}' was already {again.decision if again else 'removed'}",
                                where=f"deployment {deployment_id}, step '{step}'")
        return it.approval_from_item(new)

    def get_approval(self, deployment_id: str, step: str) -> Approval | None:
        """The approval record of one step, or None."""
        item = self._get(it.approval_key(deployment_id, step))
        return None if item is None else it.approval_from_item(item)

    def pending_approvals(self, environment: str | None = None) -> list[Approval]:
        """Approvals nobody decided yet, oldest first (GSI1 ``PENDING#<env>``)."""
        names = [environment] if environment else self._environment_names()
        found = [it.approval_from_item(item) for name in names
                 for item in self._query(it.pending_pk(name), index="GSI1")]
        # the index may lag a decision by a moment: confirm each with a consistent read
        current = {(a.deployment_id, a.step): a for a in
                   (it.approval_from_item(i) for i in self._batch_get(
                       it.approval_key(a.deployment_id, a.step) for a in found))}
        out = [current[(a.deployment_id, a.step)] for a in found if (a.deployment_id, a.step) in current]
        return sorted((a for a in out if a.pending), key=lambda a: (a.requested_at, a.deployment_id))


def _check_step_status(status: str) -> None:
    if status not in STEP_STATUSES:
        raise DeploymentError(f"unknown step status {status!r}", hint=f"use one of {', '.join(STEP_STATUSES)}")


def _us(value: datetime | float) -> int:
    if isinstance(value, datetime):
        return it.to_us(value)
    return round(value * 1_000_000)

