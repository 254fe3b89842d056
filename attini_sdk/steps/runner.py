"""Runner (``attini:runner``): run a step's ``Commands`` in a fresh copy of the distribution.

The job contract is Attini's: ``bash -eo pipefail`` runs the commands in a new copy of the
distribution, with the payload in the file ``$ATTINI_INPUT`` and the result read back from
``$ATTINI_OUTPUT`` (JSON as is, other text as ``{"result": text}``, nothing as ``{}``)::

    result = execute({"Commands": ["jq -n '{ready: true}' > $ATTINI_OUTPUT"]}, payload, ctx,
                     step="Check", log=log)
    # {"ready": True}

Environment: ``ATTINI_INPUT``, ``ATTINI_OUTPUT``, ``ATTINI_ENVIRONMENT_NAME``,
``ATTINI_DISTRIBUTION_NAME``, ``ATTINI_DISTRIBUTION_ID``, ``ATTINI_DISTRIBUTION_VERSION``,
``ATTINI_STEP_NAME``, ``ATTINI_SOURCE_DIR``, the AWS settings of the deployment, and the
step's ``Environment``. Output lines reach the step log as they are printed.

A runner with an ``Image`` runs its startup and job commands in that image when docker or podman
works here, with the same contract (:mod:`attini_sdk.steps.runner_container`); otherwise on this
host, said once per runner. A command that is not there (``yum``, ``cdk``) fails the step with a
cause that names it and why.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import stat
import threading
import uuid
from pathlib import Path

from attini_sdk.home import owner_only
from attini_sdk.steps import runner_container as containers
from attini_sdk.steps import tools
from attini_sdk.steps.base import CANCELLED, DeploymentContext, StepFailed, StepLog
from attini_sdk.steps.container_engine import ENGINE_VARIABLE, find_engine
from attini_sdk.steps.runner_container import Placement
from attini_sdk.steps.runner_pool import (
    RunnerSettings,
    mark_startup_done,
    slot,
    startup_done,
    startup_lock,
)
from attini_sdk.steps.runner_process import JobOutcome, run_script

__all__ = ["execute", "fingerprint", "RESOURCE", "runner_settings"]

RESOURCE = "attini:runner"
_PROPERTIES = {"Runner", "Commands", "Environment"}
_TAIL_LINES = 20
_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
# bash: "script.sh: line 3: yum: command not found"; sh/dash: "sh: 1: yum: not found"
_NOT_FOUND = re.compile(r"(?:^|: )([^\s:]+): (?:command )?not found$")
# the engine: exec: "bash": executable file not found in $PATH
_NO_EXECUTABLE = re.compile(r'exec: "([^"]+)": executable file not found')


def _config_error(what: str, *, step: str, hint: str) -> StepFailed:
    return StepFailed(what, step=step, error="Runner.ConfigError", cause=what,
                      where=f"step '{step}': Properties", hint=hint)


def _commands(properties: dict, *, step: str) -> list[str]:
    unknown = set(properties) - _PROPERTIES
    if unknown:
        raise _config_error(f"unknown Runner propert{'ies' if len(unknown) > 1 else 'y'}: "
                            + ", ".join(sorted(unknown)), step=step,
                            hint="known properties: Commands, Environment, Runner")
    commands = properties.get("Commands")
    if isinstance(commands, str):
        commands = [commands]
    if not commands or not isinstance(commands, list):
        raise _config_error("a runner step needs Commands: a list of shell commands", step=step,
                            hint="e.g. Commands: [\"./deploy.sh\"]")
    return [str(c) for c in commands]


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return "" if value is None else str(value)


def runner_settings(properties: dict, ctx: DeploymentContext, *, step: str) -> RunnerSettings:
    """The settings of the runner a step names (or the plan's default runner)."""
    name = properties.get("Runner") or ctx.default_runner
    if name not in ctx.runners and name != ctx.default_runner:
        raise _config_error(
            f"runner '{name}' is not defined in this plan", step=step,
            hint="declare it as an Attini::Deploy::Runner, or leave Runner out to use the default runner",
        )
    settings = RunnerSettings.from_definition(name, ctx.runners.get(name))
    return settings


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_")[:60] or "job"


def _fresh_copy(source: Path, target: Path) -> None:
    """Copy the distribution and make the copy writable (the source is read-only)."""
    shutil.copytree(source, target, symlinks=True)
    for root, dirs, files in os.walk(target):
        for name in [*dirs, *files]:
            path = Path(root) / name
            if not path.is_symlink():
                path.chmod(path.stat().st_mode | stat.S_IWUSR)
    target.chmod(target.stat().st_mode | stat.S_IWUSR)


def _contract(ctx: DeploymentContext, user_env: dict, attini_env: dict) -> dict[str, str]:
    """What a job is given on top of this machine's environment (all a container is given)."""
    env = dict(ctx.aws.environment_variables())
    env.update({name: os.environ[name] for name in _CREDENTIALS if name in os.environ})
    env.update({str(k): _text(v) for k, v in (user_env or {}).items()})
    env.update(attini_env)  # the contract's variables cannot be overridden by accident
    return env


def _placement(settings: RunnerSettings, *, step: str) -> Placement:
    """Where the runner's commands run: in its image when an engine works here, else on this host."""
    if settings.image is None:
        return Placement(settings.name)
    engine = find_engine()
    if engine.usable:
        return Placement(settings.name, settings.image, engine)
    if engine.chosen and engine.name != "none":  # asked for by name: running elsewhere would surprise
        raise StepFailed(f"runner {settings.name} asks for image {settings.image}, and {engine.reason}",
                         step=step, error="Runner.ContainerEngineError", cause=engine.reason,
                         hint=f"start the engine, or unset {ENGINE_VARIABLE} (or set it to none) to run the "
                              "commands on this host")
    return Placement(settings.name, settings.image, None, engine.reason)


def _announce(ctx: DeploymentContext, settings: RunnerSettings, placement: Placement, log: StepLog) -> None:
    """Say once per runner and deployment that its image (or task definition) is not used here."""
    note = placement.note
    if note is None and settings.task_definition and settings.image is None:
        note = (f"runner {settings.name} uses task definition {settings.task_definition}, which only ECS starts; "
                "its commands run on this host")
    if note is None:
        return
    if containers.announce_once(ctx.work_dir, settings.name):
        log.notice(note)
    else:
        log.info(note)


def _run(placement: Placement, image: str | None, script: str, *, cwd: Path, contract: dict, ctx: DeploymentContext,
         log: StepLog, timeout: float, cancelled, kind: str, step: str = "") -> tuple[JobOutcome, str | None]:
    """Run ``script`` on this host or in a container of ``image``; returns how it ended and the container."""
    env = {**os.environ, **contract}
    monitor = ctx.job_monitor
    on_job = None if monitor is None else (lambda event, job: monitor(step, event, job))
    if not placement.in_container:  # the default runner's tools (aws, sam, cdk) as its image would have them
        env["PATH"] = tools.job_path(contract.get("PATH") or os.environ.get("PATH"))
        tools.ensure_tools(script, env, log=log, step=step)
        return run_script(script, cwd=cwd, env=env, log=log, timeout=timeout, cancelled=cancelled,
                          on_job=on_job), None
    name = containers.container_name(kind, placement.runner)
    words = containers.launcher(placement, image, name=name, folder=cwd.parent, workdir=cwd, names=contract,
                                endpoint=ctx.aws.endpoint_url, keep=kind == "startup")
    outcome = run_script(script, cwd=cwd, env=env, log=log, timeout=timeout, cancelled=cancelled, launcher=words,
                         on_stop=lambda: containers.remove(placement.engine, name), on_job=on_job)
    return outcome, name


def _attini_env(ctx: DeploymentContext, step: str, source: Path, input_file: Path, output_file: Path) -> dict:
    return {
        "ATTINI_ENVIRONMENT_NAME": ctx.environment,
        "ATTINI_DISTRIBUTION_NAME": ctx.distribution_name,
        "ATTINI_DISTRIBUTION_ID": ctx.distribution_id,
        "ATTINI_DISTRIBUTION_VERSION": ctx.distribution_version,
        "ATTINI_STEP_NAME": step,
        "ATTINI_SOURCE_DIR": str(source),
        "ATTINI_INPUT": str(input_file),
        "ATTINI_OUTPUT": str(output_file),
    }


def _ensure_startup(ctx: DeploymentContext, settings: RunnerSettings, placement: Placement, *, step: str,
                    log: StepLog, cancelled: threading.Event | None) -> str | None:
    """Run the runner's startup commands once per deployment; returns the image its jobs run in (None: host)."""
    if not settings.startup_commands:
        return settings.image if placement.in_container else None
    with startup_lock(ctx.work_dir, settings):
        done = startup_done(ctx.work_dir, settings)
        if done is not None and _still_valid(done, placement):
            return done.get("image")
        home = Path(ctx.work_dir) / "runners" / settings.name / "home"
        with owner_only():
            home.mkdir(parents=True, exist_ok=True)
        log.info(f"runner {settings.name}: running its startup commands {placement.where()} (once per deployment)")
        contract = _contract(ctx, {}, {"ATTINI_ENVIRONMENT_NAME": ctx.environment,
                                       "ATTINI_DISTRIBUTION_NAME": ctx.distribution_name,
                                       "ATTINI_DISTRIBUTION_ID": ctx.distribution_id,
                                       "ATTINI_DISTRIBUTION_VERSION": ctx.distribution_version})
        outcome, container = _run(placement, settings.image, "\n".join(settings.startup_commands) + "\n", cwd=home,
                                  contract=contract, ctx=ctx, log=log, timeout=settings.startup_timeout,
                                  cancelled=cancelled, kind="startup", step=step)
        if not outcome.succeeded:
            if container:
                containers.remove(placement.engine, container)
            raise _job_failure(outcome, placement, step=step, what=f"runner {settings.name}'s startup commands",
                               error="RunnerStartupError", timeout=settings.startup_timeout)
        image = _commit_startup(ctx, settings, placement, container, step=step) if container else None
        mark_startup_done(ctx.work_dir, settings, image=image, engine=placement.engine.path if image else None)
        return image


def _still_valid(done: dict, placement: Placement) -> bool:
    """A recorded startup counts if it ran where the commands run now (and its image still exists)."""
    if not placement.in_container:
        return done.get("image") is None
    return bool(done.get("image")) and containers.image_exists(placement.engine, done["image"])


def _commit_startup(ctx: DeploymentContext, settings: RunnerSettings, placement: Placement, container: str, *,
                    step: str) -> str:
    image = containers.startup_image(settings.name, ctx.deployment_id)
    problem = containers.commit(placement.engine, container, image)
    containers.remove(placement.engine, container)
    if problem:
        raise StepFailed(f"runner {settings.name}: its startup container could not be saved as {image}",
                         step=step, error="RunnerStartupError", cause=problem,
                         hint=f"check that {placement.engine.name} can commit containers here (disk space)")
    return image


def _missing_command(outcome: JobOutcome) -> str | None:
    """The command the shell (or the engine) could not find, when that is why the script ended (exit 127)."""
    if outcome.exit_code != 127:
        return None
    for line in reversed(outcome.tail):
        found = _NOT_FOUND.search(line.strip()) or _NO_EXECUTABLE.search(line)
        if found:
            return found[1]
    return None


def _not_found(command: str, placement: Placement) -> tuple[str, str]:
    """(cause, hint) for a command that is not there, saying where we looked and why there."""
    if placement.in_container:
        needs = " (runner jobs run with bash -eo pipefail)" if command == "bash" else ""
        return (f"command '{command}' not found in image {placement.image} (runner {placement.runner}){needs}",
                f"install '{command}' in the image, or in the runner's Startup commands")
    if placement.image:
        return (f"command '{command}' not found on this host (runner {placement.runner} asks for image "
                f"{placement.image}, and no container engine is available)",
                f"start docker or podman so the runner's image is used ({ENGINE_VARIABLE} chooses one), or "
                f"install '{command}' on this host")
    return (f"command '{command}' not found on this host",
            f"{tools.how_to_get(command)}, or give the runner an Image with it" if command in tools.TOOLS
            else f"install '{command}' on this host, or give the runner an Image with it")


def _job_failure(outcome: JobOutcome, placement: Placement, *, step: str, what: str, error: str,
                 timeout: float) -> StepFailed:
    tail = "\n".join(outcome.tail[-_TAIL_LINES:])
    if outcome.cancelled:
        return StepFailed(f"{what} were stopped: the step was cancelled", step=step, error=CANCELLED,
                          cause=tail, hint="the state timed out or the deployment was stopped")
    if outcome.timed_out:
        return StepFailed(f"{what} ran longer than {timeout:g} s and were stopped", step=step,
                          error="RunnerJobTimeout", cause=tail,
                          hint="raise RunnerConfiguration.JobTimeout, or make the commands faster")
    command = _missing_command(outcome)
    if command is not None:
        cause, hint = _not_found(command, placement)
        return StepFailed(f"{what} failed: {cause}", step=step, error=error, cause=f"{cause}\n{tail}", hint=hint)
    return StepFailed(f"{what} failed with exit code {outcome.exit_code}", step=step, error=error,
                      cause=tail or f"exit code {outcome.exit_code}",
                      hint="read the step log; the last lines are in the cause")


def _read_output(output_file: Path, step: str):
    from attini_sdk.config import limits

    def refuse(what: str) -> StepFailed:
        return StepFailed(f"the output of step '{step}' {what}", step=step, error="Runner.OutputError",
                          cause=f"$ATTINI_OUTPUT {what}", where=str(output_file),
                          hint="write one JSON object (or plain text) of at most "
                               f"{limits.MAX_DOCUMENT_BYTES >> 20} MiB to $ATTINI_OUTPUT")

    if output_file.is_symlink() or (output_file.exists() and not output_file.is_file()):
        raise refuse("is not a regular file")
    if not output_file.is_file():
        return {}
    size = output_file.stat().st_size
    if size > limits.MAX_DOCUMENT_BYTES:
        raise refuse(f"is {size:,} bytes, over the limit of {limits.MAX_DOCUMENT_BYTES:,}")
    text = output_file.read_text(encoding="utf-8", errors="replace")
    if not text.strip():
        return {}
    try:
        return limits.json_loads(text)
    except limits.LimitExceeded as err:
        raise refuse(str(err)) from None
    except ValueError:
        return {"result": text.rstrip("\r\n")}


def execute(
    properties: dict,
    payload: dict,
    ctx: DeploymentContext,
    *,
    step: str,
    log: StepLog,
    cancelled: threading.Event | None = None,
):
    """Run the step's commands as one job on its runner; return what the job wrote to ATTINI_OUTPUT."""
    commands = _commands(properties, step=step)
    settings = runner_settings(properties, ctx, step=step)
    if not isinstance(properties.get("Environment") or {}, dict):
        raise _config_error("Environment must be a mapping of names to values", step=step,
                            hint="e.g. Environment: {STAGE: dev}")
    with slot(ctx.work_dir, settings, step=step, log=log, cancelled=cancelled):
        placement = _placement(settings, step=step)
        _announce(ctx, settings, placement, log)
        image = _ensure_startup(ctx, settings, placement, step=step, log=log, cancelled=cancelled)
        return _run_job(commands, properties.get("Environment") or {}, payload, ctx, settings, placement, image,
                        step=step, log=log, cancelled=cancelled)


def _run_job(commands: list[str], user_env: dict, payload: dict, ctx: DeploymentContext,
             settings: RunnerSettings, placement: Placement, image: str | None, *, step: str, log: StepLog,
             cancelled):
    job_dir = Path(ctx.work_dir) / "jobs" / f"{_safe(step)}-{uuid.uuid4().hex[:8]}"
    source = job_dir / "source"
    input_file, output_file = job_dir / "input.json", job_dir / "output"
    with owner_only():  # the input holds the step's resolved secrets while the job runs
        job_dir.mkdir(parents=True)
        _fresh_copy(Path(ctx.source_dir), source)
        os.close(os.open(input_file, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600))
        input_file.write_text(json.dumps(payload, default=str))
        output_file.touch(mode=0o600)
    contract = _contract(ctx, user_env, _attini_env(ctx, step, source, input_file, output_file))
    log.info(f"job {job_dir.name} on runner {settings.name} {placement.where()}: {len(commands)} command(s)")
    outcome, _ = _run(placement, image, "\n".join(commands) + "\n", cwd=source, contract=contract, ctx=ctx, log=log,
                      timeout=settings.job_timeout, cancelled=cancelled, kind="job", step=step)
    if not outcome.succeeded:
        # a kept job folder never holds a resolved secret: the input goes back to secret references
        input_file.write_text(json.dumps(ctx.conceal(payload), default=str))
        output_file.write_text(ctx.conceal(output_file.read_text(encoding="utf-8", errors="replace")))
        log.info(f"job directory kept for inspection: {job_dir}")
        raise _job_failure(outcome, placement, step=step, what=f"the commands of step '{step}'",
                           error="ScriptExecutionError", timeout=settings.job_timeout)
    result = _read_output(output_file, step)
    shutil.rmtree(job_dir, ignore_errors=True)
    return result


def fingerprint(properties: dict, ctx: DeploymentContext, *, step: str = "fingerprint") -> str:
    """A digest of the job: commands, environment, runner, parameters and every distribution file.

    The payload is not part of it (it changes with every deployment), so skipping a Runner
    step is opt-in: use it for jobs whose effect depends only on these inputs.
    """
    settings = runner_settings(properties, ctx, step=step)
    files = hashlib.sha256()
    root = Path(ctx.source_dir)
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        files.update(path.relative_to(root).as_posix().encode() + b"\0")
        files.update(hashlib.sha256(path.read_bytes()).digest())
    document = {
        "type": RESOURCE,
        "commands": _commands(properties, step=step),
        "environment": {str(k): _text(v) for k, v in (properties.get("Environment") or {}).items()},
        "runner": settings.name,
        **({"image": settings.image} if settings.image else {}),  # fingerprints without one stay as they were
        "startup": list(settings.startup_commands),
        "parameters": ctx.parameters,
        "files": files.hexdigest(),
        "aws": ctx.aws.environment_variables(),
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), default=str)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()
