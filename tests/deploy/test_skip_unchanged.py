"""Skip unchanged: a step whose fingerprint equals its last successful run here reuses that run's output."""

from __future__ import annotations

import pytest

import attini_sdk as at

from .conftest import QUEUE_TEMPLATE, cfn_step, cloudformation, runner_step, stack_status


def _plan(*states: tuple[str, dict]) -> dict:
    names = [n for n, _ in states]
    out = {}
    for i, (name, state) in enumerate(states):
        out[name] = {**state, **({"Next": names[i + 1]} if i + 1 < len(names) else {"End": True})}
    return {"StartAt": names[0], "States": out}


def test_a_redeploy_skips_unchanged_stacks_and_reuses_their_outputs(home, project):
    env = at.Environment.local("dev")
    queues = project("queues").write("queue.yaml", QUEUE_TEMPLATE)
    artifact = queues.package(_plan(("Jobs", cfn_step("Jobs", "jobs")), ("Mail", cfn_step("Mail", "mail"))))
    first = env.deploy(artifact)

    again = env.deploy(artifact)

    assert again.status == "succeeded" and again.revision == 2
    statuses = dict(zip(again.steps["step"], again.steps["status"].astype(str)))
    assert statuses == {"Jobs": "skipped", "Mail": "skipped"}
    assert again.outputs["output"] == first.outputs["output"]
    assert "skipped, its output reused" in again.logs("Jobs")


def test_rerun_unchanged_runs_every_step_again(home, project):
    env = at.Environment.local("dev")
    artifact = project("queues").write("queue.yaml", QUEUE_TEMPLATE).package(_plan(("Jobs", cfn_step("Jobs", "jobs"))))
    env.deploy(artifact)

    again = env.deploy(artifact, rerun_unchanged=True)

    assert list(again.steps["status"].astype(str)) == ["succeeded"]
    assert "has no changes" in again.logs("Jobs")


def test_force_is_the_deprecated_name_of_rerun_unchanged(home, project):
    env = at.Environment.local("dev")
    artifact = project("queues").write("queue.yaml", QUEUE_TEMPLATE).package(_plan(("Jobs", cfn_step("Jobs", "jobs"))))
    env.deploy(artifact)

    with pytest.warns(DeprecationWarning, match=r"force=\.\.\.\) is deprecated: pass rerun_unchanged"):
        forced = env.deploy(artifact, force=True)

    assert list(forced.steps["status"].astype(str)) == ["succeeded"]


def test_a_changed_parameter_deploys_only_the_step_that_changed(home, project):
    env = at.Environment.local("dev")
    queues = project("queues").write("queue.yaml", QUEUE_TEMPLATE)
    env.deploy(queues.package(_plan(("Jobs", cfn_step("Jobs", "jobs")), ("Mail", cfn_step("Mail", "mail")))))

    changed = env.deploy(queues.package(_plan(("Jobs", cfn_step("Jobs", "jobs")), ("Mail", cfn_step("Mail", "post"))),
                                        version="1.1.0"))

    statuses = dict(zip(changed.steps["step"], changed.steps["status"].astype(str)))
    assert statuses == {"Jobs": "skipped", "Mail": "succeeded"}
    parameters = cloudformation().describe_stacks(StackName="mail")["Stacks"][0]["Parameters"]
    assert {"ParameterKey": "QueueName", "ParameterValue": "post"} in parameters


def test_a_cfn_step_can_opt_out_and_runner_steps_opt_in(home, project, tmp_path):
    env = at.Environment.local("dev")
    counter = tmp_path / "runs.txt"
    plan = _plan(("Jobs", cfn_step("Jobs", "jobs", SkipUnchanged=False)),
                 ("Count", runner_step("Count", [f"echo x >> {counter}"])),
                 ("Once", runner_step("Once", [f"echo y >> {counter}"], SkipUnchanged=True)))
    artifact = project("mixed").write("queue.yaml", QUEUE_TEMPLATE).package(plan)
    env.deploy(artifact)

    again = env.deploy(artifact)

    statuses = dict(zip(again.steps["step"], again.steps["status"].astype(str)))
    assert statuses == {"Jobs": "succeeded", "Count": "succeeded", "Once": "skipped"}
    assert counter.read_text().split() == ["x", "y", "x"]


def test_a_step_is_redeployed_for_its_earlier_fingerprint_after_a_change(home, project):
    # A, then B, then A again: only the latest successful run counts, so A is deployed again.
    env = at.Environment.local("dev")
    queues = project("queues").write("queue.yaml", QUEUE_TEMPLATE)
    a = queues.package(_plan(("Jobs", cfn_step("Jobs", "first"))), version="1.0.0")
    b = queues.package(_plan(("Jobs", cfn_step("Jobs", "second"))), version="1.1.0")
    env.deploy(a)
    env.deploy(b)

    back = env.deploy(a)

    assert list(back.steps["status"].astype(str)) == ["succeeded"]
    parameters = cloudformation().describe_stacks(StackName="jobs")["Stacks"][0]["Parameters"]
    assert {"ParameterKey": "QueueName", "ParameterValue": "first"} in parameters
    assert stack_status("jobs") == "UPDATE_COMPLETE"
