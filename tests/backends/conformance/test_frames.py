"""The same deployments recorded in SQLite and in DynamoDB give the same DataFrames and CLI rows: columns,
dtypes and values (ids and times aside, which differ by construction)."""

from __future__ import annotations

import pandas as pd

from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.deploy import frames
from tests.backends.conformance.conftest import dynamo_store
from tests.backends.conftest import Clock

_IDS = {"deployment_id", "last_deployment_id", "step_run_id"}


def _scenario(store, clock) -> str:
    for env in ("dev", "prod"):
        store.create_environment(env, "production" if env == "prod" else "test")
    store.set_parameter("dev", "Pw", "hunter2", secret=True)
    waiting = None
    for env, dist, version, status in [("dev", "network", "1.0.0", "succeeded"), ("dev", "app", "1.0.0", "succeeded"),
                                       ("dev", "app", "1.1.0", "failed"), ("prod", "network", "1.0.0", "succeeded"),
                                       ("dev", "db", None, "succeeded"), ("prod", "app", "1.0.0", "running")]:
        clock.advance(5)
        d, lock = store.start_deployment(env, dist, distribution_id=f"sha256:{dist}-{version}", version=version,
                                         reason="because", parameters={"Pw": "hunter2"})
        clock.advance(1)
        run = store.start_step_run(d.id, "Stack", "attini:cfn", fingerprint="fp")
        clock.advance(2)
        store.finish_step_run(run.id, "succeeded" if status != "failed" else "failed",
                              output={"url": "u:hunter2@h"}, error="States.TaskFailed" if status == "failed" else None)
        store.record_step_run(d.id, "Script", "attini:runner", "skipped", output={"n": 1})
        if status == "running":
            store.request_approval(d.id, "Approve", "tok")
            waiting = d.id
        else:
            clock.advance(3)
            store.finish_deployment(d.id, status, lock=lock, outputs={"Out": 1},
                                    error="States.TaskFailed" if status == "failed" else None)
    return waiting


def _comparable(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.drop(columns=[c for c in frame.columns if c in _IDS])
    for name in frame.columns:
        if str(frame[name].dtype).startswith("datetime64") or str(frame[name].dtype).startswith("timedelta64"):
            frame[name] = frame[name].notna()  # when it happened differs; whether it did must not
    return frame.reset_index(drop=True)


def test_both_stores_give_the_same_frames(tmp_path, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path))
    from moto import mock_aws

    for name, value in (("AWS_ACCESS_KEY_ID", "x"), ("AWS_SECRET_ACCESS_KEY", "x"), ("AWS_DEFAULT_REGION", "eu-west-1")):
        monkeypatch.setenv(name, value)
    sqlite_clock, dynamo_clock = Clock(1_700_000_000), Clock(1_700_000_000)
    sqlite = SqliteStateStore.open(tmp_path, clock=sqlite_clock)
    with mock_aws():
        dynamo = dynamo_store(dynamo_clock)
        waiting = {name: _scenario(s, c) for name, s, c in (("sqlite", sqlite, sqlite_clock),
                                                             ("dynamo", dynamo, dynamo_clock))}
        for build in (lambda s, w: frames.history(s, "dev"), lambda s, w: frames.history(s),
                      lambda s, w: frames.history(s, "dev", distribution="app", status=["failed"]),
                      lambda s, w: frames.inventory(s, "dev"), lambda s, w: frames.inventory(s, "prod"),
                      lambda s, w: frames.landscape(s), lambda s, w: frames.steps(s, w)):
            local, remote = (_comparable(build(s, waiting[n])) for n, s in (("sqlite", sqlite), ("dynamo", dynamo)))
            assert list(local.columns) == list(remote.columns)
            assert [str(t) for t in local.dtypes] == [str(t) for t in remote.dtypes], list(local.columns)
            pd.testing.assert_frame_equal(local, remote, check_categorical=False)
        assert sqlite.environment_counts() == dynamo.environment_counts()
        assert [a.step for a in sqlite.pending_approvals()] == [a.step for a in dynamo.pending_approvals()]
        assert sqlite.expired_artifacts() == dynamo.expired_artifacts()
