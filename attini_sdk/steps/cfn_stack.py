"""CloudFormation stack operations for the Cfn step: change sets, waits, failures, deletes.

Everything here takes a boto3 CloudFormation client, so it runs the same against AWS and
against an emulator. Waiting polls ``DescribeStacks`` and honours the step's ``cancelled``
event between polls::

    >>> settled("UPDATE_COMPLETE"), settled("UPDATE_IN_PROGRESS"), settled("REVIEW_IN_PROGRESS")
    (True, False, True)
"""

from __future__ import annotations

import threading
import time
import uuid

import attrs

from attini_sdk.steps.base import StepFailed, StepLog, raise_if_cancelled

__all__ = [
    "StackRequest",
    "NO_CHANGES",
    "SUCCEEDED",
    "settled",
    "describe_stack",
    "wait_until_settled",
    "failure_reasons",
    "stack_outputs",
    "deploy_with_change_set",
    "preview_changes",
    "deploy_directly",
    "delete_stack",
    "api_failure",
]

SUCCEEDED = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
NO_CHANGES = "NO_CHANGES"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"]
POLL_DELAYS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0)
MAX_POLL_DELAY = 5.0
_NO_CHANGE_MESSAGES = ("No updates are to be performed", "didn't contain changes")
_OPERATION_STARTS = {"CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS", "DELETE_IN_PROGRESS", "IMPORT_IN_PROGRESS"}


@attrs.frozen
class StackRequest:
    """What to deploy: a stack's template (body or URL), parameters, tags and options.

    >>> StackRequest("app", body="{}").template_args()
    {'TemplateBody': '{}'}
    """

    stack_name: str
    body: str | None = None
    url: str | None = None
    parameters: list = attrs.field(factory=list)
    tags: list = attrs.field(factory=list)
    role_arn: str | None = None
    on_failure: str | None = None
    termination_protection: bool = False
    description: str = "attini deployment"

    def template_args(self) -> dict:
        return {"TemplateBody": self.body} if self.body is not None else {"TemplateURL": self.url}

    def common_args(self) -> dict:
        args = {"StackName": self.stack_name, **self.template_args(), "Parameters": self.parameters,
                "Tags": self.tags, "Capabilities": CAPABILITIES}
        if self.role_arn:
            args["RoleARN"] = self.role_arn
        return args


def settled(status: str) -> bool:
    """True when no operation is running on a stack in ``status``."""
    return status == "REVIEW_IN_PROGRESS" or not status.endswith("_IN_PROGRESS")


def _no_changes(message: str) -> bool:
    return any(text in (message or "") for text in _NO_CHANGE_MESSAGES)


def api_failure(exc: Exception, *, step: str, doing: str, hint: str | None = None) -> StepFailed:
    """A CloudFormation API error as the step's failure."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") or type(exc).__name__
    return StepFailed(
        f"CloudFormation refused to {doing}: {exc}",
        step=step,
        error="Cfn.ApiError",
        cause=f"{code}: {exc}",
        hint=hint or "read the message above; it is CloudFormation's own",
    )


def describe_stack(cf, name_or_id: str) -> dict | None:
    """The stack's description, or None when no such (live) stack exists."""
    from botocore.exceptions import ClientError

    try:
        return cf.describe_stacks(StackName=name_or_id)["Stacks"][0]
    except ClientError as exc:
        if "does not exist" in str(exc):
            return None
        raise


def _pause(cancelled: threading.Event | None, seconds: float) -> None:
    if cancelled is None:
        time.sleep(seconds)
    else:
        cancelled.wait(seconds)


def wait_until_settled(cf, stack_id: str, *, step: str, log: StepLog,
                       cancelled: threading.Event | None) -> dict:
    """Poll until no operation runs on the stack; log each status it passes through."""
    delays = iter(POLL_DELAYS)
    last = None
    while True:
        raise_if_cancelled(cancelled, step, f"waiting for stack {stack_id}")
        stack = cf.describe_stacks(StackName=stack_id)["Stacks"][0]
        status = stack["StackStatus"]
        if status != last:
            log.info(f"stack {stack['StackName']}: {status}")
            last = status
        if settled(status):
            return stack
        _pause(cancelled, next(delays, MAX_POLL_DELAY))


