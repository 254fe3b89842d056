"""LambdaInvoke (``attini:lambda-invoke``): invoke a Lambda function; result ``{"result": payload}``.

Properties are those of Step Functions' ``lambda:invoke``: ``FunctionName`` (required),
``Payload`` (default: the whole state input), ``InvocationType``, ``ClientContext``,
``Qualifier``::

    result = execute({"FunctionName": "dev-counter"}, payload, ctx, step="Count", log=log)
    # {"result": {"count": 3}}

Errors are named as Step Functions names them, so existing Retry/Catch rules keep working:
a function error is its ``errorType`` (``Lambda.Unknown`` when it has none), a Lambda API
error is ``Lambda.<ExceptionName>`` (e.g. ``Lambda.ResourceNotFoundException``).
"""

from __future__ import annotations

import base64
import json
import threading

from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog, raise_if_cancelled

__all__ = ["execute", "RESOURCE", "parse_payload", "function_error"]

RESOURCE = "attini:lambda-invoke"
_PROPERTIES = {"FunctionName", "Payload", "InvocationType", "ClientContext", "Qualifier"}
_INVOCATION_TYPES = ("RequestResponse", "Event", "DryRun")


def _config_error(what: str, *, step: str, hint: str) -> StepFailed:
    return StepFailed(what, step=step, error="Lambda.ConfigError", cause=what,
                      where=f"step '{step}': Parameters", hint=hint)


def _request(properties: dict, payload, *, step: str) -> dict:
    unknown = set(properties) - _PROPERTIES
    if unknown:
        raise _config_error("unknown LambdaInvoke propert" + ("ies: " if len(unknown) > 1 else "y: ")
                            + ", ".join(sorted(unknown)), step=step,
                            hint="known: " + ", ".join(sorted(_PROPERTIES)))
    if not properties.get("FunctionName"):
        raise _config_error("LambdaInvoke needs FunctionName", step=step,
                            hint="e.g. FunctionName.$: $.output.DeployLambda.FunctionName")
    kind = properties.get("InvocationType", "RequestResponse")
    if kind not in _INVOCATION_TYPES:
        raise _config_error(f"InvocationType '{kind}' is not one of {', '.join(_INVOCATION_TYPES)}",
                            step=step, hint="use RequestResponse (wait for the result) or Event (fire and forget)")
    body = properties["Payload"] if "Payload" in properties else payload
    request = {"FunctionName": str(properties["FunctionName"]), "InvocationType": kind,
               "Payload": json.dumps(body, default=str).encode()}
    if properties.get("Qualifier"):
        request["Qualifier"] = str(properties["Qualifier"])
    context = properties.get("ClientContext")
    if context:
        # The API takes base64 JSON; a mapping is encoded for the author, a string passes as is.
        request["ClientContext"] = (base64.b64encode(json.dumps(context).encode()).decode()
                                    if isinstance(context, dict) else str(context))
    return request


def parse_payload(raw: bytes):
    """A function's response: JSON when it is JSON, else its text; empty is None.

    >>> parse_payload(b'{"ok": true}'), parse_payload(b"plain"), parse_payload(b"")
    ({'ok': True}, 'plain', None)
    """
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def function_error(response_payload, header: str) -> tuple[str, str]:
    """(error name, cause) for a function error, named as Step Functions names it.

    >>> function_error({"errorType": "ValueError", "errorMessage": "bad"}, "Unhandled")[0]
    'ValueError'
    >>> function_error(None, "Unhandled")[0]
    'Lambda.Unknown'
    """
    name = response_payload.get("errorType") if isinstance(response_payload, dict) else None
    cause = json.dumps(response_payload) if response_payload is not None else f"FunctionError: {header}"
    return name or "Lambda.Unknown", cause


def execute(
    properties: dict,
    payload,
    ctx: DeploymentContext,
    *,
    step: str,
    log: StepLog,
    cancelled: threading.Event | None = None,
) -> dict:
    """Invoke the function and return ``{"result": <its parsed response>}``."""
    from botocore.exceptions import BotoCoreError, ClientError

    request = _request(properties, payload, step=step)
    raise_if_cancelled(cancelled, step, "about to invoke the function")
    log.info(f"invoking {request['FunctionName']} ({request['InvocationType']})")
    try:
        response = ctx.aws.client("lambda").invoke(**request)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code", "ServiceException")
        raise StepFailed(f"cannot invoke Lambda function {request['FunctionName']}: {exc}",
                         step=step, error=f"Lambda.{code}", cause=str(exc),
                         hint="check the function name, region and the deploying credentials") from exc
    except BotoCoreError as exc:
        raise StepFailed(f"cannot reach Lambda to invoke {request['FunctionName']}: {exc}",
                         step=step, error="Lambda.SdkClientException", cause=str(exc),
                         hint="check the region and endpoint configuration") from exc
    result = parse_payload(response["Payload"].read()) if "Payload" in response else None
    if response.get("FunctionError"):
        error, cause = function_error(result, response["FunctionError"])
        log.info(f"function {request['FunctionName']} failed: {error}")
        raise StepFailed(f"Lambda function {request['FunctionName']} failed with {error}",
                         step=step, error=error, cause=cause,
                         hint="read the function's logs; Retry/Catch can match the error name")
    log.info(f"function {request['FunctionName']} answered (status {response.get('StatusCode')})")
    return {"result": result}
