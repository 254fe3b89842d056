"""The questions asked before a change that is hard to undo, on stderr so that ``--json`` output stays clean.

Before a deploy or rollback in a production environment, Attini's "Continue? (Y/N)": it shows what runs now
and what would run instead (distribution id, version, tags) and reads the answer from stdin (so
``echo y | attini ...`` works too); ``-f/--force`` (as in Attini; ``-y/--yes`` too) skips it, and test
environments are never asked about. Before removing an environment (its history, inventory and parameters):
"y" for a test environment, its name typed for a production one, and only on a terminal: a script must say
``--yes``::

    confirm(env, Change("app", "0.4.0", "sha256:…", {"layer": "application"}), yes=False)
    confirm_removal(env, yes=False)
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

import attrs
import typer

from attini_sdk.cli import output, tables
from attini_sdk.errors import DeploymentError

if TYPE_CHECKING:  # pragma: no cover
    from attini_sdk.deploy.environment import Environment

__all__ = ["Change", "confirm", "confirm_removal", "current_of"]


@attrs.frozen
class Change:
    """What is about to run: distribution, version, id and tags (``None`` where not known or not set)."""

    distribution: str
    version: str | None
    distribution_id: str | None
    tags: dict = attrs.field(factory=dict)

    @property
    def label(self) -> str:
        """``app 1.2.0``, or ``app`` when the version is not known or the distribution has none."""
        return self.distribution + tables.version_suffix(self.version)


def current_of(env: Environment, distribution: str) -> dict | None:
    """The inventory row of ``distribution`` in ``env`` (its current deployment), or None."""
    from attini_sdk.deploy import rows

    row = next((r for r in rows.inventory(env) if r["distribution"] == distribution), None)
    return row if row is not None and isinstance(row.get("distribution_id"), str) else None


def _describe(version, distribution_id, tags: dict | None = None) -> str:
    tag_text = ", ".join(f"{k}={v}" for k, v in (tags or {}).items()) or "-"
    return (f"version {tables.version_text(version)}\n      distribution id {tables.value(distribution_id) or '?'}\n"
            f"      tags {tag_text}")


def _current_tags(env: Environment, row: dict) -> dict:
    deployment_id = row.get("deployment_id")
    return env.deployment(str(deployment_id)).tags if isinstance(deployment_id, str) else {}


def confirm(env: Environment, change: Change, *, yes: bool, action: str = "deploy") -> None:
    """Ask before changing a production environment, unless ``yes`` (``-f/--force``, ``-y/--yes``); a "no" ends
    the command (exit 1)."""
    if yes or env.type != "production":
        return
    current = current_of(env, change.distribution)
    now = (_describe(current.get("version"), current.get("distribution_id"), _current_tags(env, current))
           if current else "nothing deployed")
    output.stderr(f"Environment '{env.name}' is a production environment. About to {action} "
                  f"'{change.distribution}'.\n  current: {now}\n"
                  f"  new:     {_describe(change.version, change.distribution_id, change.tags)}")
    answer = _ask("Continue? (Y/N) ")
    if not answer:
        output.stderr("")
        raise DeploymentError(f"'{env.name}' is a production environment and there was no answer to "
                              "'Continue? (Y/N)'", where=f"environment {env.name}",
                              hint="answer in a terminal, or pass -f (--force) to go ahead without asking")
    if answer.strip().lower() not in ("y", "yes"):
        output.stderr(f"Cancelled: nothing was {'deployed' if action == 'deploy' else 'rolled back'}.")
        raise typer.Exit(1)


def _ask(question: str) -> str:
    print(question, end="", file=sys.stderr, flush=True)
    return sys.stdin.readline()


def confirm_removal(env: Environment, *, yes: bool) -> None:
    """Ask before removing ``env``, unless ``yes``; without a terminal, refuse; a wrong answer ends the command."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise DeploymentError(f"removing environment '{env.name}' needs a confirmation, and there is no terminal "
                              "to ask on", where=f"environment {env.name}",
                              hint=f"add --yes to remove it without asking: attini environment remove {env.name} "
                                   "--yes")
    production = env.type == "production"
    output.stderr(f"Environment '{env.name}' ({env.type}) will be removed with its deployment history, inventory "
                  "and parameters. Nothing in the cloud is touched.")
    answer = _ask(f"Type the environment's name, {env.name}, to remove it: " if production else "Remove it? (y/N) ")
    if (answer.strip() == env.name) if production else (answer.strip().lower() in ("y", "yes")):
        return
    output.stderr(f"Cancelled: environment '{env.name}' was not removed.")
    raise typer.Exit(1)
