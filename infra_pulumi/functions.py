"""The two Lambda functions and what triggers them.

* ``init-deploy`` reads ``deploy-events`` (one message per invocation, failures reported per item,
  so a bad upload is retried alone and ends in the DLQ after five receives).
* ``finalize`` runs on EventBridge's "Step Functions Execution Status Change" events for
  SUCCEEDED, FAILED, TIMED_OUT and ABORTED, only for state machines named ``<prefix>-*`` in this
  account and region.

Code: the repository's ``attini_sdk`` folder as the function package, and the third-party
dependencies as a layer that :mod:`infra_pulumi.build` assembles with pip at `pulumi up` time.
"""

from __future__ import annotations

import json

import attrs
import pulumi
import pulumi_aws as aws

from .naming import Names
from .wiring import child, pick

__all__ = ["Functions", "backend_functions", "log_group", "execution_status_pattern",
           "INIT_DEPLOY_HANDLER", "FINALIZE_HANDLER", "INIT_DEPLOY_TIMEOUT", "RUNTIME"]

RUNTIME = "python3.11"
INIT_DEPLOY_HANDLER = "attini_sdk.backends.aws.handlers.init_deploy.handler"
FINALIZE_HANDLER = "attini_sdk.backends.aws.handlers.finalize.handler"
INIT_DEPLOY_TIMEOUT = 300
FINALIZE_TIMEOUT = 120
FINAL_STATUSES = ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"]


@attrs.frozen
class Functions:
    init_deploy: aws.lambda_.Function
    finalize: aws.lambda_.Function
    event_rule: aws.cloudwatch.EventRule
    wiring: tuple[pulumi.Resource, ...]


@attrs.frozen
class FunctionSettings:
    code_path: str
    layer_path: str | None
    parameter_name: str
    log_retention_days: int
    xray: bool


def log_group(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], purpose: str,
              days: int) -> aws.cloudwatch.LogGroup:
    """A log group named by :meth:`Names.log_group`, kept ``days`` days."""
    return aws.cloudwatch.LogGroup(f"{name}-{purpose}-logs", name=pick(names, lambda n: n.log_group(purpose)),
                                   retention_in_days=days, opts=child(parent))


def execution_status_pattern(n: Names) -> dict:
    """The EventBridge pattern for the end of this backend's executions.

    >>> execution_status_pattern(Names("attini", "123456789012", "eu-west-1"))["detail"]["stateMachineArn"]
    [{'prefix': 'arn:aws:states:eu-west-1:123456789012:stateMachine:attini-'}]
    """
    return {"source": ["aws.states"], "detail-type": ["Step Functions Execution Status Change"],
            "detail": {"status": list(FINAL_STATUSES), "stateMachineArn": [{"prefix": n.state_machine_arn_prefix}]}}


def backend_functions(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], s: FunctionSettings, *,
                      init_deploy_role: aws.iam.Role, finalize_role: aws.iam.Role, deploy_events: aws.sqs.Queue,
                      grants: tuple[pulumi.Resource, ...]) -> Functions:
    code = pulumi.AssetArchive({"attini_sdk": pulumi.FileArchive(s.code_path)})
    layers = [_layer(name, parent, names, s.layer_path).arn] if s.layer_path else []

    def function(purpose, handler, role, timeout, memory):
        logs = log_group(name, parent, names, purpose, s.log_retention_days)
        return aws.lambda_.Function(
            f"{name}-{purpose}", name=pick(names, lambda n: f"{n.prefix}-{purpose}"), runtime=RUNTIME,
            handler=handler, role=role.arn, code=code, layers=layers, timeout=timeout, memory_size=memory,
            environment={"variables": {"ATTINI_BACKEND_PARAMETER": s.parameter_name}},
            tracing_config={"mode": "Active" if s.xray else "PassThrough"},
            opts=child(parent, depends_on=[logs, *grants]))

    init_deploy = function("init-deploy", INIT_DEPLOY_HANDLER, init_deploy_role, INIT_DEPLOY_TIMEOUT, 1024)
    finalize = function("finalize", FINALIZE_HANDLER, finalize_role, FINALIZE_TIMEOUT, 512)
    source = aws.lambda_.EventSourceMapping(
        f"{name}-init-deploy-source", event_source_arn=deploy_events.arn, function_name=init_deploy.arn,
        batch_size=1, function_response_types=["ReportBatchItemFailures"], opts=child(parent, depends_on=list(grants)))
    rule = aws.cloudwatch.EventRule(
        f"{name}-execution-status", name=pick(names, lambda n: n.event_rule),
        description="attini: Step Functions executions of this backend ended -> finalize",
        event_pattern=pick(names, lambda n: json.dumps(execution_status_pattern(n))), opts=child(parent))
    permission = aws.lambda_.Permission(
        f"{name}-finalize-from-events", action="lambda:InvokeFunction", function=finalize.name,
        principal="events.amazonaws.com", source_arn=rule.arn, opts=child(parent))
    target = aws.cloudwatch.EventTarget(f"{name}-execution-status-target", rule=rule.name, arn=finalize.arn,
                                        target_id="finalize", opts=child(parent, depends_on=[permission]))
    return Functions(init_deploy=init_deploy, finalize=finalize, event_rule=rule, wiring=(source, permission, target))


def _layer(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], path: str) -> aws.lambda_.LayerVersion:
    """The dependency layer; ``path`` holds ``python/<packages>`` as Lambda expects."""
    return aws.lambda_.LayerVersion(
        f"{name}-dependencies", layer_name=pick(names, lambda n: f"{n.prefix}-dependencies"),
        code=pulumi.FileArchive(path), compatible_runtimes=[RUNTIME], opts=child(parent))