def failure_reasons(cf, stack_id: str, *, limit: int = 10) -> list[str]:
    """Why the latest operation on a stack failed: its ``*_FAILED`` events, oldest first.

    Reads events newest-first back to the stack-level event that started the operation.
    """
    reasons = []
    for page in cf.get_paginator("describe_stack_events").paginate(StackName=stack_id):
        for event in page["StackEvents"]:
            status = event.get("ResourceStatus", "")
            # the stack's own event, not a nested stack's (those share the resource type)
            is_stack = (event.get("ResourceType") == "AWS::CloudFormation::Stack"
                        and event.get("LogicalResourceId") == event.get("StackName"))
            if is_stack and status in _OPERATION_STARTS:
                return list(reversed(reasons))[:limit]
            if status.endswith("_FAILED") and event.get("ResourceStatusReason"):
                reasons.append(f"{event['LogicalResourceId']} ({event.get('ResourceType', '?')}): "
                               f"{event['ResourceStatusReason']}")
    return list(reversed(reasons))[:limit]


def stack_outputs(stack: dict) -> dict[str, str]:
    """A stack's outputs as ``{OutputKey: OutputValue}``.

    >>> stack_outputs({"Outputs": [{"OutputKey": "VpcId", "OutputValue": "vpc-1"}]})
    {'VpcId': 'vpc-1'}
    """
    return {o["OutputKey"]: o.get("OutputValue") for o in stack.get("Outputs") or []}


def _wait_for_change_set(cf, change_set_id: str, *, step: str, cancelled) -> dict:
    delays = iter(POLL_DELAYS)
    while True:
        raise_if_cancelled(cancelled, step, "waiting for the change set")
        change_set = cf.describe_change_set(ChangeSetName=change_set_id)
        if change_set["Status"] in ("CREATE_COMPLETE", "FAILED", "DELETE_COMPLETE", "DELETE_FAILED"):
            return change_set
        _pause(cancelled, next(delays, MAX_POLL_DELAY))


def _log_changes(change_set: dict, log: StepLog) -> None:
    changes = [c.get("ResourceChange", {}) for c in change_set.get("Changes") or []]
    log.info(f"change set {change_set['ChangeSetName']}: {len(changes)} change(s)")
    for change in changes:
        log.info(f"  {change.get('Action', '?')} {change.get('LogicalResourceId')} ({change.get('ResourceType')})")


def deploy_with_change_set(cf, request: StackRequest, *, create: bool, step: str, log: StepLog,
                           cancelled: threading.Event | None) -> dict | str:
    """Create a change set, wait, execute, wait; return the settled stack or ``NO_CHANGES``."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError  # emulators' error bodies can be unparsable

    created = _create_change_set(cf, request, create=create, name="attini", step=step)
    if created is None:
        return NO_CHANGES
    change_set = _wait_for_change_set(cf, created["Id"], step=step, cancelled=cancelled)
    if change_set["Status"] != "CREATE_COMPLETE":
        reason = change_set.get("StatusReason") or change_set["Status"]
        if _no_changes(reason):
            _forget_change_set(cf, created["Id"])
            return NO_CHANGES
        raise _change_set_failed(request, reason, step)
    _log_changes(change_set, log)
    try:
        cf.execute_change_set(ChangeSetName=created["Id"])
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        raise api_failure(exc, step=step, doing=f"execute the change set of stack {request.stack_name}") from exc
    return wait_until_settled(cf, created["StackId"], step=step, log=log, cancelled=cancelled)


def preview_changes(cf, request: StackRequest, *, step: str,
                    cancelled: threading.Event | None) -> list[dict] | None:
    """The resource changes an update of an existing stack to ``request`` would make: a change set is created,
    read and deleted, nothing is executed. None when CloudFormation finds no changes; a list (empty for a
    change of parameters or outputs only) when it would update the stack.

    Raises :class:`StepFailed` (``Cfn.ChangeSetFailed``) when the change set fails for another reason.
    """
    created = _create_change_set(cf, request, create=False, name="attini-diff", step=step)
    if created is None:
        return None
    try:
        change_set = _wait_for_change_set(cf, created["Id"], step=step, cancelled=cancelled)
    finally:
        _forget_change_set(cf, created["Id"])
    if change_set["Status"] == "CREATE_COMPLETE":
        return [c.get("ResourceChange", {}) for c in change_set.get("Changes") or []]
    reason = change_set.get("StatusReason") or change_set["Status"]
    if _no_changes(reason):
        return None
    raise _change_set_failed(request, reason, step)


def _create_change_set(cf, request: StackRequest, *, create: bool, name: str, step: str) -> dict | None:
    """CreateChangeSet's answer (``Id``, ``StackId``), or None when CloudFormation says there is nothing to do."""
    from botocore.exceptions import ClientError

    args = {**request.common_args(), "ChangeSetName": f"{name}-{uuid.uuid4().hex[:24]}",
            "ChangeSetType": "CREATE" if create else "UPDATE", "Description": request.description[:1024]}
    if create and request.on_failure:
        args["OnStackFailure"] = request.on_failure
    try:
        return cf.create_change_set(**args)
    except ClientError as exc:
        if _no_changes(str(exc)):
            return None
        raise api_failure(exc, step=step, doing=f"create a change set for stack {request.stack_name}") from exc


