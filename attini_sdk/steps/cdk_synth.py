"""Synthesise a CDK app into a cloud assembly, as ``cdk synth`` does, cached by the app's content.

``cdk synth`` runs the app's command (``App``, else ``app`` in ``cdk.json``) with ``CDK_OUTDIR`` and
``CDK_CONTEXT_JSON`` set and reads what it writes; so do we, without the Node CLI: a Python app only
needs aws-cdk-lib (and Node for its jsii runtime). The app runs in a copy of its folder (its ``Build``
commands may write there; the distribution stays read-only) with this Python first on PATH.

The assembly is kept in ``$ATTINI_HOME/cache/cdk-synth/<digest>``; the digest covers the app's files,
the command, the context and the target, so an unchanged app is synthesised once::

    >>> import tempfile
    >>> app = Path(tempfile.mkdtemp()); _ = (app / "app.py").write_text("print('hi')\\n")
    >>> source_digest(app) == source_digest(app)
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from attini_sdk.home import cache_dir
from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog

__all__ = ["synthesise", "source_digest", "app_command", "is_assembly"]

_SKIP_DIRS = {"cdk.out", ".git", "__pycache__", ".venv", ".pytest_cache"}
_ERROR = "Cdk.SynthFailed"


def is_assembly(folder: Path) -> bool:
    """True when ``folder`` is a synthesised cloud assembly (holds ``manifest.json`` with artifacts)."""
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        return False
    try:
        return "artifacts" in json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError:
        return False


def _files(folder: Path):
    for root, dirs, names in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("cdk.out"))
        for name in sorted(names):
            if not name.endswith(".pyc"):
                yield Path(root) / name


def source_digest(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (output folders and caches left out)."""
    digest = hashlib.sha256()
    for path in _files(folder):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def app_command(folder: Path, app: str | None, *, step: str) -> str:
    """The command that synthesises the app: ``App``, else ``app`` from ``cdk.json``."""
    if app:
        return app
    cdk_json = folder / "cdk.json"
    if cdk_json.is_file():
        try:
            command = json.loads(cdk_json.read_text(encoding="utf-8")).get("app")
        except ValueError as exc:
            raise StepFailed(f"cdk.json is not valid JSON: {exc}", step=step, error="Cdk.ConfigError",
                             cause=str(exc), where=str(cdk_json), hint="fix cdk.json") from exc
        if command:
            return str(command)
    raise StepFailed(f"no CDK app to synthesise in {folder.name or '/'}", step=step, error="Cdk.ConfigError",
                     cause="no App property and no 'app' in cdk.json", where=f"step '{step}': Path",
                     hint="set App (e.g. 'python app.py'), add cdk.json with \"app\", or point Path at a cdk.out")


def context_values(folder: Path, context: dict | None, emulated: bool) -> dict:
    """Context as the CLI merges it: ``cdk.json``'s, ``cdk.context.json``, then the step's ``Context``."""
    values: dict = {}
    if emulated:  # emulators have no CDK metadata service; skip the AWS::CDK::Metadata resource
        values["aws:cdk:version-reporting"] = False
    for name in ("cdk.json", "cdk.context.json"):
        path = folder / name
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except ValueError:
                continue
            values.update(data.get("context", {}) if name == "cdk.json" else data)
    values.update(context or {})
    return values


def synthesise(folder: Path, ctx: DeploymentContext, *, app: str | None, context: dict | None,
               build: str | None, environment: dict | None, step: str, log: StepLog) -> Path:
    """The cloud assembly of the app in ``folder``: from the cache, else made by running the app."""
    command = app_command(folder, app, step=step)
    merged = context_values(folder, context, ctx.aws.emulated)
    key_doc = {"source": source_digest(folder), "app": command, "context": merged, "build": build,
               "environment": environment or {}, "region": ctx.aws.region, "endpoint": ctx.aws.endpoint_url}
    key = hashlib.sha256(json.dumps(key_doc, sort_keys=True, default=str).encode()).hexdigest()[:32]
    target = cache_dir("cdk-synth") / key
    if is_assembly(target):
        log.info(f"the app is unchanged since it was last synthesised: using {target}")
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="attini-cdk-", dir=target.parent) as scratch:
        work = Path(scratch) / "app"
        shutil.copytree(folder, work, symlinks=True, ignore=shutil.ignore_patterns(*_SKIP_DIRS))
        out = Path(scratch) / "cdk.out"
        env = _environment(ctx, out, merged, environment)
        if build:
            _run(build, work, env, step=step, log=log, what="Build")
        _run(command, work, env, step=step, log=log, what="synth")
        if not is_assembly(out):
            raise StepFailed(f"the CDK app ran but wrote no cloud assembly (command: {command})", step=step,
                             error=_ERROR, cause="no manifest.json in CDK_OUTDIR",
                             hint="the app must synthesise into CDK_OUTDIR: call synth on its App, and give the App "
                                  "no outdir of its own")
        try:
            out.rename(target)
        except OSError:  # another deployment synthesised the same app meanwhile: theirs is as good
            if not is_assembly(target):
                raise
    log.info(f"synthesised the CDK app with '{command}'")
    return target


def _environment(ctx: DeploymentContext, out: Path, context: dict, extra: dict | None) -> dict:
    env = dict(os.environ)
    env.update(ctx.aws.environment_variables())
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env["CDK_OUTDIR"] = str(out)
    env["CDK_CONTEXT_JSON"] = json.dumps(context)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for quiet in ("DEPRECATED", "END_OF_LIFE", "UNTESTED"):  # jsii warns about Node versions on every run
        env.setdefault(f"JSII_SILENCE_WARNING_{quiet}_NODE_VERSION", "1")
    if ctx.aws.region:
        env.setdefault("CDK_DEFAULT_REGION", ctx.aws.region)
    env.update({str(k): str(v) for k, v in (extra or {}).items()})
    return env


def _run(command: str, cwd: Path, env: dict, *, step: str, log: StepLog, what: str) -> None:
    log.info(f"running {what}: {command}")
    done = subprocess.run(command, shell=True, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, errors="replace")
    for line in done.stdout.splitlines():
        log.write(line)
    if done.returncode != 0:
        tail = "\n".join(done.stdout.splitlines()[-15:])
        raise StepFailed(f"the CDK app's {what} command failed with exit code {done.returncode}: {command}",
                         step=step, error=_ERROR, cause=tail or f"exit code {done.returncode}",
                         hint="read the step's log for the app's own output; run the command in the app's folder")
