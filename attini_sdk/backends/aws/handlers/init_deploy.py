"""init-deploy: an upload under ``deploy/`` → a verified artifact, a recorded deployment, a started execution.

Invoked by the SQS event source on ``deploy-events`` (one message per invocation, partial batch failures), or
by the emulation. Each S3 record names ``deploy/<environment>/<distribution>/<file>``:

- ``<id>.zip``: a packaged artifact; the request (who, why, options) rides in the object's metadata
  ``attini-request`` (JSON), or is empty; a request too large for metadata (S3 keeps 2 KB) was written first to
  ``requests/<request id>.json`` beside it, and the metadata holds ``{"request_id", "request_body": KEY}``;
- ``<id>.request.json``: a request to deploy ``artifacts/<id>.zip``, already stored (no second upload).

The request JSON: ``{"request_id", "distribution_id", "deployed_by", "reason", "force", "rerun_unchanged",
"parameters"}`` (all optional). Then, in order: skip ``s3:TestEvent``; URL-decode the key; open the artifact
under the environment's signature policy (every file verified); store it as ``artifacts/<id>.zip``; resolve
the environment's config and check dependencies (unless ``force``); take the lock and record the deployment
with its ``request_id`` in one transaction; start the execution (:class:`SfnOrchestrator`); delete the stored
artifacts of the distribution that retention no longer keeps. A request with ``rerun_unchanged`` leaves
``artifacts/runs/<deployment id>.json`` for the runner.

**Idempotent on redelivery**: the request id (the deployer's, else ``s3:<key>@<version>``) is recorded with the
deployment in the same transaction, so a second delivery of the same upload starts nothing.

**Refusals** (a bad artifact, an unknown environment, a failed dependency, a held lock) are not retried: they
would fail the same way five times. init-deploy records the error under the request id
(``state.reject_request``), and the deploying SDK, waiting for that request (``submit.wait_for_request``),
raises it::

    process_message(session, contract, state, sqs_message_body)   # -> [InitResult(...)]
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote_plus

import attrs

from attini_sdk.errors import AttiniError, ConflictError, DeploymentError

__all__ = ["handler", "process_message", "init_deploy", "InitResult", "parse_key", "run_options_key"]

log = logging.getLogger("attini.init_deploy")


@attrs.frozen
class InitResult:
    """What one S3 record led to: ``started``, ``repeated`` (already started by this request), ``rejected``,
    ``ignored``."""

    outcome: str
    key: str
    request_id: str | None = None
    deployment_id: str | None = None
    error: str | None = None
    message: str | None = None


def parse_key(key: str) -> tuple[str, str, str] | None:
    """``(environment, distribution, file)`` of a key under ``deploy/``; None for any other key.

    >>> parse_key("deploy/dev/network/sha256-ab.zip")
    ('dev', 'network', 'sha256-ab.zip')
    >>> parse_key("artifacts/x.zip") is None
    True
    """
    parts = key.split("/")
    if len(parts) != 4 or parts[0] != "deploy" or not all(parts[1:]):
        return None
    return parts[1], parts[2], parts[3]


def handler(event: dict, context: Any = None) -> dict:
    """The Lambda entry point (SQS batch with ReportBatchItemFailures)."""
    from attini_sdk.backends.aws.handlers import backend_from_environment

    session, contract, state = backend_from_environment()
    failures = []
    for message in event.get("Records", []):
        try:
            process_message(session, contract, state, message["body"])
        except Exception:  # an AWS hiccup: SQS delivers the message again, up to five times
            log.exception("init-deploy failed for message %s", message.get("messageId"))
            failures.append({"itemIdentifier": message.get("messageId")})
    return {"batchItemFailures": failures}


def process_message(session, contract: dict, state, body: str | dict) -> list[InitResult]:
    """Handle one ``deploy-events`` message (an S3 event notification)."""
    data = json.loads(body) if isinstance(body, str) else body
    if data.get("Event") == "s3:TestEvent":
        return []
    results = []
    for record in data.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        key = unquote_plus(s3["object"]["key"])
        results.append(init_deploy(session, contract, state, s3["bucket"]["name"], key,
                                   version=s3["object"].get("versionId"), etag=s3["object"].get("eTag")))
    return results


def init_deploy(session, contract: dict, state, bucket: str, key: str, *, version: str | None = None,
                etag: str | None = None) -> InitResult:
    """Start the deployment an object under ``deploy/`` asks for (see the module's docstring)."""
    parsed = parse_key(key)
    if parsed is None or not (parsed[2].endswith(".zip") or parsed[2].endswith(".request.json")):
        return InitResult("ignored", key)
    environment, distribution, name = parsed
    s3 = session.client("s3")
    with tempfile.TemporaryDirectory(prefix="attini-init-") as tmp:
        if name.endswith(".zip"):
            get = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
            response = s3.get_object(**get)
            zip_path = Path(tmp) / "artifact.zip"
            zip_path.write_bytes(response["Body"].read())
            request = _request_from_metadata(response.get("Metadata") or {})
        else:
            get = {"Bucket": bucket, "Key": key, **({"VersionId": version} if version else {})}
            request = json.loads(s3.get_object(**get)["Body"].read() or b"{}")
            zip_path = None
        request_id = str(request.get("request_id") or f"s3:{key}@{version or etag or 'unversioned'}")
        try:
            if "request_body" in request:
                request = _request_body(s3, bucket, key, request_id, request["request_body"])
            return _start(session, contract, state, bucket, key, environment, distribution, request, request_id,
                          zip_path, Path(tmp))
        except ConflictError as exc:
            earlier = getattr(exc, "deployment", None)
            if earlier is not None:
                return InitResult("repeated", key, request_id, earlier.id)
            return _reject(state, key, request_id, exc)
        except AttiniError as exc:
            return _reject(state, key, request_id, exc)


def _request_from_metadata(metadata: dict) -> dict:
    text = metadata.get("attini-request")
    if text:
        try:
            return json.loads(text)
        except ValueError:
            log.warning("ignoring metadata attini-request that is not JSON")
    return {}


def _request_body(s3, bucket: str, key: str, request_id: str, body_key: Any) -> dict:
    """The whole request a zip's metadata points at: ``requests/<request id>.json`` beside the zip, nowhere else."""
    expected = f"{key.rsplit('/', 1)[0]}/requests/{request_id}.json"
    if body_key != expected:
        raise DeploymentError(f"the upload's request points at {body_key!r}, not at {expected!r}",
                              where=f"s3://{bucket}/{key}", hint="deploy with the attini SDK or CLI")
    try:
        request = json.loads(s3.get_object(Bucket=bucket, Key=expected)["Body"].read())
    except Exception as exc:
        raise DeploymentError(f"the upload's request {expected} cannot be read: {exc}", where=f"s3://{bucket}/{key}",
                              hint="deploy again: the request is written before the artifact") from exc
    if not isinstance(request, dict) or request.get("request_id") != request_id:
        raise DeploymentError(f"{expected} is not the request of this upload", where=f"s3://{bucket}/{key}",
                              hint="deploy again")
    return request


def _start(session, contract, state, bucket, key, environment, distribution, request, request_id, zip_path,
           tmp: Path) -> InitResult:
    from attini_sdk.artifacts.artifact import Artifact
    from attini_sdk.backends.aws.orchestrator import SfnOrchestrator
    from attini_sdk.backends.inputs import resolve_inputs

    try:
        earlier = state.request_outcome(request_id)
    except AttiniError as refused:  # refused before: a redelivery is refused the same way, once
        return InitResult("repeated", key, request_id, error=type(refused).__name__)
    if earlier is not None:
        return InitResult("repeated", key, request_id, earlier.id)
    env = state.get_environment(environment)
    s3 = session.client("s3")
    expected = request.get("distribution_id")
    if zip_path is None:
        if not expected:
            raise DeploymentError(f"{key} names no distribution_id", where=f"s3://{bucket}/{key}",
                                  hint="a .request.json names the stored artifact it deploys")
        zip_path = tmp / "artifact.zip"
        try:
            s3.download_file(bucket, f"artifacts/{expected}.zip", str(zip_path))
        except Exception as exc:
            raise DeploymentError(f"artifact {expected} is not stored in this backend", where=f"s3://{bucket}/{key}",
                                  hint="upload the artifact's zip instead of a request") from exc
    artifact = Artifact.open(zip_path, expected_id=expected or None, trusted_keys=env.trusted_keys or None,
                             require_signature=env.require_signature)
    if artifact.name != distribution:
        raise DeploymentError(f"the artifact is distribution '{artifact.name}', uploaded under '{distribution}'",
                              where=f"s3://{bucket}/{key}",
                              hint=f"upload it under deploy/{environment}/{artifact.name}/")
    stored_key = f"artifacts/{artifact.id}.zip"
    if not _exists(s3, bucket, stored_key):
        s3.upload_file(str(zip_path), bucket, stored_key)
    inputs = resolve_inputs(state, env, artifact, request.get("parameters") or None,
                            check=not request.get("force"))
    details: dict[str, Any] = {"deployed_by": request.get("deployed_by"), "reason": request.get("reason"),
                               "tags": inputs.tags, "parameters": inputs.parameters,
                               "secret_keys": inputs.secret_keys, "request_id": request_id}
    record, lock = state.start_deployment(environment, artifact.name, distribution_id=artifact.id,
                                          version=artifact.version, **details)
    if request.get("rerun_unchanged"):  # what the runner must know and cannot read from the table
        s3.put_object(Bucket=bucket, Key=run_options_key(record.id), ContentType="application/json",
                      Body=json.dumps({"rerun_unchanged": True}).encode())
    record = SfnOrchestrator(session, state, contract).launch(record, lock, artifact, inputs, None, wait=False)
    _retire_expired(state, s3, bucket, artifact.name)
    return InitResult("started", key, request_id, record.id)


def run_options_key(deployment_id: str) -> str:
    """Where init-deploy leaves a deployment's run options for the runner (only when not the defaults).

    >>> run_options_key("0001abc")
    'artifacts/runs/0001abc.json'
    """
    return f"artifacts/runs/{deployment_id}.json"


def _retire_expired(state, s3, bucket: str, distribution: str) -> None:
    """Delete the stored artifacts of ``distribution`` that no environment's retention keeps any more (the
    bucket's lifecycle rule removes the noncurrent versions later). A failure here never fails the deploy."""
    try:
        for artifact_id in state.expired_artifacts(distribution):
            s3.delete_object(Bucket=bucket, Key=f"artifacts/{artifact_id}.zip")
            log.info("retired artifact %s of %s", artifact_id, distribution)
    except Exception:
        log.exception("retention of %s failed; the next deployment tries again", distribution)


def _exists(s3, bucket: str, key: str) -> bool:
    try:
        s3.head_object(Bucket=bucket, Key=key)
        return True
    except Exception:
        return False


def _reject(state, key: str, request_id: str, exc: AttiniError) -> InitResult:
    log.warning("refused %s: %s", key, exc)
    state.reject_request(request_id, exc)
    return InitResult("rejected", key, request_id, error=type(exc).__name__, message=getattr(exc, "what", str(exc)))
