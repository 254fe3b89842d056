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


# -- tables fit the terminal (issue 9, point 11) -----------------------------------------------------------


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize("args", [
    ["deploy", "history", "-e", "dev"],
    ["environment", "list"],
    ["inventory", "-e", "dev"],
    ["landscape"],
    ["deploy", "describe", "-n", "hello", "-e", "dev"],
], ids=" ".join)
@pytest.mark.parametrize("width", [80, 200])
def test_tables_fit_the_terminal(attini, deployed, monkeypatch, args, width):
    monkeypatch.setenv("COLUMNS", str(width))
    result = attini(*args)

    assert result.code == 0
    too_long = [line for line in _lines(result.out) if len(line) > width and not line.startswith("  id sha256:")]
    assert too_long == []


def test_history_at_80_columns_keeps_what_matters_and_puts_errors_under_their_row(attini, deployed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    lines = _lines(attini("deploy", "history", "-e", "dev").out)

    assert lines[0] == "Deployments in dev"
    header = lines[1].split()
    assert header[:3] == ["rev", "distribution", "version"] and {"status", "started_at", "duration"} <= set(header)
    failed = next(n for n, line in enumerate(lines) if " failed " in line)
    assert lines[failed].split()[:3] == ["3", "hello", "1.2.0"] and "s ago" in lines[failed]  # relative times
    assert lines[failed + 1].startswith("    ") and "ScriptExecutionError" in lines[failed + 1]
    assert "--wide shows every column" in lines[-1] and "deployed_by" in lines[-1]


def test_history_at_200_columns_adds_short_ids_and_who(attini, deployed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    out = attini("deploy", "history", "-e", "dev").out
    header = _lines(out)[1].split()

    assert header == ["rev", "distribution", "version", "id", "status", "started_at", "duration", "deployed_by",
                      "reason"]
    assert deployed["distribution_id"][7:19] in out and deployed["distribution_id"] not in out


def test_wide_shows_every_column_in_full(attini, deployed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = attini("deploy", "history", "-e", "dev", "--wide").out
    header = _lines(out)[1].split()

    assert header[:4] == ["deployment_id", "environment", "distribution", "revision"] and "error" in header
    assert deployed["distribution_id"] in out and deployed["deployment_id"] in out
    assert any(len(line) > 80 for line in out.splitlines())  # --wide does not squeeze
    assert "ago" not in out  # times in full


def test_environment_list_at_80_columns(attini, deployed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    lines = _lines(attini("environment", "list").out)

    assert lines[0].split()[:4] == ["name", "type", "created_at", "deployments"]
    assert [line.split()[0] for line in lines[1:3]] == ["acc", "dev"]
    assert lines[2].split()[1] == "test" and "3" in lines[2].split()


# -- steps and logs (issue 9, point 14) --------------------------------------------------------------------


def test_describe_lists_steps_in_the_order_they_started_with_attini_types(attini, deployed, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    data = attini("deploy", "describe", "-n", "hello", "-e", "dev", "--json").json()
    lines = _lines(attini("deploy", "describe", "-n", "hello", "-e", "dev").out)

    assert [(s["step"], s["type"], s["resource"], s["attempt"]) for s in data["steps"]] == [
        ("Greet", "AttiniRunnerJob", "attini:runner", 1), ("Check", "AttiniRunnerJob", "attini:runner", 1)]
    table = lines[lines.index(next(line for line in lines if line.startswith("step "))):]
    assert [line.split()[:4] for line in table[1:3]] == [["Greet", "AttiniRunnerJob", "succeeded", "1"],
                                                           ["Check", "AttiniRunnerJob", "failed", "1"]]
    assert table[3].strip() == "ScriptExecutionError: smoke test failed"


def test_logs_of_a_failed_step_show_its_error_and_cause(attini, deployed):
    text = attini("deploy", "logs", "-n", "hello", "-e", "dev", "--step-name", "Check").out
    data = attini("deploy", "logs", "-n", "hello", "-e", "dev", "--json").json()
    good = attini("deploy", "logs", "-n", "hello", "-e", "dev", "--revision", "2").out

    lines = text.splitlines()
    failed = lines.index("Check failed: ScriptExecutionError")
    assert "    smoke test failed" in lines[failed + 1:]
    assert data["failures"] == {"Check": {"status": "failed", "error": "ScriptExecutionError",
                                          "cause": data["failures"]["Check"]["cause"]}}
    assert "smoke test failed" in data["failures"]["Check"]["cause"]
    assert "failed:" not in good


def test_the_table_helpers_docstring_examples_run():
    import doctest

    from attini_sdk.cli import tables

    assert doctest.testmod(tables).failed == 0
