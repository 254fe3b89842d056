"""The "Run a Job" integration pattern (``.sync``): start a job, then poll it until it ends.

Five optimised integrations start a job and, with ``.sync``, wait for it:

=====================================================  ==========================  =================
Resource (``arn:aws:states:::`` + ...)                 polled with                 stopped with
=====================================================  ==========================  =================
``states:startExecution.sync`` / ``.sync:2``            ``DescribeExecution``       ``StopExecution``
``batch:submitJob.sync``                                ``DescribeJobs``            ``TerminateJob``
``ecs:runTask.sync``                                    ``DescribeTasks``           ``StopTask``
``glue:startJobRun.sync``                               ``GetJobRun``               ``BatchStopJobRun``
``codebuild:startBuild.sync``                           ``BatchGetBuilds``          ``StopBuild``
=====================================================  ==========================  =================

Parameters are Step Functions' PascalCase (``Cluster``, ``TaskDefinition``) and are mapped onto
the service API's own member names; results come back PascalCase too, timestamps as epoch
milliseconds. A finished job's description is the Task's result; a job that ends badly fails the
Task with ``States.TaskFailed`` and that description (JSON) as the cause. Polling sleeps on the
engine's clock with a growing interval (:class:`Backoff`), counts every poll that finds the job
running as a heartbeat, and stops the job when the Task is cancelled (``TimeoutSeconds``,
``HeartbeatSeconds``, the execution's timeout, ``stop``). Without a suffix each resource is a
plain request-response call; ``.waitForTaskToken`` (Step Functions, ECS) makes the call, then
waits for the token.

    >>> sorted(handlers())[0]
    'arn:aws:states:::batch:submitJob'
    >>> from itertools import islice
    >>> list(islice(Backoff(first=1, factor=2, cap=5).delays(heartbeat=None), 5))
    [1.0, 2.0, 4.0, 5.0, 5.0]
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import attrs

from attini_sdk.asl.failures import RUNTIME, TASK_FAILED, Failure, TaskFailed, WaitForCallback
from attini_sdk.asl.resources import TaskInvocation, split_pattern

__all__ = ["Backoff", "JobKind", "KINDS", "handlers", "run_job", "poll_until_done", "integration_pattern", "to_request", "to_result"]

RUNNING, SUCCEEDED, FAILED = "RUNNING", "SUCCEEDED", "FAILED"
STOP_REASON = "Stopped by the Attini local engine: the Task was cancelled (timeout, heartbeat or stop)"
_TRANSIENT = {"Throttling", "ThrottlingException", "TooManyRequestsException", "RequestLimitExceeded",
              "ServiceUnavailable", "ServiceUnavailableException", "InternalServerError", "InternalFailure",
              "InternalServiceException", "ServerException", "InternalServerException"}


@attrs.frozen
class Backoff:
    """How often a running job is polled: ``first`` seconds, growing by ``factor`` up to ``cap``.

    The interval never exceeds half of the Task's ``HeartbeatSeconds``, so a job that is
    still running always beats in time.

        >>> from itertools import islice
        >>> list(islice(Backoff(first=2, factor=3, cap=60).delays(heartbeat=10), 3))
        [2.0, 5.0, 5.0]
    """

    first: float = 1.0
    factor: float = 1.5
    cap: float = 30.0

    def delays(self, heartbeat: float | None) -> Iterator[float]:
        """The successive sleeps between polls (endless)."""
        cap = self.cap if heartbeat is None else min(self.cap, heartbeat / 2)
        delay = float(self.first)
        while True:
            yield float(min(delay, cap))
            delay *= self.factor


@attrs.frozen
class JobKind:
    """One service's job: how to start, describe, judge and stop it.

    ``start`` is the API operation (``StartExecution``); ``describe(client, started)`` returns the
    raw description of the started job; ``judge(description)`` says
    RUNNING, SUCCEEDED or FAILED; ``stop(client, started)`` cancels the job (best effort).
    ``result_shape(client)`` is the botocore shape of a description (for PascalCase output),
    ``patterns`` the suffixes the service supports besides request-response.
    """

    service: str
    error_prefix: str
    start: str
    describe: Callable[[Any, dict], dict]
    judge: Callable[[dict], str]
    stop: Callable[[Any, dict], Any]
    result_shape: Callable[[Any], Any]
    patterns: frozenset[str] = frozenset({"sync"})
    prepare: Callable[[dict, str], dict] = attrs.field(default=lambda params, pattern: params)
    started: Callable[[dict, dict], dict] = attrs.field(default=lambda response, params: response)
    finish: Callable[[dict, str], Any] = attrs.field(default=lambda result, pattern: result)


# -- Step Functions' casing ---------------------------------------------------------------------
def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def to_request(shape, value):
    """Step Functions' PascalCase parameters → the member names of a botocore input shape."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members = {name.lower(): (name, member) for name, member in shape.members.items()}
        mapped = {}
        for key, item in value.items():
            name, member = members.get(key.lower(), (key, None))
            mapped[name] = to_request(member, item)
        return mapped
    if kind == "list" and isinstance(value, list):
        return [to_request(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_request(shape.value, item) for key, item in value.items()}
    return value


def to_result(shape, value):
    """A botocore response → JSON as Step Functions returns it: PascalCase members, epoch-ms times."""
    if hasattr(value, "timestamp") and callable(value.timestamp):
        return int(round(value.timestamp() * 1000))
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    if shape is None:
        if isinstance(value, dict):
            return {key: to_result(None, item) for key, item in value.items() if key != "ResponseMetadata"}
        if isinstance(value, list):
            return [to_result(None, item) for item in value]
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        return {_pascal(key): to_result(shape.members.get(key), item) for key, item in value.items()
                if key != "ResponseMetadata"}
    if kind == "list" and isinstance(value, list):
        return [to_result(shape.member, item) for item in value]
    if kind == "map" and isinstance(value, dict):
        return {key: to_result(shape.value, item) for key, item in value.items()}
    return value


def _operation_shape(client, operation: str, side: str):
    model = client.meta.service_model.operation_model(operation)
    return model.input_shape if side == "input" else model.output_shape


def _member_shape(client, operation: str, *path: str):
    shape = _operation_shape(client, operation, "output")
    for step in path:
        shape = shape.member if step == "[]" else shape.members[step]
    return shape


# -- the five services -----------------------------------------------------------------------------
def _sfn_prepare(params: dict, pattern: str) -> dict:
    prepared = dict(params)
    if not any(key.lower() == "name" for key in prepared):
        prepared["Name"] = uuid.uuid4().hex  # as Step Functions names an unnamed execution
    value = prepared.get("Input")
    if not isinstance(value, str):  # StartExecution takes JSON text; "{}" when there is none
        prepared["Input"] = json.dumps({} if value is None else value, separators=(",", ":"))
    return prepared


def _sfn_judge(description: dict) -> str:
    status = description.get("status")
    if status in ("RUNNING", "PENDING_REDRIVE"):
        return RUNNING
    return SUCCEEDED if status == "SUCCEEDED" else FAILED


def _sfn_finish(result: dict, pattern: str) -> dict:
    if pattern != "sync:2":
        return result
    parsed = dict(result)
    for field in ("Input", "Output"):  # .sync:2 returns the execution's input and output as JSON
        if isinstance(parsed.get(field), str):
            parsed[field] = json.loads(parsed[field])
    return parsed


def _ecs_prepare(params: dict, pattern: str) -> dict:
    if pattern == "sync" and not any(key.lower() == "startedby" for key in params):
        return {**params, "StartedBy": "AWS Step Functions"}
    return params


def _ecs_started(response: dict, params: dict) -> dict:
    if not response.get("tasks"):
        raise TaskFailed(TASK_FAILED, json.dumps({"Failures": response.get("failures", [])}))
    return response


def _ecs_judge(task: dict) -> str:
    if task.get("lastStatus") != "STOPPED":
        return RUNNING
    exit_codes = [c.get("exitCode") for c in task.get("containers", []) if c.get("exitCode") is not None]
    if task.get("stopCode") == "TaskFailedToStart" or any(code != 0 for code in exit_codes):
        return FAILED
    return SUCCEEDED


def _glue_started(response: dict, params: dict) -> dict:
    return {**response, "JobName": params.get("JobName")}  # as Step Functions adds it


def _glue_describe(client, started: dict) -> dict:
    run = client.get_job_run(JobName=started["JobName"], RunId=started["JobRunId"])["JobRun"]
    return {**run, "JobName": started["JobName"]}


def _glue_judge(run: dict) -> str:
    state = run.get("JobRunState")
    if state in ("STARTING", "RUNNING", "STOPPING", "WAITING"):
        return RUNNING
    return SUCCEEDED if state == "SUCCEEDED" else FAILED


def _codebuild_judge(description: dict) -> str:
    status = description["build"].get("buildStatus")
    if status == "IN_PROGRESS":
        return RUNNING
    return SUCCEEDED if status == "SUCCEEDED" else FAILED


KINDS: dict[str, JobKind] = {
    "arn:aws:states:::states:startExecution": JobKind(
        service="stepfunctions", error_prefix="StepFunctions", start="StartExecution",
        describe=lambda client, started: client.describe_execution(executionArn=started["executionArn"]),
        judge=_sfn_judge,
        stop=lambda client, started: client.stop_execution(executionArn=started["executionArn"],
                                                           error="States.Aborted", cause=STOP_REASON),
        result_shape=lambda client: _operation_shape(client, "DescribeExecution", "output"),
        patterns=frozenset({"sync", "sync:2", "waitForTaskToken"}), prepare=_sfn_prepare, finish=_sfn_finish),
    "arn:aws:states:::batch:submitJob": JobKind(
        service="batch", error_prefix="Batch", start="SubmitJob",
        describe=lambda client, started: client.describe_jobs(jobs=[started["jobId"]])["jobs"][0],
        judge=lambda job: {"SUCCEEDED": SUCCEEDED, "FAILED": FAILED}.get(job.get("status"), RUNNING),
        stop=lambda client, started: client.terminate_job(jobId=started["jobId"], reason=STOP_REASON),
        result_shape=lambda client: _member_shape(client, "DescribeJobs", "jobs", "[]")),
    "arn:aws:states:::ecs:runTask": JobKind(
        service="ecs", error_prefix="ECS", start="RunTask",
        describe=lambda client, started: client.describe_tasks(
            cluster=started["tasks"][0]["clusterArn"], tasks=[started["tasks"][0]["taskArn"]])["tasks"][0],
        judge=_ecs_judge,
        stop=lambda client, started: client.stop_task(
            cluster=started["tasks"][0]["clusterArn"], task=started["tasks"][0]["taskArn"], reason=STOP_REASON),
        result_shape=lambda client: _member_shape(client, "DescribeTasks", "tasks", "[]"),
        patterns=frozenset({"sync", "waitForTaskToken"}), prepare=_ecs_prepare, started=_ecs_started),
    "arn:aws:states:::glue:startJobRun": JobKind(
        service="glue", error_prefix="Glue", start="StartJobRun", describe=_glue_describe, judge=_glue_judge,
        stop=lambda client, started: client.batch_stop_job_run(JobName=started["JobName"],
                                                               JobRunIds=[started["JobRunId"]]),
        result_shape=lambda client: _member_shape(client, "GetJobRun", "JobRun"), started=_glue_started),
    "arn:aws:states:::codebuild:startBuild": JobKind(
        service="codebuild", error_prefix="CodeBuild", start="StartBuild",
        describe=lambda client, started: {"build": client.batch_get_builds(ids=[started["build"]["id"]])["builds"][0]},
        judge=_codebuild_judge,
        stop=lambda client, started: client.stop_build(id=started["build"]["id"]),
        result_shape=lambda client: _operation_shape(client, "StartBuild", "output")),
}


# -- running one job ------------------------------------------------------------------------------------
def run_job(kind: JobKind, invocation: TaskInvocation, backoff: Backoff = Backoff()):
    """Start ``kind``'s job with the invocation's parameters; with ``.sync``, wait for it to end."""
    from attini_sdk.asl.integrations import call_api, client_for, snake

    pattern = integration_pattern(invocation.resource)
    if pattern != "request-response" and pattern not in kind.patterns:
        raise Failure(RUNTIME, f"Resource '{invocation.resource}' does not support the .{pattern} pattern; "
                               f"it supports {', '.join('.' + p for p in sorted(kind.patterns))}")
    client = client_for(kind.service)
    params = kind.prepare(dict(invocation.input or {}), pattern)
    request = to_request(_operation_shape(client, kind.start, "input"), params)
    response = kind.started(call_api(client, snake(kind.start), request, kind.error_prefix), request)
    if pattern == "request-response":
        return to_result(_operation_shape(client, kind.start, "output"), response)
    if pattern == "waitForTaskToken":
        raise WaitForCallback()
    invocation.submitted(to_result(_operation_shape(client, kind.start, "output"), response))
    verdict, description = poll_until_done(kind, client, response, invocation, backoff)
    result = kind.finish(to_result(kind.result_shape(client), description), pattern)
    if verdict == FAILED:
        raise TaskFailed(TASK_FAILED, json.dumps(result, separators=(",", ":"), default=str))
    return result


def integration_pattern(resource: str) -> str:
    """``request-response``, ``sync``, ``sync:2`` or ``waitForTaskToken``.

    >>> integration_pattern("arn:aws:states:::states:startExecution.sync:2")
    'sync:2'
    """
    if resource.endswith(".sync:2"):
        return "sync:2"
    return split_pattern(resource)[1]


def poll_until_done(kind: JobKind, client, started: dict, invocation: TaskInvocation, backoff: Backoff):
    """Describe the job until it ends: ``(SUCCEEDED | FAILED, description)``.

    Sleeps on the engine's clock between polls; a poll that finds the job running is a
    heartbeat; throttling and service faults are polled again (without a heartbeat); any
    other AWS error, or a cancelled Task, stops the job and fails with ``TaskFailed``.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    delays = backoff.delays(invocation.heartbeat_seconds)
    while True:
        try:
            description = kind.describe(client, started)
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "Unknown")
            if code not in _TRANSIENT:
                _stop_quietly(kind, client, started)
                raise TaskFailed(f"{kind.error_prefix}.{code}",
                                 err.response.get("Error", {}).get("Message", str(err))) from None
            description = None  # throttled or a service fault: try again, without a heartbeat
        except BotoCoreError:
            description = None
        if description is not None:
            verdict = kind.judge(description)
            if verdict != RUNNING:
                return verdict, description
            invocation.heartbeat()
        if not invocation.sleep(next(delays)):
            _stop_quietly(kind, client, started)
            raise TaskFailed(TASK_FAILED, f"the {kind.error_prefix} job was stopped: the Task was cancelled")


def _stop_quietly(kind: JobKind, client, started: dict) -> None:
    """Cancel the job; a job that already ended (or cannot be stopped) is left as it is."""
    try:
        kind.stop(client, started)
    except Exception:  # noqa: BLE001 - best effort: the Task has already ended
        pass


def handlers(backoff: Backoff = Backoff()) -> dict[str, Callable[[TaskInvocation], Any]]:
    """The job integrations as registry entries (``Engine(resources=handlers(Backoff(0.1)))``
    overrides the default polling interval)."""

    def bind(kind: JobKind):
        def handler(invocation: TaskInvocation):
            return run_job(kind, invocation, backoff)
        handler.__name__ = f"{kind.service}_{kind.start}"
        handler.__doc__ = f"``{kind.start}`` with the request-response, .sync and .waitForTaskToken patterns."
        return handler

    return {resource: bind(kind) for resource, kind in KINDS.items()}
