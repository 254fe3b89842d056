"""Cdk (``attini:cdk``): synthesise a CDK app and deploy each of its stacks through the Cfn step.

Attini hands AttiniCdk to ``cdk deploy`` in a runner; we do the parts ourselves so every stack gets
what a Cfn step gets (skip unchanged, outputs, failure reasons, stack history):

1. synthesise (:mod:`attini_sdk.steps.cdk_synth`, cached by content), or use ``Path`` as it is when it
   already holds a cloud assembly (a ``cdk.out`` made at package time);
2. read the assembly (:mod:`attini_sdk.steps.cdk_assembly`) and select ``Stacks`` (all by default, plus
   the stacks they depend on);
3. publish file assets to the environment's artifact store and point the templates there, so no
   ``cdk bootstrap`` is needed (the bootstrap version check is taken out of the templates too);
4. deploy the stacks in dependency order, independent ones in parallel, each through
   :func:`attini_sdk.steps.cfn.execute`. A stack whose template and parameters are the ones it was
   last deployed with (tag ``AttiniStackFingerprint``) is left alone.

Result: ``{<stack name>: {<output key>: <value>}}`` for every selected stack::

    result = execute({"Path": "/infra", "App": "python app.py"}, payload, ctx, step="Infra", log=log)
    # {"dev-db": {"TableName": "..."}, "dev-api": {"Url": "..."}}

``Diff: {Enabled: true}`` makes the plan ask for an approval first, only when a stack would change (the
plan compiler adds ``<Step>CdkDiff``, a Choice and ``<Step>ApproveChanges``, as Attini does); the diff
step runs this executor with ``DiffOnly: true``, whose result is ``{"result": "change-detected" |
"no-change", "changes": {<stack>: "create" | "update"}}``. A stack that does not exist yet is a
``create``; one last deployed with the same fingerprint is unchanged without asking CloudFormation; for
any other a change set is created, read and deleted: ``update`` when it has changes.

Code, assets and templates go to the artifact store (:mod:`attini_sdk.steps.asset_store`): Attini's
bucket on the local backend, the backend's own bucket under ``assets/`` on the AWS backend.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import json
import threading
from pathlib import Path

from attini_sdk.steps import cfn
from attini_sdk.steps.asset_store import AssetStore, file_sha256, zip_folder
from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog, raise_if_cancelled
from attini_sdk.steps.cdk_assembly import Assembly, CdkStack, read_assembly
from attini_sdk.steps.cdk_synth import is_assembly, source_digest, synthesise
from attini_sdk.steps.cfn_params import ResolvedValue, framework_values, stack_parameters
from attini_sdk.steps.cfn_stack import SUCCEEDED, StackRequest, describe_stack, preview_changes, stack_outputs
from attini_sdk.steps.cfn_template import (
    MAX_BODY_BYTES,
    declared_parameters,
    https_url,
    render,
    translate_sam,
    uses_sam,
)

__all__ = ["execute", "fingerprint", "RESOURCE", "FINGERPRINT_TAG", "CHANGE_DETECTED", "NO_CHANGE"]

RESOURCE = "attini:cdk"
FINGERPRINT_TAG = "AttiniStackFingerprint"
CHANGE_DETECTED = "change-detected"
NO_CHANGE = "no-change"
_PROPERTIES = {"Path", "App", "Stacks", "Context", "StackConfiguration", "Runner", "Build", "Plugins",
               "BuildExclude", "NotificationArns", "Force", "Environment", "RoleArn", "Diff", "DiffOnly"}
_IGNORED_HERE = ("Runner", "Plugins", "BuildExclude", "NotificationArns")
_NOT_DEPLOYED = {"REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE", "DELETE_COMPLETE"}  # an update is a create


def _config_error(what: str, step: str, field: str, hint: str) -> StepFailed:
    return StepFailed(what, step=step, error="Cdk.ConfigError", cause=what, where=f"step '{step}': {field}",
                      hint=hint)


def _check(properties: dict, step: str) -> None:
    unknown = set(properties) - _PROPERTIES
    if unknown:
        raise _config_error(f"unknown Cdk propert{'ies' if len(unknown) > 1 else 'y'}: {', '.join(sorted(unknown))}",
                            step, "Properties", "AttiniCdk takes " + ", ".join(sorted(_PROPERTIES - {'DiffOnly'})))
    stacks = properties.get("Stacks")
    if stacks is not None and not (isinstance(stacks, list) and all(isinstance(s, str) for s in stacks)):
        raise _config_error("Stacks must be a list of stack names", step, "Stacks", 'e.g. Stacks: ["dev-api"]')
    config = properties.get("StackConfiguration")
    if config is not None and not (isinstance(config, list) and all(
            isinstance(c, dict) and isinstance(c.get("StackName", ""), str)
            and isinstance(c.get("Parameters", {}), dict) for c in config)):
        raise _config_error("StackConfiguration must be a list of {StackName, Parameters}", step,
                            "StackConfiguration", "e.g. [{StackName: dev-api, Parameters: {Size: '2'}}]")


def _app_folder(properties: dict, ctx: DeploymentContext, step: str) -> Path:
    relative = str(properties.get("Path") or "/").lstrip("/")
    relative = relative[2:] if relative.startswith("./") else relative
    folder = (ctx.source_dir / relative).resolve()
    if not folder.is_dir():
        raise _config_error(f"Path '{properties.get('Path')}' is not a folder in the distribution", step, "Path",
                            "Path is relative to the distribution's root, e.g. /infra")
    return folder


def _assembly(properties: dict, ctx: DeploymentContext, *, step: str, log: StepLog) -> Assembly:
    folder = _app_folder(properties, ctx, step)
    if is_assembly(folder):
        log.info(f"{properties.get('Path') or '/'} is a synthesised cloud assembly: deploying it as it is")
        directory = folder
    else:
        directory = synthesise(folder, ctx, app=properties.get("App"), context=properties.get("Context"),
                               build=properties.get("Build"), environment=properties.get("Environment"),
                               step=step, log=log)
    assembly = read_assembly(directory, step=step)
    if assembly.unsupported:
        raise StepFailed("the CDK app uses what this step cannot deploy: " + "; ".join(assembly.unsupported),
                         step=step, error="Cdk.Unsupported", cause="; ".join(assembly.unsupported),
                         hint="deploy such apps with `cdk deploy` in an AttiniRunnerJob")
    if not assembly.stacks:
        raise StepFailed("the CDK app has no stacks", step=step, error="Cdk.AssemblyError", cause="no stacks",
                         hint="add a Stack to the app")
    return assembly


class _Clients:
    """A CloudFormation client per region: a stack may be pinned to a region other than the deployment's."""

    def __init__(self, ctx: DeploymentContext):
        self._ctx, self._made, self._lock = ctx, {}, threading.Lock()

    def __call__(self, region: str | None):
        with self._lock:
            if region not in self._made:
                self._made[region] = self._ctx.aws.client("cloudformation", region=region)
            return self._made[region]


