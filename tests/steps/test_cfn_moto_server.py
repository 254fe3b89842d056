"""Against a moto server: the endpoint comes from the standard AWS configuration, nothing else.

The context is built with its default ``aws`` settings, which read ``AWS_ENDPOINT_URL`` (or a
profile's ``endpoint_url``) exactly as boto3 does; an endpoint makes the Cfn step translate
SAM itself and use CreateStack/UpdateStack.
"""

from __future__ import annotations

import threading
import time

import boto3
import pytest
import requests

from attini_sdk.steps import cfn
from attini_sdk.steps.base import AwsSettings

from .cfn_fixtures import CUSTOM_RESOURCE_TEMPLATE, QUEUE_TEMPLATE
from .conftest import REGION
from .test_cfn_sam import SAM_APP


@pytest.fixture(scope="module")
def moto_server():
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def endpoint(moto_server, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto_server)
    return moto_server


def server_client(service, endpoint):
    return boto3.client(service, region_name=REGION, endpoint_url=endpoint)


def test_the_endpoint_comes_from_aws_endpoint_url(endpoint, make_ctx):
    settings = AwsSettings.from_environment()

    assert settings == AwsSettings(region=REGION, endpoint_url=endpoint)
    assert settings.emulated and settings.sam_client_side and not settings.use_change_sets


def test_the_endpoint_can_come_from_a_profile(moto_server, monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text(f"[profile local]\nregion = eu-north-1\nendpoint_url = {moto_server}\n"
                      "aws_access_key_id = testing\naws_secret_access_key = testing\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_PROFILE", "local")
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION")

    settings = AwsSettings.from_environment()

    assert settings == AwsSettings(region="eu-north-1", endpoint_url=moto_server, profile="local")
    assert settings.client("sts").get_caller_identity()["Account"] == "123456789012"


def test_a_sam_stack_deploys_to_the_server_with_default_settings(endpoint, dist, make_ctx, log):
    ctx = make_ctx(aws=AwsSettings.from_environment())
    dist.write("/template.yaml", SAM_APP)

    result = cfn.execute({"StackName": "server-sam", "Template": "/template.yaml",
                          "Parameters": {"Greeting": "hi"}}, {}, ctx, step="Sam", log=log)

    function = server_client("lambda", endpoint).get_function(FunctionName=result["FunctionName"])
    assert function["Configuration"]["Environment"]["Variables"]["GREETING"] == "hi from dev"
    stacks = server_client("cloudformation", endpoint).describe_stacks(StackName="server-sam")["Stacks"]
    assert stacks[0]["StackStatus"] == "CREATE_COMPLETE"


def test_a_redeploy_to_the_server_reports_no_changes(endpoint, dist, make_ctx, log):
    ctx = make_ctx(aws=AwsSettings.from_environment())
    dist.write("/queue.yaml", QUEUE_TEMPLATE)
    properties = {"StackName": "server-queue", "Template": "/queue.yaml", "Parameters": {"QueueName": "srv"}}

    first = cfn.execute(properties, {}, ctx, step="Queue", log=log)
    again = cfn.execute(properties, {}, ctx, step="Queue", log=log)

    assert again == first and first["QueueUrl"].endswith("/dev-srv")
    assert "stack server-queue has no changes" in log.path.read_text()


def test_the_step_polls_until_a_custom_resource_answers(endpoint, dist, make_ctx, log, guarded):
    ctx = make_ctx(aws=AwsSettings.from_environment())
    _slow_function(endpoint)
    dist.write("/slow.yaml", CUSTOM_RESOURCE_TEMPLATE)
    answers = []
    threading.Thread(target=_answer_custom_resource, args=(endpoint, "server-slow", answers), daemon=True).start()

    result = cfn.execute({"StackName": "server-slow", "Template": "/slow.yaml"}, {}, ctx, step="Slow", log=log,
                         cancelled=guarded)

    assert answers == [200]
    assert result == {"Answer": "42"}
    assert "stack server-slow: CREATE_IN_PROGRESS" in log.path.read_text()


def _slow_function(endpoint):
    import io
    import json
    import zipfile

    role = server_client("iam", endpoint).create_role(
        RoleName="server-slow-role", AssumeRolePolicyDocument=json.dumps({"Statement": []}))["Role"]["Arn"]
    server_client("logs", endpoint).create_log_group(logGroupName="/aws/lambda/slow")
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(e, c):\n    return None\n")
    server_client("lambda", endpoint).create_function(
        FunctionName="slow", Runtime="python3.12", Role=role, Handler="index.handler",
        Code={"ZipFile": code.getvalue()})


def _answer_custom_resource(endpoint, stack_name, answers):
    """Do what the custom resource's Lambda would: PUT SUCCESS to the response URL."""
    cf = server_client("cloudformation", endpoint)
    for _ in range(300):
        try:
            stack = cf.describe_stacks(StackName=stack_name)["Stacks"][0]
        except Exception:
            time.sleep(0.02)
            continue
        time.sleep(0.3)  # let the step see CREATE_IN_PROGRESS first
        response = requests.put(
            f"{endpoint}/cloudformation_{REGION}/cfnresponse?stack={stack['StackId']}",
            headers={"Host": f"cloudformation.{REGION}.amazonaws.com"},  # moto routes by host
            json={"Status": "SUCCESS", "StackId": stack["StackId"], "LogicalResourceId": "Waiting",
                  "RequestId": "r", "PhysicalResourceId": "waiting", "Data": {"Answer": "42"}},
            timeout=10,
        )
        answers.append(response.status_code)
        return
