"""The deployer's side of an AWS deploy: upload, then follow the deployment in the table.

A deployer never starts anything itself; it only writes under ``deploy/`` (the deployer policy allows no
more) and reads the table:

1. a :class:`DeployRequest` gets a fresh ``request_id`` (uuid4) and says who deploys what and how;
2. when the backend does not store the artifact yet, the zip goes to ``deploy/<env>/<distribution>/<id>.zip``
   with the request as object metadata (:data:`REQUEST_METADATA`, JSON); when ``artifacts/<id>.zip`` exists
   (a rollback, a promotion), only ``deploy/<env>/<distribution>/<id>.request.json`` is written;
3. init-deploy (S3 event) verifies the artifact, records the deployment *with the request id* (or records why
   it refused the request, :meth:`~attini_sdk.backends.aws.state.DynamoStateStore.reject_request`) and
   starts the execution;
4. :func:`wait_for_request` finds that deployment by request id, :func:`follow` reports its steps as the
   local backend's progress events until it finishes or waits for an approval.

    >>> r = DeployRequest.new("dev", "app", "sha256:" + "0" * 64, "1.0.0", deployed_by="me@ci")
    >>> DeployRequest.from_json(r.to_json()) == r
    True
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

import attrs

from attini_sdk.backends.aws.artifacts import deploy_key, request_body_key, request_key
from attini_sdk.backends.records import DeploymentRecord
from attini_sdk.errors import AttiniError, BackendError

__all__ = ["REQUEST_METADATA", "DeployRequest", "submit", "wait_for_request", "follow", "request_from_object"]

#: the S3 user-metadata key (``x-amz-meta-attini-request``) that carries the request on a zip upload
REQUEST_METADATA = "attini-request"
#: S3 allows 2 KB of user metadata; a larger request is written first to ``requests/<request id>.json`` beside
#: the zip (:func:`~attini_sdk.backends.aws.artifacts.request_body_key`), and the metadata only points at it
_METADATA_LIMIT = 1800
#: the key, in a request's metadata, of the object holding the whole request
REQUEST_BODY = "request_body"


@attrs.frozen
class DeployRequest:
    """What a deployer asks the backend to do; travels as JSON (object metadata or ``.request.json``)."""

    request_id: str
    environment: str
    distribution: str
    distribution_id: str
    version: str | None
    deployed_by: str
    reason: str | None = None
    #: skip the dependency check (rollback --skip-checks)
    force: bool = False
    rerun_unchanged: bool = False
    #: explicit parameter values for this deploy (never secrets: those stay in SSM as environment parameters)
    parameters: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def new(cls, environment: str, distribution: str, distribution_id: str, version: str | None, **kwargs):
        return cls(str(uuid.uuid4()), environment, distribution, distribution_id, version, **kwargs)

    def to_json(self) -> str:
        return json.dumps(attrs.asdict(self), sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> DeployRequest:
        values = json.loads(text)
        known = {f.name for f in attrs.fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})


def request_from_object(key: str, metadata: Mapping[str, str] | None, body: bytes | None = None, *,
                        read: Callable[[str], bytes] | None = None) -> DeployRequest | None:
    """The request an uploaded object carries: a ``.request.json`` object's body, or a zip's
    :data:`REQUEST_METADATA` (boto3 gives user metadata without ``x-amz-meta-``), or the object that metadata
    points at (:data:`REQUEST_BODY`, fetched with ``read(key)``). None: a plain upload (e.g. ``aws s3 cp``),
    deployed with defaults.

    >>> r = DeployRequest.new("dev", "app", "sha256:" + "0" * 64, None, deployed_by="me")
    >>> request_from_object("deploy/dev/app/x.zip", {REQUEST_METADATA: r.to_json()}) == r
    True
    """
    if key.endswith(".request.json"):
        return DeployRequest.from_json(body or b"{}")
    text = (metadata or {}).get(REQUEST_METADATA)
    if not text:
        return None
    pointer = json.loads(text)
    if REQUEST_BODY in pointer:
        if read is None:
            raise ValueError(f"the request of {key} is in {pointer[REQUEST_BODY]}: pass read= to fetch it")
        return DeployRequest.from_json(read(pointer[REQUEST_BODY]))
    return DeployRequest.from_json(text)


def submit(backend, artifact, environment: str, *, parameters: Mapping[str, Any] | None = None,
           reason: str | None = None, force: bool = False, rerun_unchanged: bool = False,
           deployed_by: str | None = None) -> DeployRequest:
    """Upload ``artifact`` (an opened :class:`~attini_sdk.artifacts.artifact.Artifact`) to deploy it to
    ``environment``; returns the request (its ``request_id`` finds the deployment)."""
    from attini_sdk.backends.local.state_core import whoami

    request = DeployRequest.new(environment, artifact.name, artifact.id, artifact.version,
                                deployed_by=deployed_by or whoami(), reason=reason, force=force,
                                rerun_unchanged=rerun_unchanged, parameters=dict(parameters or {}))
    s3 = backend.session.client("s3")
    bucket = backend.contract["artifact_bucket"]
    body = request.to_json()
    try:
        if backend.artifacts.has(artifact.id):
            s3.put_object(Bucket=bucket, Key=request_key(environment, artifact.name, artifact.id),
                          Body=body.encode(), ContentType="application/json")
        else:
            if len(body) > _METADATA_LIMIT:  # the request goes first, the zip's metadata points at it
                body_key = request_body_key(environment, artifact.name, request.request_id)
                s3.put_object(Bucket=bucket, Key=body_key, Body=body.encode(), ContentType="application/json")
                body = json.dumps({"request_id": request.request_id, REQUEST_BODY: body_key})
            s3.upload_file(str(artifact.path), bucket, deploy_key(environment, artifact.name, artifact.id),
                           ExtraArgs={"Metadata": {REQUEST_METADATA: body}, "ContentType": "application/zip"})
    except AttiniError:
        raise
    except Exception as exc:
        raise BackendError(f"uploading {artifact.name} to s3://{bucket}/deploy/ failed: {exc}",
                           where=f"AWS {backend.session.describe()}",
                           hint="check your credentials: deployers need the backend's deployer policy "
                                "(s3:PutObject on deploy/*)") from exc
    return request


def wait_for_request(state, request: DeployRequest, *, timeout: float = 300.0, poll: float = 0.25,
                     sleep: Callable[[float], None] = time.sleep) -> DeploymentRecord:
    """The deployment init-deploy recorded for ``request``; raises the error it recorded when it refused
    the request, or :class:`BackendError` after ``timeout`` seconds without an answer."""
    deadline = time.monotonic() + timeout
    pause = poll
    while True:
        outcome = state.request_outcome(request.request_id)
        if outcome is not None:
            return outcome
        if time.monotonic() >= deadline:
            raise BackendError(
                f"the backend did not pick up the deployment of {request.distribution} to '{request.environment}' "
                f"within {timeout:.0f} s (request {request.request_id})",
                where=f"environment '{request.environment}'",
                hint="check init-deploy's logs and the deploy-events DLQ; on a moto server, run "
                     "`python -m attini_sdk.backends.aws.emulate --endpoint-url URL`")
        sleep(pause)
        pause = min(pause * 1.5, 2.0)


def follow(state, record: DeploymentRecord, progress: Callable[[dict], None] | None = None, *,
           timeout: float | None = None, poll: float = 0.25, sleep: Callable[[float], None] = time.sleep,
           until_paused: bool = True) -> DeploymentRecord:
    """Poll the table until the deployment finishes (or waits for an approval, with ``until_paused``),
    sending the local backend's progress events for what changed: ``deployment_started``, ``step_started``,
    ``step_succeeded`` / ``step_failed`` / ``step_skipped``, ``deployment_waiting_approval``,
    ``deployment_finished``. Returns the record as last read."""
    seen: dict[int, str] = {}
    emit = _emitter(progress, record)
    emit("deployment_started", version=record.version, distribution_id=record.distribution_id)
    deadline = None if timeout is None else time.monotonic() + timeout
    pause = poll
    while True:
        record = state.get_deployment(record.id)
        if progress is not None:
            for run in state.step_runs(record.id):
                before = seen.get(run.id)
                if before == run.status:
                    continue
                seen[run.id] = run.status
                if before is None and run.status != "skipped":
                    emit("step_started", step=run.step, resource=run.type, attempt=run.attempt)
                if run.status != "running":
                    emit(f"step_{run.status}", step=run.step, resource=run.type, error=run.error, cause=run.cause)
        if record.finished or record.status == "interrupted":
            emit("deployment_finished", status=record.status, error=record.error, cause=record.cause)
            return record
        if record.status == "waiting_approval" and until_paused:
            waiting = [a.step for a in state.pending_approvals(record.environment) if a.deployment_id == record.id]
            if waiting:
                emit("deployment_waiting_approval", steps=waiting)
                return record
        if deadline is not None and time.monotonic() >= deadline:
            return record
        sleep(pause)
        pause = min(pause * 1.5, 2.0)


def _emitter(progress: Callable[[dict], None] | None, record: DeploymentRecord):
    warned = []

    def emit(event: str, **details: Any) -> None:
        if progress is None:
            return
        from attini_sdk.steps import type_name

        resource = details.pop("resource", None)
        message = {"event": event, "environment": record.environment, "distribution": record.distribution,
                   "deployment_id": record.id, "revision": record.revision, "time": datetime.now(timezone.utc)}
        if resource:
            message.update(type=type_name("Task", resource), resource=resource)
        message.update({k: v for k, v in details.items() if v is not None})
        try:
            progress(message)
        except Exception as exc:  # a failing callback never stops following
            if not warned:
                warned.append(exc)
                import warnings

                warnings.warn(f"progress callback failed: {exc!r}", stacklevel=2)

    return emit