class _StackLog:
    """A step log whose lines name the stack they are about (stacks deploy in parallel)."""

    def __init__(self, log: StepLog, stack: str):
        self._log, self._prefix = log, f"{stack}: "

    def info(self, message: str) -> None:
        self._log.info(self._prefix + message)

    def write(self, line: str) -> None:
        self._log.write(self._prefix + line)

    def notice(self, message: str) -> None:
        self._log.notice(self._prefix + message)

    def __getattr__(self, name):
        return getattr(self._log, name)


def execute(properties: dict, payload: dict, ctx: DeploymentContext, *, step: str, log: StepLog,
            cancelled: threading.Event | None = None) -> dict:
    """Synthesise (or read) the app, publish its assets, deploy its stacks; return their outputs."""
    properties = dict(properties or {})
    _check(properties, step)
    for name in _IGNORED_HERE:
        if properties.get(name):
            log.info(f"{name} has no effect here: the step synthesises and deploys without `cdk deploy`")
    assembly = _assembly(properties, ctx, step=step, log=log)
    chosen = assembly.select(properties.get("Stacks"), step=step)
    cf = _Clients(ctx)
    if properties.get("DiffOnly"):
        return _diff(assembly, chosen, properties, ctx, cf, step=step, log=log, cancelled=cancelled)
    store = AssetStore.for_context(ctx, step=step, log=log)
    outputs: dict[str, dict] = {}
    for wave in assembly.waves(chosen):
        raise_if_cancelled(cancelled, step, "deploying the CDK app's stacks")
        if len(wave) == 1:
            results = [_deploy_stack(wave[0], properties, ctx, cf, store, step=step, log=log, cancelled=cancelled)]
        else:
            with concurrent.futures.ThreadPoolExecutor(max_workers=min(8, len(wave))) as pool:
                futures = [pool.submit(_deploy_stack, s, properties, ctx, cf, store, step=step, log=log,
                                       cancelled=cancelled) for s in wave]
                results = [f.result() for f in futures]
        for stack, result in zip(wave, results):
            outputs[stack.stack_name] = result
    return outputs


