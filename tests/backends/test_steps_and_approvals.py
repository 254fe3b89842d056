"""Step runs (with redacted output and "skip unchanged" lookups) and manual approvals."""

from __future__ import annotations

import pytest

from attini_sdk.errors import ConflictError, DeploymentError, NotFoundError


@pytest.fixture
def dev(store):
    store.create_environment("dev")
    store.set_parameter("dev", "DbPassword", "hunter2", secret=True)
    return "dev"


def _deployment(store, version="1.0.0", dist="app"):
    return store.start_deployment("dev", dist, distribution_id=f"sha256:{dist}-{version}", version=version)


def test_a_step_run_is_recorded_from_start_to_finish(store, dev, clock):
    d, _ = _deployment(store)
    run = store.start_step_run(d.id, "Network", "attini:cfn", fingerprint="fp-1", log_path="/logs/net.log")
    assert run.status == "running" and run.finished_at is None
    clock.advance(7)
    done = store.finish_step_run(run.id, "succeeded", output={"VpcId": "vpc-1"})
    assert (done.status, done.output, done.fingerprint) == ("succeeded", {"VpcId": "vpc-1"}, "fp-1")
    assert (done.finished_at - done.started_at).total_seconds() == 7
    assert store.step_runs(d.id) == [done]


def test_step_output_never_keeps_a_secret(store, dev):
    d, _ = _deployment(store)
    run = store.start_step_run(d.id, "Migrate", "attini:runner")
    done = store.finish_step_run(run.id, "succeeded", output={"dsn": "pg://admin:hunter2@db", "token": "t0k"},
                                 secret_values=["t0k"])
    assert done.output == {"dsn": "pg://admin:***@db", "token": "***"}
    raw = store._conn().execute("SELECT output FROM step_runs").fetchone()[0]
    assert "hunter2" not in raw and "t0k" not in raw


def test_failed_steps_keep_error_and_cause(store, dev):
    d, _ = _deployment(store)
    run = store.start_step_run(d.id, "App", "attini:cfn", attempt=2)
    failed = store.finish_step_run(run.id, "failed", error="States.TaskFailed", cause="stack ROLLBACK_COMPLETE")
    assert (failed.attempt, failed.error, failed.cause) == (2, "States.TaskFailed", "stack ROLLBACK_COMPLETE")
    with pytest.raises(DeploymentError, match="unknown step status"):
        store.finish_step_run(run.id, "ok")
    with pytest.raises(NotFoundError):
        store.finish_step_run(999, "succeeded")


def test_skip_unchanged_reuses_only_the_latest_successful_run(store, dev):
    for version, fingerprint in [("1.0.0", "A"), ("1.1.0", "B")]:
        d, lock = _deployment(store, version)
        store.record_step_run(d.id, "Database", "attini:cfn", "succeeded", fingerprint=fingerprint,
                              output={"Table": f"t-{fingerprint}"})
        store.finish_deployment(d.id, "succeeded", lock=lock)

    reused = store.reusable_step_run("dev", "app", "Database", "B")
    assert reused.output == {"Table": "t-B"}
    # the stack now has B: going back to A must deploy again, even though A once succeeded
    assert store.reusable_step_run("dev", "app", "Database", "A") is None
    assert store.reusable_step_run("dev", "app", "Other", "B") is None
    assert store.reusable_step_run("dev", "web", "Database", "B") is None


def test_a_skipped_run_counts_as_the_latest_state_and_failures_do_not(store, dev):
    d1, lock = _deployment(store, "1.0.0")
    store.record_step_run(d1.id, "Db", "attini:cfn", "succeeded", fingerprint="A", output={"x": 1})
    store.finish_deployment(d1.id, "succeeded", lock=lock)
    d2, lock = _deployment(store, "1.0.1")
    store.record_step_run(d2.id, "Db", "attini:cfn", "skipped", fingerprint="A", output={"x": 1})
    store.record_step_run(d2.id, "Db", "attini:cfn", "failed", fingerprint="C")
    store.finish_deployment(d2.id, "failed", lock=lock)

    reused = store.reusable_step_run("dev", "app", "Db", "A")
    assert reused.deployment_id == d2.id and reused.reused


def test_a_run_whose_output_was_redacted_is_never_reused(store, dev):
    d, _ = _deployment(store)
    store.record_step_run(d.id, "Db", "attini:cfn", "succeeded", fingerprint="A", output={"pw": "hunter2"})
    assert store.reusable_step_run("dev", "app", "Db", "A") is None


def test_an_approval_pauses_the_deployment_until_decided(store, dev):
    d, lock = _deployment(store)
    approval = store.request_approval(d.id, "ApproveProd", token="task-token-1")
    assert approval.pending and store.get_deployment(d.id).status == "waiting_approval"
    assert store.pending_approvals("dev") == [approval]

    decided = store.decide_approval(d.id, "ApproveProd", "approved", message="LGTM")
    assert (decided.decision, decided.message, decided.token) == ("approved", "LGTM", "task-token-1")
    assert decided.decided_at is not None
    assert store.pending_approvals() == []
    assert store.get_approval(d.id, "ApproveProd") == decided


def test_an_approval_is_decided_once(store, dev):
    d, _ = _deployment(store)
    store.request_approval(d.id, "Approve", token="t")
    store.decide_approval(d.id, "Approve", "aborted")
    with pytest.raises(ConflictError, match="was already aborted"):
        store.decide_approval(d.id, "Approve", "approved")
    with pytest.raises(ConflictError):
        store.request_approval(d.id, "Approve", token="t2")
    with pytest.raises(NotFoundError, match="is not waiting for an approval"):
        store.decide_approval(d.id, "Other", "approved")
    with pytest.raises(DeploymentError, match="'approved' or 'aborted'"):
        store.decide_approval(d.id, "Approve", "yes")


def test_a_re_requested_approval_gets_the_new_token(store, dev):
    d, _ = _deployment(store)
    store.request_approval(d.id, "Approve", token="old")
    assert store.request_approval(d.id, "Approve", token="new").token == "new"
