"""Import (``attini:import``): read values out of another distribution's outputs, or a JSON file in S3.

``Mapping`` maps each result key to a JSONPath, evaluated (with the engine's own JSONPath) against the
*final payload* the dependency's current deployment in this environment recorded, or against the JSON
object in S3::

    >>> from pathlib import Path
    >>> ctx = DeploymentContext(environment="dev", distribution_name="app", source_dir=Path("."),
    ...     work_dir=Path("."), log_dir=Path("."), aws=None,
    ...     dependency_outputs={"network": {"output": {"Network": {"VpcId": "vpc-1"}}}})
    >>> execute({"SourceType": "Distribution", "Source": {"Name": "network"},
    ...          "Mapping": {"VpcId": "$.output.Network.VpcId"}}, {}, ctx, step="ImportNetwork", log=None)
    {'VpcId': 'vpc-1'}

A distribution import must name a declared dependency; the orchestrator puts the final payload of each
declared dependency's current deployment in ``ctx.dependency_outputs``. ``SourceType: S3`` reads
``s3://Source.Bucket/Source.Key`` with the deployment's AWS settings (``ExecutionRoleArn`` is assumed
first when set).
"""

from __future__ import annotations

import json
import threading
from typing import Any

from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog, raise_if_cancelled

__all__ = ["RESOURCE", "execute", "apply_mapping"]

RESOURCE = "attini:import"
_PROPERTIES = {"SourceType", "Source", "Mapping", "ExecutionRoleArn"}


def _config_error(what: str, *, step: str, hint: str) -> StepFailed:
    return StepFailed(what, step=step, error="Import.ConfigError", cause=what, where=f"step '{step}': Properties",
                      hint=hint)


def execute(
    properties: dict,
    payload: Any,
    ctx: DeploymentContext,
    *,
    step: str,
    log: StepLog | None,
    cancelled: threading.Event | None = None,
) -> dict:
    """Import the mapped values; ``{outKey: value}``."""
    properties = properties or {}
    unknown = set(properties) - _PROPERTIES
    if unknown:
        raise _config_error("unknown Import propert" + ("ies: " if len(unknown) > 1 else "y: ")
                            + ", ".join(sorted(unknown)), step=step, hint="known: " + ", ".join(sorted(_PROPERTIES)))
    mapping = properties.get("Mapping")
    if not isinstance(mapping, dict) or not mapping:
        raise _config_error("Import needs Mapping: {output key: JSONPath}", step=step,
                            hint="e.g. Mapping: {VpcId: $.output.Network.VpcId}")
    source = properties.get("Source")
    if not isinstance(source, dict):
        raise _config_error("Import needs Source: {Name: <distribution>} or {Bucket, Key}", step=step,
                            hint="e.g. SourceType: Distribution, Source: {Name: network}")
    kind = properties.get("SourceType", "Distribution")
    raise_if_cancelled(cancelled, step, "importing")
    if kind == "Distribution":
        document, origin = _from_distribution(source, ctx, step=step)
    elif kind == "S3":
        document, origin = _from_s3(source, properties.get("ExecutionRoleArn"), ctx, step=step)
    else:
        raise _config_error(f"SourceType must be Distribution or S3, got {kind!r}", step=step,
                            hint="use SourceType: Distribution to read a dependency's outputs")
    result = apply_mapping(mapping, document, step=step, origin=origin)
    if log is not None:
        log.info(f"imported {', '.join(sorted(result))} from {origin}")
    return result


def _from_distribution(source: dict, ctx: DeploymentContext, *, step: str) -> tuple[Any, str]:
    name = source.get("Name")
    if not isinstance(name, str) or not name:
        raise _config_error("Source.Name must name the distribution to import from", step=step,
                            hint="e.g. Source: {Name: network}")
    outputs = ctx.dependency_outputs or {}
    if name not in outputs:
        declared = ", ".join(sorted(outputs)) or "none"
        raise StepFailed(
            f"'{name}' is not a declared dependency of {ctx.distribution_name} (declared: {declared})",
            step=step, error="Import.NotADependency", cause=f"'{name}' is not a declared dependency",
            where=f"step '{step}': Source.Name",
            hint=f"add '{name}' to dependencies in attini-config, package and deploy again")
    document = outputs[name]
    if document is None:
        raise StepFailed(
            f"'{name}' recorded no outputs in environment '{ctx.environment}'", step=step,
            error="Import.NoOutputs", cause=f"the current deployment of '{name}' has no recorded outputs",
            hint=f"deploy '{name}' to '{ctx.environment}' again so that its outputs are recorded")
    return document, f"distribution '{name}'"


def _from_s3(source: dict, role_arn: str | None, ctx: DeploymentContext, *, step: str) -> tuple[Any, str]:
    bucket, key = source.get("Bucket"), source.get("Key")
    if not bucket or not key:
        raise _config_error("an S3 import needs Source.Bucket and Source.Key", step=step,
                            hint="e.g. Source: {Bucket: my-bucket, Key: outputs/network.json}")
    from botocore.exceptions import BotoCoreError, ClientError

    location = f"s3://{bucket}/{key}"
    try:
        session = None
        if role_arn:
            sts = ctx.aws.client("sts")
            credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName=f"attini-import-{step}"[:64])
            session = ctx.aws.session(credentials=credentials["Credentials"])
        body = ctx.aws.client("s3", session=session).get_object(Bucket=bucket, Key=key)["Body"].read()
    except (ClientError, BotoCoreError) as exc:
        raise StepFailed(f"cannot read {location}: {exc}", step=step, error="Import.ApiError", cause=str(exc),
                         hint="check the bucket, key, credentials and region") from exc
    try:
        return json.loads(body), location
    except ValueError as exc:
        raise StepFailed(f"{location} is not JSON: {exc}", step=step, error="Import.InvalidSource", cause=str(exc),
                         hint="an S3 import reads a JSON document") from exc


def apply_mapping(mapping: dict, document: Any, *, step: str, origin: str = "the source") -> dict:
    """Evaluate each JSONPath of ``mapping`` against ``document``.

    >>> apply_mapping({"Ids": "$.subnets[*].id"}, {"subnets": [{"id": "a"}, {"id": "b"}]}, step="S")
    {'Ids': ['a', 'b']}
    """
    from attini_sdk.asl.failures import PathSyntaxError
    from attini_sdk.asl.paths import PathMissing, parse_path

    result = {}
    for out_key, path in mapping.items():
        try:
            result[out_key] = parse_path(path).find(document)
        except PathSyntaxError as exc:
            raise _config_error(f"Mapping.{out_key}: {exc.what}", step=step, hint="write a JSONPath such as "
                                "$.output.Network.VpcId") from exc
        except PathMissing:
            what = f"Mapping.{out_key}: {path} selects nothing in {origin}"
            raise StepFailed(what, step=step, error="Import.PathNotFound", cause=what,
                             hint="check the path against the outputs (attini deploy output)") from None
    return result
