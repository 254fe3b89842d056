"""While a deployment runs: progress events, wait=False, waiting for the lock."""

from __future__ import annotations

import threading

import pytest

import attini_sdk as at

from .conftest import QUEUE_TEMPLATE, cfn_step, one_step, runner_step


def test_progress_reports_each_step_as_it_starts_and_ends(home, project):
    env = at.Environment.local("dev")
    plan = {"StartAt": "Jobs", "States": {"Jobs": {**cfn_step("Jobs", "jobs"), "Next": "Check"},
                                           "Check": {**runner_step("Check", ["exit 4"]), "End": True}}}
    artifact = project("queues").write("queue.yaml", QUEUE_TEMPLATE).package(plan)
    events: list[dict] = []

    d = env.deploy(artifact, progress=events.append)

    assert [(e["event"], e.get("step")) for e in events] == [
        ("deployment_started", None), ("step_started", "Jobs"), ("step_succeeded", "Jobs"),
        ("step_started", "Check"), ("step_failed", "Check"), ("deployment_finished", None)]
    assert events[-1]["status"] == "failed" and events[4]["error"] == "ScriptExecutionError"
    assert {e["deployment_id"] for e in events} == {d.id} and all(e["distribution"] == "queues" for e in events)
    again: list[dict] = []
    env.deploy(artifact, progress=again.append)
    assert ("step_skipped", "Jobs") in [(e["event"], e.get("step")) for e in again]


def test_a_failing_progress_callback_does_not_fail_the_deployment(home, project):
    def broken(event):
        raise RuntimeError("display gone")

    with pytest.warns(RuntimeWarning, match="display gone"):
        d = at.Environment.local("dev").deploy(project("app").package(one_step("Ok", {"Type": "Pass"})),
                                               progress=broken)

    assert d.status == "succeeded"


def test_wait_false_returns_at_once_and_wait_joins(home, project, tmp_path):
    go = tmp_path / "go"
    plan = one_step("Wait", runner_step("Wait", [f"while [ ! -f {go} ]; do sleep 0.02; done"]))
    env = at.Environment.local("dev")

    d = env.deploy(project("app").package(plan), wait=False)

    assert d.status == "running" and env.latest("app").status == "running"
    go.touch()
    assert d.wait(timeout=120).status == "succeeded"


def test_wait_for_lock_queues_behind_a_running_deployment(home, project, tmp_path):
    go = tmp_path / "go"
    plan = one_step("Wait", runner_step("Wait", [f"while [ ! -f {go} ]; do sleep 0.02; done"]))
    env = at.Environment.local("dev")
    artifact = project("app").package(plan)
    first = env.deploy(artifact, wait=False)
    with pytest.raises(at.LockError):
        env.deploy(artifact)

    threading.Timer(0.3, go.touch).start()
    second = env.deploy(artifact, wait_for_lock=120)

    assert (first.wait(120).status, second.status, second.revision) == ("succeeded", "succeeded", 2)


def test_an_artifact_deploys_itself_to_an_environment_or_a_name(home, project):
    artifact = project("app").package(one_step("Ok", {"Type": "Pass"}))

    assert artifact.deploy(at.Environment.local("dev")).revision == 1
    assert artifact.deploy("dev", reason="again").reason == "again"
