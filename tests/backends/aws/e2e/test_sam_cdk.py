"""AttiniSam and AttiniCdk on the emulated AWS backend: ``Environment.aws`` deploys the SAM example and the Python
CDK example (two stacks, one depending on the other, a file asset) through Step Functions and the runner, with
their code and assets in the backend's own bucket under ``assets/``; ``Diff: {Enabled: true}`` asks only when a
change set has changes, and the approval is answered from the SDK."""

from __future__ import annotations

import io
import os
import shutil
import sys
import zipfile
from pathlib import Path

import pytest
import requests

import attini_sdk as at
from tests.backends.aws.e2e.conftest import REGION
from tests.deploy.conftest import Project, one_step, runner_step

pytest.importorskip("aws_cdk", reason="aws-cdk-lib is in the dev extra; the Cdk step needs it for Python apps")
pytestmark = pytest.mark.slow

EXAMPLES = Path(__file__).resolve().parents[4] / "examples"


@pytest.fixture(scope="module", autouse=True)
def lambda_without_docker(backend):
    """moto answers Lambda invocations by echoing the payload (the SAM example invokes its function)."""
    before = requests.get(f"{backend.endpoint}/moto-api/config", timeout=30).json()
    requests.post(f"{backend.endpoint}/moto-api/config", json={"lambda": {"use_docker": False}}, timeout=30)
    yield
    requests.post(f"{backend.endpoint}/moto-api/config", json={"lambda": before.get("lambda", {"use_docker": True})},
                  timeout=30)


@pytest.fixture(scope="module")
def sam_example(tmp_path_factory) -> at.Artifact:
    return at.Distribution.from_path(EXAMPLES / "sam").package(tmp_path_factory.mktemp("sam") / "out")


@pytest.fixture
def inventory(tmp_path) -> Project:
    source = Project(tmp_path / "projects", "inventory", "1.0.0")
    shutil.copytree(EXAMPLES / "cdk" / "infra", source.root / "infra",
                    ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    return source


def cdk_step(env: str, **extra) -> dict:
    return {"Type": "Task", "Resource": "attini:cdk", "ResultPath": "$.output.Infra",
            "Parameters": {"Path": "/infra", "Context": {"environment": env}, **extra}}


def aws_env(backend, env: str) -> at.Environment:
    return at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)


def steps_of(deployment) -> dict[str, str]:
    return dict(zip(deployment.steps["step"], deployment.steps["status"].astype(str)))


def assets(backend, prefix: str) -> list[str]:
    listed = backend.client("s3").list_objects_v2(Bucket=backend.bucket, Prefix=prefix)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def test_the_sam_example_deploys_with_its_code_in_the_backend_bucket_and_a_second_deploy_skips(
        backend, env, sam_example):
    environment = aws_env(backend, env)
    deployment = environment.deploy(sam_example)

    assert deployment.status == "succeeded", (deployment.record.error, deployment.record.cause)
    outputs = deployment.outputs["output"]["Counter"]
    function = backend.client("lambda").get_function(FunctionName=outputs["FunctionName"])["Configuration"]
    assert function["Environment"]["Variables"] == {"TABLE": outputs["TableName"], "GREETING": "hej from " + env}
    stack = backend.client("cloudformation").describe_stacks(StackName=f"{env}-sam-counter")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    keys = assets(backend, f"assets/{env}/sam-counter/")
    code = [k for k in keys if "/sam-assets/" in k]
    assert len(code) == 1 and any("/sam-templates/" in k for k in keys)
    body = backend.client("s3").get_object(Bucket=backend.bucket, Key=code[0])["Body"].read()
    assert "counter.py" in zipfile.ZipFile(io.BytesIO(body)).namelist()
    assert deployment.outputs["output"]["Smoke"]["result"] == {"id": "smoke"}

    again = environment.deploy(sam_example)

    assert steps_of(again)["Counter"] == "skipped"
    assert again.outputs["output"]["Counter"] == outputs
    assert assets(backend, f"assets/{env}/sam-counter/") == keys


