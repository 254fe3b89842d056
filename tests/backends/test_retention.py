"""Retention: which artifacts may be deleted, by every environment's keep_versions and keep_days."""

from __future__ import annotations

DAY = 86_400


def _history(store, deploy, clock, env, versions, status="succeeded", dist="app"):
    for version in versions:
        deploy(env, dist, version, status=status, distribution_id=f"sha256:{dist}-{version}")
        clock.advance(DAY)


def test_old_artifacts_expire_beyond_keep_versions_and_keep_days(store, deploy, clock):
    store.create_environment("dev", keep_versions=2, keep_days=3)
    _history(store, deploy, clock, "dev", ["1", "2", "3", "4", "5", "6"])
    # started 6, 5, 4, 3, 2, 1 days ago: the last 2 are kept by count, the ones younger than 3 days by age
    assert store.expired_artifacts() == ["sha256:app-1", "sha256:app-2", "sha256:app-3"]
    assert store.expired_artifacts("app") == store.expired_artifacts()
    assert store.expired_artifacts("network") == []


def test_the_current_deployment_is_kept_however_old(store, deploy, clock):
    store.create_environment("dev", keep_versions=1, keep_days=0)
    _history(store, deploy, clock, "dev", ["1"])
    _history(store, deploy, clock, "dev", ["2", "3"], status="failed")
    clock.advance(100 * DAY)
    # 1 is current (last succeeded); 3 is the last attempt; 2 is neither
    assert store.expired_artifacts() == ["sha256:app-2"]


def test_the_last_n_successful_are_kept_even_behind_newer_failures(store, deploy, clock):
    store.create_environment("dev", keep_versions=2, keep_days=0)
    _history(store, deploy, clock, "dev", ["1", "2", "3"])
    _history(store, deploy, clock, "dev", ["4", "5"], status="failed")
    assert store.expired_artifacts() == ["sha256:app-1"]


def test_an_artifact_another_environment_keeps_is_kept(store, deploy, clock):
    store.create_environment("dev", keep_versions=1, keep_days=0)
    store.create_environment("prod", "production", keep_versions=1, keep_days=0)
    _history(store, deploy, clock, "prod", ["1"])  # prod still runs 1
    _history(store, deploy, clock, "dev", ["1", "2", "3"])
    assert store.expired_artifacts() == ["sha256:app-2"]


def test_zero_and_zero_keeps_everything(store, deploy, clock):
    store.create_environment("dev", keep_versions=0, keep_days=0)
    _history(store, deploy, clock, "dev", ["1", "2", "3"])
    clock.advance(365 * DAY)
    assert store.expired_artifacts() == []


def test_unfinished_deployments_keep_their_artifact(store, deploy, clock):
    store.create_environment("dev", keep_versions=1, keep_days=0)
    d, lock = store.start_deployment("dev", "app", distribution_id="sha256:app-1", version="1")
    store.unlock("dev", "app", force=True)  # interrupted: resume will need its artifact
    clock.advance(DAY)
    _history(store, deploy, clock, "dev", ["2", "3"])
    assert store.get_deployment(d.id).status == "interrupted"
    assert store.expired_artifacts() == ["sha256:app-2"]  # 1 waits for resume, 3 is current


def test_artifact_in_use(store, deploy):
    store.create_environment("dev")
    deploy("dev", "app", "1", distribution_id="sha256:app-1")
    assert store.artifact_in_use("sha256:app-1")
    assert not store.artifact_in_use("sha256:never")
