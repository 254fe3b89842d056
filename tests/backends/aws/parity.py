"""The parity corpus: plans with Attini steps, run on the local engine and, lowered, on moto's Step Functions.

Both hosts run the same deterministic stand-in for the step executors (:func:`fake_step`), so any difference
in outputs comes from the lowering. ``python -m tests.backends.aws.parity`` prints the table for docs/aws.md.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections import Counter
from typing import Any

from attini_sdk.asl.failures import TaskFailed
from attini_sdk.backends.aws.lowering import job_message, lower

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/attini-backend/attini-state-machine"


def fake_step(step: str, resource: str, properties: Any, payload: Any, calls: Counter, key: str) -> Any:
    """What the stand-in executor does: fail while ``FailTimes`` says so, merge for MergeOutput, else echo."""
    calls[(key, step)] += 1
    props = (properties.get("Environment") or {}) if isinstance(properties, dict) else {}
    if resource == "attini:merge-output":
        from attini_sdk import steps

        return steps.executor(resource)(payload, ctx=None)
    if calls[(key, step)] <= int(props.get("FailTimes", 0)):
        raise TaskFailed(props.get("Error", "Step.Failed"), f"{step} failed on call {calls[(key, step)]}")
    return {"step": step, "properties": props, "seen": payload.get("seen") if isinstance(payload, dict) else payload}


def task(resource: str = "attini:runner", **fields) -> dict:
    """A Runner step whose ``Environment`` carries the stand-in's data (the validator knows the real properties)."""
    if "Parameters" in fields:
        fields["Parameters"] = {"Commands": ["true"], "Environment": fields["Parameters"]}
    return {"Type": "Task", "Resource": resource, **fields}


def out(name: str) -> str:
    return f"$.output.{name}"


