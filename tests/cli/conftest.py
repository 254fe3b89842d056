"""Fixtures for CLI tests: a private ATTINI_HOME, the CLI run in-process, small distributions.

The distributions here use Runner steps only (shell commands in real subprocesses), so they need no AWS;
the example platform on moto is exercised by the demo test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import attrs
import pytest

from attini_sdk.cli import main
from tests.trees import network_project


@pytest.fixture(autouse=True)
def home(tmp_path_factory, monkeypatch) -> Path:
    """Every test gets its own $ATTINI_HOME (state, artifacts, logs) and no AWS endpoint."""
    path = tmp_path_factory.mktemp("attini-home")
    monkeypatch.setenv("ATTINI_HOME", str(path))
    monkeypatch.delenv("ATTINI_DEBUG", raising=False)
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "eu-north-1"}.items():
        monkeypatch.setenv(key, value)
    return path


@attrs.frozen
class Result:
    """What a user sees: the exit code, stdout and stderr."""

    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def attini(capsys, monkeypatch):
    """Run ``attini ARGS`` in this process; ``stdin=`` feeds answers to questions."""
    import io

    def run(*args: str, stdin: str = "") -> Result:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        code = main([str(a) for a in args])
        out, err = capsys.readouterr()
        return Result(code, out, err)

    return run


def run_subprocess(*args: str, stdin: str = "", env: dict | None = None) -> Result:
    """Run the real ``attini`` entry point in a new process."""
    proc = subprocess.run([sys.executable, "-m", "attini_sdk", *map(str, args)], input=stdin,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)
    return Result(proc.returncode, proc.stdout, proc.stderr)


PLAN = '''\
from attini_sdk.plan import ManualApproval, Plan, Runner

steps = []
{body}
plan = Plan(*steps)
'''

GREET = '''\
greet = Runner("Greet", commands=['echo "hello from $ATTINI_ENVIRONMENT_NAME"',
                                  'echo \\'{{"greeting": "hi {version}"}}\\' > "$ATTINI_OUTPUT"'])
check = Runner("Check", commands=['echo "checking {version}"', {check}], after=[greet])
steps.append(check)
'''

GATED = '''\
greet = Runner("Greet", commands=['echo \\'{{"greeting": "hi {version}"}}\\' > "$ATTINI_OUTPUT"'])
approve = ManualApproval("Approve", after=[greet])
ship = Runner("Ship", commands=['echo shipped > "$ATTINI_OUTPUT"'], after=[approve])
steps.append(ship)
'''

ECHO_PARAMETERS = """\
echo = Runner("Echo", commands=["python3 -c 'import json, os; print(json.dumps(json.load(open(os.environ[\\"ATTINI_INPUT\\"]))[\\"parameters\\"]))' > \\"$ATTINI_OUTPUT\\""])
steps.append(echo)
"""


def write_distribution(root: Path, name: str, version: str, *, broken: bool = False, gated: bool = False,
                       echo_parameters: bool = False, commands: list[str] | None = None,
                       needs: dict[str, str] | None = None) -> Path:
    """A distribution folder whose plan runs shell steps; ``broken`` makes its Check step fail,
    ``gated`` puts a ManualApproval between two steps, ``echo_parameters`` outputs ``$.parameters``,
    ``commands`` makes the plan one Runner step "Work" running them."""
    folder = root / f"{name}-{version}"
    folder.mkdir(parents=True, exist_ok=True)
    check = "'echo smoke test failed >&2; exit 3'" if broken else "'true'"
    body = ECHO_PARAMETERS if echo_parameters else (GATED if gated else GREET).format(version=version, check=check)
    if commands is not None:
        body = f"steps.append(Runner('Work', commands={commands!r}))\n"
    deps = "".join(f"  - distributionName: {d}\n    version: \"{r}\"\n" for d, r in (needs or {}).items())
    (folder / "attini-config.yaml").write_text(
        f"distributionName: {name}\nversion: {version}\ndistributionTags:\n  team: platform\n"
        f"plan: deployment_plan.py\n" + (f"dependencies:\n{deps}" if deps else ""))
    (folder / "deployment_plan.py").write_text(PLAN.format(body=body))
    return folder


@pytest.fixture
def dists(tmp_path):
    """Make distribution folders: ``dists("hello", "1.0.0", broken=True)``."""
    def make(name: str, version: str, **kwargs) -> Path:
        return write_distribution(tmp_path / "src", name, version, **kwargs)

    return make


@pytest.fixture
def project(tmp_path) -> Path:
    """The small ``network`` distribution folder of :func:`tests.trees.network_project`."""
    return network_project(tmp_path)
