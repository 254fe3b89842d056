"""The root of the CLI: version, help, and how errors reach the user."""

import subprocess
import sys

from attini_sdk import __version__
from attini_sdk.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "attini_sdk", *args], capture_output=True, text=True)


def test_version_prints_package_version():
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"attini {__version__}"


def test_help_lists_usage():
    result = run("--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def test_unknown_command_is_a_usage_error_without_traceback():
    result = run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "No such command" in result.stderr


def test_main_returns_exit_code_in_process(capsys):
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
