"""Artifacts in the backend's S3 bucket: ``artifacts/<id>.zip`` (``<id>`` is the whole ``sha256:<hex>``),
with a local cache of what this machine read under ``$ATTINI_HOME/cache/aws/<bucket>/``.

Artifacts are immutable (their id is their digest), so a cached copy never goes stale; downloads are atomic
(a hidden ``.part`` file renamed into place)::

    >>> object_key("sha256:" + "ab" * 32)
    'artifacts/sha256:abababababababababababababababababababababababababababababababab.zip'
    >>> deploy_key("dev", "app", "sha256:" + "ab" * 32).startswith("deploy/dev/app/sha256:abab")
    True
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, BinaryIO, Mapping

from attini_sdk.backends.aws.session import AwsSession, client_error_code
from attini_sdk.errors import ArtifactError, BackendError, NotFoundError
from attini_sdk.home import attini_home

__all__ = ["S3ArtifactStore", "object_key", "deploy_key", "request_key"]

_ID = re.compile(r"^sha256:[0-9a-f]{64}$")
_KEY = re.compile(r"^artifacts/(sha256:[0-9a-f]{64})\.zip$")


def _check(artifact_id: str) -> str:
    if not isinstance(artifact_id, str) or not _ID.match(artifact_id):
        raise ArtifactError(f"{artifact_id!r} is not a distribution id", where="S3 artifact store",
                            hint="a distribution id is 'sha256:' followed by 64 lowercase hex digits")
    return artifact_id


def object_key(artifact_id: str) -> str:
    """Where the backend keeps an artifact: ``artifacts/<id>.zip``."""
    return f"artifacts/{_check(artifact_id)}.zip"


def deploy_key(environment: str, distribution: str, artifact_id: str) -> str:
    """Where a deployer uploads an artifact to deploy it: ``deploy/<env>/<distribution>/<id>.zip``."""
    return f"deploy/{environment}/{distribution}/{_check(artifact_id)}.zip"


def request_key(environment: str, distribution: str, artifact_id: str) -> str:
    """Where a deployer asks to deploy an artifact the backend already stores:
    ``deploy/<env>/<distribution>/<id>.request.json``."""
    return f"deploy/{environment}/{distribution}/{_check(artifact_id)}.request.json"


def request_body_key(environment: str, distribution: str, request_id: str) -> str:
    """Where a request too large for object metadata travels, written before its zip:
    ``deploy/<env>/<distribution>/requests/<request id>.json`` (one level deeper, so it starts nothing itself)."""
    if not request_id or "/" in request_id or request_id.startswith("."):
        raise ValueError(f"not a request id: {request_id!r}")
    return f"deploy/{environment}/{distribution}/requests/{request_id}.json"


class S3ArtifactStore:
    """The AWS backend's :class:`~attini_sdk.backends.base.ArtifactStore`.

    ``S3ArtifactStore(session, bucket, cache=None)``; ``cache`` defaults to
    ``$ATTINI_HOME/cache/aws/<bucket>``. :meth:`get` returns a local path (downloaded once).
    """

    def __init__(self, session: AwsSession, bucket: str, cache: str | os.PathLike | None = None):
        self.session = session
        self.bucket = bucket
        self.cache = Path(cache) if cache is not None else attini_home() / "cache" / "aws" / bucket

    @property
    def _s3(self):
        return self.session.client("s3")

    def path(self, artifact_id: str) -> Path:
        """The cached copy's path (whether or not it is there)."""
        return self.cache / "artifacts" / f"{_check(artifact_id)[7:]}.zip"

    def put(self, artifact_id: str, source: bytes | str | os.PathLike | BinaryIO) -> Path:
        """Store an artifact under ``artifacts/<id>.zip`` (a stored id is kept as is) and cache it.

        Writing ``artifacts/`` is the backend's job (init-deploy, the runner); deployers upload under
        ``deploy/`` instead (:mod:`attini_sdk.backends.aws.submit`).
        """
        cached = self._cache_copy(artifact_id, source)
        if not self.has(artifact_id):
            self._call("upload_file", str(cached), self.bucket, object_key(artifact_id))
        return cached

    def get(self, artifact_id: str) -> Path:
        """A local path to the artifact, downloaded on first use; :class:`NotFoundError` if the bucket has none."""
        target = self.path(artifact_id)
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem[:16]}-", suffix=".part")
        os.close(fd)
        try:
            try:
                self._s3.download_file(self.bucket, object_key(artifact_id), tmp)
            except Exception as exc:
                if client_error_code(exc) in ("404", "NoSuchKey", "403", "AccessDenied"):
                    raise NotFoundError(f"artifact {artifact_id} is not in bucket {self.bucket}",
                                        where=f"s3://{self.bucket}/{object_key(artifact_id)}",
                                        hint="it was never deployed here or retention deleted it; deploy it "
                                             "again from its zip") from exc
                raise self._error("download", exc) from exc
            os.replace(tmp, target)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return target

    def has(self, artifact_id: str) -> bool:
        """True if the bucket stores the artifact (a missing key answers 403 without ``s3:ListBucket``: False)."""
        return self.size(artifact_id) is not None

    def size(self, artifact_id: str) -> int | None:
        """The stored artifact's size in bytes; None when the bucket does not store it."""
        try:
            head = self._s3.head_object(Bucket=self.bucket, Key=object_key(artifact_id))
        except Exception as exc:
            if client_error_code(exc) in ("404", "NoSuchKey", "NotFound", "403", "Forbidden", "AccessDenied"):
                return None
            raise self._error("head", exc) from exc
        return int(head.get("ContentLength", 0))

    def delete(self, artifact_id: str) -> bool:
        """Remove a stored artifact, its signatures (and its cached copy); False if it was not there."""
        existed = self.has(artifact_id)
        if existed:
            self._call("delete_object", Bucket=self.bucket, Key=object_key(artifact_id))
        prefix = f"artifacts/{artifact_id}.sig/"
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix):
            for entry in page.get("Contents", []):
                self._call("delete_object", Bucket=self.bucket, Key=entry["Key"])
        self.path(artifact_id).unlink(missing_ok=True)
        return existed

    def list(self) -> list[str]:
        """Every stored artifact id, sorted (needs ``s3:ListBucket``, which the operator policy has)."""
        found = []
        for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix="artifacts/"):
            for entry in page.get("Contents", []):
                match = _KEY.match(entry["Key"])
                if match:
                    found.append(match.group(1))
        return sorted(found)

    def add_signature(self, artifact_id: str, document: Mapping[str, Any]) -> str:
        """Keep a signature document of ``artifact_id`` beside its content, one per signing key:
        ``artifacts/<id>.sig/<sha256 of the public key>.json`` (under ``artifacts/``, so the roles that may read
        and write artifacts may read and write their signatures). The caller checked that it is valid.
        Returns the object key."""
        key = base64.b64decode(str(document.get("publicKey", "")), validate=False)
        name = f"artifacts/{_check(artifact_id)}.sig/{hashlib.sha256(key).hexdigest()}.json"
        self._call("put_object", Bucket=self.bucket, Key=name, ContentType="application/json",
                   Body=json.dumps(dict(document), sort_keys=True).encode())
        return name

    def signatures(self, artifact_id: str) -> list[dict[str, Any]]:
        """Every signature document kept for ``artifact_id``, in key order; unreadable ones are skipped."""
        prefix = f"artifacts/{_check(artifact_id)}.sig/"
        found = []
        try:
            pages = list(self._s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix))
        except Exception as exc:
            if client_error_code(exc) in ("403", "AccessDenied"):
                return []
            raise self._error("list", exc) from exc
        for entry in sorted((e for page in pages for e in page.get("Contents", [])), key=lambda e: e["Key"]):
            try:
                doc = json.loads(self._call("get_object", Bucket=self.bucket, Key=entry["Key"])["Body"].read())
            except (BackendError, ValueError):
                continue
            if isinstance(doc, dict):
                found.append(doc)
        return found

    def _cache_copy(self, artifact_id: str, source) -> Path:
        target = self.path(artifact_id)
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem[:16]}-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                if isinstance(source, (bytes, bytearray, memoryview)):
                    out.write(source)
                elif isinstance(source, (str, os.PathLike)):
                    with open(source, "rb") as src:
                        shutil.copyfileobj(src, out, 1 << 20)
                else:
                    shutil.copyfileobj(source, out, 1 << 20)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return target

    def _call(self, name: str, *args, **kwargs):
        try:
            return getattr(self._s3, name)(*args, **kwargs)
        except Exception as exc:
            if client_error_code(exc) is None and not type(exc).__module__.startswith(("botocore", "boto3", "s3transfer")):
                raise
            raise self._error(name, exc) from exc

    def _error(self, action: str, exc: BaseException) -> BackendError:
        return BackendError(f"S3 {action} failed: {exc}", where=f"s3://{self.bucket} ({self.session.describe()})",
                            hint="check your AWS credentials and that your role has the deployer policy")
