"""SQS: ``deploy-events`` (S3 → init-deploy) and ``runner-jobs`` (Step Functions → runner), each with a DLQ.

Both queues are encrypted with SQS-managed keys (SSE-SQS: S3 event notifications can publish to
it, unlike a queue under the AWS-managed KMS key) and long-polled. A message received five times
without being deleted moves to the queue's DLQ, kept 14 days.

Visibility timeouts:

* ``deploy-events``: six times the init-deploy Lambda's timeout, as AWS advises for a Lambda event
  source, so a slow init-deploy is never handed the same upload twice while it still runs.
* ``runner-jobs``: :data:`~infra_pulumi.contract.RUNNER_VISIBILITY_TIMEOUT` (300 s). The runner keeps the
  message while it works and, at every heartbeat (60 s), sends ``SendTaskHeartbeat`` and extends the
  visibility by another 300 s; a runner that dies stops extending, so its job becomes visible again
  within five minutes for another runner (and after five receives goes to the DLQ, while the
  state's ``HeartbeatSeconds`` fails the step in Step Functions).
"""

from __future__ import annotations

import json

import attrs
import pulumi
import pulumi_aws as aws

from . import policies
from .naming import Names
from .wiring import child, pick, to_json

__all__ = ["Queue", "queue_with_dlq", "deploy_events_policy", "MAX_RECEIVE_COUNT", "DLQ_RETENTION_SECONDS"]

MAX_RECEIVE_COUNT = 5
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum
LONG_POLL_SECONDS = 20


@attrs.frozen
class Queue:
    queue: aws.sqs.Queue
    dlq: aws.sqs.Queue


def queue_with_dlq(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], queue_name: str, *,
                   visibility_timeout: int, retention_seconds: int = 4 * 24 * 3600) -> Queue:
    """A queue and its dead-letter queue, ``queue_name`` and ``queue_name-dlq``."""
    opts = child(parent)
    dlq = aws.sqs.Queue(
        f"{name}-{queue_name}-dlq", name=pick(names, lambda n: f"{n.prefix}-{queue_name}-dlq"),
        sqs_managed_sse_enabled=True, message_retention_seconds=DLQ_RETENTION_SECONDS,
        # Only the source queue may dead-letter here; its ARN is known from the names, no cycle.
        redrive_allow_policy=pick(names, lambda n: json.dumps({
            "redrivePermission": "byQueue", "sourceQueueArns": [n.queue_arn(f"{n.prefix}-{queue_name}")]})),
        opts=opts)
    queue = aws.sqs.Queue(
        f"{name}-{queue_name}", name=pick(names, lambda n: f"{n.prefix}-{queue_name}"),
        sqs_managed_sse_enabled=True, visibility_timeout_seconds=visibility_timeout,
        message_retention_seconds=retention_seconds, receive_wait_time_seconds=LONG_POLL_SECONDS,
        redrive_policy=dlq.arn.apply(lambda arn: json.dumps({"deadLetterTargetArn": arn,
                                                             "maxReceiveCount": MAX_RECEIVE_COUNT})),
        opts=opts)
    return Queue(queue=queue, dlq=dlq)


def deploy_events_policy(name: str, parent: pulumi.Resource, names: pulumi.Output[Names],
                         queue: aws.sqs.Queue) -> aws.sqs.QueuePolicy:
    """Lets the artifact bucket, and nothing else, send to deploy-events."""
    return aws.sqs.QueuePolicy(f"{name}-deploy-events-policy", queue_url=queue.url,
                               policy=to_json(names, policies.deploy_events_queue_policy), opts=child(parent))
