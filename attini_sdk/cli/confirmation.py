"""The question Attini asks before it changes a production environment: "Continue? (Y/N)".

It shows what runs now and what would run instead (distribution id, version, tags), on stderr so that
``--json`` output stays clean, and reads the answer from stdin (so ``echo y | attini ...`` works too).
``--yes`` skips it; test environments are never asked about::

    confirm(env, Change("app", "0.4.0", "sha256:…", {"layer": "application"}), yes=False)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import attrs
import typer

from attini_sdk.cli import output
from attini_sdk.errors import DeploymentError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.deploy.environment import Environment

__all__ = ["Change", "confirm", "current_of"]


@attrs.frozen
class Change:
    """What is about to run: distribution, version, id and tags (``None`` where not known)."""

    distribution: str
    version: str | None
    distribution_id: str | None
    tags: dict = attrs.field(factory=dict)


def current_of(env: Environment, distribution: str) -> dict | None:
    """The inventory row of ``distribution`` in ``env`` (its current deployment), or None."""
    from attini_sdk.deploy import rows

    row = next((r for r in rows.inventory(env) if r["distribution"] == distribution), None)
    return row if row is not None and isinstance(row.get("distribution_id"), str) else None


def _describe(version, distribution_id, tags: dict | None = None) -> str:
    tag_text = ", ".join(f"{k}={v}" for k, v in (tags or {}).items()) or "-"
    return f"version {version or '?'}\n      distribution id {distribution_id or '?'}\n      tags {tag_text}"


def _current_tags(env: Environment, row: dict) -> dict:
    deployment_id = row.get("deployment_id")
    return env.deployment(str(deployment_id)).tags if isinstance(deployment_id, str) else {}


def confirm(env: Environment, change: Change, *, yes: bool, action: str = "deploy") -> None:
    """Ask before changing a production environment, unless ``yes``; a "no" ends the command (exit 1)."""
    if yes or env.type != "production":
        return
    current = current_of(env, change.distribution)
    now = (_describe(current.get("version"), current.get("distribution_id"), _current_tags(env, current))
           if current else "nothing deployed")
    output.stderr(f"Environment '{env.name}' is a production environment. About to {action} "
                  f"'{change.distribution}'.\n  current: {now}\n"
                  f"  new:     {_describe(change.version, change.distribution_id, change.tags)}")
    print("Continue? (Y/N) ", end="", file=sys.stderr, flush=True)
    answer = sys.stdin.readline()
    if not answer:
        output.stderr("")
        raise DeploymentError(f"'{env.name}' is a production environment and there was no answer to "
                              "'Continue? (Y/N)'", where=f"environment {env.name}",
                              hint="answer in a terminal, or pass --yes (-y) to go ahead without asking")
    if answer.strip().lower() not in ("y", "yes"):
        output.stderr(f"Cancelled: nothing was {'deployed' if action == 'deploy' else 'rolled back'}.")
        raise typer.Exit(1)