# -- one stack ------------------------------------------------------------------------------------------


def _stack_parameters(stack: CdkStack, properties: dict) -> dict:
    values = {k: str(v) for k, v in stack.parameters.items()}
    for entry in properties.get("StackConfiguration") or []:  # an entry without StackName is for every stack
        if entry.get("StackName") in (None, stack.stack_name, stack.artifact_id):
            values.update({k: str(v) for k, v in (entry.get("Parameters") or {}).items()})
    return values


def _template(stack: CdkStack, bucket: str | None, keys: dict[str, str], *, step: str) -> dict:
    """The stack's template pointed at our artifact store, without CDK's bootstrap version check."""
    try:
        template = json.loads(stack.template_file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StepFailed(f"cannot read the template of stack {stack.stack_name}: {exc}", step=step,
                         error="Cdk.AssemblyError", cause=str(exc), where=str(stack.template_file)) from exc
    (template.get("Parameters") or {}).pop("BootstrapVersion", None)
    if not template.get("Parameters"):
        template.pop("Parameters", None)
    (template.get("Rules") or {}).pop("CheckBootstrapVersion", None)
    if not template.get("Rules"):
        template.pop("Rules", None)
    if bucket is None or not stack.assets:
        return template
    replacements = {a.bucket: bucket for a in stack.assets}
    replacements.update({a.key: keys[a.key] for a in stack.assets})
    return _replace_strings(template, replacements)


def _replace_strings(value, replacements: dict[str, str]):
    if isinstance(value, str):
        for old, new in replacements.items():
            if old in value:
                value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [_replace_strings(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: _replace_strings(v, replacements) for k, v in value.items()}
    return value


def _stack_fingerprint(body: str, parameters: dict, properties: dict, ctx: DeploymentContext,
                       region: str | None = None) -> str:
    declared = (json.loads(body).get("Parameters") or {}).keys()
    document = {"template": hashlib.sha256(body.encode()).hexdigest(), "parameters": parameters,
                "role": properties.get("RoleArn"), "region": region or ctx.aws.region,
                "endpoint": ctx.aws.endpoint_url,
                "framework": {k: v for k, v in framework_values(ctx).items() if k in declared}}
    return "sha256:" + hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def _unchanged(current: dict | None, fp: str) -> dict | None:
    """The deployed stack ``current`` when it is settled and was last deployed with fingerprint ``fp``, else None."""
    if current is None or current["StackStatus"] not in SUCCEEDED:
        return None
    tags = {t["Key"]: t["Value"] for t in current.get("Tags") or []}
    return current if tags.get(FINGERPRINT_TAG) == fp else None


def _publish(stack: CdkStack, store: AssetStore, log) -> dict[str, str]:
    """Upload the stack's file assets (once each: keys are content hashes); their new keys by old key."""
    keys = {}
    for asset in stack.assets:
        key = store.key("cdk-assets", asset.key)
        keys[asset.key] = key
        if asset.path.is_dir():
            data = zip_folder(asset.path)
        else:
            data = asset.path.read_bytes()
        if store.put(key, data):
            log.info(f"published asset {asset.id} to {store.url(key)}")
    return keys


def _body(stack: CdkStack, properties: dict, store: AssetStore | None, *, step: str) -> str:
    keys = {a.key: store.key("cdk-assets", a.key) for a in stack.assets} if store else {}
    template = _template(stack, store.bucket if store else None, keys, step=step)
    return json.dumps(template, sort_keys=True, separators=(",", ":"))


def _deploy_stack(stack: CdkStack, properties: dict, ctx: DeploymentContext, cf, store: AssetStore, *,
                  step: str, log: StepLog, cancelled) -> dict:
    slog = _StackLog(log, stack.stack_name)
    body = _body(stack, properties, store, step=step)
    parameters = _stack_parameters(stack, properties)
    fp = _stack_fingerprint(body, parameters, properties, ctx, stack.region)
    if not properties.get("Force"):
        current = _unchanged(describe_stack(cf(stack.region), stack.stack_name), fp)
        if current is not None:
            slog.info("unchanged since it was last deployed: skipped")
            return stack_outputs(current)
    _publish(stack, store, slog)
    key = store.key("cdk-templates", f"{file_sha256(body.encode())}.json")
    store.put(key, body.encode())
    cfn_properties = {"StackName": stack.stack_name, "Template": store.url(key), "Parameters": parameters,
                      "Tags": {FINGERPRINT_TAG: fp}}
    if properties.get("RoleArn"):
        cfn_properties["StackRoleArn"] = properties["RoleArn"]
    if stack.region:
        cfn_properties["Region"] = stack.region
    return cfn.execute(cfn_properties, {}, ctx, step=step, log=slog, cancelled=cancelled)


def _diff(assembly: Assembly, chosen: list[CdkStack], properties: dict, ctx: DeploymentContext, cf, *,
          step: str, log: StepLog, cancelled=None) -> dict:
    """Which stacks a deploy would create or update; nothing is uploaded, created or executed.

    A stack that does not exist (or never finished its first create) would be created. One last deployed
    with this very fingerprint is unchanged. For any other, a CloudFormation change set (created, read and
    deleted) says whether CloudFormation would change it.
    """
    store = AssetStore.named(ctx)
    changes = {}
    for stack in assembly.in_order(chosen):
        raise_if_cancelled(cancelled, step, "comparing the CDK app's stacks")
        slog = _StackLog(log, stack.stack_name)
        body = _body(stack, properties, store, step=step)
        parameters = _stack_parameters(stack, properties)
        fp = _stack_fingerprint(body, parameters, properties, ctx, stack.region)
        current = describe_stack(cf(stack.region), stack.stack_name)
        if current is None or current["StackStatus"] in _NOT_DEPLOYED:
            changes[stack.stack_name] = "create"
        elif _unchanged(current, fp) is None and _would_change(stack, body, parameters, current, properties, ctx,
                                                               cf, step=step, log=slog, cancelled=cancelled):
            changes[stack.stack_name] = "update"
    for name, change in changes.items():
        log.info(f"stack {name} would be {'created' if change == 'create' else 'updated'}")
    if not changes:
        log.info("no stack would change")
    return {"result": CHANGE_DETECTED if changes else NO_CHANGE, "changes": changes}


def _would_change(stack: CdkStack, body: str, parameters: dict, current: dict, properties: dict,
                  ctx: DeploymentContext, cf, *, step: str, log, cancelled) -> bool:
    """True when a change set for the stack's new template and parameters has changes (or cannot be made)."""
    template = json.loads(body)
    values = {k: ResolvedValue(k, v) for k, v in parameters.items()}
    listed, _ = stack_parameters(values, framework_values(ctx), declared=declared_parameters(template))
    if uses_sam(template) and ctx.aws.sam_client_side:
        body = render(translate_sam(template, parameter_values=parameters, session=ctx.aws.session(
            region=stack.region), step=step))
    if len(body.encode()) <= MAX_BODY_BYTES:
        source = {"body": body}
    else:  # too big to send inline: the template goes where the deploy would put it (content-addressed)
        store = AssetStore.for_context(ctx, step=step, log=log)
        key = store.key("cdk-templates", f"{file_sha256(body.encode())}.json")
        store.put(key, body.encode())
        source = {"url": https_url(store.url(key), stack.region or ctx.aws.region)}
    # the stack's own tags: a diff is about the template and parameters, not about the fingerprint tag
    request = StackRequest(stack.stack_name, **source, parameters=listed, tags=current.get("Tags") or [],
                           role_arn=properties.get("RoleArn"), description=f"attini diff {ctx.deployment_id}")
    try:
        found = preview_changes(cf(stack.region), request, step=step, cancelled=cancelled)
    except StepFailed as failed:
        log.info(f"no change set could be made ({failed.cause}): counting the stack as changed")
        return True
    if found is None:
        log.info("its change set has no changes")
        return False
    log.info(f"its change set has {len(found)} resource change(s)")
    for change in found:
        log.info(f"  {change.get('Action', '?')} {change.get('LogicalResourceId')} ({change.get('ResourceType')})")
    return True


def fingerprint(properties: dict, ctx: DeploymentContext, *, step: str = "fingerprint") -> str:
    """A digest of the app (every file under ``Path``), the step's properties and the target.

    Equal digests mean the same templates, assets and parameters: the step is skipped, without
    synthesising, and its last output reused. Raises :class:`StepFailed` for a bad Path.
    """
    properties = dict(properties or {})
    _check(properties, step)
    folder = _app_folder(properties, ctx, step)
    document = {"type": RESOURCE, "properties": properties, "source": source_digest(folder),
                "target": {"region": ctx.aws.region, "endpoint": ctx.aws.endpoint_url},
                "framework": framework_values(ctx)}
    document["framework"].pop("AttiniRandomString", None)
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
