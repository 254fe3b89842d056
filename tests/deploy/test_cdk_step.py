"""AttiniCdk on the local backend: a Python CDK app (two stacks, one depending on the other, a file asset)
synthesised with aws-cdk-lib and deployed to moto through the plan engine, stack by stack through the Cfn step."""

from __future__ import annotations

import io
import shutil
import zipfile
from pathlib import Path

import boto3
import pytest

import attini_sdk as at

from .conftest import REGION, cloudformation, one_step, stack_status

pytest.importorskip("aws_cdk", reason="aws-cdk-lib is in the dev extra; the Cdk step needs it for Python apps")
pytestmark = pytest.mark.slow

APP = Path(__file__).resolve().parents[2] / "examples" / "cdk" / "infra"
DATA, API = "dev-inventory-data", "dev-inventory-api"


@pytest.fixture(scope="session")
def synth_cache(tmp_path_factory) -> Path:
    """One synthesis cache for the session: the app is synthesised once (it takes seconds: Node starts)."""
    return tmp_path_factory.mktemp("cdk-synth")


@pytest.fixture
def cdk_home(home, synth_cache) -> Path:
    (home / "cache").mkdir(parents=True, exist_ok=True)
    (home / "cache" / "cdk-synth").symlink_to(synth_cache, target_is_directory=True)
    return home


def cdk_step(**extra) -> dict:
    return {"Type": "Task", "Resource": "attini:cdk", "ResultPath": "$.output.Infra",
            "Parameters": {"Path": "/infra", "Context": {"environment": "dev"}, **extra}}


