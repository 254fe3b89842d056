"""``--no-wait``: run the deployment in a detached ``attini`` process and return once it is recorded.

On the local backend the process that deploys is the deployer: it runs the plan and heartbeats the lock.
So "do not wait" cannot mean "start it in a thread and exit" (the deployment would die with this process);
it means handing the whole deployment to a new ``attini`` process in its own session, which outlives the
terminal, logs to ``$ATTINI_HOME/logs/detached/``, and is followed with ``attini deploy describe``::

    deployment = start_detached(env, artifact, "app", ["--force"])
    deployment.revision, deployment.status       # (4, 'running')
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from attini_sdk.errors import DeploymentError

__all__ = ["start_detached", "START_TIMEOUT"]

#: how long to wait for the detached process to record its deployment (packaging is done already)
START_TIMEOUT = 60.0


def _latest(env, distribution: str) -> dict | None:
    from attini_sdk.deploy import rows

    found = rows.history(env, distribution=distribution, limit=1)
    return found[0] if found else None


def _latest_revision(env, distribution: str) -> int:
    latest = _latest(env, distribution)
    return 0 if latest is None else int(latest["revision"])


def _command(env, subject: Any, args: list[str]) -> list[str]:
    """``deploy run TARGET ...`` for a subject (an Artifact by its zip, an id) or ``deploy ARGS`` without one."""
    base = [sys.executable, "-m", "attini_sdk", "deploy"]
    if subject is None:
        return [*base, *args, "-e", env.name, "--json"]
    target = str(getattr(subject, "path", subject))
    return [*base, "run", target, *args, "-e", env.name, "--json"]


def _log_file(env, distribution: str) -> Path:
    from attini_sdk.home import owner_only

    folder = Path(env.home) / "logs" / "detached"
    with owner_only():
        folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{env.name}-{distribution}-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}.log"


def _failure(log: Path, code: int) -> DeploymentError:
    """The detached process ended before recording a deployment: report its own error (it printed JSON)."""
    text = log.read_text(errors="replace")
    try:
        data = json.loads(text[text.find("{"):])  # after any warnings it printed
    except ValueError:
        data = {}
    if isinstance(data, dict) and data.get("what"):
        return DeploymentError(data["what"], where=data.get("where"), hint=data.get("hint"))
    return DeploymentError(f"the detached deployment process exited with code {code} before it started",
                           where=str(log), hint="read its log there, or run again without --no-wait")


def start_detached(env, subject: Any, distribution: str, args: list[str], *, timeout: float = START_TIMEOUT):
    """Start ``attini deploy`` in a new session; return the :class:`Deployment` it recorded (running)."""
    before = _latest_revision(env, distribution)
    from attini_sdk.home import owner_only

    log = _log_file(env, distribution)
    with owner_only(), open(log, "w") as out:
        proc = subprocess.Popen(_command(env, subject, args), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + timeout
    while True:
        latest = _latest(env, distribution)
        if latest is not None and int(latest["revision"]) > before:
            return env.deployment(str(latest["deployment_id"]))
        code = proc.poll()
        if code is not None and _latest_revision(env, distribution) == before:
            raise _failure(log, code)
        if time.monotonic() > deadline:
            raise DeploymentError(f"the detached deployment did not start within {timeout:.0f} s",
                                  where=str(log), hint="read its log there; it may still be waiting for a lock")
        time.sleep(0.05)
