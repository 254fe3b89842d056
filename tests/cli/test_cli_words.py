"""Every user error the CLI can be made to raise speaks the CLI: flags and commands, never Python calls.

Each case arranges what a user would have (environments, deployments, a lock held by another deployer, a
signature policy), runs the one command that fails, and reads what it printed, as text and with ``--json``.
The cases follow the ``hint=`` sites of attini_sdk that a command can reach (``tests/test_errors.py`` keeps
every hint written in Python syntax paired with a ``cli_hint``). Python is allowed in one place only: an
error located in the user's own Python plan module (a ``.py`` file), whose words are the user's code.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest

from tests.python_syntax import python_syntax

_CASES: dict[str, Callable] = {}


def case(fn: Callable) -> Callable:
    _CASES[fn.__name__] = fn
    return fn


@attrs.frozen
class Failing:
    """The command that fails, a phrase of its message, and whether it was refused before any step ran."""

    argv: list[str]
    says: str
    refused: bool = True
    speaks_code: bool = False  # located in the user's Python plan module


@attrs.define
class User:
    """What a user does before the failing command: environments, deployments, locks, keys."""

    attini: Callable
    dists: Callable
    home: Path
    tmp: Path

    def ok(self, *argv: str) -> None:
        result = self.attini(*argv)
        assert result.code == 0, result.err

    def dev(self, *options: str) -> None:
        self.ok("environment", "create", "dev", "--env-type", "test", *options)

    def deploy(self, name: str, version: str, *, code: int = 0, **kwargs) -> None:
        result = self.attini("deploy", "run", self.dists(name, version, **kwargs), "-e", "dev")
        assert result.code == code, result.err

    def hold_lock(self, distribution: str) -> None:
        """Another deployer (alive: this very process) holds the lock of ``distribution`` in dev."""
        from attini_sdk.backends.local.state import SqliteStateStore

        store = SqliteStateStore.open(self.home)
        store.start_deployment("dev", distribution, distribution_id="sha256:" + "0" * 64, version="0.9.0")
        store.close()


# -- the cases ---------------------------------------------------------------------------------------------


@case
def rollback_to_a_revision_that_failed(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    u.deploy("hello", "1.1.0", broken=True, code=1)
    return Failing(["deploy", "rollback", "-n", "hello", "--to", "2"], "or add --skip-checks")


@case
def rollback_with_nothing_earlier(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    return Failing(["deploy", "rollback", "-n", "hello"], "is the only successful deployment")


@case
def rollback_to_an_artifact_retention_removed(u: User) -> Failing:
    u.dev("--keep-versions", "1", "--keep-days", "0")
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        u.deploy("hello", version)
    return Failing(["deploy", "rollback", "-n", "hello", "--to", "1"], "is no longer stored")


@case
def deploy_while_another_deployer_holds_the_lock(u: User) -> Failing:
    u.dev()
    u.hold_lock("hello")
    return Failing(["deploy", "run", u.dists("hello", "1.0.0"), "-e", "dev"], "is already being deployed")


@case
def unlock_while_the_holder_is_alive(u: User) -> Failing:
    u.dev()
    u.hold_lock("hello")
    return Failing(["deploy", "unlock", "-n", "hello", "-e", "dev"], "is already being deployed")


@case
def remove_an_environment_while_a_deployment_runs(u: User) -> Failing:
    u.dev()
    u.hold_lock("hello")
    return Failing(["environment", "remove", "dev", "--yes"], "dev")


@case
def remove_an_environment_without_a_terminal_to_confirm_on(u: User) -> Failing:
    u.dev()
    return Failing(["environment", "remove", "dev"], "no terminal to ask on")


@case
def describe_a_deployment_of_another_environment(u: User) -> Failing:
    u.dev()
    u.ok("environment", "create", "acc", "--env-type", "test")
    u.deploy("hello", "1.0.0")
    deployment_id = u.attini("deploy", "history", "-e", "dev", "--json").json()[0]["deployment_id"]
    return Failing(["deploy", "describe", "--deployment-id", deployment_id, "-e", "acc"],
                   "belongs to environment 'dev'")


@case
def deploy_an_unsigned_artifact_where_signatures_are_required(u: User) -> Failing:
    key = u.tmp / "signing.pem"
    u.ok("key", "generate", "-o", key)
    u.dev("--require-signature", "--trusted-key", f"{key}.pub")
    return Failing(["deploy", "run", u.dists("hello", "1.0.0"), "-e", "dev"], "not signed")


@case
def deploy_before_a_dependency(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", u.dists("app", "1.0.0", needs={"network": ">=1.0.0"}), "-e", "dev"],
                   "network")


@case
def deploy_a_failing_step(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", u.dists("hello", "1.1.0", broken=True), "-e", "dev"],
                   "failed at step 'Check'", refused=False)


@case
def deploy_to_an_environment_that_does_not_exist(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", u.dists("hello", "1.0.0"), "-e", "prd"], "environment 'prd' does not exist")


@case
def deploy_with_no_environment_at_all(u: User) -> Failing:
    return Failing(["deploy", "run", u.dists("hello", "1.0.0")], "there are no environments yet")


@case
def deploy_to_production_with_no_answer(u: User) -> Failing:
    u.ok("environment", "create", "prod")
    return Failing(["deploy", "run", u.dists("hello", "1.0.0"), "-e", "prod"], "there was no answer")


@case
def deploy_with_a_malformed_parameter(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", u.dists("hello", "1.0.0"), "--param", "LogLevel"], "is not KEY=VALUE")


@case
def deploy_something_that_is_not_there(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", "no/such/folder"], "is not a distribution folder")


@case
def deploy_an_id_no_environment_has(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", "sha256:abcdef12"], "abcdef12")


@case
def deploy_detached_before_a_dependency(u: User) -> Failing:
    u.dev()
    return Failing(["deploy", "run", u.dists("app", "1.0.0", needs={"network": ">=1.0.0"}), "--no-wait"],
                   "network")


@case
def rollback_with_both_an_id_and_a_target(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    return Failing(["deploy", "rollback", "-n", "hello", "-i", "abc", "--to", "1"], "not both")


@case
def continue_when_nothing_waits(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    return Failing(["deploy", "continue", "-n", "hello", "--step-name", "Approve"], "is waiting for approval")


@case
def continue_at_a_step_that_does_not_wait(u: User) -> Failing:
    u.dev()
    u.deploy("gated", "1.0.0", gated=True)
    return Failing(["deploy", "continue", "-n", "gated", "--step-name", "Ship"], "is not waiting at step 'Ship'")


@case
def resume_a_deployment_that_finished(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    return Failing(["deploy", "resume", "-n", "hello"], "only interrupted deployments resume")


@case
def resume_a_deployment_waiting_for_approval(u: User) -> Failing:
    u.dev()
    u.deploy("gated", "1.0.0", gated=True)
    return Failing(["deploy", "resume", "-n", "gated"], "waits for an approval")


@case
def logs_of_a_step_that_never_ran(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    return Failing(["deploy", "logs", "-n", "hello", "--step-name", "Nope"], "Nope")


@case
def describe_a_distribution_never_deployed(u: User) -> Failing:
    u.dev()
    u.deploy("hello", "1.0.0")
    return Failing(["deploy", "describe", "-n", "other"], "was never deployed")


@case
def history_without_naming_one_of_two_environments(u: User) -> Failing:
    u.dev()
    u.ok("environment", "create", "acc", "--env-type", "test")
    return Failing(["deploy", "history"], "which environment?")


@case
def landscape_of_an_environment_that_does_not_exist(u: User) -> Failing:
    u.dev()
    return Failing(["landscape", "-e", "dev", "-e", "acc"], "environment 'acc' does not exist")


@case
def create_an_environment_of_an_unknown_type(u: User) -> Failing:
    return Failing(["environment", "create", "dev", "--env-type", "staging"], "unknown environment type")


@case
def remove_a_parameter_that_is_not_set(u: User) -> Failing:
    u.dev()
    return Failing(["environment", "param", "remove", "Nope", "-e", "dev"], "has no parameter 'Nope'")


@case
def set_a_parameter_without_a_value(u: User) -> Failing:
    u.dev()
    return Failing(["environment", "param", "set", "LogLevel", "-e", "dev"], "no value given")


@case
def generate_a_key_over_an_existing_one(u: User) -> Failing:
    key = u.tmp / "signing.pem"
    u.ok("key", "generate", "-o", key)
    return Failing(["key", "generate", "-o", key], "already exists")


@case
def package_a_folder_without_attini_config(u: User) -> Failing:
    (u.tmp / "empty").mkdir()
    return Failing(["distribution", "package", u.tmp / "empty"], "attini-config")


@case
def package_a_python_plan_that_raises(u: User) -> Failing:
    folder = u.dists("hello", "1.0.0")
    (folder / "deployment_plan.py").write_text("from attini_sdk.plan import Plan, Runner\n"
                                               "plan = Plan(Runner('R', commands=['true']).output('a', 'b'))\n")
    return Failing(["distribution", "package", folder], "deployment_plan.py", speaks_code=True)


# -- the test ------------------------------------------------------------------------------------------------


@pytest.fixture
def user(attini, dists, home, tmp_path) -> User:
    return User(attini, dists, home, tmp_path)


def _known_flags() -> set[str]:
    """Every long option of every command (what a hint may tell the user to add)."""
    from attini_sdk.cli import reference

    commands = [command for _, command in reference._walk(reference._root(), ())] + [reference._root()]
    return {name for command in commands for param in command.params
            for name in [*param.opts, *getattr(param, "secondary_opts", [])] if name.startswith("--")} | {"--help"}


def _error_text(err: str) -> str:
    """What the CLI printed from ``Error:`` on: the message, where, and the hint."""
    assert "Error: " in err, err
    return err[err.index("Error: "):]


@pytest.mark.parametrize("name", sorted(_CASES))
def test_the_error_speaks_the_cli_as_text_and_as_json(name, user, attini):
    failing = _CASES[name](user)

    text = attini(*failing.argv)
    as_json = attini(*failing.argv, "--json")

    _check_text(failing, text)
    if as_json.code != 2:  # 2: this command has no --json
        _check_json(failing, as_json)


def _check_text(failing: Failing, result) -> None:
    assert result.code == 1, result.out + result.err
    text = _error_text(result.err)
    assert failing.says in text
    assert "Traceback" not in result.err + result.out
    if failing.speaks_code:
        assert ".py" in text and "hint: " in text
    else:
        assert python_syntax(text) == [], text
        named = set(re.findall(r"(?<![\w-])--[a-z][a-z-]*", text))
        assert named <= _known_flags(), f"the message names options no command has: {named - _known_flags()}"
    if failing.refused:  # no live-view header (with or without a version) before the error
        assert " → " not in result.out, result.out


def _check_json(failing: Failing, result) -> None:
    assert result.code == 1, result.out + result.err
    data = json.loads(result.out)
    if "hint" not in data:  # a failed deployment prints the deployment itself
        assert data["status"] == "failed"
        return
    assert failing.says in f"{data['what']} {data['where']} {data['hint']}"
    if not failing.speaks_code:
        assert python_syntax(f"{data['what']} {data['where']} {data['hint']}") == [], data
