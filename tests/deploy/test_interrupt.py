"""Interruptions: Ctrl-C in Python, a deployer killed at named points (ATTINI_TEST_PAUSE_AT), live jobs on resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import attini_sdk as at
from attini_sdk.steps.processes import ProcessIdentity, identity, is_alive

from .conftest import runner_step

DEPLOYER = str(Path(__file__).with_name("deployer.py"))


def _until(condition, what: str, timeout: float = 90.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"gave up waiting for {what}")


def _plan(counter: Path, *, job: list[str] | None = None) -> dict:
    """Before (appends to ``counter``) → Job (``job`` commands, or appends too)."""
    return {"StartAt": "Before", "States": {
        "Before": {**runner_step("Before", [f"echo Before >> {counter}", "echo '{\"b\": 1}' > \"$ATTINI_OUTPUT\""]),
                   "Next": "Job"},
        "Job": {**runner_step("Job", job or [f"echo Job >> {counter}", "echo '{\"j\": 1}' > \"$ATTINI_OUTPUT\""]),
                "End": True}}}


def _lines(counter: Path) -> list[str]:
    return counter.read_text().split() if counter.exists() else []


def _deploy_until_paused(home: Path, artifact, point: str) -> subprocess.Popen:
    """A deployer process that stops at ``point`` (and stays there until killed)."""
    proc = subprocess.Popen([sys.executable, DEPLOYER, "deploy", "dev", str(artifact.path)],
                            env={**os.environ, "ATTINI_TEST_PAUSE_AT": point},
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _until(lambda: (home / f"paused-{point}").exists() or proc.poll() is not None, f"the deployer at {point}")
    assert proc.poll() is None, proc.stderr.read()
    return proc


def _kill(proc: subprocess.Popen) -> None:
    proc.kill()
    proc.wait(30)


@pytest.mark.parametrize("point", ["deployment-recorded", "before-engine-start"])
def test_a_deployment_killed_before_its_plan_started_is_started_from_the_beginning_by_resume(home, project,
                                                                                            tmp_path, point):
    counter = tmp_path / "counter"
    env = at.Environment.local("dev")
    artifact = project("early").package(_plan(counter))

    _kill(_deploy_until_paused(home, artifact, point))
    assert env.latest("early").status == "interrupted"
    resumed = env.resume("early")

    assert (resumed.revision, resumed.status) == (1, "succeeded")
    assert resumed.outputs["output"] == {"Before": {"b": 1}, "Job": {"j": 1}}
    assert _lines(counter) == ["Before", "Job"]


def test_a_deployer_killed_right_after_the_engine_started_is_resumed_to_the_end(home, project, tmp_path):
    counter = tmp_path / "counter"
    env = at.Environment.local("dev")
    artifact = project("started").package(_plan(counter))

    _kill(_deploy_until_paused(home, artifact, "after-engine-start"))
    interrupted = env.latest("started")
    assert interrupted.status == "interrupted" and interrupted.record.execution_id
    resumed = env.resume("started")

    assert (resumed.id, resumed.status) == (interrupted.id, "succeeded")
    assert resumed.outputs["output"] == {"Before": {"b": 1}, "Job": {"j": 1}}
    assert sorted(set(_lines(counter))) == ["Before", "Job"]


def test_a_step_that_finished_just_before_its_deployer_died_does_not_run_again(home, project, tmp_path):
    counter = tmp_path / "counter"
    env = at.Environment.local("dev")
    artifact = project("finished").package(_plan(counter))

    # the deployer dies right after recording Before's success, before the engine checkpointed it
    _kill(_deploy_until_paused(home, artifact, "step-finished"))
    assert _lines(counter) == ["Before"]
    resumed = env.resume("finished")

    assert resumed.status == "succeeded"
    assert _lines(counter) == ["Before", "Job"]  # Before ran once
    assert resumed.outputs["output"] == {"Before": {"b": 1}, "Job": {"j": 1}}


def test_resume_never_starts_a_step_while_an_earlier_job_of_the_deployment_lives(home, project, tmp_path):
    counter = tmp_path / "counter"
    env = at.Environment.local("dev")
    artifact = project("held").package(_plan(counter))
    _kill(_deploy_until_paused(home, artifact, "after-engine-start"))
    record = env.latest("held").record
    stray = subprocess.Popen(["sleep", "300"])  # a job process the store says this deployment started
    try:
        env._backend.state.record_job(record.id, "Job", identity(stray.pid, pgid=stray.pid))
        with pytest.raises(at.DeploymentError) as refused:
            env._backend.orchestrator._wait_for_jobs(record, timeout=0.2)
        assert f"pid {stray.pid}" in str(refused.value) and "'Job'" in str(refused.value)
        assert "kill -TERM" in refused.value.hint
    finally:
        stray.kill()
        stray.wait()

    assert env.resume("held").status == "succeeded"  # the job is gone: resume goes on
    assert env._backend.state.open_jobs(record.id) == []


def test_ctrl_c_in_python_stops_the_job_records_interrupted_and_resume_finishes(home, project, tmp_path):
    counter, pidfile = tmp_path / "counter", tmp_path / "job.pid"
    env = at.Environment.local("dev")
    artifact = project("ctrlc").package(_plan(counter, job=[
        f"echo $$ > {pidfile}", f"[ -f {tmp_path / 'resumed'} ] || sleep 30", f"echo Job >> {counter}", "echo '{\"j\": 1}' > \"$ATTINI_OUTPUT\""]))

    def press_ctrl_c():
        _until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the job runs")
        os.kill(os.getpid(), signal.SIGINT)

    presser = threading.Thread(target=press_ctrl_c)
    presser.start()
    with pytest.raises(at.DeploymentInterrupted) as stopped:
        env.deploy(artifact)
    presser.join()

    record = env.latest("ctrlc")
    job = int(pidfile.read_text())
    assert stopped.value.deployment_id == record.id and "resume" in stopped.value.hint
    assert record.status == "interrupted"
    assert env._backend.state.get_lock("dev", "ctrlc") is None
    assert not is_alive(ProcessIdentity(job))  # stopped before the call returned
    steps = sorted(zip(record.steps["step"], record.steps["status"].astype(str)))
    assert steps == [("Before", "succeeded"), ("Job", "interrupted")]

    (tmp_path / "resumed").touch()  # the resumed job does not wait
    resumed = env.resume("ctrlc")

    assert resumed.status == "succeeded"
    assert _lines(counter) == ["Before", "Job"]


def test_ctrl_c_in_deployment_wait_interrupts_a_deployment_driven_by_a_background_thread(home, project, tmp_path):
    counter, pidfile = tmp_path / "counter", tmp_path / "job.pid"
    env = at.Environment.local("dev")
    artifact = project("waited").package(_plan(counter, job=[
        f"echo $$ > {pidfile}", f"[ -f {tmp_path / 'resumed'} ] || sleep 30", f"echo Job >> {counter}"]))
    deployment = env.deploy(artifact, wait=False)
    _until(lambda: pidfile.exists() and pidfile.read_text().strip(), "the job runs")
    threading.Timer(0.2, lambda: os.kill(os.getpid(), signal.SIGINT)).start()

    with pytest.raises(at.DeploymentInterrupted):
        deployment.wait()

    assert deployment.refresh().status == "interrupted"
    assert not is_alive(ProcessIdentity(int(pidfile.read_text())))
    (tmp_path / "resumed").touch()
    assert env.resume("waited").status == "succeeded"
    assert _lines(counter) == ["Before", "Job"]
