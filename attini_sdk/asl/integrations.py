"""AWS service integrations through boto3 (its standard configuration: env vars, profiles,
``AWS_ENDPOINT_URL``...).

* ``arn:aws:states:::aws-sdk:<service>:<action>`` calls ``boto3.client(service).<snake_action>(**Parameters)``
  (PascalCase parameter names are matched to the API's own member names);
  AWS errors become ``<Service>.<ErrorCode>`` (``S3.NoSuchBucket``, ``DynamoDb.ResourceNotFoundException``).
* Optimised integrations: ``lambda:invoke``, ``dynamodb:getItem|putItem|updateItem|deleteItem``,
  ``sqs:sendMessage``, ``sns:publish``; errors named ``Lambda.*``, ``DynamoDB.*``, ``SQS.*``, ``SNS.*``.
* ``.waitForTaskToken``: the call is made (pass ``$$.Task.Token`` in it), then the task waits
  for ``send_task_success``.
* Jobs (:mod:`attini_sdk.asl.jobs`): ``states:startExecution``, ``batch:submitJob``, ``ecs:runTask``,
  ``glue:startJobRun``, ``codebuild:startBuild``; with ``.sync`` the Task waits for the job to end.
  The integrations above have no job to wait for: ``.sync`` on them is a ``States.Runtime`` error.

    >>> snake("PutItem"), snake("ListObjectsV2"), snake("GetSSHPublicKey")
    ('put_item', 'list_objects_v2', 'get_ssh_public_key')
    >>> error_prefix("DynamoDB"), error_prefix("EC2"), error_prefix("Secrets Manager")
    ('DynamoDb', 'Ec2', 'SecretsManager')
"""

from __future__ import annotations

import base64
import datetime
import json
import re
from collections.abc import Callable
from typing import Any

from attini_sdk.asl.failures import Failure, TaskFailed, WaitForCallback
from attini_sdk.asl.resources import TaskInvocation, split_pattern

__all__ = ["default_handlers", "JOB_RESOURCES", "aws_sdk", "snake", "error_prefix", "client_for", "call_api", "OPTIMISED"]

SDK_PREFIX = "arn:aws:states:::aws-sdk:"

# aws-sdk service names that differ from boto3's
_SERVICE_ALIASES = {"sfn": "stepfunctions", "states": "stepfunctions", "elasticloadbalancingv2": "elbv2",
                    "cloudwatchlogs": "logs", "cloudwatch": "cloudwatch"}


def snake(action: str) -> str:
    """PascalCase API action → boto3 method name."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", action)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    return s.lower()


def error_prefix(service_id: str) -> str:
    """A boto3 ``service_id`` in the PascalCase Step Functions uses as an error prefix."""
    words = []
    for word in service_id.split():
        words.append("".join(c.lower() if i and word[i - 1].isupper() and c.isupper() else c
                             for i, c in enumerate(word)))
    return "".join(w[:1].upper() + w[1:] for w in words)


def client_for(service: str):
    """A boto3 client for an ASL service name (``sfn``/``states`` → ``stepfunctions``)."""
    import boto3

    return boto3.client(_SERVICE_ALIASES.get(service.lower(), service))


def _plain(value: Any) -> Any:
    """A boto3 response as JSON: datetimes as ISO text, bytes and streams as text."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            return base64.b64encode(value).decode("ascii")
    if hasattr(value, "read"):
        return _plain(value.read())
    if hasattr(value, "as_tuple"):  # Decimal from DynamoDB resources
        return int(value) if value == int(value) else float(value)
    return value


def call_api(client, method: str, params: dict, prefix: str):
    """Call ``client.<method>(**params)``; AWS errors become ``TaskFailed("<prefix>.<Code>", message)``."""
    from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

    fn = getattr(client, method, None)
    if fn is None:
        raise TaskFailed(f"{prefix}.UnknownOperation", f"the {prefix} API has no operation {method!r}")
    try:
        return fn(**(params or {}))
    except ClientError as err:
        code = err.response.get("Error", {}).get("Code", "Unknown")
        message = err.response.get("Error", {}).get("Message", str(err))
        raise TaskFailed(f"{prefix}.{code}", message) from None
    except ParamValidationError as err:
        raise TaskFailed(f"{prefix}.ValidationException", str(err)) from None
    except BotoCoreError as err:
        raise TaskFailed(f"{prefix}.SdkClientException", str(err)) from None


def _check_pattern(invocation: TaskInvocation) -> None:
    if split_pattern(invocation.resource)[1] == "sync":
        raise Failure("States.Runtime", f"Resource '{invocation.resource}' does not support the .sync pattern "
                                        "(only job integrations such as states:startExecution or ecs:runTask do)")


def _finish(invocation: TaskInvocation, result):
    if split_pattern(invocation.resource)[1] == "waitForTaskToken":
        raise WaitForCallback()
    return result


