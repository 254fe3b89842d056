"""Inventory, history, landscape and step runs as DataFrames: columns, dtypes, order, redaction."""

from __future__ import annotations

import pandas as pd
import pytest

from attini_sdk.backends.local.state import SqliteStateStore
from attini_sdk.backends.records import DEPLOYMENT_STATUSES
from attini_sdk.deploy import frames
from attini_sdk.errors import NotFoundError
from tests.backends.conftest import Clock, clock, deploy  # noqa: F401  (fixtures shared with the backend tests)


@pytest.fixture
def store(tmp_path, clock):
    """A local state store in a private folder, with a clock the test moves (no AWS needed for frames)."""
    with SqliteStateStore.open(tmp_path / "attini-home", clock=clock) as s:
        yield s

UTC_NS = "datetime64[ns, UTC]"


@pytest.fixture
def platform(store, deploy, clock):
    """dev and acc with network, database and app; acc lags behind and its app v2 failed."""
    store.create_environment("dev")
    store.create_environment("acc")
    for env, dist, version, status in [
        ("dev", "network", "1.0.0", "succeeded"),
        ("dev", "database", "1.0.0", "succeeded"),
        ("dev", "app", "1.0.0", "succeeded"),
        ("acc", "network", "1.0.0", "succeeded"),
        ("acc", "database", "1.0.0", "succeeded"),
        ("acc", "app", "1.0.0", "succeeded"),
        ("dev", "app", "2.0.0", "succeeded"),
        ("acc", "app", "2.0.0", "failed"),
        ("dev", "database", "1.1.0", "succeeded"),
    ]:
        clock.advance(60)
        deploy(env, dist, version, status=status)
    return store


def test_inventory_shows_current_and_last_attempted_per_distribution(platform):
    inv = frames.inventory(platform, "acc")

    assert list(inv.columns) == ["distribution", "version", "distribution_id", "revision", "deployed_at",
                                 "deployed_by", "status", "last_revision", "last_version", "last_started_at",
                                 "last_deployed_by", "deployment_id", "last_deployment_id"]
    assert inv["distribution"].tolist() == ["app", "database", "network"]  # last activity first
    app = inv.iloc[0]
    assert (app.version, app.revision, app.status, app.last_version, app.last_revision) == \
        ("1.0.0", 1, "failed", "2.0.0", 2)
    assert str(inv["deployed_at"].dtype) == UTC_NS and str(inv["last_started_at"].dtype) == UTC_NS
    assert isinstance(inv["status"].dtype, pd.CategoricalDtype)
    assert list(inv["status"].cat.categories) == list(DEPLOYMENT_STATUSES)


def test_inventory_of_a_distribution_that_never_succeeded_has_no_current(store, deploy):
    store.create_environment("dev")
    deploy("dev", "app", "1.0.0", status="failed")
    row = frames.inventory(store, "dev").iloc[0]
    assert pd.isna(row.version) and pd.isna(row.revision) and pd.isna(row.deployed_at)
    assert (row.status, row.last_version) == ("failed", "1.0.0")


def test_history_is_newest_first_with_proper_dtypes(platform):
    hist = frames.history(platform, "dev")

    assert list(hist.columns) == ["deployment_id", "environment", "distribution", "revision", "version",
                                  "distribution_id", "status", "started_at", "finished_at", "duration",
                                  "deployed_by", "reason", "error"]
    assert hist["version"].tolist() == ["1.1.0", "2.0.0", "1.0.0", "1.0.0", "1.0.0"]
    assert hist["started_at"].is_monotonic_decreasing
    assert str(hist["started_at"].dtype) == UTC_NS and str(hist["finished_at"].dtype) == UTC_NS
    assert str(hist["duration"].dtype) == "timedelta64[ns]"
    assert hist["revision"].dtype == "int64"
    assert isinstance(hist["status"].dtype, pd.CategoricalDtype)
    assert set(hist["environment"]) == {"dev"}


def test_history_filters(platform, clock):
    assert frames.history(platform, "acc", status="failed")["distribution"].tolist() == ["app"]
    assert frames.history(platform, "dev", distribution="app")["revision"].tolist() == [2, 1]
    assert len(frames.history(platform, "dev", limit=2)) == 2
    everything = frames.history(platform)
    assert len(everything) == 9 and set(everything["environment"]) == {"dev", "acc"}
    since = everything["started_at"].iloc[2].to_pydatetime()
    assert len(frames.history(platform, since=since)) == 3


def test_empty_frames_keep_their_columns_and_dtypes(store):
    store.create_environment("dev")
    hist = frames.history(store, "dev")
    assert hist.empty and str(hist["started_at"].dtype) == UTC_NS
    assert isinstance(hist["status"].dtype, pd.CategoricalDtype)
    assert frames.inventory(store, "dev").empty
    assert list(frames.landscape(store, ["dev"]).columns) == ["distribution", "dev", "newest", "drift", "behind"]


