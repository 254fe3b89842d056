"""Deployments: revisions, the lock, finishing, outputs, reading back, history filters."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta, timezone

import pytest

from attini_sdk.backends.local.locking import this_host
from attini_sdk.errors import ConflictError, DeploymentError, LockError, NotFoundError


@pytest.fixture
def dev(store):
    store.create_environment("dev")
    return "dev"


def test_revisions_count_per_environment_and_distribution(store, dev, deploy):
    store.create_environment("acc")
    revisions = [deploy(dev, "app", v).revision for v in ("1.0.0", "1.1.0", "1.2.0")]
    assert revisions == [1, 2, 3]
    assert deploy(dev, "network").revision == 1
    assert deploy("acc", "app", "1.2.0").revision == 1


def test_a_deployment_records_who_what_and_why(store, dev):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0",
                                     reason="Promoted from dev", tags={"team": "core"}, execution_id="exec-1")
    assert (d.environment, d.distribution, d.version, d.distribution_id) == ("dev", "app", "1.0.0", "sha256:a1")
    assert d.status == "running" and d.active and d.finished_at is None
    assert d.deployed_by.endswith("@" + this_host())
    assert d.reason == "Promoted from dev" and d.tags == {"team": "core"} and d.execution_id == "exec-1"
    assert (lock.pid, lock.host, lock.deployment_id) == (os.getpid(), this_host(), d.id)
    assert store.get_deployment(d.id) == d


def test_a_second_deployment_of_the_same_distribution_fails_fast_naming_the_holder(store, dev):
    first, lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")

    with pytest.raises(LockError) as info:
        store.start_deployment(dev, "app", distribution_id="sha256:a2", version="1.1.0")

    message = str(info.value)
    assert f"pid {os.getpid()} on {this_host()}" in message
    assert lock.owner in message and "since" in message
    assert "wait_for_lock" in info.value.hint
    assert info.value.lock == lock
    # the loser left nothing behind: no revision 2, no second lock
    assert [d.revision for d in store.list_deployments(dev)] == [1]
    assert store.get_lock(dev, "app") == lock


def test_other_distributions_deploy_while_one_is_locked(store, dev, deploy):
    store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    assert deploy(dev, "network").status == "succeeded"


def test_wait_for_lock_waits_for_the_holder_to_finish(store, dev):
    first, lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    releaser = threading.Timer(0.3, lambda: store.finish_deployment(first.id, "succeeded", lock=lock))
    releaser.start()
    second, second_lock = store.start_deployment(dev, "app", distribution_id="sha256:a2", version="1.1.0",
                                                 wait_for_lock=30)
    releaser.join()
    assert second.revision == 2
    assert store.get_lock(dev, "app") == second_lock


def test_wait_for_lock_gives_up_with_a_lock_error(store, dev):
    store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    with pytest.raises(LockError):
        store.start_deployment(dev, "app", distribution_id="sha256:a2", version="1.1.0", wait_for_lock=0.2)


def test_finishing_records_status_outputs_and_releases_the_lock(store, dev, clock):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    clock.advance(42)
    done = store.finish_deployment(d.id, "succeeded", outputs={"ApiUrl": "https://api"}, lock=lock)

    assert done.status == "succeeded" and done.finished and done.duration == timedelta(seconds=42)
    assert store.get_lock(dev, "app") is None
    assert store.outputs(d.id) == {"ApiUrl": "https://api"}
    assert store.current_deployment(dev, "app") == done == store.latest_deployment(dev, "app")


def test_a_failed_deployment_is_latest_but_not_current(store, dev, deploy):
    good = deploy(dev, "app", "1.0.0")
    bad = deploy(dev, "app", "2.0.0", status="failed")
    assert store.current_deployment(dev, "app") == good
    assert store.latest_deployment(dev, "app") == bad
    assert bad.error == "States.TaskFailed"
    assert store.current_deployment(dev, "network") is None


def test_finished_deployments_never_change(store, dev, deploy):
    done = deploy(dev, "app")
    with pytest.raises(ConflictError, match="is 'succeeded' and cannot become 'failed'"):
        store.finish_deployment(done.id, "failed")
    with pytest.raises(DeploymentError, match="finishes as succeeded, failed, aborted or interrupted"):
        store.finish_deployment(done.id, "running")
    with pytest.raises(DeploymentError, match="unknown deployment status"):
        store.set_deployment_status(done.id, "done")


def test_status_moves_through_an_approval_and_records_the_execution(store, dev):
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0", status="pending")
    assert store.set_deployment_status(d.id, "running", execution_id="exec-9").execution_id == "exec-9"
    assert store.set_deployment_status(d.id, "waiting_approval").status == "waiting_approval"
    assert store.set_deployment_status(d.id, "running").status == "running"
    assert store.finish_deployment(d.id, "aborted", lock=lock, error="ManuallyAborted").error == "ManuallyAborted"


def test_a_late_finish_of_an_older_revision_never_replaces_a_newer_current(store, dev):
    old, old_lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    store.unlock(dev, "app", force=True)  # an operator recovered the lock; old is now interrupted
    new, new_lock = store.start_deployment(dev, "app", distribution_id="sha256:a2", version="2.0.0")
    store.finish_deployment(new.id, "succeeded", lock=new_lock)
    store.set_deployment_status(old.id, "running")  # its process came back and resumed...
    store.finish_deployment(old.id, "succeeded", lock=old_lock)  # ...and finished last
    assert store.current_deployment(dev, "app").version == "2.0.0"


def test_parameters_are_stored_redacted(store, dev):
    store.set_parameter(dev, "DbPassword", "hunter2", secret=True)
    d, _ = store.start_deployment(dev, "db", distribution_id="sha256:d1", version="1.0.0",
                                  parameters={"DbPassword": "hunter2", "ApiKey": "k-123", "Conn": "pg://u:hunter2@h",
                                              "Env": "dev"}, secret_keys={"ApiKey"})
    assert d.parameters == {"DbPassword": "***", "ApiKey": "***", "Conn": "pg://u:***@h", "Env": "dev"}
    raw = store._conn().execute("SELECT parameters FROM deployments").fetchone()[0]
    assert "hunter2" not in raw and "k-123" not in raw


def test_outputs_are_redacted_for_display_and_revealed_for_import(store, dev):
    store.set_parameter(dev, "Token", "s3cr3t", secret=True)
    d, lock = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    store.finish_deployment(d.id, "succeeded", outputs={"Url": "https://x?token=s3cr3t"}, lock=lock)
    assert store.outputs(d.id) == {"Url": "https://x?token=***"}
    assert store.outputs(d.id, reveal=True) == {"Url": "https://x?token=s3cr3t"}


def test_one_distribution_id_names_one_artifact(store, dev, deploy):
    deploy(dev, "app", "1.0.0", distribution_id="sha256:same")
    with pytest.raises(ConflictError, match="was recorded as app 1.0.0, not app 9.9.9"):
        store.start_deployment(dev, "app", distribution_id="sha256:same", version="9.9.9")
    assert store.get_lock(dev, "app") is None


def test_history_filters_by_distribution_status_time_and_limit(store, dev, deploy, clock):
    deploy(dev, "network", "1.0.0")
    clock.advance(3600)
    since = clock()
    deploy(dev, "app", "1.0.0")
    clock.advance(1)
    deploy(dev, "app", "1.1.0", status="failed")
    clock.advance(1)
    deploy(dev, "app", "1.2.0")

    def versions(**filters):
        return [(d.distribution, d.version) for d in store.list_deployments(dev, **filters)]

    assert versions() == [("app", "1.2.0"), ("app", "1.1.0"), ("app", "1.0.0"), ("network", "1.0.0")]
    assert versions(distribution="network") == [("network", "1.0.0")]
    assert versions(status="failed") == [("app", "1.1.0")]
    assert versions(status=["failed", "succeeded"], limit=2) == [("app", "1.2.0"), ("app", "1.1.0")]
    assert len(versions(since=datetime.fromtimestamp(since, tz=timezone.utc))) == 3
    with pytest.raises(DeploymentError, match="unknown deployment status 'ok'"):
        versions(status="ok")


def test_successful_deployments_are_rollback_targets_newest_first(store, dev, deploy):
    for version, status in [("1.0.0", "succeeded"), ("1.1.0", "failed"), ("1.2.0", "succeeded"),
                            ("1.3.0", "aborted")]:
        deploy(dev, "app", version, status=status)
    assert [d.version for d in store.successful_deployments(dev, "app")] == ["1.2.0", "1.0.0"]
    assert [d.revision for d in store.successful_deployments(dev, "app", limit=1)] == [3]
    assert store.find_deployment(dev, "app", 2).status == "failed"
    with pytest.raises(NotFoundError, match="has no revision 9"):
        store.find_deployment(dev, "app", 9)


def test_bad_distribution_names_and_start_statuses_are_refused(store, dev):
    with pytest.raises(Exception, match="distribution name 'my app' is not valid"):
        store.start_deployment(dev, "my app", distribution_id="sha256:x", version="1.0.0")
    with pytest.raises(DeploymentError, match="starts as 'pending' or 'running'"):
        store.start_deployment(dev, "app", distribution_id="sha256:x", version="1.0.0", status="succeeded")
    with pytest.raises(NotFoundError, match="environment 'qa' does not exist"):
        store.start_deployment("qa", "app", distribution_id="sha256:x", version="1.0.0")


def test_finishing_releases_the_deployments_lock_even_if_the_caller_forgets(store, dev):
    d, _ = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    store.finish_deployment(d.id, "failed", error="States.TaskFailed")
    assert store.get_lock(dev, "app") is None
