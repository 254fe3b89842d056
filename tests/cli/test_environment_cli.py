"""``attini environment create|list|remove`` and ``environment param set|list|remove``."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest

from attini_sdk.cli import main


def test_create_list_and_remove_environments(attini):
    assert attini("environment", "create", "dev", "--env-type", "test").out.startswith(
        "Created test environment dev")
    created = attini("environment", "create", "prod", "--json").json()
    listed = attini("environment", "list", "--json").json()
    removed = attini("environment", "remove", "dev", "--yes")

    assert created["name"] == "prod" and created["type"] == "production" and created["created"] is True
    assert {row["name"]: row["type"] for row in listed} == {"dev": "test", "prod": "production"}
    assert set(listed[0]) >= {"name", "type", "backend", "created_at", "deployments", "running"}
    assert removed.code == 0 and "Removed environment dev" in removed.out
    assert [row["name"] for row in attini("environment", "list", "--json").json()] == ["prod"]


def test_create_is_idempotent_and_changes_the_type_only_when_asked(attini):
    attini("environment", "create", "acc", "--env-type", "test")

    again = attini("environment", "create", "acc", "--json").json()
    changed = attini("environment", "create", "acc", "--env-type", "production", "--json").json()

    assert again["created"] is False and again["type"] == "test"
    assert changed["type"] == "production"


def test_changing_the_type_keeps_retention_and_signature_settings(attini, tmp_path):
    attini("key", "generate", "-o", tmp_path / "k.pem")
    attini("environment", "create", "prod", "--env-type", "test", "--keep-versions", "3", "--keep-days", "0",
           "--require-signature", "--trusted-key", tmp_path / "k.pem.pub")

    changed = attini("environment", "create", "prod", "--env-type", "production", "--json").json()
    relaxed = attini("environment", "create", "prod", "--no-require-signature", "--json").json()

    assert (changed["type"], changed["keep_versions"], changed["keep_days"]) == ("production", 3, 0)
    assert changed["require_signature"] is True and changed["trusted_keys"] == 1
    assert relaxed["require_signature"] is False and relaxed["keep_versions"] == 3


def test_list_says_how_to_begin_when_there_are_none(attini):
    result = attini("environment", "list")

    assert result.code == 0 and "attini environment create" in result.out


def test_an_unknown_type_is_a_clear_error(attini):
    result = attini("environment", "create", "dev", "--env-type", "staging")

    assert result.code == 1 and "unknown environment type 'staging'" in result.err
    assert "--env-type test" in result.err and "Traceback" not in result.err


def test_removing_an_unknown_environment_names_the_existing_ones(attini):
    attini("environment", "create", "dev", "--env-type", "test")

    result = attini("environment", "remove", "dve")

    assert result.code == 1
    assert "environment 'dve' does not exist (existing: dev)" in result.err


def test_parameters_are_set_listed_and_removed_and_secrets_never_shown(attini):
    attini("environment", "create", "dev", "--env-type", "test")

    attini("environment", "param", "set", "LogLevel", "DEBUG")  # -e left out: the only environment
    secret = attini("environment", "param", "set", "DbPassword", "hunter2", "--secret", "-e", "dev")
    listed = attini("environment", "param", "list", "-e", "dev", "--json").json()
    table = attini("environment", "param", "list")

    assert "hunter2" not in secret.out and "DbPassword = ***" in secret.out
    assert {"key": "DbPassword", "value": "***", "secret": True} in listed
    assert {"key": "LogLevel", "value": "DEBUG", "secret": False} in listed
    assert "hunter2" not in table.out and "DEBUG" in table.out

    assert attini("environment", "param", "remove", "LogLevel").code == 0
    assert [p["key"] for p in attini("environment", "param", "list", "--json").json()] == ["DbPassword"]
    missing = attini("environment", "param", "remove", "LogLevel")
    assert missing.code == 1 and "has no parameter 'LogLevel'" in missing.err


@pytest.mark.filterwarnings("ignore::getpass.GetPassWarning")  # stdin is a pipe here, not a terminal
def test_a_secret_left_out_of_the_command_line_is_read_without_echo(attini):
    attini("environment", "create", "dev", "--env-type", "test")

    result = attini("environment", "param", "set", "ApiToken", "--secret", stdin="s3cr3t\n")
    listed = attini("environment", "param", "list", "--json").json()

    assert result.code == 0 and "s3cr3t" not in result.out + result.err
    assert listed == [{"key": "ApiToken", "value": "***", "secret": True}]


def test_a_plain_parameter_needs_a_value(attini):
    attini("environment", "create", "dev", "--env-type", "test")

    result = attini("environment", "param", "set", "LogLevel")

    assert result.code == 1 and "no value given for 'LogLevel'" in result.err


def test_without_e_and_with_several_environments_the_cli_asks_which(attini):
    attini("environment", "create", "dev", "--env-type", "test")
    attini("environment", "create", "acc", "--env-type", "test")

    result = attini("environment", "param", "list")

    assert result.code == 1
    assert "which environment? There are 2: " in result.err and "-e ENV" in result.err


def test_without_any_environment_the_cli_says_how_to_create_one(attini):
    result = attini("inventory", "--json")

    assert result.code == 1
    assert result.json()["error"] == "NotFoundError" and "environment create" in result.json()["hint"]


def test_remove_refuses_while_a_deployment_waits_unless_forced(attini, dists):
    attini("environment", "create", "dev", "--env-type", "test")
    attini("deploy", "run", dists("gated", "1.0.0", gated=True))

    refused = attini("environment", "remove", "dev", "--yes")
    forced = attini("environment", "remove", "dev", "--force", "--yes")

    assert refused.code == 1 and "ConflictError" not in refused.err and "Traceback" not in refused.err
    assert "hint:" in refused.err
    assert forced.code == 0 and attini("environment", "list", "--json").json() == []


# -- removing asks first ---------------------------------------------------------------------------------


def _names(attini) -> list[str]:
    return [row["name"] for row in attini("environment", "list", "--json").json()]


def test_remove_without_a_terminal_refuses_unless_yes(attini):
    attini("environment", "create", "dev", "--env-type", "test")

    refused = attini("environment", "remove", "dev", stdin="y\n")  # a pipe is not a person
    refused_json = attini("environment", "remove", "dev", "--json")

    assert refused.code == 1 and "no terminal to ask on" in refused.err and "--yes" in refused.err
    assert refused_json.code == 1 and "--yes" in refused_json.json()["hint"]
    assert _names(attini) == ["dev"]
    assert attini("environment", "remove", "dev", "-y").code == 0 and _names(attini) == []


class _Terminal(io.StringIO):
    """What a person types at a terminal (the real terminal is in the pty test below)."""

    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("answer", "removed"), [("y\n", True), ("yes\n", True), ("n\n", False), ("\n", False)])
def test_remove_asks_y_for_a_test_environment(attini, monkeypatch, answer, removed):
    attini("environment", "create", "dev", "--env-type", "test")
    monkeypatch.setattr(sys, "stdin", _Terminal(answer))

    result = main(["environment", "remove", "dev"])

    assert result == (0 if removed else 1)
    assert _names(attini) == ([] if removed else ["dev"])


def test_removing_a_production_environment_needs_its_name_typed_at_a_real_terminal(attini):
    attini("environment", "create", "prod")

    yes = _at_terminal(["environment", "remove", "prod"], "y\n")
    typed = _at_terminal(["environment", "remove", "prod"], "prod\n")

    assert yes.returncode == 1 and "Type the environment's name, prod, to remove it" in yes.stderr
    assert "Cancelled: environment 'prod' was not removed." in yes.stderr
    assert typed.returncode == 0, typed.stderr
    assert "Removed environment prod." in typed.stdout and _names(attini) == []


def _at_terminal(args: list[str], typed: str) -> subprocess.CompletedProcess:
    """Run ``attini ARGS`` with a pseudo-terminal as stdin and ``typed`` as what the person types."""
    import pty

    leader, follower = pty.openpty()
    try:
        os.write(leader, typed.encode())
        return subprocess.run([sys.executable, "-m", "attini_sdk", *args], stdin=follower, capture_output=True,
                              text=True, timeout=120)
    finally:
        os.close(leader)
        os.close(follower)
