"""The default runner's tools on runner jobs' PATH: this Python's scripts, the CDK CLI from $ATTINI_HOME/tools."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from attini_sdk.errors import StepFailed
from attini_sdk.steps import runner, tools


@pytest.fixture
def tools_home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("ATTINI_HOME", str(tmp_path / "attini-home"))
    return tmp_path / "attini-home" / "tools"


def run(ctx, log, *commands):
    return runner.execute({"Commands": list(commands)}, {}, ctx, step="Job", log=log)


def test_a_job_runs_this_environments_python_and_finds_the_tools_folders_first(ctx, log, tools_home):
    result = run(ctx, log, 'printf \'{"python": "%s", "path": "%s"}\' "$(command -v python)" "$PATH" > "$ATTINI_OUTPUT"')

    assert result["python"] == str(Path(sys.executable).parent / "python")
    assert result["path"].split(":")[:2] == [str(Path(sys.executable).parent), str(tools_home / "node_modules" / ".bin")]


def test_a_cdk_cli_installed_once_in_attini_home_is_what_jobs_run(ctx, log, tools_home):
    cli = tools_home / "node_modules" / ".bin" / "cdk"
    cli.parent.mkdir(parents=True)
    cli.write_text('#!/bin/sh\necho "cdk from attini home: $*"\n')
    cli.chmod(0o755)

    run(ctx, log, "cdk --version")

    assert "cdk from attini home: --version" in log.path.read_text()
    assert "installing the AWS CDK CLI" not in log.path.read_text()


def test_without_npm_the_cdk_cli_is_a_missing_tool_named_with_how_to_get_it(ctx, log, tools_home, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.setattr(tools, "tool_dirs", lambda: ["/nonexistent-too"])

    with pytest.raises(StepFailed) as failed:
        run(ctx, log, "cdk deploy --all")

    assert failed.value.error == "Runner.ToolMissing"
    assert "CDK CLI" in str(failed.value) and "npm" in str(failed.value)
    assert "Node.js" in failed.value.hint


def test_a_missing_sam_cli_says_how_to_get_it(ctx, log, tools_home, monkeypatch):
    monkeypatch.setattr(tools, "tool_dirs", lambda: [str(tools_home)])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")

    with pytest.raises(StepFailed) as failed:
        run(ctx, log, "sam --version")

    assert "command 'sam' not found" in str(failed.value)
    assert "attini-sdk[sam]" in failed.value.hint


def test_a_word_that_only_contains_a_tools_name_installs_nothing(ctx, log, tools_home):
    run(ctx, log, "echo cdk.out > /dev/null")

    assert not tools_home.exists()
