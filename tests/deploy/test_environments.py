"""Environments: create, list, settings, parameters, signature policy, removal; state in one database."""

from __future__ import annotations

import sqlite3

import pytest

import attini_sdk as at
from attini_sdk.backends.local import db

from .conftest import one_step

OK = one_step("Ok", {"Type": "Pass"})
GATE = one_step("Gate", {"Type": "Task", "Resource": "attini:approval", "ResultPath": "$.output.Gate"})


def test_local_creates_a_test_environment_and_create_changes_settings(home):
    dev = at.Environment.local("dev")
    prod = at.Environment.create("prod", type="production", keep_versions=5, keep_days=30)

    assert (dev.type, dev.backend, dev.home) == ("test", "local", home.resolve())
    assert (prod.type, prod.is_production, prod.record.keep_versions) == ("production", True, 5)
    again = at.Environment.create("prod", type="production", keep_versions=3)
    assert (again.record.keep_versions, again.record.keep_days) == (3, 10)
    assert at.Environment.local("prod").type == "production"  # local() never changes an existing one


def test_list_environments_counts_deployments_and_running_ones(home, project):
    dev = at.Environment.local("dev")
    at.Environment.create("prod", type="production")
    dev.deploy(project("app").package(OK))
    dev.deploy(project("gate").package(GATE))

    listed = at.list_environments().set_index("name")

    assert list(listed.index) == ["dev", "prod"]
    assert list(listed.columns) == ["type", "backend", "created_at", "deployments", "running"]
    assert (listed.loc["dev", "deployments"], listed.loc["dev", "running"]) == (2, 1)
    assert (listed.loc["prod", "type"], listed.loc["prod", "deployments"]) == ("production", 0)
    assert str(listed["created_at"].dtype) == "datetime64[ns, UTC]"


def test_parameters_behave_like_a_mapping_and_secrets_stay_secret(home):
    env = at.Environment.local("dev")
    env.parameters["LogLevel"] = "DEBUG"
    env.parameters.set("DbPassword", "pw-1", secret=True)

    env.parameters["DbPassword"] = "pw-2"  # rotating keeps it secret

    assert dict(env.parameters) == {"DbPassword": "***", "LogLevel": "DEBUG"}
    assert env.parameters.frame().to_dict("records") == [{"key": "DbPassword", "value": "***", "secret": True},
                                                         {"key": "LogLevel", "value": "DEBUG", "secret": False}]
    assert env.parameters.reveal("DbPassword") == "pw-2" and env.parameters.is_secret("DbPassword")
    del env.parameters["LogLevel"]
    assert list(env.parameters) == ["DbPassword"]
    with pytest.raises(KeyError):
        del env.parameters["LogLevel"]


def test_remove_is_refused_while_a_deployment_waits_and_force_aborts_it(home, project):
    env = at.Environment.local("dev")
    waiting = env.deploy(project("gate").package(GATE))

    with pytest.raises(at.ConflictError) as refused:
        env.remove()
    assert "gate revision 1 (waiting_approval)" in str(refused.value)

    env.remove(force=True)
    assert "dev" not in set(at.list_environments()["name"])
    assert not env._backend.log_dir(waiting.id).exists()


def test_an_environment_requiring_signatures_refuses_unsigned_artifacts(home, project, tmp_path):
    from attini_sdk.artifacts.signing import generate_key

    key = generate_key()
    env = at.Environment.create("prod", type="production", require_signature=True,
                                trusted_keys=[key.public_key.to_pem().decode()])
    artifact = project("app").package(OK)

    with pytest.raises(at.SignatureError):
        env.deploy(artifact)
    at.Environment.local("dev").deploy(artifact)  # dev stores the unsigned copy first

    signed = artifact.sign(key)
    assert env.deploy(signed).status == "succeeded"
    assert env.current("app").signature is not None


def test_an_unknown_backend_is_a_clear_error(home):
    with pytest.raises(at.ConfigError) as unknown:
        at.Environment.create("dev", backend="mars")

    assert "backend 'mars' is not available here" in str(unknown.value)


def test_engine_checkpoints_live_in_state_db_as_migration_2(home, project, tmp_path):
    from attini_sdk.backends.local.checkpoints import SqliteCheckpointStore

    d = at.Environment.local("dev").deploy(project("app").package(OK))

    conn = sqlite3.connect(db.state_db_path(home))
    assert conn.execute("SELECT description FROM schema_version WHERE version = 2").fetchone()[0].startswith(
        "engine checkpoints")
    assert conn.execute("SELECT status FROM asl_executions WHERE execution_id = ?",
                        (d.execution_id,)).fetchone() == ("SUCCEEDED",)
    # the migration creates exactly what the checkpoint store itself would
    SqliteCheckpointStore(tmp_path / "alone.db").close()
    alone = sqlite3.connect(tmp_path / "alone.db")
    for table in ("asl_executions", "asl_frames", "asl_events"):
        assert conn.execute(f"PRAGMA table_info({table})").fetchall() == \
               alone.execute(f"PRAGMA table_info({table})").fetchall()
    assert conn.execute("PRAGMA index_list(asl_frames)").fetchall() == \
           alone.execute("PRAGMA index_list(asl_frames)").fetchall()


def test_a_deployment_by_revision_needs_its_distribution(home, project):
    env = at.Environment.local("dev")
    d = env.deploy(project("app").package(OK))

    assert env.deployment(1, "app").id == env.deployment(d.id).id == d.id
    with pytest.raises(at.ConfigError):
        env.deployment(1)
    with pytest.raises(at.NotFoundError):
        at.Environment.local("acc").deployment(d.id)


def test_the_local_backend_provides_the_three_backend_protocols(tmp_path):
    from attini_sdk.backends.base import ArtifactStore, Orchestrator, StateStore
    from attini_sdk.backends.local.backend import LocalBackend

    backend = LocalBackend.open(tmp_path / "home")

    assert isinstance(backend.artifacts, ArtifactStore)
    assert isinstance(backend.state, StateStore)
    assert isinstance(backend.orchestrator, Orchestrator)


def test_landscape_of_an_unknown_environment_says_so_once_and_how_to_create_it(home):
    at.Environment.create("dev", type="test")

    with pytest.raises(at.NotFoundError) as info:
        at.landscape(["dev", "acc"])

    message = str(info.value)
    assert message.count("environment 'acc'") == 1 and message.count("does not exist") == 1
    assert "environment 'acc' does not exist (existing: dev)" in message
    assert info.value.hint == "create it: at.Environment.create('acc', type='test') (or type='production')"
    assert info.value.cli_hint == "create it: attini environment create acc --env-type test|production"
