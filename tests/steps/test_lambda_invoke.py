"""LambdaInvoke on moto. Without Docker, moto runs no function code: it answers with the
request payload, or with results queued through its ``/moto-api/static/lambda-simple/response``.
"""

from __future__ import annotations

import base64
import io
import json
import zipfile

import boto3
import pytest
import requests

from attini_sdk.errors import StepFailed
from attini_sdk.steps import lambda_invoke

from .conftest import REGION


@pytest.fixture
def function(moto):
    role = boto3.client("iam", region_name=REGION).create_role(
        RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(event, context):\n    return event\n")
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName="dev-counter", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()})
    return "dev-counter"


def queue_answers(*answers: str) -> None:
    response = requests.post("http://motoapi.amazonaws.com/moto-api/static/lambda-simple/response",
                             json={"results": list(answers), "region": REGION}, timeout=10)
    assert response.status_code == 201


def invoke(ctx, log, payload=None, **properties):
    return lambda_invoke.execute(properties, payload or {}, ctx, step="Count", log=log)


def test_without_payload_the_whole_state_input_is_sent(ctx, log, function):
    payload = {"output": {"Db": {"TableName": "t"}}, "environment": "dev"}

    assert invoke(ctx, log, payload, FunctionName=function) == {"result": payload}  # moto echoes it
    assert "invoking dev-counter (RequestResponse)" in log.path.read_text()


def test_an_explicit_payload_is_sent_instead(ctx, log, function):
    assert invoke(ctx, log, {"big": "state"}, FunctionName=function, Payload={"table": "t"}) == {
        "result": {"table": "t"}}


def test_the_functions_answer_is_the_result(ctx, log, function):
    queue_answers(json.dumps({"count": 3}), "plain text")

    assert invoke(ctx, log, FunctionName=function) == {"result": {"count": 3}}
    assert invoke(ctx, log, FunctionName=function) == {"result": "plain text"}


def test_a_qualifier_and_an_event_invocation_are_passed_on(ctx, log, function):
    invoke(ctx, log, FunctionName=function, Qualifier="$LATEST", InvocationType="Event")

    assert "(status 202)" in log.path.read_text()


def test_a_missing_function_fails_with_the_lambda_error_name(ctx, log):
    from moto import mock_aws

    # moto's Docker-less Lambda answers for any name; its regular backend checks the name first.
    # moto's config is process-wide and outlives mock_aws(), so say which backend this test needs.
    with mock_aws(config={"lambda": {"use_docker": True}}), pytest.raises(StepFailed) as failed:
        invoke(ctx, log, FunctionName="nope")

    assert failed.value.error == "Lambda.ResourceNotFoundException"
    assert "cannot invoke Lambda function nope" in str(failed.value)


def test_a_function_error_fails_with_its_error_type(ctx, log, function):
    # moto's one way to make a function fail without Docker: an answer over Lambda's 6 MB limit
    queue_answers("x" * 6_000_001)

    with pytest.raises(StepFailed) as failed:
        invoke(ctx, log, FunctionName=function)

    assert failed.value.error == "Function.ResponseSizeTooLarge"
    assert json.loads(failed.value.cause)["errorType"] == "Function.ResponseSizeTooLarge"


def test_a_client_context_mapping_is_base64_encoded_for_the_api():
    # moto ignores ClientContext, so this checks the request we build
    request = lambda_invoke._request({"FunctionName": "f", "ClientContext": {"custom": {"a": 1}}}, {}, step="S")

    assert json.loads(base64.b64decode(request["ClientContext"])) == {"custom": {"a": 1}}


@pytest.mark.parametrize("properties, message", [
    ({}, "needs FunctionName"),
    ({"FunctionName": "f", "InvocationType": "Later"}, "InvocationType 'Later'"),
    ({"FunctionName": "f", "Function": "g"}, "unknown LambdaInvoke property: Function"),
])
def test_a_misconfigured_step_is_an_error(ctx, log, properties, message):
    with pytest.raises(StepFailed, match=message) as failed:
        lambda_invoke.execute(properties, {}, ctx, step="Count", log=log)

    assert failed.value.error == "Lambda.ConfigError"
