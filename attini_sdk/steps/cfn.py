"""Cfn (``attini:cfn``): create, update or delete a CloudFormation stack; result = its outputs.

The step's configuration is layered (ConfigFile chain, inline Properties, Variables; see
:mod:`attini_sdk.steps.cfn_config`), parameters are resolved (SSM values, fallbacks, the
framework parameters its template declares), then the stack is brought to the template::

    result = execute({"StackName": "dev-network", "Template": "/network.yaml",
                      "OutputPath": "network"}, payload, ctx, step="Network", log=log)
    # {"network": {"VpcId": "vpc-0abc", ...}}

Against AWS a deploy is CreateChangeSet → wait → ExecuteChangeSet → wait. Against an
emulator (an endpoint URL is configured) it is CreateStack/UpdateStack, because emulators'
change sets do not resolve stack outputs; ``AwsSettings(change_sets=...)`` overrides either.
A stack in ``ROLLBACK_COMPLETE`` (a failed first create) is deleted and created again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
import threading

from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog
from attini_sdk.steps.cfn_config import StackConfig, resolve_config
from attini_sdk.steps.cfn_params import (
    framework_values,
    resolve_values,
    stack_parameters,
    stack_tags,
)
from attini_sdk.steps.cfn_template import (
    MAX_BODY_BYTES,
    Template,
    declared_parameters,
    https_url,
    load_template,
    render,
    template_digest,
    translate_sam,
    uses_sam,
)

__all__ = ["execute", "fingerprint", "RESOURCE"]

RESOURCE = "attini:cfn"
_BROKEN = {"ROLLBACK_FAILED", "DELETE_FAILED", "UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"}


def execute(
    properties: dict,
    payload: dict,
    ctx: DeploymentContext,
    *,
    step: str,
    log: StepLog,
    cancelled: threading.Event | None = None,
) -> dict:
    """Deploy (or delete) the step's stack and return its outputs, nested under OutputPath if set."""
    config = resolve_config(properties, source_dir=ctx.source_dir, variables=ctx.variables, step=step)
    if config.unresolved:
        log.info("no variable named " + ", ".join(config.unresolved) + "; '${...}' left as written")
    session = _target_session(config, ctx, step=step)
    cf = ctx.aws.client("cloudformation", region=config.region, session=session)
    with _aws_errors_as_step_failures(step, config):
        if config.action == "Delete":
            return _delete(cf, config, step=step, log=log, cancelled=cancelled)
        return _deploy(cf, session, config, ctx, step=step, log=log, cancelled=cancelled)


def _target_session(config: StackConfig, ctx: DeploymentContext, *, step: str):
    """A session in the target account: ours, or the ExecutionRoleArn's (cross-account)."""
    region = config.region or ctx.aws.region
    if not config.execution_role_arn:
        return ctx.aws.session(region=region)
    from botocore.exceptions import BotoCoreError, ClientError

    sts = ctx.aws.client("sts")
    name = re.sub(r"[^\w+=,.@-]", "-", f"attini-{ctx.distribution_name}-{step}")[:64]
    try:
        credentials = sts.assume_role(RoleArn=config.execution_role_arn, RoleSessionName=name)["Credentials"]
    except (ClientError, BotoCoreError) as exc:
        raise StepFailed(
            f"cannot assume ExecutionRoleArn {config.execution_role_arn}: {exc}",
            step=step, error="Cfn.ApiError", cause=str(exc),
            hint="the role must trust the deploying principal (sts:AssumeRole)",
        ) from exc
    return ctx.aws.session(credentials=credentials, region=region)


@contextlib.contextmanager
def _aws_errors_as_step_failures(step: str, config: StackConfig):
    """Turn an unexpected AWS error anywhere in the step into a StepFailed naming the stack."""
    from botocore.exceptions import BotoCoreError, ClientError
    from botocore.parsers import ResponseParserError

    try:
        yield
    except (ClientError, BotoCoreError, ResponseParserError) as exc:
        raise StepFailed(
            f"AWS call failed for stack {config.stack_name}: {exc}",
            step=step, error="Cfn.ApiError", cause=str(exc),
            hint="check credentials, region and endpoint; the message above is AWS's own",
        ) from exc


