"""The "Run a Job" pattern (``.sync``) on moto: start a job, poll it on the engine's clock, stop it
when the Task is cancelled. Step Functions runs child executions (moto's interpreter), ECS tasks
are stopped by a ``stop_task`` call, Glue job runs advance one state per poll, Batch jobs finish
at once (moto's Docker-free Batch)."""

from __future__ import annotations

import itertools
import json
import threading
import time

import boto3
import pytest
from moto import mock_aws
from moto.moto_api import state_manager

from attini_sdk.asl import Engine, FakeClock
from attini_sdk.asl import TaskFailed, TaskInvocation
from attini_sdk.asl.jobs import Backoff, JobKind, handlers, poll_until_done, to_request, to_result

ROLE = "arn:aws:iam::123456789012:role/attini"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", raising=False)
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}, "batch": {"use_docker": False}}):
        yield


@pytest.fixture
def transitions():
    """Set moto's state progression for a model (``ecs::task``, ``glue::job_run``) for one test."""
    changed = []

    def set_transition(model: str, transition: dict) -> None:
        state_manager.set_transition(model_name=model, transition=transition)
        changed.append(model)

    yield set_transition
    for model in changed:
        state_manager.unset_transition(model)


def task(resource: str, parameters: dict, **fields) -> dict:
    return {"StartAt": "Job", "States": {"Job": {"Type": "Task", "Resource": resource, "Parameters": parameters,
                                                  "End": True, **fields}}}


def engine(clock=None) -> Engine:
    return Engine(clock=clock or FakeClock())