def aws_sdk(invocation: TaskInvocation):
    """``arn:aws:states:::aws-sdk:<service>:<action>``: any boto3 API call."""
    _check_pattern(invocation)
    base, _ = split_pattern(invocation.resource)
    service, _, action = base[len(SDK_PREFIX):].partition(":")
    if not service or not action:
        raise Failure("States.Runtime", f"cannot read service and action from Resource '{invocation.resource}'")
    params = invocation.input if isinstance(invocation.input, dict) else {}
    client = client_for(service)
    prefix = error_prefix(client.meta.service_model.service_id)
    params = _members_of(client, action, params)
    return _finish(invocation, _plain(call_api(client, snake(action), params, prefix)))


def _members_of(client, action: str, params: dict) -> dict:
    """Step Functions writes parameters in PascalCase (``Cluster``); camelCase APIs want ``cluster``."""
    from attini_sdk.asl.jobs import to_request

    names = {name.lower(): name for name in client.meta.service_model.operation_names}
    operation = names.get(action.lower())
    if operation is None:
        return params
    return to_request(client.meta.service_model.operation_model(operation).input_shape, params)


def _lambda_invoke(invocation: TaskInvocation):
    _check_pattern(invocation)
    params = dict(invocation.input or {})
    payload = params.get("Payload")
    if payload is not None and not isinstance(payload, (str, bytes)):
        params["Payload"] = json.dumps(payload)
    response = call_api(client_for("lambda"), "invoke", params, "Lambda")
    body = response.get("Payload")
    text = body.read().decode("utf-8") if hasattr(body, "read") else (body or b"").decode("utf-8") \
        if isinstance(body, bytes) else body
    try:
        parsed = json.loads(text) if text else None
    except ValueError:
        parsed = text
    if response.get("FunctionError"):
        error = parsed.get("errorType") if isinstance(parsed, dict) and parsed.get("errorType") else "Lambda.Unknown"
        raise TaskFailed(error, text)
    result = _plain({k: v for k, v in response.items() if k != "Payload"})
    result["Payload"] = parsed
    return _finish(invocation, result)


def _service_call(service: str, method: str, prefix: str, json_fields: tuple[str, ...] = ()):
    def handler(invocation: TaskInvocation):
        _check_pattern(invocation)
        params = dict(invocation.input or {})
        for field in json_fields:
            if field in params and not isinstance(params[field], str):
                params[field] = json.dumps(params[field], separators=(",", ":"))
        return _finish(invocation, _plain(call_api(client_for(service), method, params, prefix)))
    handler.__name__ = f"{service}_{method}"
    handler.__doc__ = f"``arn:aws:states:::{service}:{method}`` through boto3."
    return handler


OPTIMISED = {
    "arn:aws:states:::lambda:invoke": _lambda_invoke,
    "arn:aws:states:::dynamodb:getItem": _service_call("dynamodb", "get_item", "DynamoDB"),
    "arn:aws:states:::dynamodb:putItem": _service_call("dynamodb", "put_item", "DynamoDB"),
    "arn:aws:states:::dynamodb:updateItem": _service_call("dynamodb", "update_item", "DynamoDB"),
    "arn:aws:states:::dynamodb:deleteItem": _service_call("dynamodb", "delete_item", "DynamoDB"),
    "arn:aws:states:::sqs:sendMessage": _service_call("sqs", "send_message", "SQS", ("MessageBody",)),
    "arn:aws:states:::sns:publish": _service_call("sns", "publish", "SNS", ("Message",)),
}


JOB_RESOURCES: dict[str, str] = {
    "arn:aws:states:::states:startExecution": "stepfunctions_StartExecution",
    "arn:aws:states:::batch:submitJob": "batch_SubmitJob",
    "arn:aws:states:::ecs:runTask": "ecs_RunTask",
    "arn:aws:states:::glue:startJobRun": "glue_StartJobRun",
    "arn:aws:states:::codebuild:startBuild": "codebuild_StartBuild",
}
"""The job integrations' resources and handler names (:data:`attini_sdk.asl.jobs.KINDS`; a test keeps them
equal), so that an engine registers them without loading :mod:`attini_sdk.asl.jobs` until a plan runs one."""


def _job(resource: str) -> Callable:
    def handler(invocation):
        from attini_sdk.asl.jobs import KINDS, run_job

        return run_job(KINDS[resource], invocation)

    handler.__name__ = JOB_RESOURCES[resource]
    handler.__doc__ = f"``{resource}``: :func:`attini_sdk.asl.jobs.run_job`, loaded when a Task first runs it."
    return handler


def default_handlers() -> dict:
    """The handlers every Engine starts with (the caller's ``resources`` override them).

    >>> sorted(name for name in default_handlers() if "batch" in name)
    ['arn:aws:states:::batch:submitJob']
    """
    return {SDK_PREFIX: aws_sdk, **OPTIMISED, **{resource: _job(resource) for resource in JOB_RESOURCES}}
