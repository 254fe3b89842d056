"""Parameter and tag values for a stack: SSM look-ups, fallbacks, framework parameters.

Attini adds four framework parameters to every stack whose template declares them, and drops
every parameter the template does not declare::

    >>> from attini_sdk.steps.cfn_config import ParamSpec
    >>> values = resolve_values({"Size": ParamSpec("2"), "Old": ParamSpec("x")}, existing={}, ssm=None, step="S")
    >>> stack_parameters(values, {"AttiniEnvironmentName": "dev"}, declared=["Size", "AttiniEnvironmentName"])
    ([{'ParameterKey': 'Size', 'ParameterValue': '2'}, {'ParameterKey': 'AttiniEnvironmentName', 'ParameterValue': 'dev'}], ['Old'])
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

import attrs

from attini_sdk.steps.base import DeploymentContext, StepFailed
from attini_sdk.steps.cfn_config import ParamSpec

__all__ = [
    "FRAMEWORK_PARAMETERS",
    "ResolvedValue",
    "framework_values",
    "resolve_values",
    "stack_parameters",
    "stack_tags",
]

FRAMEWORK_PARAMETERS = (
    "AttiniEnvironmentName",
    "AttiniDistributionName",
    "AttiniDistributionId",
    "AttiniRandomString",
)


@attrs.frozen
class ResolvedValue:
    """A parameter value ready for CloudFormation; ``secret`` ones are never shown.

    >>> ResolvedValue("Password", None, use_previous=True).as_parameter()
    {'ParameterKey': 'Password', 'UsePreviousValue': True}
    """

    key: str
    value: str | None
    use_previous: bool = False
    secret: bool = False

    def as_parameter(self) -> dict:
        if self.use_previous:
            return {"ParameterKey": self.key, "UsePreviousValue": True}
        return {"ParameterKey": self.key, "ParameterValue": self.value}

    def digest(self) -> str:
        """What a fingerprint records: a hash, so secrets never land in the store."""
        marker = "<previous>" if self.use_previous else (self.value or "")
        return hashlib.sha256(marker.encode()).hexdigest()


def framework_values(ctx: DeploymentContext) -> dict[str, str]:
    """The framework parameters' values for one deployment.

    >>> from pathlib import Path
    >>> from attini_sdk.steps.base import AwsSettings
    >>> ctx = DeploymentContext(environment="dev", distribution_name="app", distribution_id="sha256:1",
    ...     source_dir=Path("."), work_dir=Path("."), log_dir=Path("."), aws=AwsSettings())
    >>> framework_values(ctx)["AttiniDistributionName"]
    'app'
    """
    return {
        "AttiniEnvironmentName": ctx.environment,
        "AttiniDistributionName": ctx.distribution_name,
        "AttiniDistributionId": ctx.distribution_id,
        "AttiniRandomString": uuid.uuid4().hex,
    }


def _read_ssm(ssm: Callable[[], Any], spec: ParamSpec, key: str, *, step: str) -> tuple[str, bool]:
    from botocore.exceptions import ClientError

    try:
        found = ssm().get_parameter(Name=spec.value, WithDecryption=True)["Parameter"]
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "ParameterNotFound":
            raise StepFailed(
                f"cannot read SSM parameter '{spec.value}' for '{key}': {exc}",
                step=step, error="Cfn.ConfigError", cause=str(exc),
                hint="check the deploying credentials may call ssm:GetParameter",
            ) from exc
        if spec.default is None:
            raise StepFailed(
                f"SSM parameter '{spec.value}' (for '{key}') does not exist and no default is given",
                step=step, error="Cfn.ConfigError", cause=f"ParameterNotFound: {spec.value}",
                where=f"step '{step}': parameters.{key}",
                hint="create the SSM parameter, or add 'default:' to the value object",
            ) from exc
        return spec.default, False
    return found["Value"], found.get("Type") == "SecureString"


def resolve_values(specs: dict[str, ParamSpec], *, existing: dict[str, str | None], ssm, step: str,
                   previous_as_marker: bool = True) -> dict[str, ResolvedValue]:
    """Turn specs into values: fallbacks keep what the stack has, SSM names are read.

    ``existing`` holds the stack's current values (empty for a new stack). With
    ``previous_as_marker`` a fallback becomes ``UsePreviousValue`` (parameters); without it
    the existing value itself is used (tags). ``ssm`` is a zero-argument callable returning
    an SSM client, so no client is made when no value needs one.
    """
    resolved = {}
    for key, spec in specs.items():
        if spec.fallback and key in existing:
            resolved[key] = (ResolvedValue(key, None, use_previous=True) if previous_as_marker
                             else ResolvedValue(key, existing[key]))
        elif spec.type == "ssm-parameter":
            value, secret = _read_ssm(ssm, spec, key, step=step)
            resolved[key] = ResolvedValue(key, value, secret=secret)
        else:
            resolved[key] = ResolvedValue(key, spec.value)
    return resolved


def stack_parameters(values: dict[str, ResolvedValue], framework: dict[str, str], *,
                     declared: dict[str, dict] | list[str]) -> tuple[list[dict], list[str]]:
    """The Parameters list for CloudFormation, and the user keys dropped as undeclared.

    Framework parameters are added only when the template declares them, and win over a
    user value of the same name. A declared parameter with a ``Default`` and no value is
    passed with its default spelled out: CloudFormation would use the same value, and it
    lets endpoints that compare parameters literally (moto) see that nothing changed.
    """
    declarations = declared if isinstance(declared, dict) else {name: {} for name in declared}
    merged = {k: v for k, v in values.items() if k in declarations}
    for key, value in framework.items():
        if key in declarations:
            merged[key] = ResolvedValue(key, value)
    for key, declaration in declarations.items():
        if key not in merged and isinstance(declaration, dict) and "Default" in declaration:
            merged[key] = ResolvedValue(key, _default_text(declaration["Default"]))
    dropped = sorted(k for k in values if k not in declarations)
    return [v.as_parameter() for v in merged.values()], dropped


def _default_text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_default_text(v) for v in value)
    return str(value)


def stack_tags(values: dict[str, ResolvedValue], ctx: DeploymentContext) -> list[dict]:
    """Stack tags: the configured ones plus Attini's own, which always win.

    >>> from pathlib import Path
    >>> from attini_sdk.steps.base import AwsSettings
    >>> ctx = DeploymentContext(environment="dev", distribution_name="app",
    ...     source_dir=Path("."), work_dir=Path("."), log_dir=Path("."), aws=AwsSettings())
    >>> [t["Key"] for t in stack_tags({}, ctx)]
    ['AttiniDistributionName', 'AttiniEnvironmentName', 'AttiniResourceType']
    """
    tags = {k: v.value or "" for k, v in values.items()}
    tags.update({
        "AttiniDistributionName": ctx.distribution_name,
        "AttiniEnvironmentName": ctx.environment,
        "AttiniResourceType": "cloudformation-stack",
    })
    return [{"Key": k, "Value": v} for k, v in tags.items()]