def wait_until(condition, seconds: float = 20.0):
    """Poll ``condition`` (a moto call) until it returns something truthy."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError("the condition never came true")


# -- Step Functions: a child execution ------------------------------------------------------------
def child_machine(name: str, definition: dict) -> str:
    return boto3.client("stepfunctions").create_state_machine(
        name=name, roleArn=ROLE, definition=json.dumps(definition))["stateMachineArn"]


GREETER = {"StartAt": "Greet", "States": {"Greet": {"Type": "Pass", "Parameters": {"hello.$": "$.who"}, "End": True}}}
BROKEN = {"StartAt": "Break", "States": {"Break": {"Type": "Fail", "Error": "Migration.Failed", "Cause": "table locked"}}}


def test_start_execution_sync_waits_for_the_child_and_returns_its_description(aws):
    arn = child_machine("greeter", GREETER)
    definition = task("arn:aws:states:::states:startExecution.sync",
                      {"StateMachineArn": arn, "Name": "greet-ada", "Input": {"who.$": "$.who"}})
    execution = engine().start(definition, {"who": "ada"}).wait(60)
    assert execution.status == "SUCCEEDED", execution.cause
    result = execution.output
    assert result["Status"] == "SUCCEEDED"
    assert result["ExecutionArn"].endswith(":execution:greeter:greet-ada")
    assert json.loads(result["Output"]) == {"hello": "ada"}          # .sync: the output as JSON text
    assert isinstance(result["StartDate"], int) and result["StopDate"] >= result["StartDate"]
    events = [event["type"] for event in execution.history]
    assert events[events.index("TaskScheduled"):events.index("TaskSucceeded") + 1] == [
        "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    submitted = next(e for e in execution.history if e["type"] == "TaskSubmitted")["taskSubmittedEventDetails"]
    assert json.loads(submitted["output"])["ExecutionArn"] == result["ExecutionArn"]


def test_start_execution_sync_2_returns_the_child_output_as_json(aws):
    arn = child_machine("greeter", GREETER)
    definition = task("arn:aws:states:::states:startExecution.sync:2", {"StateMachineArn": arn, "Input": {"who": "bo"}})
    definition["States"]["Job"]["OutputPath"] = "$.Output"
    execution = engine().start(definition).wait(60)
    assert execution.output == {"hello": "bo"}


def test_a_failed_child_fails_the_task_with_its_description_as_cause(aws):
    arn = child_machine("migrator", BROKEN)
    definition = task("arn:aws:states:::states:startExecution.sync", {"StateMachineArn": arn})
    execution = engine().start(definition).wait(60)
    assert execution.error == "States.TaskFailed"
    cause = json.loads(execution.cause)
    assert (cause["Status"], cause["Error"], cause["Cause"]) == ("FAILED", "Migration.Failed", "table locked")


def test_start_execution_without_a_suffix_returns_at_once(aws):
    arn = child_machine("greeter", GREETER)
    execution = engine().start(task("arn:aws:states:::states:startExecution", {"StateMachineArn": arn})).wait(60)
    assert sorted(execution.output) == ["ExecutionArn", "StartDate"]


def test_start_errors_are_named_after_the_service(aws):
    missing = "arn:aws:states:us-east-1:123456789012:stateMachine:nowhere"
    execution = engine().start(task("arn:aws:states:::states:startExecution.sync", {"StateMachineArn": missing}))
    assert execution.wait(60).error == "StepFunctions.StateMachineDoesNotExist"


# -- ECS: a task that runs until someone stops it ---------------------------------------------------
@pytest.fixture
def ecs_cluster(aws, transitions):
    transitions("ecs::task", {"progression": "manual", "times": 10**9})   # RUNNING until stop_task
    ecs = boto3.client("ecs")
    ecs.create_cluster(clusterName="deploy")
    ecs.register_task_definition(family="migrate", containerDefinitions=[{"name": "app", "image": "busybox",
                                                                         "memory": 128}])
    return ecs


RUN_MIGRATION = {"Cluster": "deploy", "TaskDefinition": "migrate", "LaunchType": "FARGATE",
                 "Overrides": {"ContainerOverrides": [{"Name": "app", "Command.$": "$.command"}]}}


def running_task(ecs) -> str:
    return wait_until(lambda: ecs.list_tasks(cluster="deploy")["taskArns"])[0]


def test_run_task_sync_waits_until_the_task_is_stopped(ecs_cluster):
    execution = engine().start(task("arn:aws:states:::ecs:runTask.sync", RUN_MIGRATION), {"command": ["migrate"]})
    arn = running_task(ecs_cluster)
    assert execution.status == "RUNNING"
    ecs_cluster.stop_task(cluster="deploy", task=arn, reason="migration done")
    assert execution.wait(60).status == "SUCCEEDED", execution.cause
    result = execution.output
    assert (result["TaskArn"], result["LastStatus"], result["StoppedReason"]) == (arn, "STOPPED", "migration done")
    assert result["Overrides"]["ContainerOverrides"] == [{"Name": "app", "Command": ["migrate"]}]
    assert result["StartedBy"] == "AWS Step Functions"


def test_run_task_sync_fails_when_a_container_exits_non_zero(ecs_cluster):
    from moto.ecs.models import ecs_backends

    execution = engine().start(task("arn:aws:states:::ecs:runTask.sync", RUN_MIGRATION), {"command": ["migrate"]})
    arn = running_task(ecs_cluster)
    backend_task = ecs_backends["123456789012"]["us-east-1"].tasks["deploy"][arn]
    backend_task.containers[0].exitCode = 3
    ecs_cluster.stop_task(cluster="deploy", task=arn, reason="Essential container in task exited")
    assert execution.wait(60).error == "States.TaskFailed"
    assert json.loads(execution.cause)["Containers"][0]["ExitCode"] == 3


def test_a_timed_out_run_task_sync_stops_the_ecs_task(ecs_cluster):
    definition = task("arn:aws:states:::ecs:runTask.sync", RUN_MIGRATION, TimeoutSeconds=300)
    execution = engine().start(definition, {"command": ["migrate"]}).wait(60)
    assert execution.error == "States.Timeout"
    arn = running_task(ecs_cluster)
    stopped = wait_until(lambda: ecs_cluster.list_tasks(cluster="deploy", desiredStatus="STOPPED")["taskArns"])
    assert stopped == [arn]


def test_a_running_job_counts_as_a_heartbeat(ecs_cluster):
    definition = task("arn:aws:states:::ecs:runTask.sync", RUN_MIGRATION, HeartbeatSeconds=10, TimeoutSeconds=600)
    execution = engine().start(definition, {"command": ["migrate"]}).wait(60)
    assert execution.error == "States.Timeout"      # never States.HeartbeatTimeout: every poll beat


def test_stopping_the_execution_stops_the_ecs_task(ecs_cluster):
    execution = engine().start(task("arn:aws:states:::ecs:runTask.sync", RUN_MIGRATION), {"command": ["migrate"]})
    arn = running_task(ecs_cluster)
    execution.stop(error="Deploy.Cancelled")
    assert execution.wait(60).status == "ABORTED"
    assert wait_until(lambda: ecs_cluster.list_tasks(cluster="deploy", desiredStatus="STOPPED")["taskArns"]) == [arn]
    assert not any(event["type"] in ("TaskFailed", "TaskSucceeded") for event in execution.history)


# -- Glue: a job run that advances one state per poll -------------------------------------------------
@pytest.fixture
def glue_job(aws, transitions):
    transitions("glue::job_run", {"progression": "manual", "times": 1})  # STARTING, RUNNING, SUCCEEDED
    glue = boto3.client("glue")
    glue.create_job(Name="etl", Role=ROLE, Command={"Name": "glueetl", "ScriptLocation": "s3://scripts/etl.py"})
    return glue


def test_start_job_run_sync_polls_until_the_run_succeeds(glue_job):
    clock = FakeClock(start=0)
    definition = task("arn:aws:states:::glue:startJobRun.sync", {"JobName": "etl", "Arguments": {"--day": "monday"}})
    execution = engine(clock).start(definition).wait(60)
    assert execution.status == "SUCCEEDED", execution.cause
    assert (execution.output["JobName"], execution.output["JobRunState"]) == ("etl", "SUCCEEDED")
    assert execution.output["Arguments"] == {"--day": "monday"}   # a map: its keys are not re-cased
    assert clock.now() >= 1.0                                      # slept between polls, on the fake clock


def test_a_failed_job_run_fails_the_task(glue_job, transitions):
    from moto.glue.models import glue_backends

    transitions("glue::job_run", {"progression": "manual", "times": 10**9})
    started = threading.Event()

    def fail_the_run():
        runs = wait_until(lambda: glue_backends["123456789012"]["us-east-1"].jobs["etl"].job_runs)
        runs[0].status = "FAILED"
        started.set()

    threading.Thread(target=fail_the_run, daemon=True).start()
    execution = engine().start(task("arn:aws:states:::glue:startJobRun.sync", {"JobName": "etl"})).wait(60)
    assert started.is_set()
    assert execution.error == "States.TaskFailed"
    assert json.loads(execution.cause)["JobRunState"] == "FAILED"


# -- Batch and CodeBuild: jobs moto finishes at once -----------------------------------------------------
@pytest.fixture
def batch_queue(aws):
    batch = boto3.client("batch")
    iam = boto3.client("iam")
    role = iam.create_role(RoleName="batch", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    env = batch.create_compute_environment(computeEnvironmentName="cpu", type="UNMANAGED", serviceRole=role)
    batch.create_job_queue(jobQueueName="jobs", state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": env["computeEnvironmentArn"]}])
    batch.register_job_definition(jobDefinitionName="report", type="container",
                                  containerProperties={"image": "busybox", "vcpus": 1, "memory": 128})
    return batch


SUBMIT_REPORT = {"JobName": "nightly", "JobQueue": "jobs", "JobDefinition": "report",
                 "ContainerOverrides": {"Environment": [{"Name": "DAY", "Value": "monday"}]}}


def test_submit_job_sync_returns_the_finished_job(batch_queue):
    execution = engine().start(task("arn:aws:states:::batch:submitJob.sync", SUBMIT_REPORT)).wait(60)
    assert execution.status == "SUCCEEDED", execution.cause
    assert (execution.output["JobName"], execution.output["Status"]) == ("nightly", "SUCCEEDED")
    assert {"Name": "DAY", "Value": "monday"} in execution.output["Container"]["Environment"]


def test_a_failed_batch_job_fails_the_task(batch_queue, monkeypatch):
    monkeypatch.setenv("MOTO_SIMPLE_BATCH_FAIL_AFTER", "0")
    execution = engine().start(task("arn:aws:states:::batch:submitJob.sync", SUBMIT_REPORT)).wait(60)
    assert execution.error == "States.TaskFailed"
    assert json.loads(execution.cause)["Status"] == "FAILED"


def test_start_build_sync_returns_the_build(aws):
    codebuild = boto3.client("codebuild")
    codebuild.create_project(name="site", source={"type": "S3", "location": "sources/site.zip"},
                             artifacts={"type": "NO_ARTIFACTS"},
                             environment={"type": "LINUX_CONTAINER", "image": "aws/codebuild/standard:7.0",
                                          "computeType": "BUILD_GENERAL1_SMALL"}, serviceRole=ROLE)
    execution = engine().start(task("arn:aws:states:::codebuild:startBuild.sync", {"ProjectName": "site"})).wait(60)
    assert execution.status == "SUCCEEDED", execution.cause
    assert (execution.output["Build"]["ProjectName"], execution.output["Build"]["BuildStatus"]) == ("site", "SUCCEEDED")


# -- patterns and casing, without a service -----------------------------------------------------------------
@pytest.mark.parametrize("resource", ["arn:aws:states:::sqs:sendMessage.sync", "arn:aws:states:::ecs:runTask.sync:2",
                                      "arn:aws:states:::glue:startJobRun.waitForTaskToken"])
def test_a_pattern_the_integration_does_not_offer_is_a_runtime_error(resource):
    execution = engine().start(task(resource, {})).wait(60)
    assert execution.error == "States.Runtime"
    assert "does not support" in execution.cause


def test_parameters_are_mapped_onto_the_service_members_and_results_come_back_pascal_case(monkeypatch):
    import datetime

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    ecs = boto3.client("ecs")
    run_task = ecs.meta.service_model.operation_model("RunTask")
    request = to_request(run_task.input_shape, {"Cluster": "c", "Overrides": {"ContainerOverrides": [
        {"Name": "app", "Environment": [{"Name": "A", "Value": "1"}]}]}})
    assert request == {"cluster": "c", "overrides": {"containerOverrides": [
        {"name": "app", "environment": [{"name": "A", "value": "1"}]}]}}
    started = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    result = to_result(run_task.output_shape, {"tasks": [{"taskArn": "t", "startedAt": started, "tags": []}],
                                               "ResponseMetadata": {}})
    assert result == {"Tasks": [{"TaskArn": "t", "StartedAt": 1767225600000, "Tags": []}]}


def test_the_poll_interval_grows_to_its_cap_and_stays_under_half_the_heartbeat():
    assert list(itertools.islice(Backoff(first=1, factor=2, cap=8).delays(None), 6)) == [1, 2, 4, 8, 8, 8]
    assert max(itertools.islice(Backoff().delays(heartbeat=6), 20)) == 3
    assert set(handlers()) == {"arn:aws:states:::states:startExecution", "arn:aws:states:::batch:submitJob",
                               "arn:aws:states:::ecs:runTask", "arn:aws:states:::glue:startJobRun",
                               "arn:aws:states:::codebuild:startBuild"}


def scripted_job(replies: list, stopped: list) -> JobKind:
    """A job whose describe call answers from ``replies`` (a dict, or a botocore error to raise)."""
    from botocore.exceptions import ClientError

    def describe(client, started):
        reply = replies.pop(0)
        if isinstance(reply, str):
            raise ClientError({"Error": {"Code": reply, "Message": reply.lower()}}, "DescribeJob")
        return reply

    return JobKind(service="jobs", error_prefix="Jobs", start="StartJob", describe=describe,
                   judge=lambda job: job["status"], stop=lambda client, started: stopped.append(started),
                   result_shape=lambda client: None)


def test_throttled_polls_are_polled_again_and_only_a_running_job_beats():
    beats, stopped = [], []
    clock = FakeClock(start=0)
    replies = [{"status": "RUNNING"}, "ThrottlingException", "ServiceUnavailable", {"status": "SUCCEEDED"}]
    invocation = TaskInvocation(resource="test:job.sync", on_heartbeat=lambda: beats.append(clock.now()),
                                sleeper=lambda seconds: clock.sleep(seconds, threading.Event()))
    verdict, job = poll_until_done(scripted_job(replies, stopped), None, {"id": 1}, invocation, Backoff(1, 2, 60))
    assert (verdict, job, beats, stopped) == ("SUCCEEDED", {"status": "SUCCEEDED"}, [0.0], [])
    assert clock.now() == 7.0                     # slept 1 + 2 + 4 seconds between the four polls


def test_an_access_error_while_polling_stops_the_job_and_names_the_service():
    stopped = []
    invocation = TaskInvocation(resource="test:job.sync", sleeper=lambda seconds: True)
    with pytest.raises(TaskFailed) as failed:
        poll_until_done(scripted_job([{"status": "RUNNING"}, "AccessDeniedException"], stopped), None, {"id": 1},
                        invocation, Backoff())
    assert (failed.value.error, stopped) == ("Jobs.AccessDeniedException", [{"id": 1}])


def test_engine_registers_every_job_integration_without_loading_jobs():
    """The default handlers list the job resources (with the names ``handlers()`` gives them) without importing
    :mod:`attini_sdk.asl.jobs`; it loads when a plan first runs one of them."""
    import subprocess
    import sys

    from attini_sdk.asl.integrations import JOB_RESOURCES, default_handlers

    assert JOB_RESOURCES == {resource: h.__name__ for resource, h in handlers().items()}
    defaults = default_handlers()
    assert {r: defaults[r].__name__ for r in JOB_RESOURCES} == JOB_RESOURCES
    probe = ("import sys; from attini_sdk.asl import Engine; "
             "Engine().start({'StartAt': 'A', 'States': {'A': {'Type': 'Pass', 'End': True}}}, 1).wait(); "
             "print('attini_sdk.asl.jobs' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"
