"""ManualApproval (``attini:approval``): pause the deployment until a person approves or aborts it.

The executor cannot wait by itself: a deployment may wait for days, with no process attached. It
raises :class:`ApprovalRequired`; the host turns that into a paused task (the local orchestrator
records the approval with the engine's task token and parks the deployment's lock; on AWS the
token goes to the store the same way). The answer comes back later, from any process::

    >>> try:
    ...     execute({"Message": "Release 1.2 to prod?"}, {}, None, step="Approve", log=None)
    ... except ApprovalRequired as wait:
    ...     (wait.step, wait.message)
    ('Approve', 'Release 1.2 to prod?')
    >>> approved("ship it")
    {'message': 'ship it'}
    >>> aborted("Approve", "not today").error
    'ManuallyAborted'

An approved step's result (at ``$.output.<Step>``) is ``{"message": ...}``; an aborted one fails
with error ``ManuallyAborted`` (Attini's name), which a plan may ``Catch``.
"""

from __future__ import annotations

import threading
from typing import Any

from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog

__all__ = ["RESOURCE", "ABORTED", "ApprovalRequired", "execute", "approved", "aborted"]

RESOURCE = "attini:approval"
ABORTED = "ManuallyAborted"
"""The ASL error an aborted approval fails with."""

_PROPERTIES = {"Message"}


class ApprovalRequired(Exception):
    """Raised by :func:`execute`: the step waits for a decision (``message`` says what is asked).

    >>> str(ApprovalRequired("Approve", "Go?"))
    "step 'Approve' waits for a manual approval: Go?"
    """

    def __init__(self, step: str, message: str | None):
        self.step = step
        self.message = message
        super().__init__(f"step '{step}' waits for a manual approval" + (f": {message}" if message else ""))


def execute(
    properties: dict,
    payload: Any,
    ctx: DeploymentContext | None,
    *,
    step: str,
    log: StepLog | None,
    cancelled: threading.Event | None = None,
) -> Any:
    """Ask for an approval: always raises :class:`ApprovalRequired` (or ``StepFailed`` for bad properties)."""
    unknown = set(properties or {}) - _PROPERTIES
    if unknown:
        what = f"unknown ManualApproval propert{'ies' if len(unknown) > 1 else 'y'}: {', '.join(sorted(unknown))}"
        raise StepFailed(what, step=step, error="Approval.ConfigError", cause=what,
                         where=f"step '{step}': Properties", hint="a ManualApproval takes only Message")
    message = (properties or {}).get("Message")
    message = None if message is None else str(message)
    if log is not None:
        log.info("waiting for a manual approval" + (f": {message}" if message else ""))
    raise ApprovalRequired(step, message)


def approved(message: str | None = None) -> dict:
    """The result of an approved step.

    >>> approved()
    {'message': None}
    """
    return {"message": message}


def aborted(step: str, message: str | None = None) -> StepFailed:
    """The failure of an aborted step (error ``ManuallyAborted``, the message as cause).

    >>> aborted("Approve").cause
    "step 'Approve' was aborted"
    """
    cause = message or f"step '{step}' was aborted"
    return StepFailed(f"step '{step}' was manually aborted", step=step, error=ABORTED, cause=cause,
                      hint="deploy again when it may go ahead")
