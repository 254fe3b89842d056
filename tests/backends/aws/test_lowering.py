"""Lowering: Attini steps become callback Tasks on the runner queue; plain ASL stays; moto runs the result."""

from __future__ import annotations

import os

import pytest

from attini_sdk.backends.aws.lowering import (CALLBACK_RESOURCE, HEARTBEAT_SECONDS, TIMEOUT_SECONDS, attini_steps,
                                              job_message, lower, lowered_digest, state_machine_name)
from attini_sdk.errors import PlanError
from tests.backends.aws.parity import PLANS, REGION, MotoRun, comparable, run_local

QUEUE = "https://sqs.eu-west-1.amazonaws.com/123456789012/attini-runner-jobs"


def test_an_attini_step_becomes_a_job_on_the_runner_queue_with_its_result_path_kept():
    plan = PLANS["sequence"][1]
    lowered = lower(plan, queue_url=QUEUE)
    b = lowered["States"]["B"]
    assert b["Resource"] == CALLBACK_RESOURCE
    assert b["Parameters"]["QueueUrl"] == QUEUE
    body = b["Parameters"]["MessageBody"]
    assert body["step"] == "B" and body["type"] == "attini:runner"
    assert body["properties"]["Environment"] == {"FromA.$": "$.output.A.properties.V"}
    assert body["payload.$"] == "$" and body["token.$"] == "$$.Task.Token"
    assert b["ResultPath"] == "$.output.B" and b["End"] is True
    assert b["HeartbeatSeconds"] == HEARTBEAT_SECONDS > 300 and b["TimeoutSeconds"] == TIMEOUT_SECONDS
    assert plan["States"]["B"]["Resource"] == "attini:runner"  # the plan itself is not modified


def test_a_manual_approval_is_lowered_without_a_heartbeat():
    plan = {"StartAt": "Approve", "States": {"Approve": {"Type": "Task", "Resource": "attini:approval",
                                                         "Parameters": {"Message": "go?"}, "End": True}}}
    state = lower(plan, queue_url=QUEUE)["States"]["Approve"]
    assert state["Parameters"]["MessageBody"]["type"] == "attini:approval"
    assert "HeartbeatSeconds" not in state and state["TimeoutSeconds"] == TIMEOUT_SECONDS


def test_retry_moves_to_a_one_branch_parallel_that_keeps_the_step_name_and_catch():
    plan = PLANS["retry then catch"][1]
    outer = lower(plan, queue_url=QUEUE)["States"]["A"]
    assert outer["Type"] == "Parallel" and outer["OutputPath"] == "$[0]"
    assert outer["Retry"] == plan["States"]["A"]["Retry"] and outer["Catch"] == plan["States"]["A"]["Catch"]
    inner = outer["Branches"][0]["States"]["A-Attempts"]
    assert inner["Resource"] == CALLBACK_RESOURCE and inner["ResultPath"] == "$.output.A" and inner["End"]
    assert "Retry" not in inner and "Catch" not in inner
    # without the wrapper (AWS gives every attempt a new token) Retry stays where it was
    plain = lower(plan, queue_url=QUEUE, retry_wrapper=False)["States"]["A"]
    assert plain["Resource"] == CALLBACK_RESOURCE and plain["Retry"] == plan["States"]["A"]["Retry"]


def test_nested_steps_are_lowered_and_plain_asl_is_unchanged():
    plan = PLANS["map"][1]
    lowered = lower(plan, queue_url=QUEUE)
    each = lowered["States"]["M"]["ItemProcessor"]["States"]["Each"]
    assert each["Resource"] == CALLBACK_RESOURCE
    plain = PLANS["plain ASL around"][1]
    assert lower(plain, queue_url=QUEUE)["States"]["Prepare"] == plain["States"]["Prepare"]
    assert attini_steps(PLANS["parallel + merge"][1]) == {"L": "attini:runner", "R": "attini:runner",
                                                          "Merge": "attini:merge-output"}


def test_an_attini_step_in_a_jsonata_state_is_refused_with_what_to_do():
    plan = {"QueryLanguage": "JSONata", "StartAt": "A",
            "States": {"A": {"Type": "Task", "Resource": "attini:runner", "Arguments": {"Commands": ["x"]},
                             "End": True}}}
    with pytest.raises(PlanError) as err:
        lower(plan, queue_url=QUEUE)
    assert "JSONata" in str(err.value) and "QueryLanguage: JSONPath" in err.value.hint


def test_names_and_digests():
    assert state_machine_name("attini-", "dev", "network") == "attini-dev-network"
    long = state_machine_name("attini-", "e" * 50, "d" * 50)
    assert len(long) == 80 and long.startswith("attini-eeee")
    a = lower(PLANS["one step"][1], queue_url=QUEUE)
    assert lowered_digest(a) == lowered_digest(lower(PLANS["one step"][1], queue_url=QUEUE))
    assert lowered_digest(a) != lowered_digest(lower(PLANS["sequence"][1], queue_url=QUEUE))
    with pytest.raises(ValueError):
        job_message('{"hello": 1}')


@pytest.fixture(scope="module")
def moto_run():
    from moto import mock_aws

    saved = {k: os.environ.get(k) for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION",
                                            "AWS_ENDPOINT_URL")}
    os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    try:
        with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
            run = MotoRun()
            yield run
            run.close()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


@pytest.mark.parametrize("name", list(PLANS))
def test_parity_local_engine_and_lowered_plan_on_moto_end_the_same(name, moto_run):
    _, definition, payload = PLANS[name]
    local = run_local(definition, payload)
    remote = moto_run.run(definition, payload)
    assert comparable(remote) == comparable(local)
    assert local["status"] in ("SUCCEEDED", "FAILED")


def test_on_an_emulator_the_lowering_leaves_heartbeats_out():
    state = lower(PLANS["one step"][1], queue_url=QUEUE, heartbeat_seconds=None)["States"]["A"]
    assert "HeartbeatSeconds" not in state and state["TimeoutSeconds"] == TIMEOUT_SECONDS