@pytest.fixture
def inventory(project):
    source = project("inventory")
    shutil.copytree(APP, source.root / "infra", ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    return source


def s3():
    import os

    return boto3.client("s3", region_name=REGION, endpoint_url=os.environ["AWS_ENDPOINT_URL"])


def test_both_stacks_deploy_in_dependency_order_with_the_asset_in_the_artifact_store(cdk_home, inventory):
    env = at.Environment.local("dev")

    deployment = env.deploy(inventory.package(one_step("Infra", cdk_step(
        StackConfiguration=[{"StackName": API, "Parameters": {"Greeting": "hej"}}]))))

    assert deployment.status == "succeeded", deployment.error
    result = deployment.outputs["output"]["Infra"]
    assert set(result) == {DATA, API}
    assert stack_status(DATA) == stack_status(API) == "CREATE_COMPLETE"
    function = boto3.client("lambda", region_name=REGION, endpoint_url=s3().meta.endpoint_url).get_function(
        FunctionName=result[API]["FunctionName"])
    assert function["Configuration"]["Environment"]["Variables"] == {"TABLE": result[DATA]["TableName"],
                                                                     "GREETING": "hej"}
    bucket = "attini-artifact-store-eu-west-1-123456789012"
    assets = [o["Key"] for o in s3().list_objects_v2(Bucket=bucket, Prefix="dev/inventory/cdk-assets/")["Contents"]]
    assert len(assets) == 1 and assets[0].endswith(".zip")
    code = zipfile.ZipFile(io.BytesIO(s3().get_object(Bucket=bucket, Key=assets[0])["Body"].read()))
    assert code.namelist() == ["index.py"]
    log = deployment.logs("Infra")
    assert log.index(f"{DATA}: stack {DATA}: CREATE_COMPLETE") < log.index(f"{API}: creating stack {API}")
    template = cloudformation().get_template(StackName=API)["TemplateBody"]
    assert "BootstrapVersion" not in str(template) and bucket in str(template)


def test_a_second_deploy_skips_the_step_and_a_rerun_skips_every_stack(cdk_home, inventory):
    env = at.Environment.local("dev")
    artifact = inventory.package(one_step("Infra", cdk_step()))
    first = env.deploy(artifact)

    again = env.deploy(artifact)
    rerun = env.deploy(artifact, rerun_unchanged=True)

    assert list(again.steps["status"].astype(str)) == ["skipped"]
    assert again.outputs["output"]["Infra"] == first.outputs["output"]["Infra"]
    assert list(rerun.steps["status"].astype(str)) == ["succeeded"]
    assert rerun.outputs["output"]["Infra"] == first.outputs["output"]["Infra"]
    log = rerun.logs("Infra")
    assert f"{DATA}: unchanged since it was last deployed: skipped" in log
    assert f"{API}: unchanged since it was last deployed: skipped" in log
    assert "unchanged since it was last synthesised" in log


def test_diff_pauses_for_an_approval_only_when_a_stack_would_change(cdk_home, inventory):
    env = at.Environment.local("dev")
    artifact = inventory.package(one_step("Infra", cdk_step(Diff={"Enabled": True})))

    waiting = env.deploy(artifact)

    assert waiting.status == "waiting_approval" and waiting.pending_approvals == ["InfraApproveChanges"]
    assert stack_status(DATA) is None
    done = waiting.approve("InfraApproveChanges")
    assert done.status == "succeeded" and stack_status(API) == "CREATE_COMPLETE"

    again = env.deploy(artifact)

    assert again.status == "succeeded"
    statuses = dict(zip(again.steps["step"], again.steps["status"].astype(str)))
    assert statuses == {"InfraCdkDiff": "succeeded", "InfraApproveChanges?": "succeeded", "Infra": "skipped"}
    assert again.outputs["output"]["InfraCdkDiff"] == {"result": "no-change", "changes": {}}


def test_stacks_selects_a_stack_and_the_stacks_it_depends_on(cdk_home, inventory):
    env = at.Environment.local("dev")

    deployment = env.deploy(inventory.package(one_step("Infra", cdk_step(Stacks=[DATA]))))

    assert deployment.status == "succeeded"
    assert set(deployment.outputs["output"]["Infra"]) == {DATA}
    assert stack_status(API) is None


PLAN_WITH_APP = '''\
import aws_cdk as cdk
from aws_cdk import aws_sqs as sqs

from attini_sdk.plan import Plan

app = cdk.App()
stack = cdk.Stack(app, "Queues", stack_name="dev-queues")
queue = sqs.Queue(stack, "Jobs")
cdk.CfnOutput(stack, "QueueUrl", value=queue.queue_url)

plan = Plan()
plan.cdk("Queues", app=app)
'''


def test_a_python_plan_hands_plan_cdk_an_app_object(cdk_home, project):
    import yaml

    source = project("queues").write("deployment_plan.py", PLAN_WITH_APP)
    source.write("attini-config.yaml", yaml.safe_dump({"distributionName": "queues", "version": "1.0.0",
                                                      "plan": "deployment_plan.py"}))
    artifact = at.Distribution.from_path(source.root).package(source.root.parent / "dist")
    env = at.Environment.local("dev")

    deployment = env.deploy(artifact)

    assert deployment.status == "succeeded", deployment.error
    state = artifact.plan["States"]["Queues"]
    assert state["Parameters"] == {"Path": "/", "App": "python -m attini_sdk.plan.cdk_app deployment_plan.py Queues"}
    assert "Jobs" in deployment.outputs["output"]["Queues"]["dev-queues"]["QueueUrl"]
    assert stack_status("dev-queues") == "CREATE_COMPLETE"


def test_diff_asks_cloudformation_for_a_change_set_when_the_fingerprint_differs(cdk_home, inventory):
    env = at.Environment.local("dev")
    assert env.deploy(inventory.package(one_step("Infra", cdk_step()))).status == "succeeded"

    def with_greeting(greeting: str, version: str) -> at.Artifact:
        return inventory.package(one_step("Infra", cdk_step(
            Diff={"Enabled": True}, StackConfiguration=[{"StackName": API, "Parameters": {"Greeting": greeting}}])),
            version=version)

    # the template's own default, spelled out: a new fingerprint, but nothing for CloudFormation to do
    same = env.deploy(with_greeting("hello", "1.0.1"))

    assert same.status == "succeeded", same.error
    assert same.outputs["output"]["InfraCdkDiff"] == {"result": "no-change", "changes": {}}
    assert f"{API}: its change set has no changes" in same.logs("InfraCdkDiff")
    assert cloudformation().list_change_sets(StackName=API)["Summaries"] == []

    changed = env.deploy(with_greeting("hej", "1.0.2"))

    assert changed.status == "waiting_approval"
    assert changed.pending_approvals == ["InfraApproveChanges"]
    log = changed.logs("InfraCdkDiff")
    assert f"{API}: its change set has" in log and f"stack {API} would be updated" in log
    assert f"{DATA}: its change set" not in log  # unchanged by fingerprint: CloudFormation is not asked
    assert cloudformation().list_change_sets(StackName=API)["Summaries"] == []