def _delete(cf, config: StackConfig, *, step: str, log: StepLog, cancelled) -> dict:
    # the stack calls: a fingerprint (a no-op redeploy) never loads them
    from attini_sdk.steps.cfn_stack import (
        delete_stack, describe_stack, settled, wait_until_settled,
    )

    stack = describe_stack(cf, config.stack_name)
    if stack is None:
        log.info(f"stack {config.stack_name} does not exist; nothing to delete")
        return {}
    if not settled(stack["StackStatus"]):
        stack = wait_until_settled(cf, stack["StackId"], step=step, log=log, cancelled=cancelled)
    if stack["StackStatus"] != "DELETE_COMPLETE":
        delete_stack(cf, stack, role_arn=config.stack_role_arn, step=step, log=log, cancelled=cancelled)
    return {}


def _current_stack(cf, config: StackConfig, ctx: DeploymentContext, *, step: str, log: StepLog,
                   cancelled) -> dict | None:
    """The stack to update, or None to create; waits out running operations, clears dead ones."""
    # the stack calls: a fingerprint (a no-op redeploy) never loads them
    from attini_sdk.steps.cfn_stack import (
        delete_stack, describe_stack, failure_reasons, settled, wait_until_settled,
    )

    stack = describe_stack(cf, config.stack_name)
    if stack is not None and not settled(stack["StackStatus"]):
        log.info(f"stack {config.stack_name} is busy ({stack['StackStatus']}); waiting")
        stack = wait_until_settled(cf, stack["StackId"], step=step, log=log, cancelled=cancelled)
    if stack is None or stack["StackStatus"] == "DELETE_COMPLETE":
        return None
    status = stack["StackStatus"]
    if status in _BROKEN:
        raise StepFailed(
            f"stack {config.stack_name} is in {status} and cannot be deployed to",
            step=step, error="Cfn.StackFailed", cause="\n".join(failure_reasons(cf, stack["StackId"])) or status,
            hint="repair it in CloudFormation (continue-update-rollback, or delete it), then run again",
        )
    dead = status == "ROLLBACK_COMPLETE" or (status == "REVIEW_IN_PROGRESS" and not ctx.aws.use_change_sets)
    if dead:
        log.info(f"stack {config.stack_name} is in {status}: deleting it to create it again")
        delete_stack(cf, stack, role_arn=config.stack_role_arn, step=step, log=log, cancelled=cancelled)
        return None
    if status == "REVIEW_IN_PROGRESS":  # a change set was created but never executed
        return None
    return stack


def _template_args(template: Template, parameters: list[dict], session, ctx: DeploymentContext,
                   config: StackConfig, *, step: str, log: StepLog) -> dict:
    body = template.body.decode("utf-8-sig")
    if uses_sam(template.parsed) and ctx.aws.sam_client_side:
        values = {p["ParameterKey"]: p["ParameterValue"] for p in parameters if "ParameterValue" in p}
        body = render(translate_sam(template.parsed, parameter_values=values, session=session, step=step))
        log.info("translated the AWS::Serverless template client-side (the endpoint runs no transforms)")
    if len(body.encode()) <= MAX_BODY_BYTES:
        return {"body": body}
    if template.url and not (uses_sam(template.parsed) and ctx.aws.sam_client_side):
        return {"url": https_url(template.url, config.region or ctx.aws.region)}
    raise StepFailed(
        f"template {template.source} is {len(body.encode())} bytes, over CloudFormation's "
        f"{MAX_BODY_BYTES}-byte limit for an inline template",
        step=step, error="Cfn.TemplateError", cause="template too large for TemplateBody",
        hint="upload the template to S3 and set Template to its s3:// or https:// location",
    )


