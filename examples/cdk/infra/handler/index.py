"""Return the item asked for from the inventory table."""

import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    return TABLE.get_item(Key={"id": str((event or {}).get("id", ""))}).get("Item") or {}