def test_landscape_shows_versions_side_by_side_and_flags_drift(platform, store, deploy):
    store.create_environment("prod", "production")
    deploy("prod", "network", "1.0.0")

    land = frames.landscape(platform, ["dev", "acc", "prod"])

    assert list(land.columns) == ["distribution", "dev", "acc", "prod", "newest", "drift", "behind"]
    rows = {r.distribution: r for r in land.itertuples()}
    assert (rows["app"].dev, rows["app"].acc, rows["app"].newest) == ("2.0.0", "1.0.0", "2.0.0")
    assert pd.isna(rows["app"].prod)
    assert rows["app"].behind == ["acc", "prod"] and rows["app"].drift
    assert rows["network"].behind == [] and not rows["network"].drift
    assert rows["database"].behind == ["acc", "prod"]


def test_landscape_compares_versions_by_semver_not_text(store, deploy):
    for env, version in [("a", "1.10.0"), ("b", "1.9.0"), ("c", "1.10.0-rc.1")]:
        store.create_environment(env)
        deploy(env, "app", version)
    land = frames.landscape(store)  # every environment
    assert land.loc[0, "newest"] == "1.10.0"
    assert land.loc[0, "behind"] == ["b", "c"]


def test_same_version_with_different_content_is_drift(store, deploy):
    store.create_environment("dev")
    store.create_environment("acc")
    deploy("acc", "app", "1.0.0", distribution_id="sha256:first-build")
    deploy("dev", "app", "1.0.0", distribution_id="sha256:rebuilt")
    assert frames.landscape(store, ["dev", "acc"]).loc[0, "behind"] == ["acc"]


def test_landscape_of_an_unknown_environment_is_an_error(store):
    with pytest.raises(NotFoundError, match="environment 'qa' does not exist"):
        frames.landscape(store, ["qa"])


def test_steps_frame_in_start_order_with_redacted_output(store, clock):
    store.create_environment("dev")
    store.set_parameter("dev", "Pw", "hunter2", secret=True)
    d, _ = store.start_deployment("dev", "app", distribution_id="sha256:a", version="1.0.0")
    net = store.start_step_run(d.id, "Network", "attini:cfn", fingerprint="fp")
    clock.advance(5)
    store.finish_step_run(net.id, "succeeded", output={"VpcId": "vpc-1"})
    store.record_step_run(d.id, "Migrate", "attini:runner", "failed", output={"log": "login hunter2 failed"},
                          error="States.TaskFailed", attempt=2)

    steps = frames.steps(store, d)

    assert list(steps.columns) == ["step_run_id", "step", "type", "resource", "status", "attempt", "started_at",
                                   "finished_at", "duration", "fingerprint", "output", "log_path", "error", "cause"]
    assert steps["step"].tolist() == ["Network", "Migrate"]  # the order they started, as the CLI shows them
    assert steps["type"].tolist() == ["AttiniCfn", "AttiniRunnerJob"]
    assert steps["resource"].tolist() == ["attini:cfn", "attini:runner"]
    assert steps["attempt"].tolist() == [1, 2]  # attempts count from 1
    assert steps["output"].tolist() == [{"VpcId": "vpc-1"}, {"log": "login *** failed"}]
    assert steps.loc[0, "duration"] == pd.Timedelta(seconds=5)
    assert str(steps["started_at"].dtype) == UTC_NS
    assert steps["status"].tolist() == ["succeeded", "failed"]
    assert "hunter2" not in steps.to_json(date_format="iso")
    assert frames.steps(store, d.id).equals(steps)


def test_history_is_right_even_when_keys_outgrow_the_packed_form(store, deploy):
    store.create_environment("dev")
    deploy("dev", "app", "1.0.0")
    store._conn().execute("INSERT INTO artifacts VALUES (?, 'sha256:far', 'app', '0.0.1', 0)", (2**31,))
    deploy("dev", "app", "2.0.0")  # its artifact key is now beyond 31 bits
    hist = frames.history(store, "dev")
    assert hist[["revision", "version", "status"]].values.tolist() == [[2, "2.0.0", "succeeded"],
                                                                      [1, "1.0.0", "succeeded"]]


def test_history_before_1970_still_reads_right(tmp_path):
    with SqliteStateStore.open(tmp_path / "attini-home", clock=Clock(start=-3600.0)) as store:  # a clock gone badly wrong
        store.create_environment("dev")
        d, lock = store.start_deployment("dev", "app", distribution_id="sha256:a", version="1.0.0")
        store.finish_deployment(d.id, "failed", lock=lock)
        row = frames.history(store).iloc[0]
    assert (row.environment, row.status, row.started_at.year) == ("dev", "failed", 1969)
