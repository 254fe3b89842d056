"""The CLI's fixed cost: a command that prints JSON or a table loads neither pandas, numpy nor botocore.

Each command runs in a fresh interpreter (the real entry point, ``attini_sdk.cli.main``) which writes the names
of every module it loaded to a file when it ends; the test reads the names, not any time (timings are in
``benchmarks/``, docs/PERFORMANCE.md).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = {"pandas", "numpy", "botocore", "boto3"}
RUN = """\
import sys
from attini_sdk.cli import main
try:
    code = main(sys.argv[2:])
finally:
    with open(sys.argv[1], "w") as out:
        out.write("\\n".join(sorted(sys.modules)))
raise SystemExit(code)
"""


def loaded_by(tmp_path: Path, *args: str) -> tuple[int, set[str]]:
    """(exit code, names of the modules loaded) of ``attini ARGS`` in a new process.

    The AWS configuration is the environment variables alone (no shared config file, no profile), as in CI.
    """
    names = tmp_path / "modules.txt"
    env = {**os.environ, "COLUMNS": "80", "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config")}
    env.pop("AWS_PROFILE", None)
    proc = subprocess.run([sys.executable, "-c", RUN, str(names), *map(str, args)], capture_output=True, text=True,
                          env=env, timeout=120)
    assert names.exists(), proc.stderr
    return proc.returncode, set(names.read_text().split())


@pytest.fixture(scope="module")
def cold_home(tmp_path_factory) -> Path:
    """dev with hello 1.0.0 and a failed 1.1.0 (runner steps only: no AWS anywhere), and an empty acc."""
    from tests.cli.conftest import run_subprocess, write_distribution

    path = tmp_path_factory.mktemp("cold-home")
    env = {"ATTINI_HOME": str(path), "AWS_DEFAULT_REGION": "eu-north-1"}
    src = tmp_path_factory.mktemp("cold-src")
    assert run_subprocess("environment", "create", "dev", "--env-type", "test", env=env).code == 0
    assert run_subprocess("environment", "create", "acc", "--env-type", "test", env=env).code == 0
    for version, broken in (("1.0.0", False), ("1.1.0", True)):
        run_subprocess("deploy", "run", write_distribution(src, "hello", version, broken=broken), "-e", "dev",
                       env=env)
    return path


@pytest.fixture(autouse=True)
def _home(home, cold_home, monkeypatch):
    monkeypatch.setenv("ATTINI_HOME", str(cold_home))


@pytest.mark.parametrize("args", [
    ["inventory", "-e", "dev", "--json"],
    ["inventory", "-e", "dev"],
    ["deploy", "history", "-e", "dev", "--json"],
    ["deploy", "history", "-e", "dev", "--wide"],
    ["environment", "list"],
    ["environment", "list", "--json"],
    ["landscape", "--json"],
    ["landscape"],
    ["deploy", "describe", "-e", "dev", "-n", "hello", "--json"],
    ["deploy", "logs", "-e", "dev", "-n", "hello"],
    ["--help"],
], ids=" ".join)
def test_reading_commands_load_no_pandas_numpy_or_botocore(tmp_path, args):
    code, loaded = loaded_by(tmp_path, *args)

    assert code == 0 and HEAVY & loaded == set()


@pytest.mark.parametrize(("args", "module"), [
    (["inventory", "-e", "dev", "--json"], "attini_sdk.cli.inventory"),
    (["deploy", "history", "-e", "dev", "--json"], "attini_sdk.cli.deploy"),
    (["environment", "list"], "attini_sdk.cli.environment"),
], ids=lambda a: " ".join(a) if isinstance(a, list) else "")
def test_a_command_imports_its_own_cli_module_only(tmp_path, args, module):
    """attini_sdk.cli.commands maps each top-level command to its modules; the others are never imported."""
    code, loaded = loaded_by(tmp_path, *args)
    others = {f"attini_sdk.cli.{name}" for name in ("distribution", "key", "config_cmd", "configure", "plan",
                                                     "environment", "deploy", "inventory")} - {module}

    assert code == 0 and module in loaded and others & loaded == set()


@pytest.mark.parametrize("args", [
    ["deploy", "history", "-e", "nope", "--json"],
    ["inventory"],  # two environments: which one?
    ["deploy", "describe", "-e", "dev", "-n", "ghost"],
    ["no-such-command"],
], ids=" ".join)
def test_error_paths_load_no_pandas_numpy_or_botocore(tmp_path, args):
    code, loaded = loaded_by(tmp_path, *args)

    assert code in (1, 2) and HEAVY & loaded == set()


def test_a_deployment_that_never_calls_aws_loads_no_botocore(tmp_path, dists):
    """Runner steps only: they pass the AWS settings on to their jobs, and the environment variables decide
    those without botocore (:meth:`AwsSettings.from_environment`)."""
    code, loaded = loaded_by(tmp_path, "deploy", "run", dists("hello", "2.0.0"), "-e", "acc", "--json")

    assert code == 0 and HEAVY & loaded == set()


@pytest.mark.parametrize("args", [["--help"], ["deploy", "run", "--help"], ["no-such-command"]], ids=" ".join)
def test_help_loads_neither_markdown_nor_rich_tracebacks(tmp_path, args):
    """Our help is rich markup, never Markdown, and tracebacks are plain: typer's renderer loads without them
    (attini_sdk.cli._rich_help), and prints the same help."""
    code, loaded = loaded_by(tmp_path, *args)

    assert code in (0, 2) and {"rich.markdown", "rich.traceback", "markdown_it", "pygments"} & loaded == set()
    assert "typer.rich_utils" in loaded or args == ["no-such-command"]


def test_the_stand_ins_leave_the_real_modules_to_later_imports():
    code = ("from attini_sdk.cli._rich_help import load_rich_utils\n"
            "rich_utils = load_rich_utils()\n"
            "import rich.markdown, rich.traceback\n"
            "assert rich.markdown.Markdown.__module__ == 'rich.markdown' and hasattr(rich.markdown, 'Heading')\n"
            "md = rich_utils.Markdown('# title')\n"
            "assert isinstance(md, rich.markdown.Markdown), type(md)\n"
            "print(type(md).__name__)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "Markdown"
