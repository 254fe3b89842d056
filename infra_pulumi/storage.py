"""The artifact bucket: versioned, encrypted, private, TLS only, with a retention-safe lifecycle.

Key layout (the SDK writes and reads exactly these prefixes; IAM is scoped by them):

| prefix | what |
|---|---|
| ``deploy/<env>/<distribution>/<id>.zip`` | uploads that trigger a deployment (S3 event → deploy-events) |
| ``artifacts/<id>.zip`` | the retained artifact store, one object per distribution id |
| ``outputs/...`` | deployment outputs written by the runner and finalize |
| ``assets/<env>/<distribution>/...`` | code, CDK assets and templates the Sam and Cdk steps publish (the runner) |

Step logs are not in the bucket: the runner writes them to its CloudWatch Logs group.

Lifecycle: a *noncurrent* version under ``deploy/`` or ``artifacts/`` expires ``retention_days``
after it became noncurrent, and the newest ``retention_versions`` noncurrent versions are kept
even then. Current versions are never expired by a rule, so an artifact the SDK still retains
(current or one of the last N successful deployments) stays; removing a retired artifact is the
SDK's decision (a delete makes it noncurrent, then the rule cleans it). ``retention_days=0``
keeps every version forever.
"""

from __future__ import annotations

import attrs
import pulumi
import pulumi_aws as aws

from . import policies
from .naming import Names
from .wiring import child, pick, to_json

__all__ = ["Storage", "artifact_bucket", "deploy_notification", "RETAINED_PREFIXES", "DEPLOY_PREFIX"]

DEPLOY_PREFIX = "deploy/"
RETAINED_PREFIXES = ("deploy/", "artifacts/")


@attrs.frozen
class Storage:
    bucket: aws.s3.Bucket
    settings: tuple[pulumi.Resource, ...]


def artifact_bucket(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], *,
                    retention_days: int, retention_versions: int, retain: bool) -> Storage:
    """The bucket and the settings that make it safe; ``retain`` keeps it on `pulumi destroy`."""
    bucket = aws.s3.Bucket(f"{name}-artifacts", bucket=pick(names, lambda n: n.bucket), force_destroy=not retain,
                           opts=child(parent, retain_on_delete=retain))
    opts = child(parent)
    block = aws.s3.BucketPublicAccessBlock(
        f"{name}-artifacts-public-access", bucket=bucket.id, block_public_acls=True, block_public_policy=True,
        ignore_public_acls=True, restrict_public_buckets=True, opts=opts)
    versioning = aws.s3.BucketVersioning(
        f"{name}-artifacts-versioning", bucket=bucket.id,
        versioning_configuration={"status": "Enabled"}, opts=opts)
    encryption = aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-artifacts-encryption", bucket=bucket.id,
        rules=[{"apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"}}],
        opts=opts)
    tls_only = aws.s3.BucketPolicy(f"{name}-artifacts-tls-only", bucket=bucket.id,
                                   policy=to_json(names, policies.bucket_policy),
                                   opts=child(parent, depends_on=[block]))
    lifecycle = aws.s3.BucketLifecycleConfiguration(
        f"{name}-artifacts-lifecycle", bucket=bucket.id, rules=lifecycle_rules(retention_days, retention_versions),
        opts=child(parent, depends_on=[versioning]))
    return Storage(bucket=bucket, settings=(block, versioning, encryption, tls_only, lifecycle))


def lifecycle_rules(retention_days: int, retention_versions: int) -> list[dict]:
    """The lifecycle rules described in this module's docstring.

    >>> [r["id"] for r in lifecycle_rules(10, 10)]
    ['deploy-noncurrent', 'artifacts-noncurrent', 'housekeeping']
    >>> [r["id"] for r in lifecycle_rules(0, 10)]
    ['housekeeping']
    """
    rules = []
    if retention_days > 0:
        for prefix in RETAINED_PREFIXES:
            expiration = {"noncurrent_days": retention_days}
            if retention_versions > 0:
                expiration["newer_noncurrent_versions"] = min(retention_versions, 100)  # S3's maximum
            rules.append({"id": f"{prefix.rstrip('/')}-noncurrent", "status": "Enabled",
                          "filter": {"prefix": prefix}, "noncurrent_version_expiration": expiration})
    rules.append({"id": "housekeeping", "status": "Enabled", "filter": {"prefix": ""},
                  "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                  "expiration": {"expired_object_delete_marker": True}})
    return rules


def deploy_notification(name: str, parent: pulumi.Resource, bucket: aws.s3.Bucket, queue: aws.sqs.Queue,
                        queue_policy: aws.sqs.QueuePolicy) -> aws.s3.BucketNotification:
    """Every object created under ``deploy/`` becomes a message on deploy-events.

    S3 checks that it may send to the queue when the notification is saved, so the queue policy
    comes first.
    """
    return aws.s3.BucketNotification(
        f"{name}-deploy-notification", bucket=bucket.id,
        queues=[{"id": "deploy-events", "queue_arn": queue.arn, "events": ["s3:ObjectCreated:*"],
                 "filter_prefix": DEPLOY_PREFIX}],
        opts=child(parent, depends_on=[queue_policy]))
