"""AttiniSam on the local backend: the example SAM project (a Python function and a DynamoDB table) built
without the SAM CLI or Docker, its code uploaded to the artifact store, translated client-side (moto has no
transforms) and deployed through the Cfn step, by the example distribution's own plan."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import boto3
import pytest

import attini_sdk as at

from .conftest import REGION, cloudformation, one_step

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "sam"
BUCKET = "attini-artifact-store-eu-west-1-123456789012"
STACK = "dev-sam-counter"


def client(service: str):
    return boto3.client(service, region_name=REGION, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


@pytest.fixture
def no_sam_cli(monkeypatch):
    """The step's own builder: no `sam` on PATH (whatever this machine has)."""
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None if name == "sam" else shutil._which(name, *a, **k))


@pytest.fixture(autouse=True)
def _keep_which(monkeypatch):
    monkeypatch.setattr(shutil, "_which", shutil.which, raising=False)


@pytest.fixture(scope="module")
def example(tmp_path_factory) -> at.Artifact:
    return at.Distribution.from_path(EXAMPLE).package(tmp_path_factory.mktemp("sam") / "out")


def test_the_example_builds_uploads_its_code_and_deploys_the_function_and_table(home, example, no_sam_cli):
    env = at.Environment.local("dev")

    deployment = env.deploy(example)

    assert deployment.status == "succeeded", deployment.error
    outputs = deployment.outputs["output"]["Counter"]
    function = client("lambda").get_function(FunctionName=outputs["FunctionName"])["Configuration"]
    assert function["Environment"]["Variables"] == {"TABLE": outputs["TableName"], "GREETING": "hej from dev"}
    assert function["Handler"] == "counter.handler" and function["Runtime"] == "python3.12"
    assert outputs["TableName"] in client("dynamodb").list_tables()["TableNames"]
    keys = [o["Key"] for o in client("s3").list_objects_v2(Bucket=BUCKET, Prefix="dev/sam-counter/")["Contents"]]
    code = [k for k in keys if "/sam-assets/" in k]
    assert len(code) == 1 and code[0].endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(client("s3").get_object(Bucket=BUCKET, Key=code[0])["Body"].read()))
    assert "counter.py" in archive.namelist()
    assert any("/sam-templates/" in k for k in keys)
    resources = cloudformation().describe_stack_resources(StackName=STACK)["StackResources"]
    assert {r["ResourceType"] for r in resources} >= {"AWS::Lambda::Function", "AWS::DynamoDB::Table"}
    log = deployment.logs("Counter")
    assert "building Python functions without it" in log
    assert "translated the AWS::Serverless template client-side" in log
    assert deployment.outputs["output"]["Smoke"]["result"] == {"id": "smoke"}  # moto echoes the payload


def test_a_second_deploy_skips_the_sam_step(home, example, no_sam_cli):
    env = at.Environment.local("dev")
    first = env.deploy(example)

    again = env.deploy(example)

    statuses = dict(zip(again.steps["step"], again.steps["status"].astype(str)))
    assert statuses["Counter"] == "skipped"
    assert again.outputs["output"]["Counter"] == first.outputs["output"]["Counter"]


def test_a_prebuilt_build_dir_is_deployed_as_it_is(home, project, no_sam_cli):
    source = project("prebuilt")
    build = source.root / "svc" / "build"  # .aws-sam/ is hidden: distributions leave it out by default
    (build / "Fn").mkdir(parents=True)
    (build / "Fn" / "app.py").write_text("def handler(event, context):\n    return event\n")
    (build / "template.yaml").write_text(
        "Transform: AWS::Serverless-2016-10-31\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n"
        "    Properties: {CodeUri: Fn, Handler: app.handler, Runtime: python3.12}\n"
        "Outputs:\n  Name: {Value: !Ref Fn}\n")
    (source.root / "svc" / "template.yaml").write_text("this is not read: the build dir wins\n")
    env = at.Environment.local("dev")

    deployment = env.deploy(source.package(one_step("Svc", {
        "Type": "Task", "Resource": "attini:sam", "ResultPath": "$.output.Svc",
        "Parameters": {"Project": {"Path": "/svc", "BuildDir": "build"}, "StackName": "dev-svc"}})))

    assert deployment.status == "succeeded", deployment.error
    assert "using the build in build" in deployment.logs("Svc")
    assert client("lambda").get_function(FunctionName=deployment.outputs["output"]["Svc"]["Name"])
