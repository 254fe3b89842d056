"""The SDK on the emulated AWS backend: ``Environment.aws`` deploys through an upload, and inventory, history,
steps and landscape have the columns the local backend gives; an approval is answered from the CLI."""

from __future__ import annotations

import attini_sdk as at
from tests.backends.aws.e2e.conftest import REGION
from tests.backends.aws.e2e.test_deploy_flow import APPROVAL_PLAN, network, network_plan
from tests.deploy.conftest import QUEUE_TEMPLATE


def test_environment_aws_deploys_and_its_frames_have_the_local_columns(backend, env, project, tmp_path):
    artifact = network(project)
    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)
    deployment = aws_env.deploy(artifact)
    assert deployment.status == "succeeded", (deployment.record.error, deployment.record.cause)

    local_env = at.Environment.create("localdev", home=tmp_path / "local-home")
    local = local_env.deploy(artifact)
    assert local.status == "succeeded"

    assert list(aws_env.inventory().columns) == list(local_env.inventory().columns)
    assert list(aws_env.history().columns) == list(local_env.history().columns)
    assert list(deployment.steps.columns) == list(local.steps.columns)
    assert list(deployment.steps["step"]) == ["Queue", "Announce"]
    inventory = aws_env.inventory()
    assert inventory.loc[0, "distribution"] == "network" and inventory.loc[0, "version"] == "1.0.0"
    aws_landscape, local_landscape = at.landscape([aws_env]), at.landscape([local_env])
    assert [c if c != env else "<env>" for c in aws_landscape.columns] == \
        [c if c != "localdev" else "<env>" for c in local_landscape.columns]
    assert aws_landscape.loc[0, env] == "1.0.0"


def test_an_approval_is_answered_from_the_cli(backend, env, project):
    from attini_sdk.cli import main

    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)
    deployment = aws_env.deploy(project("app").package(APPROVAL_PLAN))
    assert deployment.status == "waiting_approval"
    assert deployment.pending_approvals == ["Approve"]

    code = main(["deploy", "continue", "-e", env, "-n", "app", "--step-name", "Approve", "-m", "from the cli"])

    assert code == 0
    record = backend.wait(deployment.id)
    assert record.status == "succeeded"
    assert backend.state.outputs(record.id)["output"]["Approve"] == {"message": "from the cli"}


def test_unchanged_steps_are_skipped_unless_rerun_and_a_rollback_is_a_new_revision(backend, env, project):
    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)
    artifact = network(project)
    assert aws_env.deploy(artifact).status == "succeeded"

    again = aws_env.deploy(artifact)
    rerun = aws_env.deploy(artifact, rerun_unchanged=True)

    assert dict(zip(again.steps["step"], again.steps["status"]))["Queue"] == "skipped"
    assert dict(zip(rerun.steps["step"], rerun.steps["status"]))["Queue"] == "succeeded"
    rolled = aws_env.rollback("network", to=1)
    assert (rolled.status, rolled.revision, rolled.record.reason) == ("succeeded", 4, "Rollback to 1")
    assert list(aws_env.history()["revision"]) == [4, 3, 2, 1]


def test_prune_lists_what_it_removes_from_the_bucket(backend, env, project):
    backend.state.update_environment(env, keep_versions=0, keep_days=0)  # keep everything while deploying
    aws_env = at.Environment.aws(env, endpoint_url=backend.endpoint, region=REGION)

    def prunable(version: str):  # a name of its own: other tests' environments keep their network artifacts
        return project("prunable", version).write("queue.yaml", QUEUE_TEMPLATE).package(network_plan(),
                                                                                       version=version)

    old = prunable("1.0.0")
    assert aws_env.deploy(old).status == "succeeded"
    assert aws_env.deploy(prunable("2.0.0")).status == "succeeded"
    backend.state.update_environment(env, keep_versions=1, keep_days=0)

    assert list(aws_env.prune(dry_run=True)["distribution_id"]) == [old.id]
    removed = aws_env.prune()

    assert list(removed["distribution_id"]) == [old.id]
    assert (removed.loc[0, "distribution"], removed.loc[0, "version"]) == ("prunable", "1.0.0")
    assert removed.loc[0, "bytes"] == old.path.stat().st_size
    assert removed.loc[0, "path"] == f"s3://{backend.bucket}/artifacts/{old.id}.zip"
    assert not aws_env._backend.artifacts.has(old.id) and aws_env.prune().empty
