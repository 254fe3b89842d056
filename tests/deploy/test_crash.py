"""kill -9 the deploying process during a Cfn wait, a Runner job and an approval wait; then resume or approve.

The deployer is a real subprocess (``deployer.py``) talking to the moto *server* through AWS_ENDPOINT_URL.
How each wait is made observable, so that the kill lands inside it:

- Cfn: the stack holds a custom resource; moto keeps the stack in CREATE_IN_PROGRESS until someone PUTs the
  custom resource's answer, which the test does only after the kill (as the resource's Lambda would).
- Runner: the job writes its pid and a marker file, then sleeps; the test kills the deployer once the marker
  exists (and the orphaned job's process group).
- Approval: the deployer returns from deploy() paused at the approval, reports, and sleeps until killed.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import boto3
import pytest
import requests

import attini_sdk as at
from attini_sdk.backends.local.state import SqliteStateStore

from .conftest import REGION, cloudformation, one_step, runner_step, stack_status

from tests.steps.cfn_fixtures import CUSTOM_RESOURCE_TEMPLATE  # a stack moto holds in progress

DEPLOYER = str(Path(__file__).with_name("deployer.py"))


def _spawn(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, DEPLOYER, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _until(condition, what: str, proc: subprocess.Popen | None = None, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the deployer exited ({proc.returncode}) before {what}: {proc.stderr.read()!r}")
        time.sleep(0.05)
    raise AssertionError(f"gave up waiting for {what}")


def _kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL


def _integrity(home: Path) -> list[str]:
    with SqliteStateStore.open(home) as store:
        return store.integrity_check()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and " Z " not in Path(f"/proc/{pid}/stat").read_text()


def _slow_function() -> None:
    """A Lambda for the custom resource's ServiceToken (moto runs none; the test answers in its place)."""
    role = boto3.client("iam").create_role(RoleName="slow-role", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("index.py", "def handler(e, c):\n    return None\n")
    boto3.client("lambda").create_function(FunctionName="slow", Runtime="python3.12", Role=role,
                                           Handler="index.handler", Code={"ZipFile": code.getvalue()})


def _answer_custom_resource(endpoint: str, stack_name: str) -> None:
    stack = cloudformation().describe_stacks(StackName=stack_name)["Stacks"][0]
    response = requests.put(
        f"{endpoint}/cloudformation_{REGION}/cfnresponse?stack={stack['StackId']}",
        headers={"Host": f"cloudformation.{REGION}.amazonaws.com"},  # moto routes by host
        json={"Status": "SUCCESS", "StackId": stack["StackId"], "LogicalResourceId": "Waiting", "RequestId": "r",
              "PhysicalResourceId": "waiting", "Data": {"Answer": "42"}}, timeout=10)
    assert response.status_code == 200


def _log(home: Path, step: str) -> str:
    logs = list((home / "logs").glob(f"*/{step}.log"))
    return logs[0].read_text() if logs else ""


@pytest.mark.slow
def test_killed_during_a_cfn_wait_the_deployment_is_interrupted_and_resume_completes_it(home, project, aws):
    _slow_function()
    plan = {"StartAt": "Before", "States": {
        "Before": {"Type": "Pass", "Result": "ok", "ResultPath": "$.output.Before", "Next": "Slow"},
        "Slow": {"Type": "Task", "Resource": "attini:cfn", "ResultPath": "$.output.Slow", "End": True,
                 "Parameters": {"StackName": "slow", "Template": "/slow.yaml"}}}}
    artifact = project("slowpoke").write("slow.yaml", CUSTOM_RESOURCE_TEMPLATE).package(plan)
    env = at.Environment.local("dev")

    proc = _spawn("deploy", "dev", str(artifact.path))
    _until(lambda: "stack slow: CREATE_IN_PROGRESS" in _log(home, "Slow"), "the step waits for the stack", proc)
    _kill(proc)

    assert _integrity(home) == ["ok"]
    interrupted = env.latest("slowpoke")
    assert (interrupted.status, interrupted.error) == ("interrupted", "Interrupted")
    assert "is not running on this host" in interrupted.cause
    assert stack_status("slow") == "CREATE_IN_PROGRESS"

    _answer_custom_resource(aws, "slow")
    resumed = env.resume("slowpoke")

    assert (resumed.id, resumed.status) == (interrupted.id, "succeeded")
    assert resumed.outputs["output"]["Slow"] == {"Answer": "42"}
    runs = resumed.steps
    assert sorted(zip(runs["step"], runs["status"].astype(str))) == [
        ("Before", "succeeded"), ("Slow", "interrupted"), ("Slow", "succeeded")]
    assert env._backend.state.get_lock("dev", "slowpoke") is None


@pytest.mark.slow
def test_killed_during_a_runner_job_resume_runs_only_the_job_in_flight(home, project, tmp_path):
    marker, pidfile, counter = tmp_path / "started", tmp_path / "job.pid", tmp_path / "before.txt"
    plan = {"StartAt": "Before", "States": {
        "Before": {**runner_step("Before", [f"echo once >> {counter}"]), "Next": "Job"},
        "Job": {**runner_step("Job", [
            f'if [ -f {marker} ]; then echo \'{{"second": true}}\' > "$ATTINI_OUTPUT"; exit 0; fi',
            f"echo $$ > {pidfile}", f"touch {marker}", "sleep 120"]), "End": True}}}
    env = at.Environment.local("dev")
    artifact = project("jobs").package(plan)

    proc = _spawn("deploy", "dev", str(artifact.path))
    _until(lambda: marker.exists() and pidfile.exists() and pidfile.read_text().strip(), "the job runs", proc)
    _kill(proc)
    # the job dies with its deployer (its guard stops it): nobody has to find and kill it
    _until(lambda: not _alive(int(pidfile.read_text())), "the job dies with its deployer")

    assert _integrity(home) == ["ok"]
    assert env.history("jobs")["status"].astype(str).tolist() == ["interrupted"]

    resumed = env.resume("jobs")

    assert resumed.status == "succeeded" and resumed.outputs["output"]["Job"] == {"second": True}
    assert counter.read_text().split() == ["once"]  # the finished step did not run again
    runs = resumed.steps
    assert sorted(zip(runs["step"], runs["status"].astype(str))) == [
        ("Before", "succeeded"), ("Job", "interrupted"), ("Job", "succeeded")]


@pytest.mark.slow
def test_killed_while_waiting_for_approval_it_still_waits_and_approve_completes_it(home, project, tmp_path):
    plan = {"StartAt": "Gate", "States": {
        "Gate": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Gate", "Next": "After"},
        "After": {"Type": "Pass", "End": True}}}
    artifact = project("gated").package(plan)
    ready = tmp_path / "ready.json"

    proc = _spawn("hold", "dev", str(artifact.path), str(ready))
    _until(ready.exists, "the deployment pauses", proc)
    _kill(proc)

    assert _integrity(home) == ["ok"]
    env = at.Environment.local("dev")
    waiting = env.latest("gated")
    assert waiting.status == "waiting_approval" and json.loads(ready.read_text())["id"] == waiting.id
    with pytest.raises(at.ConflictError):
        env.resume("gated")  # nothing was interrupted: it waits for a person

    done = waiting.approve("Gate", "after the crash")

    assert done.status == "succeeded" and done.outputs["output"]["Gate"] == {"message": "after the crash"}
    assert set(zip(done.steps["step"], done.steps["status"].astype(str))) == {("Gate", "succeeded"),
                                                                              ("After", "succeeded")}


def test_a_stale_lock_is_recovered_with_unlock_and_the_deployment_resumes(home, project, tmp_path):
    marker, pidfile = tmp_path / "started", tmp_path / "job.pid"
    plan = one_step("Job", runner_step("Job", [
        f'if [ -f {marker} ]; then exit 0; fi', f"echo $$ > {pidfile}", f"touch {marker}", "sleep 120"]))
    env = at.Environment.local("dev")
    artifact = project("jobs").package(plan)
    proc = _spawn("deploy", "dev", str(artifact.path))
    _until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the job runs", proc)
    _kill(proc)
    _until(lambda: not _alive(int(pidfile.read_text())), "the job dies with its deployer")

    with pytest.raises(at.LockError) as locked:
        env.deploy(artifact)
    assert "looks dead" in str(locked.value)

    removed = env.unlock("jobs")
    assert removed.pid == proc.pid
    assert env.resume("jobs").status == "succeeded"
    assert env.deploy(artifact).revision == 2


def test_an_answer_recorded_by_a_process_that_died_is_delivered_by_resume(home, project):
    plan = {"StartAt": "Gate", "States": {
        "Gate": {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Gate", "End": True}}}
    env = at.Environment.local("dev")
    waiting = env.deploy(project("gated").package(plan))
    # what an approving process does first, before it died: the decision is in the store, nothing more
    env._backend.state.decide_approval(waiting.id, "Gate", "approved", "recorded, never delivered")

    done = env.resume("gated")

    assert done.status == "succeeded" and done.outputs["output"]["Gate"] == {"message": "recorded, never delivered"}
