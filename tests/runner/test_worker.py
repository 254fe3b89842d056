"""The runner worker on moto: jobs of a lowered plan run with the local step executors and answer their tokens."""

from __future__ import annotations

import json
import os
import time

import pytest

from attini_sdk.backends.aws.lowering import execution_name, lower, state_machine_name
from attini_sdk.backends.inputs import build_payload, resolve_inputs
from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.runner import RunnerSettings, RunnerWorker
from tests.deploy.conftest import Project, runner_step

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/attini-backend/attini-state-machine"
LOG_GROUP = "/attini/attini/runner"


class Clients:
    """boto3 clients in the active moto mock, the way AwsSession hands them out."""

    def __init__(self):
        import boto3

        self._clients = {}
        self._boto3 = boto3

    def client(self, service):
        if service not in self._clients:
            self._clients[service] = self._boto3.client(service, region_name=REGION)
        return self._clients[service]


@pytest.fixture
def cloud(monkeypatch, tmp_path):
    from moto import mock_aws

    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION,
                        "AWS_CONFIG_FILE": "/nonexistent", "ATTINI_HOME": str(tmp_path / "home")}.items():
        monkeypatch.setenv(name, value)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        clients = Clients()
        clients.client("s3").create_bucket(Bucket="artifacts", CreateBucketConfiguration={"LocationConstraint": REGION})
        queue = clients.client("sqs").create_queue(QueueName="attini-runner-jobs")["QueueUrl"]
        clients.client("logs").create_log_group(logGroupName=LOG_GROUP)
        contract = {"artifact_bucket": "artifacts", "runner_jobs_queue_url": queue, "state_machine_prefix": "attini-",
                    "runner_log_group": LOG_GROUP,
                    "runner": {"max_concurrent_jobs": 2, "heartbeat_seconds": 60, "idle_ttl_seconds": 1}}
        yield clients, contract


class Launch:
    """What init-deploy does, by hand: record the deployment, upload the artifact, start the lowered plan."""

    def __init__(self, clients, contract, state, artifact, env="dev"):
        self.clients, self.contract, self.state = clients, contract, state
        inputs = resolve_inputs(state, state.get_environment(env), artifact)
        self.record, self.lock = state.start_deployment(env, artifact.name, distribution_id=artifact.id,
                                                        version=artifact.version)
        clients.client("s3").upload_file(str(artifact.path), "artifacts", f"artifacts/{artifact.id}.zip")
        sfn = clients.client("stepfunctions")
        lowered = lower(artifact.plan, queue_url=contract["runner_jobs_queue_url"], heartbeat_seconds=None)
        machine = sfn.create_state_machine(name=state_machine_name("attini-", env, artifact.name),
                                           definition=json.dumps(lowered), roleArn=ROLE)["stateMachineArn"]
        self.arn = sfn.start_execution(stateMachineArn=machine, name=execution_name(self.record.id),
                                       input=json.dumps(build_payload(inputs, self.record)))["executionArn"]

    def status(self):
        return self.clients.client("stepfunctions").describe_execution(executionArn=self.arn)


def drive(worker, launch, *, until=("SUCCEEDED", "FAILED"), seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        worker.poll_once()
        described = launch.status()
        if described["status"] in until:
            return described
        time.sleep(0.05)
    raise AssertionError(f"still {described['status']}")


@pytest.fixture
def state(tmp_path):
    store = SqliteStateStore.open(tmp_path / "state")
    store.create_environment("dev")
    return store


def test_runner_steps_run_with_the_local_executors_and_their_outputs_flow_on(cloud, state, project, tmp_path):
    clients, contract = cloud
    plan = {"StartAt": "Hello", "States": {
        "Hello": {**runner_step("Hello", ['echo "{\\"greeting\\": \\"hi $ATTINI_ENVIRONMENT_NAME\\"}" > $ATTINI_OUTPUT']),
                  "Next": "Echo"},
        "Echo": {**runner_step("Echo", ["echo $GREETING > $ATTINI_OUTPUT"],
                               Environment={"GREETING.$": "$.output.Hello.greeting"}), "End": True}}}
    artifact = project("app").package(plan)
    launch = Launch(clients, contract, state, artifact)
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    described = drive(worker, launch)

    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])["output"]
    assert output == {"Hello": {"greeting": "hi dev"}, "Echo": {"result": "hi dev"}}
    runs = {r.step: r for r in state.step_runs(launch.record.id)}
    assert runs["Hello"].status == "succeeded" and runs["Echo"].output == {"result": "hi dev"}
    streams = clients.client("logs").describe_log_streams(logGroupName=LOG_GROUP)["logStreams"]
    assert {s["logStreamName"] for s in streams} == {f"{launch.record.id}/Hello/1", f"{launch.record.id}/Echo/1"}
    assert (tmp_path / "cache" / "dist").is_dir()  # extracted once per distribution id


def test_a_failing_step_fails_its_task_and_a_catch_takes_over(cloud, state, project, tmp_path):
    clients, contract = cloud
    plan = {"StartAt": "Break", "States": {
        "Break": {**runner_step("Break", ["echo doomed; exit 3"]), "Next": "Never",
                  "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Recovered"}]},
        "Never": {"Type": "Fail", "Error": "NotHere"},
        "Recovered": {"Type": "Pass", "End": True}}}
    launch = Launch(clients, contract, state, project("app").package(plan))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    described = drive(worker, launch)

    assert described["status"] == "SUCCEEDED"
    error = json.loads(described["output"])["error"]
    run = state.step_runs(launch.record.id)[0]
    assert run.status == "failed" and error["Error"] == run.error
    assert run.cause == "doomed"  # the last lines the job printed


def test_a_manual_approval_is_recorded_with_its_token_and_not_answered(cloud, state, project, tmp_path):
    clients, contract = cloud
    plan = {"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": "attini:approval", "Parameters": {"Message": "ship?"},
                    "ResultPath": "$.output.Approve", "End": True}}}
    launch = Launch(clients, contract, state, project("app").package(plan))
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache")

    deadline = time.monotonic() + 20
    while not worker.poll_once() and time.monotonic() < deadline:
        time.sleep(0.05)

    approval = state.get_approval(launch.record.id, "Approve")
    assert approval is not None and approval.pending and approval.token
    assert state.get_deployment(launch.record.id).status == "waiting_approval"
    assert launch.status()["status"] == "RUNNING"
    clients.client("stepfunctions").send_task_success(taskToken=approval.token, output=json.dumps({"message": "ok"}))
    assert drive(worker, launch)["status"] == "SUCCEEDED"


def test_settings_come_from_the_contract():
    settings = RunnerSettings.from_contract({"runner": {"max_concurrent_jobs": 3, "idle_ttl_seconds": 5}},
                                            max_jobs=None)
    assert (settings.max_jobs, settings.idle_ttl_seconds) == (3, 5)


@pytest.fixture
def project(tmp_path):
    def make(name: str, version: str = "1.0.0") -> Project:
        return Project(tmp_path / "projects", name, version)

    return make


def test_the_worker_exits_after_its_idle_time_to_live(cloud, state, tmp_path):
    clients, contract = cloud
    settings = RunnerSettings(max_jobs=1, idle_ttl_seconds=0.2, wait_time_seconds=0)
    worker = RunnerWorker(clients, state, contract, cache_dir=tmp_path / "cache", settings=settings)
    assert worker.run() == 0  # returns by itself: nothing to do for longer than the time-to-live
