"""Count calls per id in DynamoDB; answer with the new count and the greeting."""

import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE"])


def handler(event, context):
    key = str((event or {}).get("id", "default"))
    item = TABLE.update_item(Key={"id": key}, UpdateExpression="ADD calls :one",
                             ExpressionAttributeValues={":one": 1}, ReturnValues="UPDATED_NEW")
    return {"id": key, "calls": int(item["Attributes"]["calls"]), "greeting": os.environ["GREETING"]}
