"""The deploy flow (DESIGN §6): target → stored artifact → verified → per-environment inputs → lock → plan.

    deploy(env, "examples/platform/network")          # what Environment.deploy calls
    rollback(env, "app", to=None)                      # an earlier artifact again, "Rollback to N"
    resume(env, "app")                                 # an interrupted deployment, where it stopped

Steps of :func:`deploy`, in order: resolve the target to an artifact (packaging a folder or Distribution,
opening a zip, fetching a ``sha256:`` id from the store); admit it under the environment's signature policy
(:mod:`attini_sdk.backends.admission`: the signature it brings or one kept for its id; a refusal stores
nothing), then store it (content once per id, every valid signature beside it) and open the stored copy
(every file verified); resolve the per-environment inputs and check
the dependencies (:mod:`attini_sdk.backends.inputs`); take the (environment, distribution) lock and record
revision n+1 in one transaction; hand it to the orchestrator, which extracts the artifact, builds the payload
and runs the plan.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from attini_sdk.errors import ConflictError, DeploymentError, NotFoundError, StepFailed

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.backends.records import DeploymentRecord
    from attini_sdk.deploy.deployment import Deployment
    from attini_sdk.deploy.environment import Environment

__all__ = ["deploy", "failure", "rollback", "resume", "resolve_target"]


def resolve_target(env: Environment, target: Any) -> Artifact:
    """An Artifact for ``target``: an Artifact, a Distribution, a folder, a ``.zip`` or a stored ``sha256:`` id.

    Anything with a ``distribution_id`` (a Deployment, a DeploymentRecord) means that stored artifact.
    """
    from attini_sdk.artifacts.artifact import Artifact

    if isinstance(target, Artifact):
        return target  # before importing Distribution: an artifact never needs the config loader
    from attini_sdk.artifacts.distribution import Distribution

    if isinstance(target, Distribution):
        return target.package()
    if hasattr(target, "distribution_id") and not isinstance(target, (str, os.PathLike)):
        target = target.distribution_id
    if isinstance(target, str) and target.startswith("sha256:"):
        return Artifact.open(env._backend.artifacts.get(target), expected_id=target)
    if isinstance(target, (str, os.PathLike)):
        path = Path(target)
        if path.is_dir():
            return Distribution.from_path(path).package()
        if path.is_file():
            return Artifact.open(path)
        raise NotFoundError(f"'{target}' is neither a folder nor an artifact file", where=str(target),
                            hint="pass a distribution folder, a packaged .zip or a stored sha256: id")
    raise DeploymentError(f"cannot deploy a {type(target).__name__}", where="deploy(target)",
                          hint="pass an Artifact, a Distribution, a folder, a .zip or a sha256: id")


def _store(env: Environment, artifact: Artifact) -> Artifact:
    """Admit the artifact under the environment's signature policy (nothing is stored when it is refused),
    store it, and return the stored copy with the signature this environment accepts."""
    from attini_sdk.backends.admission import admit

    return admit(env._backend.artifacts, env.record, artifact)


def _options(rerun_unchanged: bool, approve, progress):
    from attini_sdk.backends.local.step_recorder import RunOptions

    return RunOptions(rerun_unchanged=rerun_unchanged, approve=approve, progress=progress)


def deploy(env: Environment, target: Any, *, parameters: Mapping[str, Any] | None = None,
           rerun_unchanged: bool = False, wait: bool = True, approve: bool | Callable[[str], bool] | None = None, wait_for_lock: float = 0,
           reason: str | None = None, progress: Callable[[dict], None] | None = None,
           raise_on_failure: bool = False, check_dependencies: bool = True) -> Deployment:
    """Deploy ``target`` to ``env`` (see :meth:`attini_sdk.deploy.environment.Environment.deploy`)."""
    from attini_sdk.backends.inputs import resolve_inputs
    from attini_sdk.deploy.deployment import Deployment

    backend = env._backend
    if getattr(backend, "remote", False):  # the AWS backend: upload, the account deploys it
        return _deploy_remote(env, resolve_target(env, target), parameters=parameters,
                              rerun_unchanged=rerun_unchanged, wait=wait, reason=reason, progress=progress,
                              raise_on_failure=raise_on_failure, force=not check_dependencies)
    artifact = _store(env, resolve_target(env, target))
    inputs = resolve_inputs(backend.state, env.record, artifact, parameters, check=check_dependencies)
    record, lock = backend.state.start_deployment(
        env.name, artifact.name, distribution_id=artifact.id, version=artifact.version, reason=reason,
        tags=inputs.tags, parameters=inputs.parameters, secret_keys=inputs.secret_keys,
        wait_for_lock=wait_for_lock)
    record = backend.orchestrator.launch(record, lock, artifact, inputs, _options(rerun_unchanged, approve, progress),
                                         wait=wait)
    deployment = Deployment(env, record)
    if raise_on_failure and record.status in ("failed", "aborted"):
        raise failure(record)
    return deployment


def _deploy_remote(env: Environment, artifact: Artifact, *, parameters, rerun_unchanged: bool, wait: bool,
                   reason: str | None, progress, raise_on_failure: bool, force: bool) -> Deployment:
    """Deploy on a remote backend (:mod:`attini_sdk.backends.aws.submit`): upload the artifact (or, when the
    backend stores it already, a request naming it), wait for the backend to record the deployment, then
    follow it from the table until it finishes or waits for an approval (``wait=False``: return once it is
    recorded)."""
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.backends.aws import submit
    from attini_sdk.deploy.deployment import Deployment

    policy = env.record  # the environment exists, and its signature policy holds before anything is uploaded
    Artifact.open(artifact.path, expected_id=artifact.id, trusted_keys=policy.trusted_keys or None,
                  require_signature=policy.require_signature)
    backend = env._backend
    request = submit.submit(backend, artifact, env.name, parameters=parameters, reason=reason, force=force,
                            rerun_unchanged=rerun_unchanged)
    record = submit.wait_for_request(backend.state, request)
    if wait:
        record = submit.follow(backend.state, record, progress)
    deployment = Deployment(env, record)
    if raise_on_failure and record.status in ("failed", "aborted"):
        raise failure(record)
    return deployment


def failure(record: DeploymentRecord) -> StepFailed:
    """The error ``raise_on_failure=True`` raises for a failed or aborted deployment."""
    return StepFailed(f"{record.label} {record.status} in '{record.environment}' "
                      f"(revision {record.revision}): {record.error}", error=record.error, cause=record.cause,
                      where=f"environment '{record.environment}', deployment {record.id}",
                      hint=f"read the steps and logs: `attini deploy describe -e {record.environment} "
                           f"-n {record.distribution}`")


def rollback(env: Environment, distribution: str, to: int | str | None = None, *, force: bool = False,
             wait: bool = True, approve=None, progress=None) -> Deployment:
    """Deploy the retained artifact of an earlier deployment as a new revision with reason "Rollback to N"."""
    env._backend.detect_interrupted(env.name)
    target = _rollback_target(env, distribution, to)
    if target.status != "succeeded" and not force:
        raise DeploymentError(f"revision {target.revision} of '{distribution}' {target.status}; rolling back to it "
                              "would deploy a version that never worked here", where=f"environment '{env.name}'",
                              hint="pick a succeeded revision (env.history(distribution)), or pass force=True",
                              cli_hint=f"pick a succeeded revision (attini deploy history -e {env.name} -n "
                                       f"{distribution}), or add --skip-checks")
    if not env._backend.artifacts.has(target.distribution_id):
        raise NotFoundError(f"the artifact of '{distribution}' revision {target.revision} ("
                            f"{target.version + ', ' if target.version else ''}{target.distribution_id[:19]}…) is no "
                            "longer stored", where=f"environment '{env.name}'",
                            hint="retention removed it; deploy that version again from its zip or another "
                                 "environment, or raise keep_versions",
                            cli_hint="retention removed it; deploy that version again from its zip or another "
                                     f"environment, or keep more: attini environment create {env.name} "
                                     "--keep-versions N")
    return deploy(env, target.distribution_id, wait=wait, approve=approve, progress=progress,
                  reason=f"Rollback to {target.revision}", check_dependencies=not force)


def _rollback_target(env: Environment, distribution: str, to: int | str | None) -> DeploymentRecord:
    state = env._backend.state
    where = f"environment '{env.name}', distribution '{distribution}'"
    if isinstance(to, int) and not isinstance(to, bool):
        return state.find_deployment(env.name, distribution, to)
    if to is None:
        current = state.current_deployment(env.name, distribution)
        latest = state.latest_deployment(env.name, distribution)
        if current is None:
            raise NotFoundError(f"'{distribution}' never succeeded in '{env.name}': nothing to roll back to",
                                where=where, hint="deploy a working version instead")
        if latest is not None and latest.id != current.id:
            return current  # the latest attempt did not succeed: go back to what last worked
        earlier = [d for d in state.successful_deployments(env.name, distribution) if d.revision < current.revision]
        if not earlier:
            raise NotFoundError(f"'{distribution}' revision {current.revision} is the only successful deployment "
                                f"in '{env.name}'", where=where, hint="pass to= a revision, version or id",
                                cli_hint=f"name one with --to REVISION|VERSION|ID (see them: attini deploy history "
                                         f"-e {env.name} -n {distribution})")
        return earlier[0]
    key = "distribution_id" if str(to).startswith("sha256:") else "version"
    done = state.successful_deployments(env.name, distribution)
    for d in done:
        if getattr(d, key) == to:
            return d
    unversioned = key == "version" and done and not any(d.version for d in done)
    raise NotFoundError(f"no successful deployment of '{distribution}' with {key.replace('_', ' ')} {to} in "
                        f"'{env.name}'" + (f" ('{distribution}' has no version there)" if unversioned else ""),
                        where=where,
                        hint=("roll back to a revision number or a distribution id instead; " if unversioned else "")
                        + f"list them with `attini deploy history -e {env.name} -n {distribution}`")


def resume(env: Environment, distribution: str, deployment_id: str | None = None, *, wait: bool = True,
           approve=None, progress=None) -> Deployment:
    """Continue an interrupted deployment of ``distribution`` in this process."""
    from attini_sdk.deploy.deployment import Deployment

    backend = env._backend
    backend.detect_interrupted(env.name)
    state = backend.state
    record = state.get_deployment(deployment_id) if deployment_id else state.latest_deployment(env.name, distribution)
    where = f"environment '{env.name}', distribution '{distribution}'"
    if record is None or record.environment != env.name or record.distribution != distribution:
        raise NotFoundError(f"no deployment of '{distribution}' to resume in '{env.name}'", where=where,
                            hint=f"list deployments with `attini deploy history -e {env.name} -n {distribution}`")
    waiting = Deployment(env, record).pending_approvals if record.status == "waiting_approval" else []
    if waiting:
        steps = ", ".join(waiting)
        raise ConflictError(f"revision {record.revision} waits for an approval of {steps}", where=where,
                            hint=f"approve or abort it: `attini deploy continue -e {env.name} -n {distribution} "
                                 "--step-name STEP`")
    if record.status not in ("interrupted", "waiting_approval"):  # waiting, all answered: deliver the answers
        raise ConflictError(f"revision {record.revision} is {record.status}; only interrupted deployments resume",
                            where=where, hint="a running one is alive in another process; finished ones never change")
    record = backend.orchestrator.resume(record.id, _options(False, approve, progress), wait=wait)
    return Deployment(env, record)