def _change_set_failed(request: StackRequest, reason: str, step: str) -> StepFailed:
    return StepFailed(f"change set for stack {request.stack_name} failed: {reason}", step=step,
                      error="Cfn.ChangeSetFailed", cause=reason,
                      hint="fix the template or parameters; the stack itself was not changed")


def _forget_change_set(cf, change_set_id: str) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        cf.delete_change_set(ChangeSetName=change_set_id)
    except (ClientError, BotoCoreError):  # an empty change set left behind is harmless
        pass


def deploy_directly(cf, request: StackRequest, *, create: bool, step: str, log: StepLog,
                    cancelled: threading.Event | None) -> dict | str:
    """CreateStack or UpdateStack, then wait; for endpoints whose change sets are incomplete."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError  # emulators' error bodies can be unparsable

    args = request.common_args()
    try:
        if create:
            if request.on_failure:
                args["OnFailure"] = request.on_failure
            args["EnableTerminationProtection"] = request.termination_protection
            stack_id = cf.create_stack(**args)["StackId"]
        else:
            stack_id = cf.update_stack(**args)["StackId"]
    except ClientError as exc:
        if not create and _no_changes(str(exc)):
            return NO_CHANGES
        raise api_failure(exc, step=step, doing=f"{'create' if create else 'update'} stack {request.stack_name}") from exc
    except (BotoCoreError, ResponseParserError) as exc:
        raise api_failure(exc, step=step, doing=f"{'create' if create else 'update'} stack {request.stack_name}") from exc
    log.info(f"{'creating' if create else 'updating'} stack {request.stack_name}")
    return wait_until_settled(cf, stack_id, step=step, log=log, cancelled=cancelled)


def delete_stack(cf, stack: dict, *, role_arn: str | None, step: str, log: StepLog,
                 cancelled: threading.Event | None) -> None:
    """Delete a stack and wait until it is gone; a failed delete says which resources stayed."""
    from botocore.exceptions import BotoCoreError, ClientError

    args = {"StackName": stack["StackId"]}
    if role_arn:
        args["RoleARN"] = role_arn
    log.info(f"deleting stack {stack['StackName']} ({stack['StackStatus']})")
    try:
        cf.delete_stack(**args)
    except (ClientError, BotoCoreError) as exc:
        hint = None
        if "TerminationProtection" in str(exc):
            hint = "set EnableTerminationProtection: false on the step first, deploy, then delete"
        raise api_failure(exc, step=step, doing=f"delete stack {stack['StackName']}", hint=hint) from exc
    final = wait_until_settled(cf, stack["StackId"], step=step, log=log, cancelled=cancelled)
    if final["StackStatus"] != "DELETE_COMPLETE":
        reasons = failure_reasons(cf, stack["StackId"])
        raise StepFailed(
            f"stack {stack['StackName']} could not be deleted: {final['StackStatus']}",
            step=step, error="Cfn.StackFailed", cause="\n".join(reasons) or final.get("StackStatusReason"),
            hint="resolve the resources listed in the cause, then run the step again",
        )
