"""The environment's artifact store as SAM and CDK steps use it: an S3 bucket for code and templates.

Attini keeps built code in ``attini-artifact-store-<region>-<account>``; the Sam and Cdk steps upload
function code, CDK file assets and the templates they deploy there, under the environment and
distribution, content-addressed (an object already there is never uploaded again)::

    >>> bucket_name("eu-west-1", "123456789012")
    'attini-artifact-store-eu-west-1-123456789012'
    >>> AssetStore(None, "b", "dev/app").key("cdk-assets", "ab12.zip")
    'dev/app/cdk-assets/ab12.zip'

Against an emulator (moto, LocalStack) the bucket is created on first use; on AWS ``attini setup``
made it, and a missing bucket is created too (with a log line), so a plain account works.

On the AWS backend the runner gives the steps the backend's own artifact bucket
(``DeploymentContext.asset_bucket``): everything goes under ``assets/<env>/<distribution>/`` there, a prefix
the runner role may read and write, so the CloudFormation deploy in the same account reads it with the same
credentials, and no second bucket is made::

    >>> from attini_sdk.steps.base import DeploymentContext
    >>> ctx = DeploymentContext(environment="dev", distribution_name="app", source_dir=".", work_dir=".",
    ...                         log_dir=".", asset_bucket="attini-artifacts-1-eu-west-1")
    >>> AssetStore.named(ctx).key("sam-assets", "ab12.zip")
    'assets/dev/app/sam-assets/ab12.zip'
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import zipfile
from pathlib import Path

from attini_sdk.steps.base import DeploymentContext, StepFailed, StepLog

__all__ = ["AssetStore", "bucket_name", "zip_folder", "file_sha256", "BACKEND_PREFIX"]

_LOCK = threading.Lock()
_EPOCH = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp: the same files always zip to the same bytes
BACKEND_PREFIX = "assets"
"""The prefix of step assets in the AWS backend's bucket (``assets/<env>/<distribution>/...``)."""


def bucket_name(region: str, account: str) -> str:
    """Attini's artifact store bucket for a region and account."""
    return f"attini-artifact-store-{region}-{account}"


def zip_folder(folder: Path) -> bytes:
    """Zip ``folder``'s files (sorted, fixed timestamps, executable bits kept): same files, same bytes.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp()); _ = (d / "index.py").write_text("x = 1\\n")
    >>> zip_folder(d) == zip_folder(d)
    True
    """
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=_EPOCH)
            info.external_attr = (0o755 if os.access(path, os.X_OK) else 0o644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


def file_sha256(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


class AssetStore:
    """Upload objects under ``prefix`` in ``bucket``; :meth:`for_context` finds the environment's bucket."""

    def __init__(self, s3, bucket: str, prefix: str):
        self.s3 = s3
        self.bucket = bucket
        self.prefix = prefix.strip("/")

    @classmethod
    def for_context(cls, ctx: DeploymentContext, *, step: str, log: StepLog) -> AssetStore:
        """The artifact store of ``ctx``: the backend's bucket when the host gives one, else Attini's bucket of
        the account and region, created when missing."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            if ctx.asset_bucket:
                return cls(ctx.aws.client("s3"), ctx.asset_bucket, _prefix(ctx))
            region = ctx.aws.region or "us-east-1"
            account = ctx.aws.client("sts").get_caller_identity()["Account"]
            s3 = ctx.aws.client("s3")
            bucket = bucket_name(region, account)
            _ensure_bucket(s3, bucket, region, log)
        except (ClientError, BotoCoreError) as exc:
            raise StepFailed(f"cannot reach the artifact store bucket: {exc}", step=step, error="Assets.UploadFailed",
                             cause=str(exc), hint="check credentials, region and endpoint") from exc
        return cls(s3, bucket, _prefix(ctx))

    @classmethod
    def named(cls, ctx: DeploymentContext) -> AssetStore:
        """The same store's names, without a client and without touching the bucket (a diff changes nothing)."""
        if ctx.asset_bucket:
            return cls(None, ctx.asset_bucket, _prefix(ctx))
        account = ctx.aws.client("sts").get_caller_identity()["Account"]
        return cls(None, bucket_name(ctx.aws.region or "us-east-1", account), _prefix(ctx))

    def key(self, *parts: str) -> str:
        """The object key for ``parts`` under this store's prefix."""
        return "/".join([self.prefix, *(p.strip("/") for p in parts)]) if self.prefix else "/".join(parts)

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> bool:
        """Upload ``data`` at ``key``; False (and no upload) when it is there already and ``overwrite`` is off."""
        from botocore.exceptions import ClientError

        if not overwrite:
            try:
                self.s3.head_object(Bucket=self.bucket, Key=key)
                return False
            except ClientError:
                pass
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)
        return True

    def url(self, key: str) -> str:
        """``s3://bucket/key``."""
        return f"s3://{self.bucket}/{key}"


def _prefix(ctx: DeploymentContext) -> str:
    scope = f"{ctx.environment}/{ctx.distribution_name}"
    return f"{BACKEND_PREFIX}/{scope}" if ctx.asset_bucket else scope


def _ensure_bucket(s3, bucket: str, region: str, log: StepLog) -> None:
    from botocore.exceptions import ClientError

    with _LOCK:  # two stacks' steps at once must not both create it
        try:
            s3.head_bucket(Bucket=bucket)
        except ClientError:
            args = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=bucket, **args)
            log.info(f"created the artifact store bucket {bucket}")
