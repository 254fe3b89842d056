"""Environments and their parameters in the local state store."""

from __future__ import annotations

import pytest

from attini_sdk.errors import AttiniError, ConfigError, ConflictError, NotFoundError


def test_a_user_creates_lists_and_changes_environments(store):
    store.create_environment("dev")
    store.create_environment("prod", "production", keep_versions=5, keep_days=30)

    envs = {e.name: e for e in store.list_environments()}
    assert list(envs) == ["dev", "prod"]
    assert envs["dev"].type == "test" and (envs["dev"].keep_versions, envs["dev"].keep_days) == (10, 10)
    assert envs["prod"].is_production and envs["prod"].keep_versions == 5
    assert envs["prod"].created_at.tzinfo is not None

    changed = store.update_environment("dev", require_signature=True, trusted_keys=["ed25519:abc"])
    assert changed.require_signature and changed.trusted_keys == ("ed25519:abc",)
    assert store.get_environment("dev").keep_days == 10  # untouched settings stay


def test_creating_an_existing_environment_is_a_conflict_unless_exist_ok(store):
    store.create_environment("dev")
    with pytest.raises(ConflictError, match="environment 'dev' already exists"):
        store.create_environment("dev")
    assert store.create_environment("dev", exist_ok=True).name == "dev"


@pytest.mark.parametrize("kwargs, message", [
    ({"name": "dev env"}, "environment name 'dev env' is not valid"),
    ({"name": ""}, "is not valid"),
    ({"name": "-dev"}, "is not valid"),
    ({"name": "dev", "type": "staging"}, "type must be 'test' or 'production'"),
    ({"name": "dev", "keep_versions": -1}, "keep_versions must be a whole number >= 0"),
    ({"name": "dev", "keep_days": 1.5}, "keep_days must be a whole number >= 0"),
])
def test_bad_environment_settings_are_refused_with_a_hint(store, kwargs, message):
    with pytest.raises(ConfigError, match=message) as info:
        store.create_environment(**kwargs)
    assert info.value.where and info.value.where.startswith("environment")
    assert store.list_environments() == []


def test_an_unknown_environment_says_how_to_create_it(store):
    with pytest.raises(NotFoundError) as info:
        store.get_environment("qa")
    assert str(info.value).count("environment 'qa'") == 1 and "environment 'qa' does not exist" in str(info.value)
    assert "at.Environment.create('qa', type='test')" in info.value.hint
    assert "attini environment create qa --env-type test|production" in info.value.cli_hint


def test_removing_an_environment_forgets_its_history(store, deploy):
    store.create_environment("dev")
    store.create_environment("acc")
    deploy("dev", "app")
    deploy("acc", "app")
    store.set_parameter("dev", "Vpc", "10.0.0.0/16")

    store.remove_environment("dev")

    assert [e.name for e in store.list_environments()] == ["acc"]
    assert len(store.list_deployments("acc")) == 1
    assert store.integrity_check() == ["ok"]
    with pytest.raises(NotFoundError):
        store.list_deployments("dev")


def test_removing_an_environment_is_refused_while_a_deployment_runs(store):
    store.create_environment("dev")
    d, lock = store.start_deployment("dev", "network", distribution_id="sha256:n1", version="1.0.0")

    with pytest.raises(ConflictError) as info:
        store.remove_environment("dev")
    assert "network revision 1 (running)" in str(info.value)
    assert "attini deploy unlock" in info.value.hint

    store.finish_deployment(d.id, "succeeded", lock=lock)
    store.remove_environment("dev")
    assert store.list_environments() == []


def test_secret_parameters_are_redacted_in_listings_but_resolvable(store):
    store.create_environment("dev")
    store.set_parameter("dev", "DbPassword", "hunter2", secret=True)
    store.set_parameter("dev", "Vpc", "10.0.0.0/16")
    store.set_parameter("dev", "Replicas", 3)

    listed = {p.key: (p.value, p.secret) for p in store.parameters("dev")}
    assert listed == {"DbPassword": ("***", True), "Replicas": (3, False), "Vpc": ("10.0.0.0/16", False)}
    assert "hunter2" not in repr(store.parameters("dev"))
    assert store.resolved_parameters("dev")["DbPassword"] == "hunter2"
    assert store.get_parameter("dev", "DbPassword").value == "hunter2"


def test_parameters_can_be_overwritten_and_removed(store):
    store.create_environment("dev")
    store.set_parameter("dev", "Size", "small")
    store.set_parameter("dev", "Size", "large", secret=True)
    assert store.get_parameter("dev", "Size").secret
    store.remove_parameter("dev", "Size")
    assert store.parameters("dev") == []
    with pytest.raises(NotFoundError, match="has no parameter 'Size'"):
        store.remove_parameter("dev", "Size")
    with pytest.raises(NotFoundError):
        store.set_parameter("qa", "Size", "small")


def test_every_store_error_is_an_attini_error(store):
    with pytest.raises(AttiniError):
        store.remove_environment("nope")
