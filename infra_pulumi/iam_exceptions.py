"""The only places where the backend grants an action on ``Resource: "*"``, and why.

This list is the single source: the policies in :mod:`infra_pulumi.policies` build these statements
with :func:`grant` (so the Sid names the exception), ``tests/infra_pulumi/test_iam.py`` fails on any
other ``"*"`` resource or on any wildcard action in an Allow, and ``docs/aws.md`` cites this module.

Deny statements are not grants: the bucket's TLS-only policy denies ``s3:*`` to ``Principal: "*"``
on purpose, and the check ignores Deny statements.

    >>> grant("TaskTokenCallbacks", ["states:SendTaskSuccess"])["Resource"]
    '*'
    >>> grant("TaskTokenCallbacks", ["s3:GetObject"])
    Traceback (most recent call last):
    ValueError: exception TaskTokenCallbacks does not cover s3:GetObject
"""

from __future__ import annotations

from collections.abc import Iterable

import attrs

__all__ = ["WildcardGrant", "EXCEPTIONS", "grant", "by_sid"]


@attrs.frozen
class WildcardGrant:
    """Actions AWS only authorises on ``"*"``, who gets them, and the reason."""

    sid: str
    actions: tuple[str, ...]
    granted_to: str
    why: str


EXCEPTIONS: tuple[WildcardGrant, ...] = (
    WildcardGrant(
        sid="StepFunctionsLogDelivery",
        actions=("logs:CreateLogDelivery", "logs:GetLogDelivery", "logs:UpdateLogDelivery",
                 "logs:DeleteLogDelivery", "logs:ListLogDeliveries", "logs:PutResourcePolicy",
                 "logs:DescribeResourcePolicies", "logs:DescribeLogGroups"),
        granted_to="state-machine role",
        why="Step Functions delivers execution logs through CloudWatch Logs' vended-log delivery APIs, "
            "which have no resource-level permissions; AWS documents them on \"*\".",
    ),
    WildcardGrant(
        sid="XRayTracing",
        actions=("xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules",
                 "xray:GetSamplingTargets"),
        granted_to="state-machine role; the two function roles (segments and telemetry only); "
                   "only with xray_tracing=True",
        why="X-Ray's write APIs take no resource ARN.",
    ),
    WildcardGrant(
        sid="TaskTokenCallbacks",
        actions=("states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"),
        granted_to="runner role (all three); operator policy (success/failure, to answer approvals)",
        why="a callback task token is not tied to a resource ARN IAM can match: the token itself is "
            "the capability, and only principals that read it (from runner-jobs or the table) can use it.",
    ),
    WildcardGrant(
        sid="EcrAuthorization",
        actions=("ecr:GetAuthorizationToken",),
        granted_to="runner task-execution role, only when the runner image is in ECR",
        why="the registry login token is account-wide; pulling is still limited to the image's repository.",
    ),
)


def by_sid(sid: str) -> WildcardGrant:
    for entry in EXCEPTIONS:
        if entry.sid == sid:
            return entry
    raise KeyError(f"no IAM wildcard exception named {sid!r}")


def grant(sid: str, actions: Iterable[str] | None = None) -> dict:
    """An Allow statement on ``"*"`` for ``actions`` (default: all of the exception's actions)."""
    entry = by_sid(sid)
    wanted = list(actions) if actions is not None else list(entry.actions)
    for action in wanted:
        if action not in entry.actions:
            raise ValueError(f"exception {sid} does not cover {action}")
    return {"Sid": sid, "Effect": "Allow", "Action": wanted, "Resource": "*"}
