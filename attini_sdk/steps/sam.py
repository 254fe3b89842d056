"""Sam (``attini:sam``): build a SAM project, package its code, deploy it through the Cfn step.

``Project{Path, BuildDir, Template}`` names the project in the distribution; every other property is
an AttiniCfn property (``StackName``, ``Parameters``, ``ConfigFile``, ...) and means what it means
there. Attini expands the step into a ``sam package`` runner job and a Cfn step; we run both parts
here (:mod:`attini_sdk.steps.sam_build`), then call :func:`attini_sdk.steps.cfn.execute` with the
packaged template, so the result is the stack's outputs, exactly as AttiniCfn's::

    result = execute({"Project": {"Path": "/counter"}, "StackName": "dev-counter"}, payload, ctx,
                     step="Counter", log=log)
    # {"FunctionName": "...", "TableName": "..."}

``AWS::Serverless`` resources are expanded by CloudFormation on AWS and here, with aws-sam-translator,
where the endpoint has no transforms (moto, LocalStack): see the Cfn step.
"""

from __future__ import annotations

import hashlib
import json
import threading
from pathlib import Path

from attini_sdk.steps import cfn
from attini_sdk.steps.asset_store import AssetStore, file_sha256
from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog
from attini_sdk.steps.cdk_synth import source_digest
from attini_sdk.steps.sam_build import build, package

__all__ = ["execute", "fingerprint", "RESOURCE"]

RESOURCE = "attini:sam"
_OWN = {"Project", "Runner"}
_PROJECT_KEYS = {"Path", "BuildDir", "Template"}


def _project(properties: dict, ctx: DeploymentContext, step: str) -> tuple[Path, dict]:
    project = properties.get("Project")
    if not isinstance(project, dict) or not isinstance(project.get("Path"), str):
        raise StepFailed("Project must be an object with a Path", step=step, error="Sam.ConfigError",
                         cause="Project.Path is missing", where=f"step '{step}': Project",
                         hint="e.g. Project: {Path: /counter}")
    unknown = set(project) - _PROJECT_KEYS
    if unknown:
        raise StepFailed(f"unknown Project key(s): {', '.join(sorted(unknown))}", step=step, error="Sam.ConfigError",
                         cause="unknown Project keys", where=f"step '{step}': Project",
                         hint="Project takes Path, BuildDir and Template")
    relative = project["Path"].lstrip("/")
    relative = relative[2:] if relative.startswith("./") else relative
    folder = (ctx.source_dir / relative).resolve()
    if not folder.is_dir():
        raise StepFailed(f"Project.Path '{project['Path']}' is not a folder in the distribution", step=step,
                         error="Sam.ConfigError", cause=f"{folder} is missing", where=f"step '{step}': Project.Path",
                         hint="Project.Path is relative to the distribution's root, e.g. /counter")
    return folder, project


def _cfn_properties(properties: dict) -> dict:
    return {k: v for k, v in properties.items() if k not in _OWN}


def execute(properties: dict, payload: dict, ctx: DeploymentContext, *, step: str, log: StepLog,
            cancelled: threading.Event | None = None) -> dict:
    """Build, package and deploy the project; return the stack's outputs (as AttiniCfn)."""
    folder, project = _project(properties, ctx, step)
    if properties.get("Runner"):
        log.info("Runner has no effect here: the step builds and packages the project itself")
    if (properties.get("Action") or "Deploy") == "Delete":
        return cfn.execute({**_cfn_properties(properties), "Template": "unused"}, payload, ctx, step=step, log=log,
                           cancelled=cancelled)
    built = build(folder, template=project.get("Template"), build_dir=project.get("BuildDir"), step=step, log=log)
    store = AssetStore.for_context(ctx, step=step, log=log)
    body = package(built, store, log=log, step=step)
    key = store.key("sam-templates", file_sha256(body) + ".yaml")
    store.put(key, body)
    log.info(f"packaged template: {store.url(key)}")
    return cfn.execute({**_cfn_properties(properties), "Template": store.url(key)}, payload, ctx, step=step,
                       log=log, cancelled=cancelled)


def fingerprint(properties: dict, ctx: DeploymentContext, *, step: str = "fingerprint") -> str:
    """A digest of the project's files plus everything the Cfn step's fingerprint covers."""
    folder, project = _project(properties, ctx, step)
    template = project.get("Template") or next(
        (n for n in ("template.yaml", "template.yml", "template.json") if (folder / n).is_file()), "template.yaml")
    source_template = "/" + (folder / template).relative_to(ctx.source_dir.resolve()).as_posix()
    stack = cfn.fingerprint({**_cfn_properties(properties), "Template": source_template}, ctx, step=step)
    document = {"type": RESOURCE, "project": project, "source": source_digest(folder), "stack": stack}
    return "sha256:" + hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()
