"""Secrets never reach what either store writes (the SQL-reading originals stay in tests/backends/)."""

import pytest

from tests.backends.conformance.conftest import raw_text


@pytest.fixture
def dev(store):
    store.create_environment("dev")
    return "dev"


def test_deployment_parameters_are_stored_redacted_everywhere(store, dev):
    store.set_parameter(dev, "DbPassword", "hunter2", secret=True)
    d, _ = store.start_deployment(dev, "db", distribution_id="sha256:d1", version="1.0.0",
                                  parameters={"DbPassword": "hunter2", "ApiKey": "k-123", "Conn": "pg://u:hunter2@h",
                                              "Env": "dev"}, secret_keys={"ApiKey"})
    assert d.parameters == {"DbPassword": "***", "ApiKey": "***", "Conn": "pg://u:***@h", "Env": "dev"}
    assert store.get_deployment(d.id).parameters == d.parameters
    raw = raw_text(store)
    assert "k-123" not in raw and "pg://u:hunter2@h" not in raw


def test_step_output_is_stored_without_its_secrets(store, dev):
    store.set_parameter(dev, "Pin", "9931", secret=True)
    d, _ = store.start_deployment(dev, "app", distribution_id="sha256:a1", version="1.0.0")
    run = store.start_step_run(d.id, "Migrate", "attini:runner")
    done = store.finish_step_run(run.id, "succeeded", output={"dsn": "pg://admin:9931@db", "token": "t0k"},
                                 secret_values=["t0k"])
    assert done.output == {"dsn": "pg://admin:***@db", "token": "***"}
    assert store.step_runs(d.id)[0].output == done.output
    raw = raw_text(store)
    assert "pg://admin:9931@db" not in raw and "t0k" not in raw
