"""Run state machine definitions on moto's Step Functions interpreter (ported from LocalStack).

moto only executes definitions when asked (``execute_state_machine``); each execution runs in a
thread, so we poll ``describe_execution`` with a short sleep. One :class:`MotoStepFunctions`
keeps one mock (and one client) open for many definitions, which is what makes a corpus fast.

>>> with MotoStepFunctions() as moto_sfn:
...     moto_sfn.run({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}, {"a": 1}).output
{'a': 1}
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from typing import Any

import attrs

ROLE_ARN = "arn:aws:iam::123456789012:role/conformance"
REGION = "us-east-1"


@attrs.frozen
class MotoResult:
    """What moto did with one definition and input."""

    status: str  # SUCCEEDED, FAILED, TIMED_OUT, ABORTED, REJECTED, START_REFUSED or STILL_RUNNING
    output: Any = None
    error: str | None = None
    cause: str | None = None


class MotoStepFunctions:
    """A moto mock with state machine execution switched on, usable as a context manager."""

    def __init__(self, *, poll_seconds: float = 0.002, max_seconds: float = 10.0):
        self.poll_seconds = poll_seconds
        self.max_seconds = max_seconds
        self._names = itertools.count()
        self._mock = None
        self.client = None

    def __enter__(self) -> MotoStepFunctions:
        import boto3
        from moto import mock_aws

        # The interpreter logs a traceback for every failed execution; expected failures are data here.
        logging.getLogger("moto.stepfunctions").setLevel(logging.CRITICAL)
        self._mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
        self._mock.start()
        self.client = boto3.client("stepfunctions", region_name=REGION)
        return self

    def __exit__(self, *exc_info) -> None:
        self._mock.stop()

    def boto3_client(self, service: str):
        """A client for another service inside the same mock (DynamoDB, SQS, SNS ...)."""
        import boto3

        return boto3.client(service, region_name=REGION)

    def run(self, definition: dict, input: Any = None, name: str | None = None) -> MotoResult:
        """Create a state machine, start one execution and wait for it to finish."""
        index = next(self._names)
        try:
            machine = self.client.create_state_machine(
                name=f"conformance-{index}", definition=json.dumps(definition), roleArn=ROLE_ARN
            )
        except self.client.exceptions.ClientError:
            _reset_moto_parser()
            return MotoResult(status="REJECTED")
        try:
            started = self.client.start_execution(
                stateMachineArn=machine["stateMachineArn"],
                name=name or f"execution-{index}",
                input=json.dumps({} if input is None else input),
            )
        except self.client.exceptions.ClientError:
            return MotoResult(status="START_REFUSED")
        return self._wait(started["executionArn"])

    def _wait(self, execution_arn: str) -> MotoResult:
        deadline = time.monotonic() + self.max_seconds
        while True:
            described = self.client.describe_execution(executionArn=execution_arn)
            if described["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                return MotoResult(status="STILL_RUNNING")
            time.sleep(self.poll_seconds)
        return MotoResult(
            status=described["status"],
            output=_parse_output(described.get("output")),
            error=described.get("error"),
            cause=described.get("cause"),
        )


def _reset_moto_parser() -> None:
    """Forget the query-language scopes a refused definition left open in moto's parser.

    moto 5.2 keeps them in a class attribute and does not pop them when it refuses a JSONPath
    state inside a JSONata one, so every later definition would be refused too.
    """
    from moto.stepfunctions.parser.asl.parse.preprocessor import Preprocessor

    scopes = getattr(Preprocessor, "_query_language_per_scope", None)
    if isinstance(scopes, list):
        scopes.clear()


def _parse_output(text: str | None) -> Any:
    """Execution output is JSON text; moto returns some string outputs unencoded, so say so."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return {"moto returned output that is not JSON": text}
