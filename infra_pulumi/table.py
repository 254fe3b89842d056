"""The DynamoDB single table that holds every record of the backend.

Keys: ``PK``/``SK`` (strings) plus two overloaded global secondary indexes, ``GSI1`` on
``GSI1PK``/``GSI1SK`` and ``GSI2`` on ``GSI2PK``/``GSI2SK``, both projecting all attributes, so the SDK
can lay out its access patterns (history newest first, deployments by id, …) without a table
change. On-demand billing (nothing to pay at idle but storage), point-in-time recovery, encryption
with the AWS-managed key, and a TTL on ``expires_at`` (epoch seconds) for locks and other
short-lived items.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from .contract import TABLE_GSIS
from .naming import Names
from .wiring import child, pick

__all__ = ["state_table", "TTL_ATTRIBUTE"]

TTL_ATTRIBUTE = "expires_at"


def state_table(name: str, parent: pulumi.Resource, names: pulumi.Output[Names], *, deletion_protection: bool,
                retain: bool) -> aws.dynamodb.Table:
    """The table; ``retain`` keeps it (and its data) on `pulumi destroy`."""
    keys = ["PK", "SK"] + [f"{index}{part}" for index in TABLE_GSIS for part in ("PK", "SK")]
    return aws.dynamodb.Table(
        f"{name}-state",
        name=pick(names, lambda n: n.table),
        billing_mode="PAY_PER_REQUEST",
        hash_key="PK",
        range_key="SK",
        attributes=[{"name": key, "type": "S"} for key in keys],
        global_secondary_indexes=[{"name": index, "hash_key": f"{index}PK", "range_key": f"{index}SK",
                                   "projection_type": "ALL"} for index in TABLE_GSIS],
        point_in_time_recovery={"enabled": True},
        server_side_encryption={"enabled": True},
        ttl={"attribute_name": TTL_ATTRIBUTE, "enabled": True},
        deletion_protection_enabled=deletion_protection,
        opts=child(parent, retain_on_delete=retain),
    )
