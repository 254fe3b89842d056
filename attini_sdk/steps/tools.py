"""The default runner's tools on the local backend: the AWS, SAM and CDK CLIs on runner jobs' PATH.

Attini's default runner image carries the AWS CLI, the SAM CLI, the CDK CLI, Node and Python; plans call
them from runner steps (``cdk deploy``, ``sam build``, ``aws s3 cp``). A job on this host gets the same
names on its PATH, pointed at the environment's endpoint by the usual ``AWS_*`` variables:

- ``aws`` and ``sam`` from this Python's environment (``pip install 'attini-sdk[sam]'``), with ``python``
  and ``pip`` of that environment;
- ``cdk`` from npm's ``aws-cdk``, installed once into ``$ATTINI_HOME/tools`` when a job first names it
  (one progress line says so).

A tool that is missing and cannot be installed fails the step with a message naming it and how to get it::

    >>> how_to_get("sam")
    "pip install 'attini-sdk[sam]' (the SAM CLI from PyPI)"
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from attini_sdk.home import attini_home
from attini_sdk.steps.base import StepFailed, StepLog

__all__ = ["tool_dirs", "job_path", "ensure_tools", "how_to_get", "cdk_cli", "TOOLS"]

TOOLS = {
    "aws": "pip install 'attini-sdk[sam]' (the AWS CLI from PyPI)",
    "sam": "pip install 'attini-sdk[sam]' (the SAM CLI from PyPI)",
    "cdk": "install Node.js with npm; the CDK CLI (npm aws-cdk) is then installed into $ATTINI_HOME/tools on "
           "first use",
    "npm": "install Node.js with npm (e.g. apt-get install nodejs npm)",
    "node": "install Node.js (e.g. apt-get install nodejs)",
}
"""Tool -> how to get it."""

_WORD = r"(?:^|[\s;&|(`$])({})(?=$|[\s;&|)])"


def how_to_get(tool: str) -> str:
    """How to get ``tool`` onto this machine."""
    return TOOLS.get(tool, f"install '{tool}' on this host")


def tools_home() -> Path:
    """``$ATTINI_HOME/tools``: where npm tools are installed."""
    return attini_home() / "tools"


def tool_dirs() -> list[str]:
    """Folders a host job's PATH starts with: this Python's scripts, then the npm tools' ``.bin``."""
    return [str(Path(sys.executable).parent), str(tools_home() / "node_modules" / ".bin")]


def job_path(current: str | None) -> str:
    """``current`` PATH with :func:`tool_dirs` in front (each once)."""
    rest = [p for p in (current or os.defpath).split(os.pathsep) if p and p not in tool_dirs()]
    return os.pathsep.join([*tool_dirs(), *rest])


def named(script: str, tool: str) -> bool:
    """True when ``script`` runs ``tool`` as a command word.

    >>> named("npx cdk deploy", "cdk"), named("cdk synth", "cdk"), named("echo cdk.out", "cdk")
    (True, True, False)
    """
    return re.search(_WORD.format(re.escape(tool)), script, re.MULTILINE) is not None


def cdk_cli(*, log: StepLog, step: str) -> Path:
    """The CDK CLI, installed from npm into ``$ATTINI_HOME/tools`` on first use (once, under a lock)."""
    home = tools_home()
    cli = home / "node_modules" / ".bin" / "cdk"
    if cli.exists():
        return cli
    npm = shutil.which("npm")
    if npm is None:
        raise StepFailed("the CDK CLI is not installed and cannot be: npm is not on this host", step=step,
                         error="Runner.ToolMissing", cause="cdk: npm not found", hint=how_to_get("npm"))
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if cli.exists():
            return cli
        log.notice(f"installing the AWS CDK CLI (npm aws-cdk) into {home}, once for this machine")
        done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(home), "aws-cdk"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
        for line in done.stdout.splitlines():
            log.write(line)
        if done.returncode != 0 or not cli.exists():
            raise StepFailed("npm could not install the CDK CLI (aws-cdk)", step=step, error="Runner.ToolMissing",
                             cause="\n".join(done.stdout.splitlines()[-10:]) or f"exit code {done.returncode}",
                             hint="check that the npm registry is reachable, or run "
                                  f"`npm install --prefix {home} aws-cdk` yourself")
        log.info(f"installed the CDK CLI: {cli}")
    return cli


def ensure_tools(script: str, env: dict, *, log: StepLog, step: str) -> None:
    """Make the tools ``script`` names available before it runs (the CDK CLI is installed on first use)."""
    if named(script, "cdk") and shutil.which("cdk", path=env.get("PATH")) is None:
        cdk_cli(log=log, step=step)
