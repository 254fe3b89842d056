"""The CLI's command modules, each exposing ``register(app)``, and the top-level names each one adds.

A call imports and registers only the modules its command needs (``attini deploy run`` imports
``attini_sdk.cli.deploy``, not the distribution or environment commands); ``attini``, ``attini --help`` and an
unknown command register all of them, in this order (the order of ``attini --help``)::

    >>> modules_for(["--debug", "deploy", "run", "x.zip"])
    ('deploy',)
    >>> modules_for(["--help"]) == MODULES
    True
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["MODULES", "COMMANDS", "ROOT_FLAGS", "ROOT_VALUED", "command_token", "modules_for"]

MODULES: tuple[str, ...] = ("distribution", "key", "config_cmd", "configure", "plan", "environment", "deploy",
                            "inventory")
"""Every command module of ``attini_sdk.cli``, in registration order."""

COMMANDS: dict[str, tuple[str, ...]] = {
    "distribution": ("distribution", "plan"), "dist": ("distribution", "plan"),  # plan adds `distribution plan`
    "key": ("key",),
    "config": ("config_cmd",),
    "configure": ("configure",),
    "environment": ("environment",), "env": ("environment",),
    "deploy": ("deploy",), "d": ("deploy",),
    "inventory": ("inventory",), "landscape": ("inventory",),
}
"""Top-level name (hidden aliases too) -> the modules that build it (tests/cli/test_root.py keeps it true)."""

ROOT_FLAGS = frozenset({"--debug", "--version"})
"""The root's options that take no value."""

ROOT_VALUED = frozenset({"--backend", "--endpoint-url", "--region", "--profile"})
"""The root's options that take a value (``--region eu-west-1`` or ``--region=eu-west-1``)."""


def command_token(args: Sequence[str]) -> str | None:
    """The top-level command ``args`` run, or None when the root itself answers (``--help``, no command).

    >>> command_token(["--debug", "inventory", "-e", "dev"]), command_token(["-h", "deploy"]), command_token([])
    ('inventory', None, None)
    >>> command_token(["--backend", "aws", "--region=eu-west-1", "environment", "list"])
    'environment'
    """
    skip = False
    for arg in args:
        if skip or arg in ROOT_FLAGS or arg.split("=", 1)[0] in ROOT_VALUED and "=" in arg:
            skip = False
            continue
        if arg in ROOT_VALUED:
            skip = True
            continue
        return None if arg.startswith("-") else arg  # -h/--help, "--" or another option: the root answers
    return None


def modules_for(args: Sequence[str]) -> tuple[str, ...]:
    """The command modules a call with ``args`` needs: its command's, or all of them."""
    return COMMANDS.get(command_token(args) or "", MODULES)
