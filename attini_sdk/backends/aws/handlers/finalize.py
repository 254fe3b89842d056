"""finalize: an execution of an Attini state machine ended → the deployment's status, outputs, inventory, lock.

Invoked by the EventBridge rule on "Step Functions Execution Status Change" (SUCCEEDED, FAILED, TIMED_OUT,
ABORTED) for this backend's state machines, or by the emulation. Idempotent: a deployment already finished
is left as it is. The execution's name is the deployment id::

    handler({"detail": {"executionArn": arn, "status": "SUCCEEDED"}}, None)

What it records, in the store's one transaction (``finish_deployment``): the status (``succeeded``,
``failed`` for FAILED and TIMED_OUT, ``aborted`` for ABORTED or a ManualApproval answered "abort"), the
final payload as outputs when it succeeded, error and cause (the failed step run's cause when Step Functions
carries none), inventory and lock release. Before that it closes what the execution left open: approvals
nobody answered (aborted) and step runs still marked running.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from attini_sdk.backends.records import DeploymentRecord
from attini_sdk.errors import AttiniError, NotFoundError

__all__ = ["handler", "finalize_execution", "deployment_status"]

log = logging.getLogger("attini.finalize")
_STATUS = {"SUCCEEDED": "succeeded", "FAILED": "failed", "TIMED_OUT": "failed", "ABORTED": "aborted"}


def deployment_status(execution_status: str, error: str | None) -> str:
    """The deployment status an execution's end means.

    >>> deployment_status("FAILED", "ManuallyAborted"), deployment_status("TIMED_OUT", None)
    ('aborted', 'failed')
    """
    status = _STATUS[execution_status]
    if status == "failed" and error == "ManuallyAborted":
        return "aborted"
    return status


def handler(event: dict, context: Any = None) -> dict:
    """The Lambda entry point: an EventBridge execution status change event."""
    from attini_sdk.backends.aws.handlers import backend_from_environment

    session, _, state = backend_from_environment()
    detail = event.get("detail") or {}
    record = finalize_execution(state, session, detail["executionArn"])
    return {"deployment_id": record.id if record else None, "status": record.status if record else None}


def finalize_execution(state, session, execution_arn: str, *, described: dict | None = None) -> DeploymentRecord | None:
    """Finish the deployment of a finished execution; None when the execution belongs to no deployment."""
    deployment_id = execution_arn.rsplit(":", 1)[-1]
    try:
        record = state.get_deployment(deployment_id)
    except NotFoundError:
        log.warning("execution %s belongs to no deployment", execution_arn)
        return None
    if record.finished:
        return record
    if described is None:
        described = session.client("stepfunctions").describe_execution(executionArn=execution_arn)
    if described["status"] == "RUNNING":
        return record
    error, cause = described.get("error"), described.get("cause")
    status = deployment_status(described["status"], error)
    _close_open_work(state, record.id, record.environment)
    if status != "succeeded" and not cause:
        cause = _failed_step_cause(state, record.id, error)
    if described["status"] == "TIMED_OUT" and not error:
        error = "States.Timeout"
    outputs = None
    if status == "succeeded" and described.get("output") is not None:
        outputs = json.loads(described["output"])
    lock = state.get_lock(record.environment, record.distribution)
    if lock is not None and lock.deployment_id != record.id:
        lock = None
    try:
        return state.finish_deployment(record.id, status, outputs=outputs, error=error, cause=cause, lock=lock)
    except AttiniError:
        again = state.get_deployment(record.id)
        if again.finished:  # finished by a concurrent finalize
            return again
        raise


def _close_open_work(state, deployment_id: str, environment: str) -> None:
    """Approvals nobody answered become aborted; step runs still running end aborted (cancelled with their
    branch, or their runner died)."""
    for approval in state.pending_approvals(environment):
        if approval.deployment_id == deployment_id and approval.pending:
            try:
                state.decide_approval(deployment_id, approval.step, "aborted",
                                      "the deployment ended before anyone answered")
            except AttiniError:
                pass
    for run in state.step_runs(deployment_id):
        if run.status == "running":
            state.finish_step_run(run.id, "aborted", error="DeploymentEnded",
                                  cause="the deployment ended while the step was in flight")


def _failed_step_cause(state, deployment_id: str, error: str | None) -> str | None:
    """The cause the last failed step run recorded (moto does not pass SendTaskFailure's cause on)."""
    failed = [r for r in state.step_runs(deployment_id) if r.status in ("failed", "aborted") and r.cause]
    matching = [r for r in failed if error is None or r.error == error]
    chosen = (matching or failed)[-1:]
    return chosen[0].cause if chosen else None
