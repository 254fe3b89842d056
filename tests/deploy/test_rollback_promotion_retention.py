"""Rollback (a new revision "Rollback to N"), promotion by id, and retention of artifacts."""

from __future__ import annotations

import pytest

import attini_sdk as at

from .conftest import QUEUE_TEMPLATE, cfn_step, one_step

OK = one_step("Ok", {"Type": "Pass"})
BROKEN = {"StartAt": "Boom", "States": {"Boom": {"Type": "Fail", "Error": "Broken", "Cause": "v2 cannot start"}}}


def test_rollback_deploys_the_previous_successful_artifact_as_a_new_revision(home, project):
    env = at.Environment.local("dev")
    app = project("app")
    v1, v2 = app.package(OK, "1.0.0"), app.package({**OK, "Comment": "v2"}, "2.0.0")
    env.deploy(v1)
    env.deploy(v2)

    back = env.rollback("app")

    assert (back.revision, back.version, back.reason, back.status) == (3, "1.0.0", "Rollback to 1", "succeeded")
    assert back.distribution_id == v1.id
    current = env.inventory().set_index("distribution").loc["app"]
    assert (current["version"], current["revision"]) == ("1.0.0", 3)


def test_after_a_failed_release_rollback_goes_back_to_what_last_worked(home, project):
    env = at.Environment.local("acc")
    app = project("app")
    env.deploy(app.package(OK, "1.0.0"))
    failed = env.deploy(app.package(BROKEN, "2.0.0"))
    assert (failed.status, failed.error, failed.cause) == ("failed", "Broken", "v2 cannot start")

    back = env.rollback("app")

    assert (back.revision, back.version, back.reason) == (3, "1.0.0", "Rollback to 1")
    history = env.history("app")
    assert list(zip(history["revision"], history["status"].astype(str))) == [
        (3, "succeeded"), (2, "failed"), (1, "succeeded")]


def test_rollback_to_a_revision_a_version_or_an_id(home, project):
    env = at.Environment.local("dev")
    app = project("app")
    artifacts = [app.package({**OK, "Comment": v}, v) for v in ("1.0.0", "1.1.0", "1.2.0")]
    for artifact in artifacts:
        env.deploy(artifact)

    assert env.rollback("app", to=1).version == "1.0.0"
    assert env.rollback("app", to="1.1.0").version == "1.1.0"
    assert env.rollback("app", to=artifacts[2].id).reason == "Rollback to 3"
    with pytest.raises(at.NotFoundError):
        env.rollback("app", to="9.9.9")


def test_rolling_back_to_a_failed_revision_needs_force(home, project):
    env = at.Environment.local("dev")
    app = project("app")
    env.deploy(app.package(OK, "1.0.0"))
    env.deploy(app.package(BROKEN, "2.0.0"))

    with pytest.raises(at.DeploymentError) as refused:
        env.rollback("app", to=2)

    assert "revision 2 of 'app' failed" in str(refused.value)
    assert env.rollback("app", to=2, force=True).status == "failed"


def test_rollback_is_refused_when_a_dependency_range_no_longer_holds(home, project):
    env = at.Environment.local("dev")
    db, app = project("db"), project("app")
    env.deploy(db.package(OK, "1.0.0"))
    app.dependencies = [{"distributionName": "db", "version": "^1.0.0"}]
    env.deploy(app.package(OK, "1.0.0"))
    env.deploy(db.package({**OK, "Comment": "2"}, "2.0.0"))
    app.dependencies = [{"distributionName": "db", "version": "^2.0.0"}]
    env.deploy(app.package({**OK, "Comment": "2"}, "2.0.0"))

    with pytest.raises(at.DependencyError) as refused:
        env.rollback("app")

    assert "'db' 2.0.0 runs in 'dev', outside the range ^1.0.0" in str(refused.value)
    assert env.rollback("app", force=True).version == "1.0.0"


def test_promotion_deploys_the_exact_artifact_by_id(home, platform):
    from .conftest import example_env

    dev, acc = example_env("dev", home), example_env("acc", home)
    tested = dev.deploy(platform["network"])

    promoted = acc.deploy(dev.current("network"), reason="Promoted from dev")
    by_id = acc.deploy(tested.distribution_id)

    assert promoted.distribution_id == by_id.distribution_id == platform["network"].id
    assert (promoted.reason, by_id.revision) == ("Promoted from dev", 2)
    assert promoted.outputs["output"]["Network"]["VpcId"] != tested.outputs["output"]["Network"]["VpcId"]


def test_an_id_that_was_never_stored_is_not_found(home):
    with pytest.raises(at.NotFoundError) as missing:
        at.Environment.local("dev").deploy("sha256:" + "0" * 64)

    assert "is not in the local artifact store" in str(missing.value)


def test_retention_keeps_the_last_versions_and_removes_older_artifacts(home, project):
    env = at.Environment.create("dev", keep_versions=2, keep_days=0)
    app = project("app")
    artifacts = [app.package({**OK, "Comment": v}, v) for v in ("1.0.0", "1.1.0", "1.2.0", "1.3.0")]
    for artifact in artifacts:
        env.deploy(artifact)

    stored = env._backend.artifacts
    assert [stored.has(a.id) for a in artifacts] == [False, False, True, True]  # pruned after each success
    assert env.prune(dry_run=True).empty
    with pytest.raises(at.NotFoundError) as gone:
        env.rollback("app", to=1)
    assert "is no longer stored" in str(gone.value)


def test_an_artifact_another_environment_keeps_is_not_pruned(home, project):
    dev = at.Environment.create("dev", keep_versions=1, keep_days=0)
    acc = at.Environment.create("acc", keep_versions=1, keep_days=0)
    app = project("app")
    first = app.package(OK, "1.0.0")
    dev.deploy(first)
    acc.deploy(first.id)

    dev.deploy(app.package({**OK, "Comment": "2"}, "2.0.0"))

    assert dev._backend.artifacts.has(first.id)  # acc still runs it
    acc.deploy(app.package({**OK, "Comment": "2"}, "2.0.0"))
    assert not dev._backend.artifacts.has(first.id)


def test_prune_lists_what_it_removes(home, project):
    env = at.Environment.create("dev", keep_versions=0, keep_days=0)  # keep everything while deploying
    app = project("app")
    old = app.package(OK, "1.0.0")
    env.deploy(old)
    env.deploy(app.package({**OK, "Comment": "2"}, "2.0.0"))
    at.Environment.create("dev", keep_versions=1, keep_days=0)

    removed = env.prune()

    assert list(removed["distribution_id"]) == [old.id]
    assert (removed.loc[0, "distribution"], removed.loc[0, "version"]) == ("app", "1.0.0")
    assert removed.loc[0, "bytes"] > 0 and not env._backend.artifacts.has(old.id)


def test_a_rolled_back_stack_returns_to_its_earlier_parameters(home, project):
    from .conftest import cloudformation

    env = at.Environment.local("dev")
    queues = project("queues").write("queue.yaml", QUEUE_TEMPLATE)
    env.deploy(queues.package(one_step("Jobs", cfn_step("Jobs", "first")), "1.0.0"))
    env.deploy(queues.package(one_step("Jobs", cfn_step("Jobs", "second")), "2.0.0"))

    back = env.rollback("queues")

    assert back.steps.set_index("step").loc["Jobs", "status"] == "succeeded"  # not skipped: v2 ran last
    parameters = cloudformation().describe_stacks(StackName="jobs")["Stacks"][0]["Parameters"]
    assert {"ParameterKey": "QueueName", "ParameterValue": "first"} in parameters
