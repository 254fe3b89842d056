"""The views as plain rows (what the CLI prints): the DataFrames' columns and values, pages that cost what they
return, and environment counts read without the deployments."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from attini_sdk.cli import tables
from attini_sdk.deploy import frames, rows
from attini_sdk.deploy.environment import Environment
from tests.backends.conftest import clock, deploy  # noqa: F401  (fixtures shared with the backend tests)
from tests.deploy.test_frames import store  # noqa: F401  (a store with a movable clock, no AWS)


def _json(frame: pd.DataFrame) -> list[dict]:
    """A DataFrame's rows as the CLI's JSON would give them."""
    out = []
    for record in frame.astype(object).to_dict("records"):
        out.append({k: tables.value(None if not isinstance(v, (list, dict)) and pd.isna(v) else v)
                    for k, v in record.items()})
    return out


@pytest.fixture
def busy(store, deploy, clock):
    """dev and acc; app 1.0 to 1.3 in dev (1.2 failed), network in both, app 1.0 in acc; one still running."""
    for env in ("dev", "acc"):
        store.create_environment(env)
    for env, dist, version, status in [("dev", "network", "1.0.0", "succeeded"), ("dev", "app", "1.0.0", "succeeded"),
                                       ("dev", "app", "1.1.0", "succeeded"), ("dev", "app", "1.2.0", "failed"),
                                       ("acc", "network", "1.0.0", "succeeded"), ("acc", "app", "1.0.0", "succeeded"),
                                       ("dev", "app", "1.3.0", "succeeded")]:
        clock.advance(60)
        deploy(env, dist, version, status=status)
    clock.advance(60)
    running, _ = store.start_deployment("dev", "web", distribution_id="sha256:web", version="0.1.0")
    run = store.start_step_run(running.id, "Stack", "attini:cfn")
    clock.advance(3)
    store.finish_step_run(run.id, "failed", error="States.TaskFailed", cause="line 1\nstack failed")
    store.record_step_run(running.id, "Job", "attini:runner", "succeeded", output={"n": 1}, attempt=2)
    return store, running


@pytest.mark.parametrize("view", ["history", "history of one distribution", "history page", "inventory"])
def test_plain_tables_hold_the_same_rows_as_the_dataframes(busy, view):
    store, _ = busy
    plain, frame = {
        "history": (lambda: store.history_table("dev", arrays=False), lambda: frames.history(store, "dev")),
        "history of one distribution": (lambda: store.history_table("dev", distribution="app", arrays=False),
                                        lambda: frames.history(store, "dev", distribution="app")),
        "history page": (lambda: store.history_table(None, limit=3, arrays=False),
                         lambda: frames.history(store, limit=3)),
        "inventory": (lambda: store.inventory_table("dev", arrays=False), lambda: frames.inventory(store, "dev")),
    }[view]
    times = ("started_at", "finished_at", "deployed_at", "last_started_at")
    duration = rows.HISTORY_DURATION if view.startswith("history") else None
    assert tables.records(rows._rows(plain(), times, duration)) == _json(frame())


def test_steps_rows_are_the_steps_frame(busy):
    store, running = busy
    plain = rows._rows(store.steps_table(running.id, arrays=False), ("started_at", "finished_at"),
                       rows.STEPS_DURATION)
    for row in plain:
        row["output"] = None if row["output"] is None else json.loads(row["output"])

    assert tables.records(plain) == _json(frames.steps(store, running.id))
    assert [(r["step"], r["type"], r["resource"], r["attempt"]) for r in plain] == [
        ("Stack", "AttiniCfn", "attini:cfn", 1), ("Job", "AttiniRunnerJob", "attini:runner", 2)]


def test_the_landscape_rows_are_the_landscape_frame(busy):
    store, _ = busy
    frame = frames.landscape(store, ["dev", "acc"])

    assert tables.records(rows.landscape_of(store, ["dev", "acc"])) == _json(frame)
    assert list(frame.columns) == ["distribution", "dev", "acc", "newest", "drift", "behind"]


def test_environment_counts_are_the_deployments_counted(busy, deploy):
    store, _ = busy
    deploy("acc", "app", "1.3.0")
    counted = dict(store._conn().execute(
        "SELECT environment, count(*) FROM deployments GROUP BY environment").fetchall())

    assert store.environment_counts() == {"dev": (counted["dev"], 1), "acc": (counted["acc"], 0)}
    store.create_environment("empty")
    assert store.environment_counts()["empty"] == (0, 0)


def test_a_page_of_history_decodes_only_the_artifacts_on_it(store, deploy, clock):
    """Every build a new artifact, past the 900 that once made the decoder read the whole artifacts table."""
    store.create_environment("dev")
    for n in range(1200):
        clock.advance(1)
        deploy("dev", "app", f"1.0.{n}")
    conn = store._conn()
    seen: list[str] = []
    conn.set_trace_callback(seen.append)
    try:
        page = frames.history(store, "dev", limit=1000)
        plain = store.history_table("dev", limit=5, arrays=False)
    finally:
        conn.set_trace_callback(None)

    lookups = [sql for sql in seen if "FROM artifacts WHERE key IN" in sql]
    assert [len(json.loads(sql[sql.index("'[") + 1:sql.rindex("]'") + 1])) for sql in lookups] == [1000, 5]
    assert page["version"].tolist()[:2] == ["1.0.1199", "1.0.1198"] and page["version"].iloc[-1] == "1.0.200"
    assert plain.values("version") == ["1.0.1199", "1.0.1198", "1.0.1197", "1.0.1196", "1.0.1195"]


def test_rows_of_an_environment_read_through_the_environment(tmp_path, clock):
    dev = Environment.local("dev", home=tmp_path)
    state = dev._backend.state
    d, lock = state.start_deployment("dev", "app", distribution_id="sha256:ab", version="1.0.0")
    state.finish_deployment(d.id, "succeeded", lock=lock)

    assert [r["version"] for r in rows.history(dev)] == ["1.0.0"]
    assert rows.inventory(dev)[0]["distribution"] == "app"
    assert rows.environment_names(tmp_path) == ["dev"]
    assert [r.id for r in rows.artifact_deployments("ab", dev)] == [d.id]
    assert rows.environments(tmp_path)[0]["deployments"] == 1