def _deploy(cf, session, config: StackConfig, ctx: DeploymentContext, *, step: str, log: StepLog,
            cancelled) -> dict:
    # the stack calls: a fingerprint (a no-op redeploy) never loads them
    from attini_sdk.steps.cfn_stack import (
        NO_CHANGES, SUCCEEDED, StackRequest, deploy_directly, deploy_with_change_set, describe_stack,
        failure_reasons, stack_outputs,
    )

    template = load_template(config.template, source_dir=ctx.source_dir, aws=ctx.aws, step=step,
                             session=session)
    stack = _current_stack(cf, config, ctx, step=step, log=log, cancelled=cancelled)
    current = {p["ParameterKey"]: p.get("ParameterValue") for p in (stack or {}).get("Parameters") or []}
    current_tags = {t["Key"]: t["Value"] for t in (stack or {}).get("Tags") or []}
    ssm = _lazy_client(ctx, "ssm")
    values = resolve_values(config.parameters, existing=current, ssm=ssm, step=step)
    parameters, dropped = stack_parameters(values, framework_values(ctx),
                                           declared=declared_parameters(template.parsed))
    if dropped:
        log.info("not passing parameters the template does not declare: " + ", ".join(dropped))
    tags = stack_tags(resolve_values(config.tags, existing=current_tags, ssm=ssm, step=step,
                                     previous_as_marker=False), ctx)
    request = StackRequest(
        stack_name=config.stack_name,
        **_template_args(template, parameters, session, ctx, config, step=step, log=log),
        parameters=parameters,
        tags=tags,
        role_arn=config.stack_role_arn,
        on_failure=config.on_failure,
        termination_protection=bool(config.termination_protection),
        description=f"attini {ctx.distribution_name} {ctx.distribution_version} deployment {ctx.deployment_id}".strip(),
    )
    log.info(f"{'creating' if stack is None else 'updating'} stack {config.stack_name} with parameters "
             + (", ".join(p["ParameterKey"] for p in parameters) or "(none)"))
    deploy = deploy_with_change_set if ctx.aws.use_change_sets else deploy_directly
    outcome = deploy(cf, request, create=stack is None, step=step, log=log, cancelled=cancelled)
    if outcome == NO_CHANGES:
        log.info(f"stack {config.stack_name} has no changes")
        final = describe_stack(cf, config.stack_name)
    else:
        final = outcome
        if final["StackStatus"] not in SUCCEEDED:
            reasons = failure_reasons(cf, final["StackId"])
            raise StepFailed(
                f"stack {config.stack_name} ended in {final['StackStatus']}",
                step=step, error="Cfn.StackFailed",
                cause="\n".join(reasons) or final.get("StackStatusReason") or final["StackStatus"],
                hint="read the resource failures in the cause, fix the template or parameters, run again",
            )
    _set_termination_protection(cf, final, config.termination_protection, log=log)
    outputs = stack_outputs(final)
    return {config.output_path: outputs} if config.output_path else outputs


def _lazy_client(ctx: DeploymentContext, service: str):
    made = []

    def client():
        if not made:
            made.append(ctx.aws.client(service))
        return made[0]

    return client


def _set_termination_protection(cf, stack: dict, wanted: bool | None, *, log: StepLog) -> None:
    # As in Attini: an unset EnableTerminationProtection means "off".
    wanted = bool(wanted)
    if bool(stack.get("EnableTerminationProtection")) != wanted:
        cf.update_termination_protection(StackName=stack["StackId"], EnableTerminationProtection=wanted)
        log.info(f"termination protection {'enabled' if wanted else 'disabled'}")


def fingerprint(properties: dict, ctx: DeploymentContext, *, step: str = "fingerprint") -> str:
    """A digest of everything that decides what the step would deploy.

    Type, layered configuration, every file read (config chain, template), SSM values (hashed),
    framework parameter values the template declares and the target region/endpoint. A
    template that declares ``AttiniRandomString`` asks for a fresh value on every deployment,
    so its fingerprint includes the deployment id and it is never skipped. Raises
    :class:`StepFailed` for the same configuration errors :func:`execute` would.
    """
    config = resolve_config(properties, source_dir=ctx.source_dir, variables=ctx.variables, step=step)
    document = {
        "type": RESOURCE,
        "config": {k: v for k, v in config.to_dict().items() if k not in ("unresolved",)},
        "target": {"region": config.region or ctx.aws.region, "endpoint": ctx.aws.endpoint_url},
    }
    if config.action == "Deploy":
        template_sha256, declared = template_digest(config.template, source_dir=ctx.source_dir, aws=ctx.aws,
                                                    step=step)
        specs = {k: v for k, v in config.parameters.items() if not v.fallback}
        values = resolve_values(specs, existing={}, ssm=_lazy_client(ctx, "ssm"), step=step)
        framework = framework_values(ctx)
        framework["AttiniRandomString"] = ctx.deployment_id
        document["template_sha256"] = template_sha256
        document["values"] = {k: v.digest() for k, v in values.items()}
        document["framework"] = {k: v for k, v in framework.items() if k in declared}
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
