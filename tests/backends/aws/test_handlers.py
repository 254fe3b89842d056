"""init-deploy, finalize and the orchestrator in one process on moto (``mock_aws``), without the emulation."""

from __future__ import annotations

import json
import time

import pytest

from attini_sdk.backends.aws.handlers.finalize import finalize_execution
from attini_sdk.backends.aws.handlers.init_deploy import init_deploy, parse_key, process_message
from attini_sdk.backends.aws.orchestrator import SfnOrchestrator
from attini_sdk.runner import RunnerSettings, RunnerWorker
from tests.deploy.conftest import Project, runner_step

REGION = "eu-west-1"
ACCOUNT = "123456789012"


@pytest.fixture
def cloud(monkeypatch, tmp_path):
    from moto import mock_aws

    from attini_sdk.backends.aws.session import AwsSession
    from attini_sdk.backends.aws.state import DynamoStateStore

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "ATTINI_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, "AWS_CONFIG_FILE": "/nonexistent",
                        "ATTINI_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        session = AwsSession(region=REGION)
        session.client("s3").create_bucket(Bucket="artifacts",
                                           CreateBucketConfiguration={"LocationConstraint": REGION})
        queue = session.client("sqs").create_queue(QueueName="attini-runner-jobs")["QueueUrl"]
        contract = {"artifact_bucket": "artifacts", "runner_jobs_queue_url": queue, "state_machine_prefix": "attini-",
                    "region": REGION, "account_id": ACCOUNT, "table": "attini-state",
                    "state_machine_role_arn": f"arn:aws:iam::{ACCOUNT}:role/attini-backend/sm",
                    "runner": {"max_concurrent_jobs": 2, "heartbeat_seconds": 60, "idle_ttl_seconds": 1}}
        state = DynamoStateStore.create(session, "attini-state", bucket="artifacts")
        state.create_environment("dev")
        yield session, contract, state, tmp_path


def upload_event(bucket: str, key: str, version: str | None = None) -> str:
    encoded = key.replace("/", "%2F").replace(":", "%3A")
    return json.dumps({"Records": [{"eventName": "ObjectCreated:Put", "s3": {
        "bucket": {"name": bucket}, "object": {"key": encoded, **({"versionId": version} if version else {})}}}]})


def package(tmp_path, plan, version="1.0.0"):
    return Project(tmp_path / "projects", "app", version).package(plan, version=version)


PLAN = {"StartAt": "Hello", "States": {"Hello": {**runner_step("Hello", ["echo hi > $ATTINI_OUTPUT"]), "End": True}}}


def drain(session, state, contract, tmp_path, deployment_id, seconds=30):
    worker = RunnerWorker(session, state, contract, cache_dir=tmp_path / "cache",
                          settings=RunnerSettings(max_jobs=2, wait_time_seconds=0))
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.poll_once()
        record = state.get_deployment(deployment_id)
        described = session.client("stepfunctions").describe_execution(executionArn=record.execution_id)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.05)
    raise AssertionError("the execution did not end")


def test_keys_events_and_test_events(cloud):
    session, contract, state, tmp_path = cloud
    assert parse_key("deploy/dev/app/x.zip") == ("dev", "app", "x.zip")
    assert parse_key("deploy/dev/x.zip") is None and parse_key("logs/a/b/c.zip") is None
    assert process_message(session, contract, state, json.dumps({"Event": "s3:TestEvent"})) == []
    assert init_deploy(session, contract, state, "artifacts", "deploy/dev/app/notes.txt").outcome == "ignored"


def test_an_upload_under_the_wrong_distribution_is_refused_and_the_deployer_hears_why(cloud):
    session, contract, state, tmp_path = cloud
    artifact = package(tmp_path, PLAN)
    key = f"deploy/dev/other/{artifact.id}.zip"
    session.client("s3").put_object(Bucket="artifacts", Key=key, Body=artifact.path.read_bytes(),
                                    Metadata={"attini-request": json.dumps({"request_id": "r-1"})})
    [result] = process_message(session, contract, state, upload_event("artifacts", key))
    assert (result.outcome, result.error) == ("rejected", "DeploymentError")
    from attini_sdk.errors import DeploymentError

    with pytest.raises(DeploymentError, match="uploaded under 'other'"):
        state.request_outcome("r-1")
    # delivered again: refused again, once, no deployment
    [again] = process_message(session, contract, state, upload_event("artifacts", key))
    assert again.outcome == "repeated" and state.list_deployments("dev") == []


def test_launch_finalize_and_resume_after_a_lost_event(cloud):
    session, contract, state, tmp_path = cloud
    artifact = package(tmp_path, PLAN)
    key = f"deploy/dev/app/{artifact.id}.zip"
    session.client("s3").put_object(Bucket="artifacts", Key=key, Body=artifact.path.read_bytes())
    [result] = process_message(session, contract, state, upload_event("artifacts", key))
    assert result.outcome == "started" and result.request_id.startswith("s3:deploy/dev/app/")
    record = state.get_deployment(result.deployment_id)
    assert record.status == "running" and record.execution_id.endswith(f":execution:attini-dev-app:{record.id}")
    assert state.get_lock("dev", "app").deployment_id == record.id

    assert drain(session, state, contract, tmp_path, record.id)["status"] == "SUCCEEDED"
    assert state.get_deployment(record.id).status == "running"  # nobody has finalized it yet

    orchestrator = SfnOrchestrator(session, state, contract)
    finished = orchestrator.resume(record.id)  # what `attini deploy resume` does when finalize's event was lost
    assert finished.status == "succeeded" and state.outputs(record.id)["output"] == {"Hello": {"result": "hi"}}
    assert state.get_lock("dev", "app") is None and state.current_deployment("dev", "app").id == record.id
    assert finalize_execution(state, session, record.execution_id).status == "succeeded"  # again: unchanged


def test_the_state_machine_is_updated_only_when_the_lowered_plan_changes(cloud):
    session, contract, state, tmp_path = cloud
    orchestrator = SfnOrchestrator(session, state, contract)
    sfn = session.client("stepfunctions")
    arn = orchestrator.ensure_state_machine("dev", "app", PLAN)
    first = sfn.describe_state_machine(stateMachineArn=arn)
    assert orchestrator.ensure_state_machine("dev", "app", PLAN) == arn
    assert sfn.describe_state_machine(stateMachineArn=arn).get("revisionId") == first.get("revisionId")
    assert sfn.describe_state_machine(stateMachineArn=arn)["definition"] == first["definition"]

    changed = {"StartAt": "Bye", "States": {"Bye": {**runner_step("Bye", ["true"]), "End": True}}}
    orchestrator.ensure_state_machine("dev", "app", changed)
    assert "Bye" in json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"])["States"]


def test_a_failed_execution_finishes_the_deployment_with_the_step_cause(cloud):
    session, contract, state, tmp_path = cloud
    broken = {"StartAt": "Break", "States": {"Break": {**runner_step("Break", ["echo doomed; exit 3"]), "End": True}}}
    artifact = package(tmp_path, broken)
    key = f"deploy/dev/app/{artifact.id}.zip"
    session.client("s3").put_object(Bucket="artifacts", Key=key, Body=artifact.path.read_bytes())
    [result] = process_message(session, contract, state, upload_event("artifacts", key))
    described = drain(session, state, contract, tmp_path, result.deployment_id)
    record = finalize_execution(state, session, described["executionArn"])
    assert (record.status, record.error, record.cause) == ("failed", "ScriptExecutionError", "doomed")
    assert state.get_lock("dev", "app") is None