PLANS: dict[str, tuple[str, dict, Any]] = {
    "one step": ("a Runner step reading the payload", {
        "StartAt": "A", "States": {"A": task(Parameters={"Commands": ["x"], "Seen.$": "$.seen"}, ResultPath=out("A"),
                                             End=True)}}, {"seen": 1}),
    "sequence": ("B reads A's output", {
        "StartAt": "A", "States": {
            "A": task(Parameters={"V": "1"}, ResultPath=out("A"), Next="B"),
            "B": task(Parameters={"FromA.$": "$.output.A.properties.V"}, ResultPath=out("B"),
                      End=True)}}, {"seen": 2}),
    "parallel + merge": ("two branches merged by MergeOutput", {
        "StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "Merge", "Branches": [
                {"StartAt": "L", "States": {"L": task(Parameters={"Side": "left"}, ResultPath=out("L"), End=True)}},
                {"StartAt": "R", "States": {"R": task(Parameters={"Side": "right"}, ResultPath=out("R"),
                                                      End=True)}}]},
            "Merge": task("attini:merge-output", ResultPath="$", End=True)}}, {"seen": 3}),
    "map": ("a step per item of a Map", {
        "StartAt": "M", "States": {"M": {
            "Type": "Map", "ItemsPath": "$.items", "ResultPath": "$.mapped", "End": True,
            "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Each", "States": {
                "Each": task(Parameters={"Item.$": "$"}, End=True)}}}}}, {"items": [1, 2, 3]}),
    "choice": ("a Choice on a step's output", {
        "StartAt": "A", "States": {
            "A": task(Parameters={"Go": "left"}, ResultPath=out("A"), Next="C"),
            "C": {"Type": "Choice", "Choices": [{"Variable": "$.output.A.properties.Go", "StringEquals": "left",
                                                 "Next": "Left"}], "Default": "Right"},
            "Left": task(Parameters={"Went": "left"}, ResultPath=out("Left"), End=True),
            "Right": {"Type": "Fail", "Error": "WrongWay"}}}, {"seen": 5}),
    "retry": ("fails twice, Retry succeeds", {
        "StartAt": "A", "States": {"A": task(
            Parameters={"FailTimes": "2", "Error": "Flaky"}, ResultPath=out("A"), End=True,
            Retry=[{"ErrorEquals": ["Flaky"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 1}])}},
        {"seen": 6}),
    "catch": ("fails, Catch records the error", {
        "StartAt": "A", "States": {
            "A": task(Parameters={"FailTimes": "9", "Error": "Broken"}, ResultPath=out("A"), Next="Done",
                      Catch=[{"ErrorEquals": ["Broken"], "ResultPath": "$.error", "Next": "Handled"}]),
            "Handled": {"Type": "Pass", "Result": "handled", "ResultPath": "$.handled", "End": True},
            "Done": {"Type": "Succeed"}}}, {"seen": 7}),
    "retry then catch": ("Retry runs out, then Catch", {
        "StartAt": "A", "States": {
            "A": task(Parameters={"FailTimes": "9", "Error": "Broken"}, ResultPath=out("A"), End=True,
                      Retry=[{"ErrorEquals": ["Broken"], "IntervalSeconds": 1, "MaxAttempts": 1}],
                      Catch=[{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handled"}]),
            "Handled": {"Type": "Pass", "End": True}}}, {"seen": 8}),
    "uncaught failure": ("the execution fails with the step's error", {
        "StartAt": "A", "States": {"A": task(Parameters={"FailTimes": "9", "Error": "Broken"}, End=True)}},
        {"seen": 9}),
    "selectors": ("InputPath, ResultSelector and OutputPath on a step", {
        "StartAt": "A", "States": {"A": task(
            InputPath="$.inner", Parameters={"Seen.$": "$.seen"}, ResultSelector={"echo.$": "$.properties.Seen"},
            ResultPath="$.result", OutputPath="$.result", End=True)}}, {"inner": {"seen": 10}}),
    "no parameters": ("MergeOutput without Parameters gets the Parallel's array", {
        "StartAt": "P", "States": {
            "P": {"Type": "Parallel", "Next": "Merge", "Branches": [
                {"StartAt": "L", "States": {"L": {"Type": "Pass", "Result": {"a": [1], "m": {"x": 1}}, "End": True}}},
                {"StartAt": "R", "States": {"R": {"Type": "Pass", "Result": {"a": [1, 2], "m": {"y": 2}},
                                                  "End": True}}}]},
            "Merge": task("attini:merge-output", ResultPath="$", End=True)}}, {"seen": 11}),
    "plain ASL around": ("Pass with intrinsics and a Wait around a step", {
        "StartAt": "Prepare", "States": {
            "Prepare": {"Type": "Pass", "Parameters": {"name.$": "States.Format('app-{}', $.seen)", "seen.$": "$.seen"},
                        "Next": "Pause"},
            "Pause": {"Type": "Wait", "Seconds": 0, "Next": "A"},
            "A": task(Parameters={"Name.$": "$.name"}, ResultPath=out("A"), End=True)}}, {"seen": 12}),
}


def run_local(definition: dict, payload: Any) -> dict:
    """The plan on the local engine, with :func:`fake_step` as every Attini step."""
    from attini_sdk.asl import Engine

    calls: Counter = Counter()

    def handler(invocation):
        properties = None if invocation.input is invocation.state_input else invocation.input
        return fake_step(invocation.state_name, invocation.resource, properties, invocation.input, calls,
                         json.dumps(invocation.state_input, sort_keys=True))

    resources = {r: handler for r in ("attini:runner", "attini:cfn", "attini:merge-output")}
    execution = Engine(resources).start(definition, payload)
    execution.wait(60)
    return {"status": execution.status, "output": execution.output, "error": execution.error}


class MotoRun:
    """Lowered plans on moto (in-process ``mock_aws`` with execution on), jobs answered by a thread."""

    def __init__(self):
        import boto3

        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        self.sqs = boto3.client("sqs", region_name=REGION)
        self.sfn = boto3.client("stepfunctions", region_name=REGION)
        self.queue = self.sqs.create_queue(QueueName="attini-runner-jobs")["QueueUrl"]
        self.calls: Counter = Counter()
        self.jobs: list[dict] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._answer, daemon=True)
        self._thread.start()
        self._count = 0

    def close(self) -> None:
        self._stop.set()
        self._thread.join()

    def _answer(self) -> None:
        while not self._stop.is_set():
            messages = self.sqs.receive_message(QueueUrl=self.queue, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", [])
            if not messages:
                time.sleep(0.01)
            for message in messages:
                job = job_message(message["Body"])
                self.jobs.append(job)
                payload = job["payload"]
                properties = job["properties"]
                step_input = properties if job.has_properties else payload
                try:
                    result = fake_step(job.step, job.resource, properties, step_input, self.calls,
                                       json.dumps(payload, sort_keys=True))
                except TaskFailed as failed:
                    self.sfn.send_task_failure(taskToken=job.token, error=failed.error, cause=failed.cause)
                else:
                    self.sfn.send_task_success(taskToken=job.token, output=json.dumps(result))
                self.sqs.delete_message(QueueUrl=self.queue, ReceiptHandle=message["ReceiptHandle"])

    def run(self, definition: dict, payload: Any, *, timeout: float = 30) -> dict:
        self._count += 1
        lowered = lower(definition, queue_url=self.queue, heartbeat_seconds=None)  # as on an emulator
        machine = self.sfn.create_state_machine(name=f"attini-parity-{self._count}", definition=json.dumps(lowered),
                                                roleArn=ROLE)["stateMachineArn"]
        arn = self.sfn.start_execution(stateMachineArn=machine, name=f"dep-{self._count}",
                                       input=json.dumps(payload))["executionArn"]
        deadline = time.monotonic() + timeout
        while True:
            described = self.sfn.describe_execution(executionArn=arn)
            if described["status"] != "RUNNING" or time.monotonic() > deadline:
                break
            time.sleep(0.02)
        output = described.get("output")
        return {"status": described["status"], "output": None if output is None else json.loads(output),
                "error": described.get("error")}


def comparable(result: dict) -> dict:
    """A result with what moto 5.2 cannot carry removed: it drops the ``cause`` of SendTaskFailure."""
    def strip(value):
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if k != "Cause"}
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return {**result, "output": strip(result["output"])}


def main() -> None:  # pragma: no cover - prints the table for the docs
    import os

    from moto import mock_aws

    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    print("| plan | what it shows | local engine | lowered on moto | equal |")
    print("|---|---|---|---|---|")
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        moto = MotoRun()
        try:
            for name, (what, definition, payload) in PLANS.items():
                local, remote = comparable(run_local(definition, payload)), comparable(moto.run(definition, payload))
                print(f"| {name} | {what} | {local['status']} | {remote['status']} | "
                      f"{'yes' if local == remote else 'NO'} |")
        finally:
            moto.close()


if __name__ == "__main__":  # pragma: no cover
    main()