def test_the_cdk_example_deploys_both_stacks_and_a_second_deploy_skips(backend, env, inventory):
    environment = aws_env(backend, env)
    data, api = f"{env}-inventory-data", f"{env}-inventory-api"
    artifact = inventory.package(one_step("Infra", cdk_step(
        env, StackConfiguration=[{"StackName": api, "Parameters": {"Greeting": "hej"}}])))

    first = environment.deploy(artifact)

    assert first.status == "succeeded", (first.record.error, first.record.cause)
    result = first.outputs["output"]["Infra"]
    assert set(result) == {data, api}
    cloudformation = backend.client("cloudformation")
    for name in (data, api):
        assert cloudformation.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    function = backend.client("lambda").get_function(FunctionName=result[api]["FunctionName"])["Configuration"]
    assert function["Environment"]["Variables"] == {"TABLE": result[data]["TableName"], "GREETING": "hej"}
    code = assets(backend, f"assets/{env}/inventory/cdk-assets/")
    assert len(code) == 1 and code[0].endswith(".zip")
    body = backend.client("s3").get_object(Bucket=backend.bucket, Key=code[0])["Body"].read()
    assert zipfile.ZipFile(io.BytesIO(body)).namelist() == ["index.py"]
    assert backend.bucket in str(cloudformation.get_template(StackName=api)["TemplateBody"])

    again = environment.deploy(artifact)

    assert steps_of(again) == {"Infra": "skipped"}
    assert again.outputs["output"]["Infra"] == result


def test_diff_pauses_only_when_a_change_set_has_changes_and_the_sdk_approves(backend, env, inventory):
    environment = aws_env(backend, env)
    data, api = f"{env}-inventory-data", f"{env}-inventory-api"
    artifact = inventory.package(one_step("Infra", cdk_step(env, Diff={"Enabled": True})))

    waiting = environment.deploy(artifact)

    assert waiting.status == "waiting_approval", (waiting.record.error, waiting.record.cause)
    assert waiting.pending_approvals == ["InfraApproveChanges"]
    assert backend.state.step_runs(waiting.id)[0].step == "InfraCdkDiff"
    with pytest.raises(Exception, match="does not exist"):
        backend.client("cloudformation").describe_stacks(StackName=data)
    done = waiting.approve("InfraApproveChanges", "ship it")
    assert done.status == "succeeded", (done.record.error, done.record.cause)
    assert backend.client("cloudformation").describe_stacks(StackName=api)["Stacks"][0]["StackStatus"] == \
        "CREATE_COMPLETE"

    unchanged = environment.deploy(artifact)

    assert unchanged.status == "succeeded"
    # the runner records the Attini steps; the Choice between them runs in Step Functions
    assert steps_of(unchanged) == {"InfraCdkDiff": "succeeded", "Infra": "skipped"}
    assert unchanged.outputs["output"]["InfraCdkDiff"] == {"result": "no-change", "changes": {}}

    # the template's default spelled out: the stack's fingerprint changes, its change set has no changes
    same = environment.deploy(inventory.package(one_step("Infra", cdk_step(
        env, Diff={"Enabled": True}, StackConfiguration=[{"StackName": api, "Parameters": {"Greeting": "hello"}}])),
        version="1.0.1"))

    assert same.status == "succeeded", (same.record.error, same.record.cause)
    assert steps_of(same) == {"InfraCdkDiff": "succeeded", "Infra": "succeeded"}
    assert same.outputs["output"]["InfraCdkDiff"] == {"result": "no-change", "changes": {}}
    assert backend.client("cloudformation").list_change_sets(StackName=api)["Summaries"] == []

    (inventory.root / "infra" / "handler" / "index.py").write_text(
        (inventory.root / "infra" / "handler" / "index.py").read_text() + "\n# changed\n")
    changed = environment.deploy(inventory.package(one_step("Infra", cdk_step(env, Diff={"Enabled": True})),
                                                   version="1.0.2"))

    assert changed.status == "waiting_approval"
    assert changed.pending_approvals == ["InfraApproveChanges"]
    log = changed.logs("InfraCdkDiff")
    assert f"{api}: its change set has" in log and f"{data}: its change set" not in log
    finished = changed.approve("InfraApproveChanges")
    assert finished.status == "succeeded", (finished.record.error, finished.record.cause)
    assert data not in finished.outputs["output"]["InfraCdkDiff"]["changes"]
    assert finished.outputs["output"]["InfraCdkDiff"]["changes"] == {api: "update"}


def test_runner_jobs_get_the_default_runners_tools_on_their_path_as_locally(backend, env, tmp_path):
    plan = one_step("Tools", runner_step("Tools", ['printf \'{"path": "%s"}\' "$PATH" > "$ATTINI_OUTPUT"']))
    deployment = aws_env(backend, env).deploy(Project(tmp_path, "tools").package(plan))

    assert deployment.status == "succeeded", (deployment.record.error, deployment.record.cause)
    path = deployment.outputs["output"]["Tools"]["path"].split(os.pathsep)
    tools = Path(os.environ["ATTINI_HOME"]) / "tools" / "node_modules" / ".bin"
    assert path[:2] == [str(Path(sys.executable).parent), str(tools)]
