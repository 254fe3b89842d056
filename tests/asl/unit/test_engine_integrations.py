"""AWS integrations on moto: aws-sdk calls, optimised DynamoDB/SQS/SNS tasks, error names."""

from __future__ import annotations

import json

import boto3
import pytest
from moto import mock_aws

from attini_sdk.asl import Engine


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-north-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def task(resource: str, parameters: dict, **extra) -> dict:
    return {"StartAt": "T", "States": {"T": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                                              "End": True, **extra}}}


def test_aws_sdk_tasks_call_boto3_and_name_errors_like_step_functions(aws):
    engine = Engine()
    made = engine.start(task("arn:aws:states:::aws-sdk:s3:createBucket",
                             {"Bucket": "artifacts", "CreateBucketConfiguration": {"LocationConstraint": "eu-north-1"}}))
    assert made.wait(30).status == "SUCCEEDED", made.cause
    listed = engine.start(task("arn:aws:states:::aws-sdk:s3:listBuckets", {}), {}).wait(30)
    assert [b["Name"] for b in listed.output["Buckets"]] == ["artifacts"]
    missing = engine.start(task("arn:aws:states:::aws-sdk:s3:getObject", {"Bucket": "artifacts", "Key": "nope"})).wait(30)
    assert missing.error == "S3.NoSuchKey"


def test_dynamodb_put_and_get_item(aws):
    boto3.client("dynamodb").create_table(
        TableName="inventory", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    definition = {"StartAt": "Put", "States": {
        "Put": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
                "Parameters": {"TableName": "inventory", "Item": {"pk": {"S.$": "$.app"}, "v": {"S": "1.0.0"}}},
                "ResultPath": None, "Next": "Get"},
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": "inventory", "Key": {"pk": {"S.$": "$.app"}}},
                "ResultSelector": {"version.$": "$.Item.v.S"}, "End": True}}}
    execution = Engine().start(definition, {"app": "network"}).wait(30)
    assert execution.output == {"version": "1.0.0"}
    bad = Engine().start(task("arn:aws:states:::dynamodb:getItem", {"TableName": "nope", "Key": {"pk": {"S": "x"}}}))
    assert bad.wait(30).error == "DynamoDB.ResourceNotFoundException"


def test_sqs_send_message_and_sns_publish(aws):
    queue = boto3.client("sqs").create_queue(QueueName="runner")["QueueUrl"]
    topic = boto3.client("sns").create_topic(Name="events")["TopicArn"]
    sent = Engine().start(task("arn:aws:states:::sqs:sendMessage",
                               {"QueueUrl": queue, "MessageBody": {"step.$": "$.step"}}), {"step": "Deploy"}).wait(30)
    assert "MessageId" in sent.output
    body = boto3.client("sqs").receive_message(QueueUrl=queue)["Messages"][0]["Body"]
    assert json.loads(body) == {"step": "Deploy"}
    published = Engine().start(task("arn:aws:states:::sns:publish", {"TopicArn": topic, "Message": "hi"})).wait(30)
    assert "MessageId" in published.output


def test_wait_for_task_token_sends_the_token_and_waits_for_the_answer(aws):
    queue = boto3.client("sqs").create_queue(QueueName="runner")["QueueUrl"]
    engine = Engine()
    definition = task("arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                      {"QueueUrl": queue, "MessageBody": {"token.$": "$$.Task.Token"}})
    execution = engine.start(definition, {}).wait(30)
    assert execution.paused
    message = boto3.client("sqs").receive_message(QueueUrl=queue)["Messages"][0]
    engine.send_task_success(json.loads(message["Body"])["token"], {"done": True})
    assert execution.wait(30).output == {"done": True}


def test_aws_sdk_parameters_in_pascal_case_reach_camel_case_apis(aws):
    boto3.client("ecs").create_cluster(clusterName="deploy")
    execution = Engine().start(task("arn:aws:states:::aws-sdk:ecs:describeClusters", {"Clusters": ["deploy"]})).wait(30)
    assert [c["clusterName"] for c in execution.output["clusters"]] == ["deploy"]
