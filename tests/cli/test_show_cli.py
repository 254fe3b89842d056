"""Reading commands: ``deploy history|describe|output|logs``, ``inventory``, ``landscape``."""

from __future__ import annotations

import pytest


@pytest.fixture
def deployed(attini, dists):
    """dev: hello 1.0.0, 1.1.0, then a failed 1.2.0; acc: hello 1.0.0 promoted by id."""
    for env in ("dev", "acc"):
        attini("environment", "create", env, "--env-type", "test")
    first = attini("deploy", "run", dists("hello", "1.0.0"), "-e", "dev", "--json").json()
    attini("deploy", "run", dists("hello", "1.1.0"), "-e", "dev")
    attini("deploy", "run", dists("hello", "1.2.0", broken=True), "-e", "dev")
    attini("deploy", "run", first["distribution_id"], "-e", "acc")
    return first


def test_history_lists_deployments_newest_first(attini, deployed):
    rows = attini("deploy", "history", "-e", "dev", "--json").json()
    table = attini("deploy", "history", "-e", "dev", "-n", "hello")

    assert [(r["revision"], r["version"], r["status"]) for r in rows] == [
        (3, "1.2.0", "failed"), (2, "1.1.0", "succeeded"), (1, "1.0.0", "succeeded")]
    assert set(rows[0]) >= {"deployment_id", "environment", "distribution", "revision", "version",
                            "distribution_id", "status", "started_at", "finished_at", "duration", "deployed_by",
                            "reason", "error"}
    assert table.code == 0 and "Deployments in dev" in table.out and "1.2.0" in table.out


def test_history_output_limit_and_status(attini, deployed):
    limited = attini("deploy", "history", "-e", "dev", "-o", "1", "--json").json()
    failed = attini("deploy", "history", "-e", "dev", "--status", "failed", "--json").json()

    assert [r["revision"] for r in limited] == [3]
    assert [r["version"] for r in failed] == ["1.2.0"]


def test_describe_shows_the_latest_deployment_and_its_steps(attini, deployed):
    result = attini("deploy", "describe", "-n", "hello", "-e", "dev")

    assert result.code == 0
    assert "hello 1.2.0 → dev: revision 3" in result.out and "failed" in result.out
    assert "Check" in result.out and "Greet" in result.out


def test_describe_by_revision_id_prefix_or_deployment_id(attini, deployed):
    by_revision = attini("deploy", "describe", "-n", "hello", "-e", "dev", "--revision", "2", "--json").json()
    by_id = attini("deploy", "describe", "-n", "hello", "-e", "dev", "-i", deployed["distribution_id"][7:20],
                   "--json").json()
    by_deployment = attini("deploy", "describe", "-e", "dev", "--deployment-id", deployed["deployment_id"],
                           "--json").json()

    assert by_revision["version"] == "1.1.0" and by_revision["outputs"] is not None
    assert by_id["revision"] == 1 and by_deployment["revision"] == 1
    assert {s["step"] for s in by_id["steps"]} >= {"Greet", "Check"}


def test_describe_something_missing_is_a_clear_error(attini, deployed):
    no_revision = attini("deploy", "describe", "-n", "hello", "-e", "dev", "--revision", "9")
    no_id = attini("deploy", "describe", "-n", "hello", "-e", "dev", "-i", "ffff")
    no_name = attini("deploy", "describe", "-n", "ghost", "-e", "dev")

    assert no_revision.code == no_id.code == no_name.code == 1
    assert "hello: no revision 9 in environment 'dev'" in no_revision.err
    assert "no deployed artifact has a distribution id starting with 'ffff'" in no_id.err
    assert "'ghost' was never deployed in environment 'dev'" in no_name.err


def test_output_prints_the_outputs_as_json(attini, deployed):
    result = attini("deploy", "output", "-n", "hello", "-e", "dev", "--revision", "2")

    outputs = result.json()
    assert result.code == 0 and isinstance(outputs, dict)
    assert "hi 1.1.0" in result.out


def test_logs_print_what_the_steps_wrote(attini, deployed):
    one = attini("deploy", "logs", "-n", "hello", "-e", "dev", "--step-name", "Check")
    every = attini("deploy", "logs", "-n", "hello", "-e", "dev", "--revision", "1")
    data = attini("deploy", "logs", "-n", "hello", "-e", "dev", "--json").json()

    assert one.code == 0 and "smoke test failed" in one.out
    assert "==> Greet <==" in every.out and "hello from dev" in every.out and "checking 1.0.0" in every.out
    assert "smoke test failed" in data["logs"]["Check"]


def test_inventory_shows_current_and_last_attempt(attini, deployed):
    rows = attini("inventory", "-e", "dev", "--json").json()
    table = attini("inventory", "-e", "dev")

    assert len(rows) == 1
    row = rows[0]
    assert (row["distribution"], row["version"], row["revision"]) == ("hello", "1.1.0", 2)
    assert (row["status"], row["last_version"], row["last_revision"]) == ("failed", "1.2.0", 3)
    assert "Inventory of dev (test)" in table.out and "hello" in table.out


def test_landscape_shows_every_environment_and_drift(attini, deployed):
    rows = attini("landscape", "--json").json()
    only_acc = attini("landscape", "-e", "acc", "--json").json()
    table = attini("landscape")

    assert rows == [{"distribution": "hello", "dev": "1.1.0", "acc": "1.0.0", "newest": "1.1.0", "drift": True,
                     "behind": ["acc"]}] or rows == [{"distribution": "hello", "acc": "1.0.0", "dev": "1.1.0",
                                                       "newest": "1.1.0", "drift": True, "behind": ["acc"]}]
    assert only_acc[0]["acc"] == "1.0.0" and "dev" not in only_acc[0]
    assert table.code == 0 and "Landscape" in table.out and "1.1.0" in table.out


def test_landscape_of_an_unknown_environment_is_a_clear_error(attini, deployed):
    result = attini("landscape", "-e", "prd")

    assert result.code == 1 and "environment 'prd' does not exist" in result.err


def test_with_nothing_deployed_the_views_say_so(attini):
    attini("environment", "create", "dev", "--env-type", "test")

    assert "Nothing deployed in dev yet." in attini("inventory").out
    assert "No deployments in dev." in attini("deploy", "history").out
    assert attini("inventory", "--json").json() == []
    assert "nothing is deployed in environment 'dev'" in attini("deploy", "describe").err
