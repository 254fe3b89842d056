"""ManualApproval: the deployment pauses (no process needed), and continues when approved, from any process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import attini_sdk as at

from .conftest import example_env, one_step, stack_status

DEPLOYER = str(Path(__file__).with_name("deployer.py"))
APPROVE_THEN_PASS = {"StartAt": "Approve", "States": {
    "Approve": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Approve",
                "Parameters": {"Message": "ship it?"}, "Next": "Done"},
    "Done": {"Type": "Pass", "End": True}}}


def run_deployer(*args: str) -> dict:
    done = subprocess.run([sys.executable, DEPLOYER, *args], capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def prod(home, platform):
    env = example_env("prod", home, type="production")
    env.deploy(platform["network"])
    env.deploy(platform["database"])
    return env


def test_production_app_waits_for_approval_and_a_new_process_approves_it(prod, platform):
    waiting = prod.deploy(platform["app"])

    assert waiting.status == "waiting_approval" and waiting.pending_approvals == ["ApproveRelease"]
    lock = prod._backend.state.get_lock("prod", "app")
    assert lock.parked and lock.deployment_id == waiting.id  # no process holds it
    assert stack_status("prod-app") is None
    assert list(prod.inventory().set_index("distribution").loc[["app"], "status"].astype(str)) == ["waiting_approval"]

    approved = run_deployer("approve", "prod", "app", "ApproveRelease", "release 0.3.0")

    assert approved == {"id": waiting.id, "revision": 1, "status": "succeeded", "error": None}
    final = waiting.refresh()
    assert final.status == "succeeded"
    assert final.outputs["output"]["ApproveRelease"] == {"message": "release 0.3.0"}
    assert stack_status("prod-app") == "CREATE_COMPLETE"
    assert prod._backend.state.get_lock("prod", "app") is None
    steps = final.steps.set_index("step")
    assert steps.loc["ApproveRelease", "status"] == "succeeded"


def test_aborting_ends_the_deployment_aborted_and_deploys_nothing(prod, platform):
    waiting = prod.deploy(platform["app"])

    aborted = waiting.abort("ApproveRelease", "not this week")

    assert (aborted.status, aborted.error, aborted.cause) == ("aborted", "ManuallyAborted", "not this week")
    assert stack_status("prod-app") is None
    assert prod._backend.state.get_lock("prod", "app") is None
    assert aborted.steps.set_index("step").loc["ApproveRelease", "status"] == "aborted"


def test_approve_true_answers_every_approval_at_once(home, project):
    env = at.Environment.local("dev")
    artifact = project("gate").package(APPROVE_THEN_PASS)

    d = env.deploy(artifact, approve=True)

    assert d.status == "succeeded"
    assert d.outputs["output"]["Approve"] == {"message": "answered by the deploy call"}


def test_an_approval_callable_can_abort(home, project):
    env = at.Environment.local("dev")
    asked = []

    d = env.deploy(project("gate").package(APPROVE_THEN_PASS), approve=lambda step: asked.append(step) or False)

    assert asked == ["Approve"] and (d.status, d.error) == ("aborted", "ManuallyAborted")


def test_a_paused_deployment_keeps_others_out_and_answers_once(home, project):
    env = at.Environment.local("dev")
    artifact = project("gate").package(APPROVE_THEN_PASS)
    waiting = env.deploy(artifact)

    with pytest.raises(at.LockError) as locked:
        env.deploy(artifact)
    assert "waiting for approval" in str(locked.value)
    with pytest.raises(at.NotFoundError) as unknown:
        waiting.approve("Nope")
    assert "(waiting: Approve)" in str(unknown.value)

    assert waiting.approve("Approve", "ok").status == "succeeded"
    with pytest.raises(at.ConflictError):
        waiting.approve("Approve")
    assert env.deploy(artifact).revision == 2  # the lock was released


def test_an_approval_caught_by_the_plan_lets_it_go_on(home, project):
    plan = {"StartAt": "Approve", "States": {
        "Approve": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Approve",
                    "Catch": [{"ErrorEquals": ["ManuallyAborted"], "Next": "Skipped"}], "Next": "Done"},
        "Skipped": {"Type": "Pass", "End": True},
        "Done": {"Type": "Pass", "End": True}}}
    env = at.Environment.local("dev")

    d = env.deploy(project("gate").package(plan)).abort("Approve")

    assert d.status == "succeeded"
    assert "Skipped" in set(d.steps["step"]) and "Done" not in set(d.steps["step"])


def test_a_step_without_properties_is_a_bare_approval(home, project):
    env = at.Environment.local("dev")
    plan = one_step("Gate", {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Gate"})

    d = env.deploy(project("gate").package(plan))

    assert d.pending_approvals == ["Gate"]
    assert "waiting for a manual approval" in d.logs("Gate")


def test_approvals_answered_by_turns_from_two_processes(home, project):
    plan = {"StartAt": "First", "States": {
        "First": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.First", "Next": "Second"},
        "Second": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Second", "Next": "Done"},
        "Done": {"Type": "Pass", "End": True}}}
    env = at.Environment.local("dev")
    here = env.deploy(project("twice").package(plan))
    assert here.pending_approvals == ["First"]

    elsewhere = run_deployer("approve", "dev", "twice", "First", "from another process")
    assert elsewhere["status"] == "waiting_approval"
    assert here.refresh().pending_approvals == ["Second"]

    done = here.approve("Second", "from here")

    assert done.status == "succeeded"
    assert (done.outputs["output"]["First"], done.outputs["output"]["Second"]) == (
        {"message": "from another process"}, {"message": "from here"})
    assert sorted(done.steps["step"]) == ["Done", "First", "Second"]  # each ran once, in the process that had it


def test_an_approval_left_open_by_a_failed_branch_is_closed_with_the_deployment(home, project):
    plan = {"StartAt": "Both", "States": {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Gate", "States": {"Gate": {"Type": "Task", "Resource": "attini:approval",
                                                "ResultPath": "$.output.Gate", "End": True}}},
        {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken"}}}]}}}
    env = at.Environment.local("dev")

    d = env.deploy(project("both").package(plan))

    assert (d.status, d.error) == ("failed", "Broken")
    assert env.pending_approvals().empty
    assert "running" not in set(d.steps["status"].astype(str))


def test_an_approval_that_times_out_lets_the_plan_go_on_in_the_process_that_waits(home, project):
    import time

    plan = {"StartAt": "Gate", "States": {
        "Gate": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Gate", "TimeoutSeconds": 1,
                 "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "NobodyAnswered"}], "Next": "Approved"},
        "NobodyAnswered": {"Type": "Pass", "End": True},
        "Approved": {"Type": "Pass", "End": True}}}
    env = at.Environment.local("dev")
    d = env.deploy(project("gate").package(plan))
    assert d.status == "waiting_approval"

    deadline = time.monotonic() + 60
    # the waiting process goes on: waiting_approval, then running (the Catch), then succeeded
    while d.refresh().status not in ("succeeded", "failed", "aborted") and time.monotonic() < deadline:
        time.sleep(0.05)

    assert d.status == "succeeded"
    assert "NobodyAnswered" in set(d.steps["step"]) and env.pending_approvals().empty
    assert env._backend.state.get_lock("dev", "gate") is None
